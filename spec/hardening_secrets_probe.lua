-- Run by hardening_secrets_spec.lua in a child process with QBENCH_DEBUG=1:
-- drives two clients (a static token, and client_id + client_secret)
-- through the fault matrix and writes every string the library produced
-- to stdout; the debug lines go to stderr, the access tokens it was issued
-- to ISSUED_FILE. Environment: SB_URL, TOKEN, CLIENT_ID, CLIENT_SECRET, ISSUED_FILE.
package.path = "lua/?.lua;lua/?/init.lua;spec/?.lua;" .. package.path
package.cpath = (os.getenv("QBENCH_CPATH") or "build/?.so") .. ";" .. package.cpath
local qbench = require "qbench"
local helper = require "helper"
local cases = require "hardening_cases"

local target = { url = os.getenv("SB_URL") }
local out = {}

-- Every string reachable from v: keys, values, tostring of tables with a metatable.
local function collect(v, seen)
  seen = seen or {}
  local t = type(v)
  if t == "string" then
    out[#out + 1] = v
  elseif t == "number" or t == "boolean" then
    out[#out + 1] = tostring(v)
  elseif t == "table" and not seen[v] then
    seen[v] = true
    if getmetatable(v) then out[#out + 1] = tostring(v) end
    for k, x in pairs(v) do
      collect(k, seen)
      collect(x, seen)
    end
  elseif t ~= "nil" then
    out[#out + 1] = tostring(v)
  end
end

local function client(auth)
  local opts = { url = target.url, timeout = require("helper").short_timeout, retries = 1, sleep = function() end,
    on_request = function(info) collect(info) end }
  for k, v in pairs(auth) do opts[k] = v end
  local qb = qbench.new(opts)
  collect(tostring(qb))
  collect(tostring(qb.customer))
  return qb
end

local clients = {
  client { token = os.getenv("TOKEN") },
  client { client_id = os.getenv("CLIENT_ID"), client_secret = os.getenv("CLIENT_SECRET") },
}

-- Access tokens the sandbox issued, as the clients sent them.
local issued = {}
local function note_issued()
  for _, r in ipairs(helper.requests(target)) do
    local bearer = (r.headers.authorization or ""):match("^Bearer (.+)$")
    if bearer and not bearer:find(os.getenv("TOKEN"), 1, true) then issued[bearer] = true end
  end
end

local function run(qb, call)
  local ok, v, err = pcall(call, qb)
  if not ok then collect(v) else collect(err) end
  note_issued()
end

for _, f in ipairs(cases.FAULTS) do
  for _, m in ipairs(cases.METHODS) do
    -- Stalls cost the client's timeout each: a few methods show them well enough.
    if f[1]:sub(1, 6) ~= "stall:" or m[1] == "get" or m[1] == "create" then
      for _, qb in ipairs(clients) do
        helper.reset(nil, target)
        helper.faults("* /qbench/api/v1/*", { f[1], f[1] }, target)
        run(qb, m[3])
      end
    end
  end
  -- The OAuth token endpoint itself failing.
  helper.reset(nil, target)
  helper.faults("* /qbench/oauth2/*", { f[1], f[1] }, target)
  local fresh = client { client_id = os.getenv("CLIENT_ID"), client_secret = os.getenv("CLIENT_SECRET") }
  run(fresh, function(qb) return qb.customer:get(1) end)
  fresh:close()
end

-- A wrong secret and a wrong token, and argument errors.
helper.reset(nil, target)
local wrong = client { client_id = os.getenv("CLIENT_ID"), client_secret = os.getenv("CLIENT_SECRET") .. "-wrong" }
run(wrong, function(qb) return qb.customer:get(1) end)
local wrong_token = client { token = os.getenv("TOKEN") .. "-wrong" }
run(wrong_token, function(qb) return qb.customer:get(1) end)
run(clients[1], function(qb) return qb.customer:get(0) end)
run(clients[2], function(qb) return qb:request("GET", "x", { body = function() end }) end)
for _, qb in ipairs(clients) do
  qb:close()
  collect(tostring(qb))
  run(qb, function(c) return c.customer:get(1) end)
end
for _, ok in ipairs { pcall(qbench.new, { url = target.url, token = os.getenv("TOKEN"), tokn = 1 }),
  pcall(qbench.new, { url = target.url, token = os.getenv("TOKEN") .. "\n" }) } do
  collect(ok)
end

io.write(table.concat(out, "\n"), "\n")
local f = assert(io.open(os.getenv("ISSUED_FILE"), "w"))
for token in pairs(issued) do f:write(token, "\n") end
f:close()
