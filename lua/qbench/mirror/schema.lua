--- The mirror's tables: one per collection, named after it, with `id` as primary
-- key, one typed column per property of the digest's record schema
-- (qbench.mirror.columns, generated), and `_raw` (the whole record as JSON),
-- `_deleted` (1 when QBench reports the record deleted) and `_sync_run` (the
-- walk that last saw it). Values from the server are turned into what their
-- column holds, whatever the server sent:
--
-- | kind | column | holds |
-- |---|---|---|
-- | integer | INTEGER / BIGINT | integers (integral floats too, booleans as 1/0); anything else NULL |
-- | real | REAL / DOUBLE PRECISION | finite numbers; anything else NULL |
-- | text | TEXT | strings as valid UTF-8 without NUL (each invalid sequence and NUL becomes U+FFFD); numbers and booleans as their JSON text; objects and arrays as JSON |
-- | boolean | INTEGER | 1 or 0; anything else NULL |
-- | json | TEXT | the value as JSON (sorted keys, valid UTF-8) |
--
-- The record itself is always whole in `_raw`, so a value that does not fit its
-- column is never lost. A record key the digest does not know adds a column
-- (of the kind its first non-null value has) only when it is a safe name
-- (`^[a-z][a-z0-9_]*$`, at most 63 bytes) and the table has grown by fewer
-- than MAX_GROWN columns; every identifier is quoted anyway.
-- @module qbench.mirror.schema
-- @local

local core = require "qbench.core"
local text = require "qbench.text"

local M = {}

local null = core.null
local encode = core.encode

M.COLUMNS = require "qbench.mirror.columns"
--- Columns a table may gain from record keys, beyond the digest's.
M.MAX_GROWN = 200
--- The canonical JSON of a value: keys sorted, valid UTF-8, NaN and infinities as null.
M.JSON = { sort_keys = true, invalid_utf8 = "replace", nonfinite = "null" }

--- The collections a mirror can hold: every listable v2 collection, sorted.
function M.names()
  local out = {}
  for name in pairs(M.COLUMNS) do out[#out + 1] = name end
  table.sort(out)
  return out
end

--- `name` as an SQL identifier: always quoted, quotes doubled.
function M.quote(name)
  return '"' .. name:gsub('"', '""') .. '"'
end

--- May a record key become a column?
function M.safe_key(k)
  return type(k) == "string" and #k <= 63 and k:match("^[a-z][a-z0-9_]*$") ~= nil
end

--- The kind a new column gets from its first non-null value.
function M.kind_of_value(v)
  local t = math.type(v)
  if t == "integer" then return "integer" end
  if t == "float" then return "real" end
  if type(v) == "string" then return "text" end
  if type(v) == "boolean" then return "boolean" end
  return "json"
end

--- `s` as valid UTF-8 without NUL bytes.
function M.clean_text(s)
  s = text.valid_utf8(s)
  if s:find("\0", 1, true) then s = s:gsub("\0", "\u{FFFD}") end
  return s
end

local function json_of(v) return (encode(v, M.JSON)) end

local function number_text(v)
  if math.type(v) == "integer" then return string.format("%d", v) end
  if v ~= v or v == math.huge or v == -math.huge then return "null" end
  return (json_of(v))
end

--- What a column of `kind` holds for the server's value `v`: a Lua integer, float,
-- string, or nil (NULL).
M.coerce = {
  integer = function(v)
    if math.type(v) == "integer" then return v end
    if type(v) == "number" then return math.tointeger(v) end
    if type(v) == "boolean" then return v and 1 or 0 end
    return nil
  end,
  real = function(v)
    if type(v) ~= "number" or v ~= v or v == math.huge or v == -math.huge then return nil end
    return v
  end,
  text = function(v)
    local t = type(v)
    if t == "string" then return M.clean_text(v) end
    if v == nil or v == null then return nil end
    if t == "number" then return number_text(v) end
    if t == "boolean" then return v and "true" or "false" end
    return json_of(v)
  end,
  boolean = function(v)
    if type(v) == "boolean" then return v and 1 or 0 end
    return nil
  end,
  json = function(v)
    if v == nil or v == null then return nil end
    return json_of(v)
  end,
}

--- The table of `collection`: {name =, id_kind = "integer"|"text", columns = {{name, kind}, ...}}
-- (the digest's, `id` left out).
function M.table_of(collection)
  local cols, id_kind = {}, "integer"
  for _, c in ipairs(M.COLUMNS[collection]) do
    if c[1] == "id" then id_kind = c[2] == "text" and "text" or "integer" else cols[#cols + 1] = { c[1], c[2] } end
  end
  return { name = collection, id_kind = id_kind, columns = cols }
end

--- The record's id as the table keys it, or nil and why not: a positive integer,
-- or a non-empty string of valid UTF-8 without control characters (api_clients).
function M.id_of(record, id_kind)
  local id = record.id
  if id_kind == "text" then
    if type(id) == "string" and id ~= "" and #id <= 255 and utf8.len(id) and not id:find("%c") then return id end
    return nil, "has no string id"
  end
  local n = type(id) == "number" and math.tointeger(id)
  if n and n >= 1 then return n end
  return nil, "has no positive integer id"
end

return M
