-- Fixture for run_specs_spec.lua: one failing test, grouped with other files.
describe("a grouped file", function()
  it("fails on purpose", function()
    assert.equal("planted", "failure")
  end)
end)
