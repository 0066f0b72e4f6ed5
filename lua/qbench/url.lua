--- The one URL encoder: percent-encoding, query strings, form bodies, and the
-- check of an instance URL. Everything qbench puts in a URL goes through here.
-- @module qbench.url
-- @local

local args = require "qbench.args"

local M = {}

--- Percent-encodes every byte but RFC 3986's unreserved characters.
-- @tparam string s
-- @treturn string
function M.escape(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

-- A query value as text; what a URL cannot hold faithfully raises as argument `argn` of `fname`.
local function value_text(v, key, fname, argn)
  local t = type(v)
  if t == "string" then return v end
  if t == "boolean" then return tostring(v) end
  if t == "number" then
    local i = math.tointeger(v)
    if i then return string.format("%d", i) end
    if not args.finite(v) then
      args.error(argn, fname, string.format("query value for %s must be a finite number, got %s", key, tostring(v)))
    end
    return string.format("%.17g", v)
  end
  args.error(argn, fname, string.format("query value for %s must be a string, number or boolean, got %s", key, args.describe(v)))
end

--- The query string of `query` (no leading ?): keys sorted, so the same query always
-- makes the same URL; an array value repeats its key (`ids=1&ids=2`).
-- Bad keys or values raise as argument `argn` of `fname`.
-- @tparam table query name -> value or array of values
-- @tparam string fname the public function, for errors
-- @tparam integer argn its argument number, for errors
-- @treturn string
function M.query(query, fname, argn)
  local keys = {}
  for k in pairs(query) do
    if type(k) ~= "string" or k == "" then
      args.error(argn, fname, "query keys must be non-empty strings, got " .. args.describe(k))
    end
    keys[#keys + 1] = k
  end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do
    local v = query[k]
    if type(v) == "table" then
      local n = args.sequence_length(v)
      if not n or n == 0 then
        args.error(argn, fname, string.format("query value for %s must be a value or a non-empty array without holes", k))
      end
      for i = 1, n do parts[#parts + 1] = M.escape(k) .. "=" .. M.escape(value_text(v[i], k, fname, argn)) end
    else
      parts[#parts + 1] = M.escape(k) .. "=" .. M.escape(value_text(v, k, fname, argn))
    end
  end
  return table.concat(parts, "&")
end

--- An application/x-www-form-urlencoded body from an array of {name, value} pairs, in order.
-- @tparam {{string,string},...} fields
-- @treturn string
function M.form(fields)
  local parts = {}
  for i, f in ipairs(fields) do parts[i] = M.escape(f[1]) .. "=" .. M.escape(f[2]) end
  return table.concat(parts, "&")
end

--- Checks an instance URL: http(s)://host[:port][/path], nothing that would change where
-- requests go or show a secret. Returns it without trailing slashes, or nil and why.
-- @tparam string s
-- @treturn string|nil
-- @treturn string why, when refused
function M.check_base(s)
  if type(s) ~= "string" then return nil, "must be an http:// or https:// URL" end
  local scheme, rest = s:match("^([Hh][Tt][Tt][Pp][Ss]?)://(.*)$")
  if not scheme then return nil, "must be an http:// or https:// URL" end
  if s:find("[%c%s\\]") then return nil, "must not contain spaces, control characters or backslashes" end
  if rest:find("?", 1, true) then return nil, "must not have a query (?...)" end
  if rest:find("#", 1, true) then return nil, "must not have a fragment (#...)" end
  local authority = rest:match("^([^/]*)")
  if authority:find("@", 1, true) then
    return nil, "must not contain user:password@ (give credentials as token or client_id/client_secret)"
  end
  local host, port = authority:match("^(%[[%x:.]+%])(.*)$")
  if not host then host, port = authority:match("^([^:]+)(.*)$") end
  if not host or not host:match("^[%w%-%._%[%]:]+$") then return nil, "has no valid host name" end
  if port ~= "" then
    local p = port:match("^:(%d+)$")
    if not p or tonumber(p) < 1 or tonumber(p) > 65535 then return nil, "has an invalid port" end
  end
  return (s:gsub("/+$", ""))
end

return M
