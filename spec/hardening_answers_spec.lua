-- Hostile answers: huge, deeply nested, malformed and odd JSON from a server
-- that claims success. Each has one defined result and leaves the client
-- working.
local qbench = require "qbench"
local helper = require "helper"

local ONE = "GET /qbench/api/v1/customer/1"

describe("hostile answers", function()
  local sb, qb
  setup(function()
    sb = helper.sandbox()
    qb = qbench.new { url = sb.url, token = sb.token, retries = 0 }
  end)
  teardown(function() qb:close() end)
  before_each(function() helper.reset() end)
  after_each(function() assert.equal(2, qb.customer:get(2).id) end) -- still working

  it("a 100 MB answer is stopped at the default max_response_bytes (32 MiB)", function()
    helper.faults(ONE, { "big:100000000" })
    local c, err = qb.customer:get(1)
    assert.is_nil(c)
    assert.equal("network", err.kind)
    assert.equal("response larger than max_response_bytes (33554432 bytes); transfer stopped", err.message)
  end)

  it("max_response_bytes counts the whole answer, not each chunk, and stops it quickly", function()
    local small <close> = qbench.new { url = sb.url, token = sb.token, retries = 0, max_response_bytes = 1000000 }
    helper.faults(ONE, { "big:5000000" }) -- every chunk is far below the limit, the whole is 5x over it
    local t0 = require("qbench.core").time()
    local c, err = small.customer:get(1)
    assert.is_nil(c)
    assert.matches("max_response_bytes %(1000000 bytes%)", err.message)
    assert.is_true(require("qbench.core").time() - t0 < 5 * helper.time_scale, "stopped at the limit, not after the whole body")
  end)

  it("an answer just under max_response_bytes is accepted whole", function()
    local small <close> = qbench.new { url = sb.url, token = sb.token, retries = 0, max_response_bytes = 100001 }
    helper.faults("GET /qbench/api/v1/customer", { "big:100001", "big:100002" })
    local body = assert(small:request("GET", "customer"))
    assert.equal(50000, #body)
    local none, err = small:request("GET", "customer")
    assert.is_nil(none)
    assert.matches("max_response_bytes %(100001 bytes%)", err.message)
  end)

  it("JSON nested 100,000 deep is a decode error, not a stack overflow", function()
    helper.faults(ONE, { "deep:100000" })
    local c, err = qb.customer:get(1)
    assert.is_nil(c)
    assert.equal("decode", err.kind)
    assert.equal(200, err.status)
    assert.matches("too many nested data structures", err.message)
  end)

  it("JSON nested 1,000 deep (the documented limit) decodes", function()
    helper.faults("GET /qbench/api/v1/customer", { "deep:1000" })
    local v = assert(qb:request("GET", "customer"))
    local depth = 0
    while type(v) == "table" do depth, v = depth + 1, v[1] end
    assert.equal(1000, depth)
  end)

  it("invalid UTF-8 in a string is kept as the bytes sent, and refused when sent back", function()
    helper.faults(ONE, { "json:bad-utf8" })
    local c = assert(qb.customer:get(1))
    assert.equal("\xff\xfe bad \xc0\xaf utf-8 \xed\xa0\x80", c.customer_name)
    local ok, err = pcall(qb.customer.update, qb.customer, 1, { customer_name = c.customer_name })
    assert.is_false(ok)
    assert.matches("invalid UTF%-8", err)
    assert.equal(0, #helper.requests() - 1) -- nothing sent for the refused update
  end)

  it("\\u0000 in a string is a NUL byte; a raw NUL byte in the text is a decode error", function()
    helper.faults("GET /qbench/api/v1/customer", { "json:nul" })
    local c, err = qb:request("GET", "customer")
    assert.is_nil(c)
    assert.equal("decode", err.kind)
    assert.matches("NUL byte in JSON text at character 54", err.message, 1, true)
    assert.same({ s = "a\0b" }, qbench.decode('{"s": "a\\u0000b"}'))
    assert.is_nil((qbench.decode('{"s": 1}\0{"s": 2}')))
  end)

  it("huge numbers: floats beyond 2^53, infinity for overflow, 0 for underflow", function()
    helper.faults(ONE, { "json:huge-numbers" })
    local c = assert(qb.customer:get(1))
    assert.equal("float", math.type(c.big))
    assert.equal(1.2345678901234568e29, c.big)
    assert.equal(math.huge, c.huge)
    assert.equal(0, c.tiny)
    assert.equal(9007199254740992, c.past53) -- the nearest double, as documented
    assert.equal("integer", math.type(c.past53))
    assert.equal("float", math.type(c.minint))
    assert.equal(0, c.negzero)
    local ok, err = pcall(qbench.encode, c)
    assert.is_false(ok)
    assert.matches("cannot encode an infinite number at %$%.huge", err)
  end)

  it("duplicate keys: the last one wins", function()
    helper.faults(ONE, { "json:duplicate-keys" })
    local c = assert(qb.customer:get(1))
    assert.equal(2, c.id)
    assert.equal("second", c.customer_name)
  end)
end)

describe("sandbox hostile faults", function()
  local sb
  setup(function() sb = helper.sandbox() end)
  before_each(function() helper.reset() end)
  local function get()
    return helper.http("GET", sb.url .. "/qbench/api/v1/customer/1", { "Authorization: Bearer " .. sb.token })
  end

  it("big:N sends N bytes of a JSON array with a matching Content-Length", function()
    for _, n in ipairs { 2, 7, 8, 200001 } do
      helper.faults(ONE, { "big:" .. n })
      local status, h, body = get()
      assert.equal(200, status)
      assert.equal(tostring(n), h["content-length"])
      assert.equal(n, #body)
      assert.is_table(qbench.decode(body))
    end
  end)

  it("deep:N nests N arrays", function()
    helper.faults(ONE, { "deep:3" })
    local _, _, body = get()
    assert.equal("[[[]]]", body)
  end)

  it("json:NAME serves the named body, and the request is logged", function()
    helper.faults(ONE, { "json:duplicate-keys" })
    local status, _, body = get()
    assert.equal(200, status)
    assert.equal('{"id": 1, "id": 2, "customer_name": "first", "customer_name": "second"}', body)
    assert.equal(1, #helper.requests())
  end)

  it("refuses oversized or unknown hostile faults", function()
    for _, f in ipairs { "big:2199023255553", "deep:10000001", "json:nope" } do
      local status = helper.http("POST", sb.url .. "/_sandbox/faults", { "Content-Type: application/json" },
        qbench.encode { match = ONE, sequence = { f } })
      assert.equal(400, status)
    end
  end)
end)
