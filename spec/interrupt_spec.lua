-- Ctrl-C while the C core waits: lua5.4 answers SIGINT with a hook that raises
-- "interrupted!" at the next Lua instruction; every wait of the core (a
-- blocking request, parallel pages, a retry's sleep) returns to Lua within a
-- second of it instead of running to its end.
local core = require "qbench.core"
local helper = require "helper"
local process = require "process"

-- Runs `code` (with qbench and a client `qb` on the sandbox) in lua5.4; once the sandbox
-- has received `requests` requests (the process is waiting in the C core by then), sends
-- it SIGINT. Returns the seconds from the signal to the process's end, its status, stderr.
local function interrupt(code, requests)
  local sb = helper.sandbox()
  local script = process.temp_file('local qbench = require "qbench"; '
    .. 'local qb <close> = qbench.new{url = os.getenv "QBENCH_URL", token = os.getenv "QBENCH_TOKEN", timeout = 30}; '
    .. code)
  local proc = process.start({ "lua5.4", script }, { timeout = 20, env = { QBENCH_URL = sb.url,
    QBENCH_TOKEN = sb.token, LUA_PATH = "lua/?.lua;lua/?/init.lua;;", LUA_CPATH = "build/?.so;;" } })
  local deadline = core.time() + 10
  while #helper.requests() < requests and core.time() < deadline do core.sleep(0.02) end
  core.sleep(0.1) -- the request is in; let the process settle into its wait
  local t0 = core.time()
  os.execute("kill -INT " .. proc.pid)
  local r = proc.wait()
  os.remove(script)
  return core.time() - t0, r.status, r.err
end

describe("Ctrl-C (SIGINT) during a wait in the C core", function()
  before_each(function() helper.reset() end)

  it("ends a blocking request: 'interrupted!' within a second, not after the 10 s stall", function()
    helper.faults("GET /qbench/api/v1/customer/1", { "stall:10000" })
    local took, rc, stderr = interrupt("qb.customer:get(1)", 1)
    assert.is_true(took < 1.5 * helper.time_scale, "took " .. took)
    assert.equal(1, rc)
    assert.matches("interrupted!", stderr, 1, true)
  end)

  it("ends a wait for parallel pages", function()
    helper.faults("GET /qbench/api/v1/customer", { "ok", "stall:10000", "stall:10000", "stall:10000", "stall:10000" })
    local took, rc, stderr = interrupt("for _ in qb.customer:list{page_size = 10, concurrency = 4} do end", 5)
    assert.is_true(took < 1.5 * helper.time_scale, "took " .. took)
    assert.equal(1, rc)
    assert.matches("interrupted!", stderr, 1, true)
  end)

  it("ends a retry's sleep", function()
    helper.faults("GET /qbench/api/v1/customer/1", { "429:20" })
    local took, rc, stderr = interrupt("qb.customer:get(1)", 1) -- max_backoff 30 s: it sleeps the 20 s asked
    assert.is_true(took < 1.5 * helper.time_scale, "took " .. took)
    assert.equal(1, rc)
    assert.matches("interrupted!", stderr, 1, true)
  end)
end)
