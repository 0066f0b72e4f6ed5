-- The /_sandbox/ control endpoints for tests (no token, never logged,
-- faulted or limited):
--   GET    /_sandbox/requests  -> [{method, path, query, headers, body, remote_port}]
--   POST   /_sandbox/reset     optional {"customers": N, "seed": S,
--                              "total_pages": "number"|"null"|"missing", "v2": {...sizes},
--                              "strict_schema": true|false}
--   POST   /_sandbox/faults    {"match": "METHOD /path*", "sequence": [...]}
--   DELETE /_sandbox/faults
local json = require "sandbox.json"
local jsontype = require "sandbox.jsontype"
local errors = require "sandbox.errors"
local Faults = require "sandbox.faults"
local sizes = require "sandbox.lims.sizes"

local decode = json.decode
local OK = json.encode { message = "OK" }

local M = {}

local function message(status, text, headers) return status, errors.v1(text), headers end

local is_int = jsontype.is_integer

-- Checks a reset body; returns the options or nil and why not.
local function reset_options(body)
  if not body:match("%S") then return {} end
  local v = decode(body)
  if not jsontype.is_object(v) then
    return nil, "reset body must be a JSON object {customers, seed}"
  end
  if v.customers ~= nil and (not is_int(v.customers) or v.customers < 0 or v.customers > 1000000) then
    return nil, "customers must be an integer from 0 to 1000000"
  end
  if v.seed ~= nil and not is_int(v.seed) then return nil, "seed must be an integer" end
  local tp = v.total_pages
  if tp ~= nil and tp ~= "number" and tp ~= "null" and tp ~= "missing" then
    return nil, "total_pages must be \"number\", \"null\" or \"missing\""
  end
  if v.strict_schema ~= nil and type(v.strict_schema) ~= "boolean" then
    return nil, "strict_schema must be true or false"
  end
  if v.v2 ~= nil then
    local err = sizes.check_table(v.v2)
    if err then return nil, "v2: " .. err end
  end
  return v
end

local function add_fault(faults, body)
  local v = decode(body)
  if not jsontype.is_object(v) then return message(400, "faults body must be a JSON object") end
  local m, p
  if type(v.match) == "string" then m, p = v.match:match("^(%S+)%s+(%S+)$") end
  if not m then return message(400, "match must be 'METHOD PATH', e.g. 'GET /qbench/api/v1/customer/7'") end
  if not jsontype.is_array(v.sequence) or #v.sequence == 0 then
    return message(400, "sequence must be a non-empty array")
  end
  for _, e in ipairs(v.sequence) do
    local err = Faults.check(e)
    if err then return message(400, err) end
  end
  faults:add(m, p, v.sequence)
  return 200, OK
end

-- `sandbox`: {log = Log, faults = Faults, reset = function(options)}.
-- Returns status, body, headers.
function M.handle(sandbox, method, path, body)
  if path == "/_sandbox/requests" then
    if method ~= "GET" then return message(405, "use GET", { "Allow", "GET" }) end
    return 200, sandbox.log:json()
  elseif path == "/_sandbox/reset" then
    if method ~= "POST" then return message(405, "use POST", { "Allow", "POST" }) end
    local opts, err = reset_options(body)
    if not opts then return message(400, err) end
    sandbox.reset(opts)
    return 200, OK
  elseif path == "/_sandbox/faults" then
    if method == "DELETE" then
      sandbox.faults:clear()
      return 200, OK
    elseif method ~= "POST" then
      return message(405, "use POST or DELETE", { "Allow", "POST, DELETE" })
    end
    return add_fault(sandbox.faults, body)
  end
  return message(404, "no such sandbox endpoint: " .. path)
end

return M
