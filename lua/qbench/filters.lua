--- Query filters checked against the operation's parameters (from QBench's v2
-- OpenAPI description) before anything is sent: a known name, a value of its
-- type, an enum value spelt exactly. What a filter holds becomes the query
-- string's value: an array repeats its key, a boolean is true/false.
-- @module qbench.filters
-- @local

local args = require "qbench.args"
local suggest = require "qbench.suggest"

local M = {}

-- One scalar of type `t` (and enum `enum`), or raises naming where it is.
local function scalar(v, t, enum, where, fname, argn)
  local ok
  if t == "integer" then
    ok = type(v) == "number" and math.tointeger(v) ~= nil
    if ok then v = math.tointeger(v) end
  elseif t == "number" then
    ok = args.finite(v)
  elseif t == "boolean" then
    ok = type(v) == "boolean"
  else
    ok = type(v) == "string"
  end
  if not ok then
    args.error(argn, fname, string.format("%s must be %s %s, got %s", where,
      t == "integer" and "an" or "a", t, args.describe(v)))
  end
  if enum then
    for _, e in ipairs(enum) do
      if e == v then return v end
    end
    args.error(argn, fname, string.format("%s must be one of %s, got %s", where, table.concat(enum, ", "), args.describe(v)))
  end
  return v
end

--- Checks the filters in `opts` (every key not in `skip`) against `params`
-- (name -> {type =, items =, enum =}) and returns them as a query table.
-- `what` names the resource in messages ("samples").
function M.check(params, opts, skip, what, fname, argn)
  local query = {}
  for name, v in pairs(opts) do
    if not skip[name] then
      if type(name) ~= "string" then args.error(argn, fname, "filter names must be strings, got " .. args.describe(name)) end
      local p = params and params[name]
      if not p then
        local known = {}
        for k in pairs(params or {}) do if not skip[k] then known[#known + 1] = k end end
        for k in pairs(skip) do known[#known + 1] = k end
        if not params then -- a call without filters: only options
          args.error(argn, fname, string.format("unknown option %s%s", args.describe(name), suggest.hint(name, known)))
        end
        args.error(argn, fname, string.format("unknown filter '%s' for %s%s", name, what, suggest.hint(name, known)))
      end
      local where = string.format("filter '%s'", name)
      if p.type == "array" then
        local n = type(v) == "table" and args.sequence_length(v)
        if not n or n == 0 then
          args.error(argn, fname, string.format("%s must be a non-empty array of %ss, got %s", where, p.items or "string", args.describe(v)))
        end
        local list = {}
        for i = 1, n do list[i] = scalar(v[i], p.items or "string", p.enum, string.format("filter '%s[%d]'", name, i), fname, argn) end
        query[name] = list
      else
        query[name] = scalar(v, p.type, p.enum, where, fname, argn)
      end
    end
  end
  return query
end

return M
