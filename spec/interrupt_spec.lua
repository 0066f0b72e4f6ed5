-- Ctrl-C while the C core waits: lua5.4 answers SIGINT with a hook that raises
-- "interrupted!" at the next Lua instruction; every wait of the core (a
-- blocking request, parallel pages, a retry's sleep) returns to Lua within a
-- second of it instead of running to its end.
local helper = require "helper"
local process = require "process"

local q = helper.shell_quote

-- Runs `code` (with qbench and a client `qb` on the sandbox) in lua5.4, sends SIGINT after
-- 0.5 s, and returns the seconds from the signal to the process's end, and its stderr.
local function interrupt(code)
  local sb = helper.sandbox()
  local script = process.temp_file('local qbench = require "qbench"; '
    .. 'local qb <close> = qbench.new{url = os.getenv "QBENCH_URL", token = os.getenv "QBENCH_TOKEN", timeout = 30}; '
    .. code)
  local err = os.tmpname()
  local cmd = string.format("QBENCH_URL=%s QBENCH_TOKEN=%s LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='build/?.so;;' "
    .. "timeout -s KILL 20 lua5.4 %s 2>%s & pid=$!; sleep 0.5; kill -INT $pid; "
    .. "s=$(date +%%s.%%N); wait $pid; echo \"$? $s $(date +%%s.%%N)\"", q(sb.url), q(sb.token), q(script), q(err))
  local p = assert(io.popen(cmd))
  local rc, t0, t1 = p:read("n", "n", "n")
  p:close()
  local f = assert(io.open(err))
  local stderr = f:read("a")
  f:close()
  os.remove(script)
  os.remove(err)
  return t1 - t0, rc, stderr
end

describe("Ctrl-C (SIGINT) during a wait in the C core", function()
  before_each(function() helper.reset() end)

  it("ends a blocking request: 'interrupted!' within a second, not after the 10 s stall", function()
    helper.faults("GET /qbench/api/v1/customer/1", { "stall:10000" })
    local took, rc, stderr = interrupt("qb.customer:get(1)")
    assert.is_true(took < 1.5 * helper.time_scale, "took " .. took)
    assert.equal(1, rc)
    assert.matches("interrupted!", stderr, 1, true)
  end)

  it("ends a wait for parallel pages", function()
    helper.faults("GET /qbench/api/v1/customer", { "ok", "stall:10000", "stall:10000", "stall:10000", "stall:10000" })
    local took, rc, stderr = interrupt("for _ in qb.customer:list{page_size = 10, concurrency = 4} do end")
    assert.is_true(took < 1.5 * helper.time_scale, "took " .. took)
    assert.equal(1, rc)
    assert.matches("interrupted!", stderr, 1, true)
  end)

  it("ends a retry's sleep", function()
    helper.faults("GET /qbench/api/v1/customer/1", { "429:20" })
    local took, rc, stderr = interrupt("qb.customer:get(1)") -- max_backoff 30 s: it sleeps the 20 s asked
    assert.is_true(took < 1.5 * helper.time_scale, "took " .. took)
    assert.equal(1, rc)
    assert.matches("interrupted!", stderr, 1, true)
  end)
end)
