-- The v2 body checker: a decoded JSON body against the request schema of
-- the digest, written for the sandbox alone (it shares nothing with the
-- client library's checks, so each catches the other's mistakes).
-- Every problem is one field error {field, message}; fields are named from
-- the body's root: "[2].order_id" (record 2 of a bulk body, from 0),
-- "[0].tags[1]", "emails[0]", "(body)" for the body itself.
--   "expected integer" / number / string / boolean / array / object
--   "is required", "unknown field", "must be one of A, B",
--   "longer than N characters", "not valid UTF-8"
-- null is accepted for an optional field (it clears it), not for a required one.
local json = require "sandbox.json"
local jsontype = require "sandbox.jsontype"
local text = require "sandbox.text"

local null = json.null

local M = {}

local function join(path, name)
  if path == "" then return name end
  return path .. "." .. name
end

local check

-- Free-form values (an object without declared properties) are stored as
-- they are, so their strings must be valid UTF-8 too.
local function check_free(v, path, errs)
  local bad = text.first_invalid(v)
  if bad then
    local where = bad == "(body)" and path or (path == "" and bad or path .. "." .. bad)
    errs[#errs + 1] = { field = where, message = "not valid UTF-8" }
  end
end

-- [] is not an object, {} not an array, 2.0 and 1e2 not integers (sandbox.jsontype).
local TYPE_CHECKS = {
  integer = jsontype.is_integer,
  number = jsontype.is_number,
  string = jsontype.is_string,
  boolean = jsontype.is_boolean,
  array = jsontype.is_array,
  object = jsontype.is_object,
}

function check(schema, v, path, errs)
  if schema.anyOf then
    for _, alt in ipairs(schema.anyOf) do
      local sub = {}
      check(alt, v, path, sub)
      if not sub[1] then return end
    end
    local kinds, seen = {}, {}
    for _, alt in ipairs(schema.anyOf) do
      local k = alt.type or "any"
      if not seen[k] then
        seen[k] = true
        kinds[#kinds + 1] = k
      end
    end
    errs[#errs + 1] = { field = path, message = "expected " .. table.concat(kinds, " or ") }
    return
  end
  local kind = schema.type
  local ok = TYPE_CHECKS[kind]
  if ok and not ok(v) then
    errs[#errs + 1] = { field = path, message = "expected " .. kind }
    return
  end
  if kind == "string" then
    if not text.valid(v) then
      errs[#errs + 1] = { field = path, message = "not valid UTF-8" }
      return
    end
    if schema.maxLength and utf8.len(v) > schema.maxLength then
      errs[#errs + 1] = { field = path, message = "longer than " .. schema.maxLength .. " characters" }
    end
  end
  if schema.enum then
    local found = false
    for _, e in ipairs(schema.enum) do if e == v then found = true end end
    if not found then
      local names = {}
      for i, e in ipairs(schema.enum) do names[i] = tostring(e) end
      errs[#errs + 1] = { field = path, message = "must be one of " .. table.concat(names, ", ") }
    end
  end
  if kind == "array" and schema.items then
    for i, item in ipairs(v) do check(schema.items, item, string.format("%s[%d]", path, i - 1), errs) end
  elseif kind == "object" then
    local props = schema.properties
    if not props then
      check_free(v, path, errs)
      return
    end
    local names = {}
    for k in pairs(v) do names[#names + 1] = k end
    table.sort(names, function(a, b) return tostring(a) < tostring(b) end)
    for _, k in ipairs(names) do
      local item = v[k]
      local field = join(path, tostring(k))
      local s = props[k]
      if not s then
        errs[#errs + 1] = { field = field, message = "unknown field" }
      elseif item == null then
        local required = false
        for _, r in ipairs(schema.required or {}) do if r == k then required = true end end
        if required then errs[#errs + 1] = { field = field, message = "is required" } end
      else
        check(s, item, field, errs)
      end
    end
    for _, r in ipairs(schema.required or {}) do
      if v[r] == nil then errs[#errs + 1] = { field = join(path, r), message = "is required" } end
    end
  end
end

-- Returns nil when `body` fits `schema`, else the list of field errors.
function M.check(schema, body)
  local errs = {}
  -- A bulk body's records are named "[i]", a single object's fields by name.
  check(schema, body, "", errs)
  for _, e in ipairs(errs) do
    if e.field == "" then e.field = "(body)" end
  end
  if errs[1] then return errs end
  return nil
end

return M
