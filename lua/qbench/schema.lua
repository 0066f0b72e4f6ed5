--- Request bodies against the API description's schema: checked before they are
-- sent (JSON types: integer, number, string, boolean, array, object; required
-- fields, enums, maxLength, and field names the schema does not know, with the
-- closest known one; the first problem found is reported with its place:
-- `records[3].order_id: expected integer, got "12"`), and shaped for the wire
-- (an empty table where the schema wants an object goes out as `{}`, not `[]`).
-- @module qbench.schema
-- @local

local core = require "qbench.core"
local args = require "qbench.args"
local suggest = require "qbench.suggest"

local null = core.null

local M = {}

local function is_sequence(t) return args.sequence_length(t) ~= nil end

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
  number = args.finite,
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

-- Does schema `s` want a JSON object here (and never an array)?
local function wants_object(s)
  if s.type == "object" then return true end
  if not s.anyOf then return false end
  local object = false
  for _, alt in ipairs(s.anyOf) do
    if alt.type == "array" then return false end
    if alt.type == "object" then object = true end
  end
  return object
end

local shape

-- The schema of `v`'s member `k` under `s`, when `s` says.
local function member_schema(s, k)
  if s.type == "array" then return math.type(k) == "integer" and s.items or nil end
  return type(k) == "string" and s.properties and s.properties[k] or nil
end

function shape(v, s)
  if type(v) ~= "table" then return v end
  local mt = getmetatable(v)
  if next(v) == nil then
    -- An empty table encodes as [] unless marked; where an object belongs, {} it is.
    if mt == nil and wants_object(s) then return core.object {} end
    return v
  end
  local copy
  for k, member in pairs(v) do
    local ms = member_schema(s, k)
    local shaped = ms and shape(member, ms) or member
    if shaped ~= member then
      if not copy then
        copy = {}
        for k2, v2 in pairs(v) do copy[k2] = v2 end
        setmetatable(copy, mt)
      end
      copy[k] = shaped
    end
  end
  return copy or v
end

--- `value` as it should go on the wire under `schema`: every empty table (not marked
-- with qbench.array or qbench.object) in a place where the schema wants an object
-- becomes `qbench.object {}`, so that it encodes as `{}` where the encoder would write
-- `[]`. The caller's tables are never changed: the tables on the way to a change are
-- copies, the rest is shared. The walk follows the schema, so it ends even on cycles.
-- @tparam any value
-- @tparam table schema
-- @return the value to encode
function M.shape(value, schema)
  return shape(value, schema)
end

return M
