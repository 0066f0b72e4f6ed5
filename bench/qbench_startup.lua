-- Scenario 5: start-up cost of a short script. Runs each command RUNS times,
-- alternating, and prints the median wall time of each:
--   lua5.4 bench/qbench_startup.lua RUNS
-- RESULT core_ms=... v2_ms=... (core: require "qbench.core" alone; v2: require
-- "qbench", make a client, touch qb.v2.samples)
local root = (arg[0]:match("^(.*)/bench/[^/]*$") or ".")
local build = os.getenv("BENCH_BUILD") or (root .. "/build")
local now = (function()
  package.cpath = build .. "/?.so;" .. package.cpath
  return require("qbench.core").time
end)()
local runs = math.tointeger(tonumber(arg[1] or "30"))
local env = string.format("LUA_PATH='%s/lua/?.lua;%s/lua/?/init.lua;;' LUA_CPATH='%s/?.so;;' ", root, root, build)
local commands = {
  core = env .. [[lua5.4 -e 'require "qbench.core"']],
  v2 = env .. [[lua5.4 -e 'local qb = require("qbench").new{url = "http://127.0.0.1:1", token = "t"}; assert(qb.v2.samples)']],
}
local times = { core = {}, v2 = {} }
for _ = 1, runs do
  for _, k in ipairs { "core", "v2" } do
    local t0 = now()
    assert(os.execute(commands[k]), commands[k])
    times[k][#times[k] + 1] = (now() - t0) * 1000
  end
end
local function median(xs)
  table.sort(xs)
  local m = #xs // 2
  return #xs % 2 == 1 and xs[m + 1] or (xs[m] + xs[m + 1]) / 2
end
print(string.format("RESULT core_ms=%.3f v2_ms=%.3f", median(times.core), median(times.v2)))
