-- tools/run_specs.lua, which `make test` runs: quick files share a busted process
-- and each still finds the sandbox as its own; a failure is reported under its own
-- file; slow files that mostly wait get a pool beside the others (not with -j 1);
-- each file's duration and CPU are kept for the next run's schedule (a removed
-- file's are dropped).
-- The fixtures in spec/run_specs/ are quick: the times file says how slow they were.
local process = require "process"

local FIXTURES = "spec/run_specs/"
local CHANGES, FRESH, FAILS = FIXTURES .. "changes_sandbox.lua", FIXTURES .. "expects_fresh.lua", FIXTURES .. "fails.lua"

describe("tools/run_specs.lua", function()
  local dir

  before_each(function()
    dir = process.temp_dir()
    -- Two quick files, one slow file that used 0.1 s of CPU in 3 s, a busy file (not
    -- run) that used a core the whole time, and a file that no longer exists.
    local f = assert(io.open(dir .. "/times", "w"))
    f:write("0.300 0.30 " .. CHANGES .. "\n", "0.200 0.20 " .. FRESH .. "\n", "3.000 0.10 " .. FAILS .. "\n",
      "3.000 3.00 " .. FIXTURES .. "busy_elsewhere.lua\n", "1.000 1.00 " .. FIXTURES .. "removed.lua\n")
    f:close()
  end)
  after_each(function() process.remove_dir(dir) end)

  local function run(jobs, files)
    local argv = { "lua5.4", "tools/run_specs.lua", "-j", tostring(jobs), "--results", dir }
    for _, file in ipairs(files) do argv[#argv + 1] = file end
    return process.run(argv, { timeout = 120 })
  end

  local function read(name)
    local f = io.open(dir .. "/" .. name)
    if not f then return nil end
    local s = f:read("a")
    f:close()
    return s
  end

  it("runs quick files in one process, each with the sandbox reset, and names the file that failed", function()
    local r = run(2, { CHANGES, FRESH, FAILS })
    assert.equal(1, r.status, r.err)
    assert.matches("2 successes / 1 failures / 0 errors / 0 pending : [%d.]+ seconds " ..
      "%(3 files in 1 processes, 2 at a time, and 1 that mostly wait beside them%)\n$", r.out)
    assert.matches("Failure " .. FAILS:gsub("%p", "%%%0") .. "\n  a grouped file fails on purpose\n", r.out)
    assert.is_nil(r.out:find("Failure " .. FRESH, 1, true), r.out)
    -- The waiting file in a pool of its own; the quick ones in one busted line.
    local pool, waiting = read("parallel1.jobs"), read("parallel2.jobs")
    assert.matches("'" .. CHANGES .. "' '" .. FRESH .. "' >", pool, 1, true)
    assert.is_nil(pool:find(FAILS, 1, true))
    assert.matches("'" .. FAILS .. "' >", waiting, 1, true)
    -- This run's durations and CPU replace the given ones (the fixtures are quick).
    local times = read("times")
    for _, file in ipairs { CHANGES, FRESH, FAILS } do
      local seconds, cpu = times:match("\n?([%d.]+) ([%d.]+) " .. file:gsub("%p", "%%%0") .. "\n")
      assert.is_truthy(seconds, times)
      assert.is_true(tonumber(seconds) < 2.5 and tonumber(cpu) < 2.5, times)
    end
    assert.matches("3.000 3.00 " .. FIXTURES .. "busy_elsewhere.lua\n", times, 1, true)
    assert.is_nil(times:find("removed.lua", 1, true))
  end)

  it("runs the file that mostly waits like the others with -j 1: one process at a time", function()
    local r = run(1, { FAILS })
    assert.equal(1, r.status, r.err)
    assert.matches("%(1 files in 1 processes, 1 at a time, and 0 that mostly wait beside them%)\n$", r.out)
    assert.is_nil(read("parallel2.jobs"))
  end)
end)
