--- Request bodies checked against the API description's schema before they are
-- sent: JSON types (integer, number, string, boolean, array, object), required
-- fields, enums, maxLength, and field names the schema does not know (with the
-- closest known one). The first problem found is reported with its place:
-- `records[3].order_id: expected integer, got "12"`.
-- @module qbench.schema
-- @local

local core = require "qbench.core"
local args = require "qbench.args"
local suggest = require "qbench.suggest"

local null = core.null

local M = {}

local function finite(v) return v == v and v ~= math.huge and v ~= -math.huge end

-- Is `t` a proper sequence (1..n, nothing else)? An empty table is one.
local function is_sequence(t)
  local n, count = #t, 0
  for _ in pairs(t) do count = count + 1 end
  return count == n
end

local ARRAY_MT, OBJECT_MT = getmetatable(core.array {}), getmetatable(core.object {})

-- What the encoder will send as a JSON array: a proper sequence not marked as an object.
local function is_array(v)
  if type(v) ~= "table" or getmetatable(v) == OBJECT_MT then return false end
  return is_sequence(v)
end

-- What the encoder will send as a JSON object: string keys only (an empty table
-- is both), not marked as an array.
local function is_object(v)
  if type(v) ~= "table" or getmetatable(v) == ARRAY_MT then return false end
  for k in pairs(v) do
    if type(k) ~= "string" then return false end
  end
  return true
end

local CHECKS = {
  integer = function(v) return type(v) == "number" and math.tointeger(v) ~= nil end,
  number = function(v) return type(v) == "number" and finite(v) end,
  string = function(v) return type(v) == "string" end,
  boolean = function(v) return type(v) == "boolean" end,
  array = is_array,
  object = is_object,
}

local function describe(v)
  if type(v) == "table" then return is_sequence(v) and next(v) ~= nil and "an array" or "a table" end
  return args.describe(v)
end

local check

-- Returns nil, or the message of the first problem of `v` against `s` at `where`.
function check(v, s, where)
  if s.anyOf then
    for _, alt in ipairs(s.anyOf) do
      if check(v, alt, where) == nil then return nil end
    end
    local names = {}
    for i, alt in ipairs(s.anyOf) do names[i] = alt.type or "any" end
    return string.format("%s: expected %s, got %s", where, table.concat(names, " or "), describe(v))
  end
  local t = s.type
  if t and CHECKS[t] and not CHECKS[t](v) then
    return string.format("%s: expected %s, got %s", where, t, describe(v))
  end
  if s.enum then
    local ok = false
    for _, e in ipairs(s.enum) do
      if e == v then ok = true break end
    end
    if not ok then
      local shown = {}
      for i, e in ipairs(s.enum) do shown[i] = tostring(e) end
      return string.format("%s: must be one of %s, got %s", where, table.concat(shown, ", "), describe(v))
    end
  end
  if s.maxLength and type(v) == "string" then
    local len = utf8.len(v) or #v
    if len > s.maxLength then
      return string.format("%s: at most %d characters, got %d", where, s.maxLength, len)
    end
  end
  if t == "array" and s.items then
    for i = 1, #v do
      local why = check(v[i], s.items, string.format("%s[%d]", where, i))
      if why then return why end
    end
  elseif t == "object" then
    for _, name in ipairs(s.required or {}) do
      if v[name] == nil or v[name] == null then return string.format("%s.%s: required", where, name) end
    end
    if s.properties then
      local names = {}
      for k in pairs(v) do names[#names + 1] = k end
      table.sort(names)
      for _, k in ipairs(names) do
        local p = s.properties[k]
        if not p then
          return string.format("%s.%s: unknown field%s", where, k, suggest.hint(k, s.properties))
        end
        -- null clears a field; required ones were checked above.
        if v[k] ~= null then
          local why = check(v[k], p, where .. "." .. k)
          if why then return why end
        end
      end
    end
  end
  return nil
end

--- Checks `value` against `schema`; returns nil, or a message naming the place.
-- `root` names the value ("records" for a bulk body, "body" otherwise).
-- @tparam any value
-- @tparam table schema
-- @tparam string root
-- @treturn string|nil
function M.check(value, schema, root)
  return check(value, schema, root)
end

return M
