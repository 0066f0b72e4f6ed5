-- What reaches the path of a v2 request: no id or path parameter can form a dot segment
-- ("." or ".." would make HTTP tools send another path than the one qb:plan and errors
-- show), string ids are percent-encoded whole, an empty one is refused, and
-- qb.v2:request joins its path to the v2 root without "//". Asserted on the raw request
-- target the sandbox logged.
local qbench = require "qbench"
local helper = require "helper"

local V2 = "/qbench/api/v2"

describe("v2 paths", function()
  local sb, qb, v2
  setup(function()
    sb = helper.sandbox()
    qb = qbench.new { url = sb.url, token = sb.token, retries = 0 }
    v2 = qb.v2
  end)
  teardown(function() qb:close() end)
  before_each(function() helper.reset() end)

  local function refused(fn, pattern)
    local ok, err = pcall(fn)
    assert.is_false(ok, "raises")
    assert.matches(pattern, err)
    assert.same({}, helper.requests(), "nothing was sent")
  end

  local function paths()
    local out = {}
    for i, r in ipairs(helper.requests()) do out[i] = r.path end
    return out
  end

  describe("'.' and '..' as string ids or path parameters are refused, naming the argument", function()
    for _, dots in ipairs { ".", ".." } do
      it(string.format("%q", dots), function()
        local quoted = dots:gsub("%.", "%%.")
        refused(function() return v2.api_clients(dots).customers:page() end,
          "bad argument #1 to 'api_clients' %(api_client_id, an API client's id, must not be \"%.\" or \"%.%.\" "
            .. "%(a dot segment names another path%), got \"" .. quoted .. "\"%)")
        refused(function() return v2.api_clients:get(dots) end, "bad argument #1 to 'get' %(api_client_id, an API client's id, must not be")
        refused(function() return v2.api_clients:get_many { "x", dots } end,
          "bad argument #1 to 'get_many' %(ids%[2%], an API client's id, must not be")
        refused(function() return v2.labels(1):print(dots, { { id = 1 } }) end,
          "bad argument #1 to 'print' %(data_type, the kind of record the labels are for, such as \"sample\", "
            .. "must not be \"%.\" or \"%.%.\" %(a dot segment names another path%), got \"" .. quoted .. "\"%)")
      end)
    end

    it("other strings with dots are one segment as they are", function()
      v2.api_clients:get("...")
      v2.api_clients:get(".a")
      v2.labels(1):print("a..b", { { id = 1 } })
      assert.same({ V2 .. "/api-clients/...", V2 .. "/api-clients/.a", V2 .. "/labels/1/a..b" }, paths())
    end)
  end)

  it("an empty string id is refused", function()
    refused(function() return v2.api_clients:get("") end, "api_client_id, an API client's id, must be a non%-empty string, got \"\"")
    refused(function() return v2.api_clients("") end, "bad argument #1 to 'api_clients' %(api_client_id, an API client's id, must be a non%-empty string")
    refused(function() return v2.labels(1):print("", { { id = 1 } }) end, "data_type, the kind of record .*, must be a non%-empty string")
    refused(function() return v2.api_clients:get(7) end, "api_client_id, an API client's id, must be a non%-empty string, got 7")
  end)

  it("string ids with / ? # % and spaces are percent-encoded whole, as plan and errors show", function()
    local id = "a/b?c#d e%f"
    local plan = qb:plan(function(q) q.v2.api_clients:get(id) end)
    local got, err = v2.api_clients:get(id)
    assert.is_nil(got)
    assert.equal(404, err.status)
    v2.api_clients("x/../y").customers:page() -- 404: no such API client
    v2.labels(2):print("sample/2?x", { { id = 1 } })
    local encoded = V2 .. "/api-clients/a%2Fb%3Fc%23d%20e%25f"
    assert.same({ encoded, V2 .. "/api-clients/x%2F..%2Fy/customers", V2 .. "/labels/2/sample%2F2%3Fx" }, paths())
    assert.equal(encoded, plan[1].path)
    assert.equal(encoded, err.path)
  end)

  describe("qb.v2:request", function()
    it("a leading / (or several) is the v2 root's, never '//'", function()
      assert(v2:request("GET", "/samples/2"))
      assert(v2:request("GET", "//samples/3"))
      v2:request("GET", "samples/4", { query = { x = "a/../b" } }) -- 400: x is no filter of samples
      assert.same({ V2 .. "/samples/2", V2 .. "/samples/3", V2 .. "/samples/4" }, paths())
      assert.equal("x=a%2F..%2Fb", helper.requests()[3].query)
    end)

    it("empty, '.' and '..' segments raise instead of being rewritten on the way", function()
      for _, path in ipairs { "samples/../customers", "./samples", "samples/.", "samples//2", "samples/", "/", "",
        "../v1/customer" } do
        refused(function() return v2:request("GET", path) end,
          "bad argument #2 to 'request' %(path must be non%-empty, without empty, \"%.\" or \"%.%.\" segments")
      end
    end)
  end)
end)
