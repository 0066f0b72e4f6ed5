-- Scenario 4 for qbench: walk every v2 sample with qb.v2.samples:list().
--   lua5.4 bench/qbench_v2_walk.lua URL TOKEN CONCURRENCY
-- Checks that ids come 1, 2, 3, ... in order. Prints: RESULT samples=N seconds=S
local root = (arg[0]:match("^(.*)/bench/[^/]*$") or ".")
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. package.path
package.cpath = (os.getenv("BENCH_BUILD") or (root .. "/build")) .. "/?.so;" .. package.cpath

local qbench = require "qbench"
local now = require("qbench.core").time

local url, token, conc = arg[1], arg[2], assert(math.tointeger(tonumber(arg[3])), "usage: URL TOKEN CONCURRENCY")
local qb <close> = qbench.new { url = url, token = token, retries = 0 }
local start = now()
local n = 0
for s in qb.v2.samples:list { page_size = 50, concurrency = conc } do -- the sandbox lists in id order
  n = n + 1
  if s.id ~= n then error(string.format("sample %d came as number %d", s.id, n), 0) end
end
print(string.format("RESULT samples=%d seconds=%.6f", n, now() - start))
