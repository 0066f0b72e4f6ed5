-- qbench-sandbox v2: a path id it cannot find is named as the request gave
-- it ("api client x-1 not found"), never as "nil"; the same sweep sends
-- every operation records that lack their fields, and no answer says "nil".
local helper = require "helper"
local core = require "qbench.core"

local call = helper.call
local V2 = helper.V2
local JSON = { "Content-Type: application/json" }

-- "nil" as a word: what Lua's tostring makes of a missing value.
local function says_nil(raw) return raw ~= nil and raw:find("%f[%w_]nil%f[^%w_]") ~= nil end

-- The operation's path with each parameter replaced by values[type] (or by name).
local function fill(op, values)
  return (op.path:gsub("{([%w_]+)}", function(name)
    for _, p in ipairs(op.params) do
      if p.name == name then return values[name] or values[p.type] end
    end
    error("undeclared path parameter " .. name .. " in " .. op.path)
  end))
end

local function request(op, path, raw)
  local opts = {}
  if op.body and op.body.content_type == "application/json" then
    opts.body, opts.headers = raw, JSON
  elseif op.body then
    opts.body, opts.headers = helper.multipart { { "grant_type", "x" } }
  end
  return call(op.method, path, opts)
end

describe("sandbox v2 ids in messages", function()
  before_each(function() helper.reset() end)
  teardown(function() helper.reset() end)

  it("names the api client a path gives that is not one: the record and its sub-list", function()
    for _, case in ipairs {
      { "GET", "api-clients/x-1" },
      { "GET", "api-clients/x-1/customers" },
      { "GET", "api-clients/00000000-0000-4000-8000-000000000999" },
    } do
      local status, body, _, raw = call(case[1], V2 .. case[2])
      assert.equal(404, status, case[2])
      local id = case[2]:match("^api%-clients/([^/]+)")
      assert.equal("api client " .. id .. " not found", body.error_description)
      assert.is_false(says_nil(raw))
    end
  end)

  it("still finds an api client by its id", function()
    local status, body = call("GET", V2 .. "api-clients/00000000-0000-4000-8000-000000000001")
    assert.equal(200, status)
    assert.equal("00000000-0000-4000-8000-000000000001", body.data.id)
  end)

  it("never says nil for a path id it cannot find, in any operation", function()
    local checked = 0
    for _, op in ipairs(helper.v2_digest()) do
      if op.path:find("{", 1, true) then
        local path = fill(op, { integer = "999999", string = "x-1", data_type = "samples" })
        local status, _, _, raw = request(op, path, "[]")
        assert.is_true(status == 404 or status == 400, op.method .. " " .. path .. " -> " .. tostring(status))
        assert.is_false(says_nil(raw), op.method .. " " .. path .. ": " .. tostring(raw))
        checked = checked + 1
      end
    end
    assert.is_true(checked > 90, "checked " .. checked)
  end)

  it("never says nil for a record without its fields, or with null ones, in any write", function()
    local checked = 0
    for _, op in ipairs(helper.v2_digest()) do
      if op.body and op.body.content_type == "application/json" then
        local path = fill(op, { integer = "1", string = "00000000-0000-4000-8000-000000000001", data_type = "samples" })
        local array = op.body.schema.type == "array"
        for _, raw in ipairs(array and { "[{}]", '[{"id": null}]', "[{}, {}]" } or { "{}", '{"id": null}' }) do
          local status, _, _, answer = request(op, V2 .. path:sub(#V2 + 1), raw)
          assert.is_not_nil(status, op.method .. " " .. path)
          assert.is_false(says_nil(answer), op.method .. " " .. path .. " " .. raw .. ": " .. tostring(answer))
          checked = checked + 1
        end
        helper.reset()
      end
    end
    assert.is_true(checked > 60, "checked " .. checked)
  end)

  it("the sweep would see a nil: the word test itself", function()
    assert.is_true(says_nil(core.encode { error_description = "api client nil not found" }))
    assert.is_false(says_nil(core.encode { error_description = "no nils, vanilla, nil_id" }))
  end)
end)
