-- Scenario 1 for qbench: GET one customer CALLS times on one client.
--   lua5.4 bench/qbench_get.lua URL TOKEN CALLS [CA_FILE]
-- 10 warm-up calls (the connection is made there), then CALLS timed calls.
-- Prints: RESULT calls=N seconds=S
-- BENCH_QBENCH_MODE (diagnostics for the profile, default "full"):
--   full         qb.customer:get(1), the whole library
--   core         the C core only: handle:request() with the same URL and headers
--                as the library sends (no JSON decode, no Lua layers)
--   core+decode  the same plus core.decode() of the body
local root = (arg[0]:match("^(.*)/bench/[^/]*$") or ".")
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. package.path
package.cpath = (os.getenv("BENCH_BUILD") or (root .. "/build")) .. "/?.so;" .. package.cpath

local qbench = require "qbench"
local now = require("qbench.core").time

local url, token, calls, ca_file = arg[1], arg[2], math.tointeger(tonumber(arg[3])), arg[4]
assert(url and token and calls, "usage: qbench_get.lua URL TOKEN CALLS [CA_FILE]")

local mode = os.getenv("BENCH_QBENCH_MODE") or "full"
local qb <close> = mode == "full" and qbench.new { url = url, token = token, ca_file = ca_file, retries = 0 } or nil
local one
if qb then
  local customer = qb.customer
  one = function(i)
    local c, err = customer:get(1)
    if not c or c.id ~= 1 then error(string.format("call %d failed: %s", i, tostring(err or c)), 0) end
  end
else
  local core = require "qbench.core"
  local h = core.new { timeout = 60, connect_timeout = 10, ca_file = ca_file,
    user_agent = string.format("lua-qbench/%s libcurl/%s Lua 5.4", qbench._VERSION or "?", core.curl_version) }
  h:set_token(token)
  local full_url = url:gsub("/+$", "") .. "/qbench/api/v1/customer/1"
  local decode = mode == "core+decode" and core.decode or nil
  one = function(i)
    local headers = { "Accept: application/json" }
    local status, _, body = h:request("GET", full_url, headers)
    if status ~= 200 then error(string.format("call %d failed: %s", i, tostring(_)), 0) end
    if decode and decode(body).id ~= 1 then error("wrong customer", 0) end
  end
end

for i = 1, 10 do one(i) end
local start = now()
for i = 1, calls do one(i) end
local seconds = now() - start
print(string.format("RESULT calls=%d seconds=%.6f", calls, seconds))
