-- Fixture for run_specs_spec.lua: leaves the shared sandbox changed (a customer
-- created, a fault waiting, requests in the log) for the next file of its process.
local helper = require "helper"

describe("a file that changes the shared sandbox", function()
  it("creates customer 76 and leaves a fault for the next GET", function()
    assert.equal(200, (helper.call("POST", "/qbench/api/v1/customer", { body = { customer_name = "Left" } })))
    helper.faults("GET /qbench/api/v1/customer/*", { "503" })
  end)
end)
