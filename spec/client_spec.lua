-- The client object: options, lifecycle, request(), and error objects.
local qbench = require "qbench"
local core = require "qbench.core"
local helper = require "helper"

local API = "/qbench/api/v1/"

describe("qbench.new", function()
  local sb
  setup(function() sb = helper.sandbox() end)
  before_each(function() helper.reset() end)

  it("has a version and the JSON helpers", function()
    assert.matches("^%d+%.%d+%.%d+$", qbench._VERSION)
    assert.equal(require("cjson").null, qbench.null)
    assert.is_function(qbench.array)
    assert.is_function(qbench.object)
  end)

  it("refuses bad options, naming them", function()
    local function raises(pattern, opts)
      local ok, err = pcall(qbench.new, opts)
      assert.is_false(ok)
      assert.matches(pattern, err)
    end
    raises("bad argument #1 to 'new' %(options must be a table", nil)
    raises("option url must be an http:// or https:// URL, got nil", { token = "t" })
    raises("option url must be an http", { url = "ftp://x", token = "t" })
    raises("option token must be a non%-empty string", { url = sb.url })
    raises("option token must be a non%-empty string", { url = sb.url, token = "a\nb" })
    raises("option timeout must be a number from 0.001 to 1000000, got %-1", { url = sb.url, token = "t", timeout = -1 })
    raises("option connect_timeout must be a number", { url = sb.url, token = "t", connect_timeout = "10" })
    raises("unknown option \"tokn\"", { url = sb.url, token = "t", tokn = "x" })
    raises("unknown option \"timout\": did you mean 'timeout'%?", { url = sb.url, token = "t", timout = 5 })
    raises("unknown option \"max_conncurrency\": did you mean 'max_concurrency'%?",
      { url = sb.url, token = "t", max_conncurrency = 5 })
    raises("option insecure must be a boolean", { url = sb.url, token = "t", insecure = 1 })
  end)

  it("sends the user agent given", function()
    local qb <close> = qbench.new { url = sb.url, token = sb.token, user_agent = "lab-script/2" }
    assert(qb.customer:get(1))
    assert.equal("lab-script/2", helper.last_request().headers["user-agent"])
  end)

  it("reuses one connection for many calls", function()
    local qb <close> = qbench.new { url = sb.url, token = sb.token }
    for _ = 1, 5 do assert(qb.customer:get(1)) end
    local ports = {}
    for _, r in ipairs(helper.requests()) do
      assert.equal("number", type(r.remote_port))
      ports[r.remote_port] = true
    end
    local n = 0
    for _ in pairs(ports) do n = n + 1 end
    assert.equal(1, n)
  end)

  describe("lifecycle", function()
    it("tostring shows the instance, never the token, and (closed) once closed", function()
      local qb = qbench.new { url = sb.url, token = "secret-token-123" }
      assert.equal("qbench.Client (" .. sb.url .. ")", tostring(qb))
      qb:close()
      assert.equal("qbench.Client (closed)", tostring(qb))
    end)

    it("raises when used after close, and closing twice is fine", function()
      local qb = qbench.new { url = sb.url, token = sb.token }
      qb:close()
      qb:close()
      local ok, err = pcall(qb.customer.get, qb.customer, 1)
      assert.is_false(ok)
      assert.matches("closed qbench client", err)
      assert.same({}, helper.requests())
    end)

    it("closes at the end of a <close> scope", function()
      local kept
      do
        local qb <close> = qbench.new { url = sb.url, token = sb.token }
        kept = qb
      end
      assert.equal("qbench.Client (closed)", tostring(kept))
    end)

    it("survives being collected", function()
      for _ = 1, 50 do qbench.new { url = sb.url, token = sb.token } end
      collectgarbage()
      collectgarbage()
    end)
  end)

  describe("request", function()
    local qb
    setup(function() qb = qbench.new { url = sb.url, token = sb.token } end)
    teardown(function() qb:close() end)

    it("puts relative paths under /qbench/api/v1/ and returns decoded, status, headers", function()
      local body, status, headers = qb:request("GET", "customer/2")
      assert.equal(2, body.id)
      assert.equal(200, status)
      assert.matches("application/json", headers["content-type"])
      assert.equal(API .. "customer/2", helper.last_request().path)
    end)

    it("takes absolute paths from the instance root", function()
      assert(qb:request("get", "/qbench/api/v1/customer/3"))
      local r = helper.last_request()
      assert.equal("GET", r.method)
      assert.equal(API .. "customer/3", r.path)
    end)

    it("percent-encodes query values, sorts keys and repeats array keys", function()
      local _, status = qb:request("GET", "customer", { query = { page_size = 5, page_num = 1.0, q = "a b&c=d/é" } })
      assert.equal(200, status)
      assert.equal("page_num=1&page_size=5&q=a%20b%26c%3Dd%2F%C3%A9", helper.last_request().query)
      qb:request("DELETE", "customer/1/assays", { query = { assay_ids = { 3, 1 } } })
      assert.equal("assay_ids=3&assay_ids=1", helper.last_request().query)
    end)

    it("sends a table body as JSON and a string body as given", function()
      local r1 = qb:request("POST", "customer", { body = { customer_name = "Via request" } })
      assert.equal("integer", math.type(r1.id))
      local r = helper.last_request()
      assert.equal("application/json", r.headers["content-type"])
      assert.same({ customer_name = "Via request" }, qbench.decode(r.body))
      qb:request("POST", "customer", { body = '{"customer_name":"raw"}' })
      assert.equal('{"customer_name":"raw"}', helper.last_request().body)
    end)
  end)
end)

describe("errors", function()
  local sb, qb
  setup(function()
    sb = helper.sandbox()
    qb = qbench.new { url = sb.url, token = sb.token, timeout = 1, retries = 0 }
  end)
  teardown(function() qb:close() end)
  before_each(function() helper.reset() end)

  local function check_line(err)
    local line = tostring(err)
    assert.is_nil(line:find("\n"), "one line")
    assert.is_nil(line:find(sb.token, 1, true), "no token")
    return line
  end

  it("404: kind http, the status, the decoded body and a readable line", function()
    local c, err = qb.customer:get(4242)
    assert.is_nil(c)
    assert.is_true(qbench.is_error(err))
    assert.equal("http", err.kind)
    assert.equal(404, err.status)
    assert.equal("GET", err.method)
    assert.equal(sb.url .. API .. "customer/4242", err.url)
    assert.is_table(err.body)
    assert.is_string(err.message)
    assert.is_table(err.headers)
    local line = check_line(err)
    assert.matches("GET /qbench/api/v1/customer/4242", line, 1, true)
    assert.matches("HTTP 404", line, 1, true)
    assert.matches(err.message, line, 1, true)
  end)

  it("401: kind auth, for a wrong token", function()
    local bad <close> = qbench.new { url = sb.url, token = "wrong-token" }
    local c, err = bad.customer:get(1)
    assert.is_nil(c)
    assert.equal("auth", err.kind)
    assert.equal(401, err.status)
    assert.is_nil(tostring(err):find("wrong-token", 1, true))
    assert.equal("Bearer wrong-token", helper.last_request().headers.authorization)
  end)

  it("403: kind auth, never retried", function()
    local infos = {}
    local watched <close> = qbench.new { url = sb.url, token = sb.token, sleep = function() end,
      on_request = function(i) infos[#infos + 1] = i end }
    helper.faults("GET /qbench/api/v1/customer/1", { "403" })
    local c, err = watched.customer:get(1)
    assert.is_nil(c)
    assert.equal("auth", err.kind)
    assert.equal(403, err.status)
    assert.equal(1, #infos)
  end)

  it("400: kind http with the server's message", function()
    local body, err = qb:request("GET", "customer", { query = { page_size = 51 } })
    assert.is_nil(body)
    assert.equal("http", err.kind)
    assert.equal(400, err.status)
    assert.matches("page_size", err.message)
    check_line(err)
  end)

  it("HTML 502 from a proxy: kind http, the raw page as body, its title as message", function()
    helper.faults("GET /qbench/api/v1/customer/1", { "html" })
    local c, err = qb.customer:get(1)
    assert.is_nil(c)
    assert.equal("http", err.kind)
    assert.equal(502, err.status)
    assert.is_string(err.body)
    assert.matches("<html", err.body:lower(), 1, true)
    assert.matches("^HTML page: ", err.message)
    check_line(err)
  end)

  it("429: kind rate_limit, with the headers", function()
    helper.faults("GET /qbench/api/v1/customer/1", { "429:2" })
    local c, err = qb.customer:get(1)
    assert.is_nil(c)
    assert.equal("rate_limit", err.kind)
    assert.equal(429, err.status)
    assert.equal("2", err.headers["retry-after"])
  end)

  it("garbage 200: kind decode with the start of the body in the message", function()
    helper.faults("GET /qbench/api/v1/customer/1", { "garbage" })
    local c, err = qb.customer:get(1)
    assert.is_nil(c)
    assert.equal("decode", err.kind)
    assert.equal(200, err.status)
    assert.matches("invalid JSON in answer", err.message)
    assert.is_string(err.body)
    assert.matches(err.body:sub(1, 10), err.message, 1, true)
    check_line(err)
  end)

  it("connection refused: kind network, no status", function()
    local other = helper.start { "--quiet" }
    local url = other.url
    other.stop()
    local slept = {}
    local dead <close> = qbench.new { url = url, token = "t", connect_timeout = 2,
      sleep = function(s) slept[#slept + 1] = s end }
    local c, err = dead.customer:get(1)
    assert.is_nil(c)
    assert.equal("network", err.kind)
    assert.is_nil(err.status)
    assert.is_false(err.sent)
    assert.equal(4, err.attempts) -- nothing was sent: tried again, whatever the method
    assert.equal(3, #slept)
    assert.matches("GET /qbench/api/v1/customer/1", tostring(err), 1, true)
  end)

  it("a stalled server: kind timeout after the client's timeout", function()
    local quick <close> = qbench.new { url = sb.url, token = sb.token, timeout = helper.short_timeout, retries = 0 }
    helper.faults("GET /qbench/api/v1/customer/1", { helper.stall })
    local t0 = core.time()
    local c, err = quick.customer:get(1)
    local took = core.time() - t0
    assert.is_nil(c)
    assert.equal("timeout", err.kind)
    assert.is_true(took >= helper.short_timeout * 0.9 and took < 3 * helper.short_timeout, "took " .. took)
  end)

  it("a dropped connection and a truncated answer: kind network", function()
    -- A new client: libcurl silently sends a GET again when a reused connection dies
    -- before answering, which would spend the "drop" on a connection of an earlier test.
    local fresh <close> = qbench.new { url = sb.url, token = sb.token, retries = 0 }
    helper.faults("GET /qbench/api/v1/customer/1", { "drop", "truncate" })
    local _, err1 = fresh.customer:get(1)
    assert.equal("network", err1.kind)
    local _, err2 = fresh.customer:get(1)
    assert.equal("network", err2.kind)
    assert(fresh.customer:get(1)) -- and the client goes on working
  end)

  it("an answer larger than max_response_bytes is refused", function()
    local small <close> = qbench.new { url = sb.url, token = sb.token, max_response_bytes = 1000 }
    local p, err = small.customer:page { page_size = 50 }
    assert.is_nil(p)
    assert.equal("network", err.kind)
    assert.matches("max_response_bytes", err.message)
    assert(small.customer:get(1))
  end)
end)

describe("the module-level client", function()
  local sb
  setup(function() sb = helper.sandbox() end)
  before_each(function() helper.reset() end)

  it("uses qbench.configure", function()
    qbench.configure { url = sb.url, token = sb.token }
    local c = assert(qbench.customer:get(9))
    assert.equal(9, c.id)
    assert.equal("GET", helper.last_request().method)
    assert.is_nil(qbench.customer.no_such_method)
  end)

  it("reads QBENCH_URL and QBENCH_TOKEN on first use", function()
    local script = [[
      package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
      package.cpath = "build/?.so;" .. package.cpath
      local qbench = require "qbench"
      local c = assert(qbench.customer:get(11))
      io.write(c.id, " ", math.type(c.id))
    ]]
    local cmd = string.format("QBENCH_URL=%s QBENCH_TOKEN=%s lua5.4 -e %q 2>&1", sb.url, sb.token, script)
    local p = io.popen(cmd)
    local out = p:read("a")
    p:close()
    assert.equal("11 integer", out)
    assert.equal(sb.url and "/qbench/api/v1/customer/11", helper.last_request().path)
  end)

  it("says how to configure it when nothing is set", function()
    local cmd = [[env -u QBENCH_URL -u QBENCH_TOKEN lua5.4 -e 'package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
      package.cpath = "build/?.so;" .. package.cpath
      print(pcall(function() return require("qbench").customer:get(1) end))' 2>&1]]
    local p = io.popen(cmd)
    local out = p:read("a")
    p:close()
    assert.matches("false.*QBENCH_URL and QBENCH_TOKEN", out)
  end)
end)
