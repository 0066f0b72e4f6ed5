-- qbench-sandbox v2 data: records shaped by the digest's schemas, seeded
-- reproducibly, sized by the command line and the reset body.
local helper = require "helper"
local core = require "qbench.core"

local call = helper.call
local V2 = helper.V2

local function now()
  local f = io.popen("date +%s.%N")
  local t = tonumber(f:read("l"))
  f:close()
  return t
end

-- Whether a decoded value has a schema's JSON type (null is allowed).
local function has_type(schema, v)
  if v == core.null then return true end
  if schema.anyOf then
    for _, alt in ipairs(schema.anyOf) do if has_type(alt, v) then return true end end
    return false
  end
  local t = schema.type
  if t == "integer" then return math.type(v) == "integer" end
  if t == "number" then return type(v) == "number" end
  if t == "string" then return type(v) == "string" end
  if t == "boolean" then return type(v) == "boolean" end
  if t == "array" or t == "object" then return type(v) == "table" end
  return true
end

describe("sandbox v2 data", function()
  before_each(function() helper.reset() end)
  -- Leave the shared sandbox as the other spec files expect it.
  teardown(function() helper.reset() end)

  it("answers every declared property of a record's schema, each of its type", function()
    local checked = 0
    for _, op in ipairs(helper.v2_digest()) do
      local path = op.path:match("^/qbench/api/v2/[%w%-]+/{[%w_]+}$") and op.path
      local answer = op.responses and op.responses["200"]
      local schema = type(answer) == "table" and answer.properties.data
      if op.method == "GET" and path and not path:match("integrations") and schema then
        local id = "1"
        if path:match("api%-clients") then
          local _, list = call("GET", V2 .. "api-clients?page_size=1")
          id = list.data[1].id
        end
        local _, body = call("GET", (path:gsub("{[%w_]+}", id)))
        for name, s in pairs(schema.properties) do
          local v = body.data[name]
          assert(v ~= nil, path .. " lacks " .. name)
          assert(has_type(s, v), path .. ": " .. name .. " is not " .. tostring(s.type))
        end
        for name in pairs(body.data) do assert(schema.properties[name], path .. " has undeclared " .. name) end
        if schema.properties.last_updated then assert.matches("^%d+$", body.data.last_updated) end
        checked = checked + 1
      end
    end
    assert.equal(28, checked)
  end)

  it("is the same for the same seed and differs for another", function()
    local _, a = call("GET", V2 .. "customers/3")
    helper.reset { seed = 1 }
    local _, b = call("GET", V2 .. "customers/3")
    assert.same(a, b)
    helper.reset { seed = 2 }
    local _, c = call("GET", V2 .. "customers/3")
    assert.are_not.same(a.data.customer_name .. a.data.last_updated, c.data.customer_name .. c.data.last_updated)
  end)

  it("builds a record the same whether it is read first or after others", function()
    local _, late = call("GET", V2 .. "tests/77")
    helper.reset()
    call("GET", V2 .. "tests?page_size=50&page_num=2")
    local _, again = call("GET", V2 .. "tests/77")
    assert.same(late, again)
  end)

  it("sizes collections from the reset body, unset ones following their parent", function()
    local t0 = now()
    helper.reset { v2 = { samples = 10000 } }
    local took = now() - t0
    assert.is_true(took < 0.5, "reset took " .. took)
    local _, body = call("GET", V2 .. "samples?page_size=1&page_num=10000")
    assert.equal(10000, body.total_count)
    assert.equal(10000, body.data[1].id)
    _, body = call("GET", V2 .. "tests?page_size=1")
    assert.equal(20000, body.total_count)
    helper.reset { v2 = { scale = 2, tests = 5 } }
    _, body = call("GET", V2 .. "orders?page_size=1")
    assert.equal(40, body.total_count)
    _, body = call("GET", V2 .. "samples?page_size=1")
    assert.equal(120, body.total_count)
    _, body = call("GET", V2 .. "tests?page_size=1")
    assert.equal(5, body.total_count)
    helper.reset()
    _, body = call("GET", V2 .. "orders?page_size=1")
    assert.equal(20, body.total_count)
  end)

  it("refuses bad sizes in the reset body", function()
    local url = helper.sandbox().url .. "/_sandbox/reset"
    for _, case in ipairs {
      { '{"v2": {"samples": 0}}', "v2: samples must be an integer from 1 to 1000000" },
      { '{"v2": {"scale": 1001}}', "v2: scale must be an integer from 1 to 1000" },
      { '{"v2": {"widgets": 3}}', "^v2: unknown collection 'widgets' %(accessioning_types, " },
      { '{"v2": [1]}', "v2: must be an object of collection sizes" },
    } do
      local status, _, raw = helper.http("POST", url, {}, case[1])
      assert.equal(400, status, case[1])
      assert.matches(case[2], core.decode(raw).message)
    end
  end)

  it("takes --v2-scale and --v2-sizes on the command line", function()
    local sb = helper.start { "--token", "t", "--v2-scale", "3", "--v2-sizes", "orders=7,tests=9", "--quiet",
      "--die-with-parent" }
    local function total(path)
      local _, body = call("GET", V2 .. path .. "?page_size=1", { target = sb, token = "t" })
      return body.total_count
    end
    local got = { orders = total("orders"), samples = total("samples"), tests = total("tests"), users = total("users") }
    helper.reset({ v2 = { orders = 2 } }, sb)
    got.after = total("samples")
    sb.stop()
    assert.same({ orders = 7, samples = 21, tests = 9, users = 24, after = 6 }, got)
  end)
end)
