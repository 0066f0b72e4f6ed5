-- Fixture for run_specs_spec.lua: run after changes_sandbox.lua in the same busted
-- process, it must find the sandbox as a file of its own would.
local helper = require "helper"

describe("a file after it in the same process", function()
  it("finds the sandbox reset", function()
    assert.same({}, helper.requests())
    local status, body = helper.call("GET", "/qbench/api/v1/customer/1")
    assert.equal(200, status)
    assert.equal(1, body.id)
    assert.equal(404, (helper.call("GET", "/qbench/api/v1/customer/76")))
  end)
end)
