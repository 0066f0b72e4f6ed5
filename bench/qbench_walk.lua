-- Scenarios 2 and 3 for qbench: walk every customer with list().
--   lua5.4 bench/qbench_walk.lua URL TOKEN CONCURRENCY|default [CA_FILE]
-- CONCURRENCY "default" passes no concurrency option. Checks that the ids
-- come 1, 2, 3, ... in order. Prints:
--   RESULT customers=N seconds=S hwm_kb=PEAK_RSS base_kb=RSS_BEFORE_WALK
-- or "RESULT unsupported=1" when this qbench has no `concurrency` option
-- (concurrency 1 then falls back to the plain, sequential list()).
local root = (arg[0]:match("^(.*)/bench/[^/]*$") or ".")
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. package.path
package.cpath = (os.getenv("BENCH_BUILD") or (root .. "/build")) .. "/?.so;" .. package.cpath

local qbench = require "qbench"
local now = require("qbench.core").time

local url, token, conc, ca_file = arg[1], arg[2], arg[3], arg[4]
assert(url and token and conc, "usage: qbench_walk.lua URL TOKEN CONCURRENCY|default [CA_FILE]")
local concurrency = conc ~= "default" and math.tointeger(tonumber(conc)) or nil

local function status_kb(field)
  local f = assert(io.open("/proc/self/status"))
  local text = f:read("a")
  f:close()
  return math.tointeger(tonumber(text:match(field .. ":%s*(%d+) kB")))
end

local qb <close> = qbench.new { url = url, token = token, ca_file = ca_file, retries = 0 }
local opts = { page_size = 50, concurrency = concurrency }

local ok, iter, state, init, closing = pcall(function() return qb.customer:list(opts) end)
if not ok then
  if not tostring(iter):find("unknown option", 1, true) then error(iter, 0) end
  if concurrency ~= 1 then
    print("RESULT unsupported=1")
    return
  end
  opts.concurrency = nil -- one page at a time is what this qbench does anyway
  iter, state, init, closing = qb.customer:list(opts)
end

collectgarbage("collect")
local base_kb = status_kb("VmRSS")
local start = now()
local n = 0
for c in iter, state, init, closing do
  n = n + 1
  if c.id ~= n then error(string.format("customer %d came as number %d", c.id, n), 0) end
end
local seconds = now() - start
print(string.format("RESULT customers=%d seconds=%.6f hwm_kb=%d base_kb=%d", n, seconds, status_kb("VmHWM"), base_kb))
