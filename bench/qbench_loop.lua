-- Scenario 6: many coroutines on one client in a cqueues loop, against the same
-- gets made one after the other.
--   lua5.4 bench/qbench_loop.lua URL TOKEN CALLS COROUTINES
-- RESULT sequential_s=... loop_s=... calls=N
local root = (arg[0]:match("^(.*)/bench/[^/]*$") or ".")
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. package.path
package.cpath = (os.getenv("BENCH_BUILD") or (root .. "/build")) .. "/?.so;" .. package.cpath

local cqueues = require "cqueues"
local qbench = require "qbench"
local now = require("qbench.core").time

local url, token = arg[1], arg[2]
local calls, workers = math.tointeger(tonumber(arg[3])), math.tointeger(tonumber(arg[4]))
local qb <close> = qbench.new { url = url, token = token, retries = 0, loop = require "qbench.loop.cqueues" }

local t0 = now()
for i = 1, calls do assert(qb.customer:get(i % 50 + 1)) end
local sequential = now() - t0

local cq = cqueues.new()
local done = 0
t0 = now()
for w = 1, workers do
  cq:wrap(function()
    for i = w, calls, workers do
      assert(qb.customer:get(i % 50 + 1))
      done = done + 1
    end
  end)
end
assert(cq:loop())
local looped = now() - t0
assert(done == calls)
print(string.format("RESULT sequential_s=%.6f loop_s=%.6f calls=%d", sequential, looped, calls))
