-- --strict-schema (or "strict_schema": true in the reset body): v2 answers
-- hold only values QBench's OpenAPI description allows. The real API answers
-- null for many fields the description types as string, integer ... and
-- never marks nullable, and by default the sandbox does the same. Under
-- strict, conform() leaves out what a record's schema does not allow:
--   a null or ill-typed property is omitted (none of a record's properties is
--   required, except the few a placeholder of their type then stands for),
--   an array item that does not fit is dropped, a string longer than its
--   maxLength is cut to it (in characters), a "date" or "date-time" string
--   that is not ISO 8601 is omitted, an undeclared property is omitted.
-- Without a schema (answers the description does not describe) or without
-- strict, a value is left as it is.
local json = require "sandbox.json"
local jsontype = require "sandbox.jsontype"

local null = json.null

local M = {}

local enabled = false

function M.set(on) enabled = on == true end

function M.enabled() return enabled end

local FORMATS = {
  ["date"] = "^%d%d%d%d%-%d%d%-%d%d$",
  ["date-time"] = "^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d",
}

local TYPE_CHECKS = {
  integer = jsontype.is_integer, number = jsontype.is_number, string = jsontype.is_string,
  boolean = jsontype.is_boolean, array = jsontype.is_array, object = jsontype.is_object,
}

local PLACEHOLDERS = { integer = 0, number = 0, string = "", boolean = false }

local function placeholder(schema)
  if schema.anyOf then return placeholder(schema.anyOf[1]) end
  if schema.type == "array" then return json.array {} end
  if schema.type == "object" then return json.object {} end
  local v = PLACEHOLDERS[schema.type]
  if v == nil then return "" end
  return v
end

local conform

local function conform_string(schema, v)
  local pattern = FORMATS[schema.format]
  if pattern and not v:match(pattern) then return nil end
  local max = schema.maxLength
  if max and utf8.len(v) and utf8.len(v) > max then v = v:sub(1, utf8.offset(v, max + 1) - 1) end
  return v
end

local function conform_object(schema, v)
  local props = schema.properties
  if not props then return v end -- free-form: any members
  local out = {}
  for name, s in pairs(props) do
    local item = v[name]
    if item ~= nil then out[name] = conform(s, item) end
  end
  for _, name in ipairs(schema.required or {}) do
    if out[name] == nil then out[name] = placeholder(props[name] or {}) end
  end
  return json.object(out)
end

-- The value as `schema` allows it, or nil when nothing of it fits.
function conform(schema, v)
  if v == nil or v == null then return nil end
  if schema.anyOf then
    for _, alt in ipairs(schema.anyOf) do
      local out = conform(alt, v)
      if out ~= nil then return out end
    end
    return nil
  end
  local check = TYPE_CHECKS[schema.type]
  if check and not check(v) then return nil end
  if schema.enum then
    local found = false
    for _, e in ipairs(schema.enum) do found = found or e == v end
    if not found then return nil end
  end
  if schema.type == "string" then return conform_string(schema, v) end
  if schema.type == "object" then return conform_object(schema, v) end
  if schema.type == "array" then
    if not schema.items then return v end
    local out = {}
    for _, item in ipairs(v) do out[#out + 1] = conform(schema.items, item) end
    return json.array(out)
  end
  return v
end

-- `value` for an answer whose record schema is `schema` (nil: none declared).
function M.record(schema, value)
  if not enabled or schema == nil then return value end
  return conform(schema, value)
end

return M
