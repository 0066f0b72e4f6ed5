--- Columns of the `qbench` command's output, and the fields `--where` tests:
-- a name is a field of the record, or a path into it (`contact.id`,
-- `contacts.1.id`: a number indexes an array), or a column the resource
-- derives (v1 customers' `contact_ids`).
--
-- A cell is the field's value: strings, numbers and booleans as they are,
-- null and missing as nothing, an array of plain values joined with ";",
-- anything else as its JSON text.
-- @module qbench.cli.columns
-- @local

local qbench = require "qbench"
local args = require "qbench.args"
local csv = require "qbench.csv"
local suggest = require "qbench.suggest"
local errors = require "qbench.cli.errors"
local json = require "qbench.cli.json"

local null = qbench.null

local M = {}

local function path_of(name)
  local path = {}
  for segment in name:gmatch("[^.]+") do
    path[#path + 1] = segment:match("^%d+$") and math.tointeger(tonumber(segment)) or segment
  end
  return path
end

--- A column for `name`. `resource` (optional) says what is known: `names` (an
-- array: the first segment of a path must be one of them, else a usage error
-- that lists them), `derived` (name -> function(record) -> value) and `noun`.
function M.column(name, resource)
  if name == "" or name:find("^%.") or name:find("%.$") or name:find("%.%.") then
    errors.usage("bad column name '%s'", name)
  end
  local derived = resource and resource.derived and resource.derived[name]
  local path = path_of(name)
  if resource and resource.names and not derived then
    local known = false
    for _, n in ipairs(resource.names) do
      if n == path[1] then known = true break end
    end
    if not known then
      local copy = table.move(resource.names, 1, #resource.names, 1, {})
      errors.usage("unknown field '%s' of %s%s (known: %s)", tostring(path[1]), resource.noun,
        suggest.hint(tostring(path[1]), copy), table.concat(resource.names, ", "))
    end
  end
  return { name = name, path = path, derived = derived }
end

--- The columns of a `--columns` value ("id,customer_name,contact.id").
function M.parse(spec, resource)
  local out, seen = {}, {}
  for name in (spec .. ","):gmatch("([^,]*),") do
    name = name:match("^%s*(.-)%s*$")
    if seen[name] then errors.usage("column '%s' is given twice in --columns", name) end
    seen[name] = true
    out[#out + 1] = M.column(name, resource)
  end
  return out
end

--- Columns for plain field names (the defaults).
function M.of_names(names, resource)
  local out = {}
  for i, name in ipairs(names) do out[i] = M.column(name, resource) end
  return out
end

--- Is `v` a record, that is a JSON object? (An empty table may have been `{}` or `[]`.)
function M.is_record(v)
  return type(v) == "table" and (next(v) == nil or #v == 0)
end

--- Columns for a record without a list of its own: `id` first, then its other fields, sorted.
function M.of_record(record)
  local names = {}
  if type(record) == "table" then
    for k in pairs(record) do
      if type(k) == "string" and k ~= "id" then names[#names + 1] = k end
    end
    table.sort(names)
    if record.id ~= nil then table.insert(names, 1, "id") end
  end
  return M.of_names(names)
end

-- The fields a table shows of a record of unknown shape, in this order when it
-- has them: what names it, what state it is in, what it belongs to, when it was made.
local SUMMARY = { "custom_formatted_id", "display_name", "name", "title", "customer_name", "first_name",
  "last_name", "sample_type", "state", "status", "order_id", "sample_id", "assay_id", "customer_account_id",
  "invoice_id", "date_created" }
local SUMMARY_WIDTH = 6

local function scalar(v)
  local t = type(v)
  return t == "string" or t == "number" or t == "boolean" or v == null
end

--- A handful of columns for a person to read a record of unknown shape by
-- (`--format table` without `--columns`): `id`, then up to five of the
-- fields that name it, its state, its links and its creation date, as it has
-- them; when that makes fewer than three columns, its other plain fields,
-- sorted, up to six in all.
function M.summary(record)
  local names, taken = {}, {}
  local function take(name)
    if #names < SUMMARY_WIDTH and not taken[name] and M.is_record(record) and scalar(record[name]) then
      names[#names + 1], taken[name] = name, true
    end
  end
  take("id")
  for _, name in ipairs(SUMMARY) do take(name) end
  if #names < 3 and M.is_record(record) then
    local rest = {}
    for k in pairs(record) do
      if type(k) == "string" then rest[#rest + 1] = k end
    end
    table.sort(rest)
    for _, name in ipairs(rest) do take(name) end
  end
  return M.of_names(names)
end

--- Notes which of `columns` the records seen have (a null counts, a missing
-- field does not), to tell the user about a column no record had: a typo in
-- `--columns` or `--where` would otherwise give empty cells or no records.
-- Returns an object with `see(record)` and `missing()`: the columns no record
-- had, each with a hint naming the closest field of the first record, if any.
function M.watch(list)
  local seen, fields, count = {}, nil, 0
  local watcher = {}
  function watcher.see(record)
    count = count + 1
    if not fields and M.is_record(record) then
      fields = {}
      for k in pairs(record) do
        if type(k) == "string" then fields[#fields + 1] = k end
      end
    end
    for i, c in ipairs(list) do
      if not seen[i] and M.value(record, c) ~= nil then seen[i] = true end
    end
  end
  function watcher.missing()
    local out = {}
    if count == 0 then return out end
    for i, c in ipairs(list) do
      if not seen[i] then
        local first, known = c.path[1], false
        for _, f in ipairs(fields or {}) do known = known or f == first end
        out[#out + 1] = { column = c,
          hint = type(first) == "string" and not known and fields and suggest.hint(first, fields) or "" }
      end
    end
    return out
  end
  return watcher
end

--- The value of `column` in `record` (nil when absent).
function M.value(record, column)
  if type(record) ~= "table" then return nil end
  if column.derived then return column.derived(record) end
  local v = record
  for _, key in ipairs(column.path) do
    if type(v) ~= "table" then return nil end
    local nextv = v[key]
    if nextv == nil and math.type(key) == "integer" then nextv = v[tostring(key)] end
    v = nextv
  end
  return v
end

local function plain(v)
  local t = type(v)
  return t == "string" or t == "number" or t == "boolean" or v == null
end

local function is_plain_array(v)
  local n = args.sequence_length(v)
  if not n then return false end
  for i = 1, n do
    if not plain(v[i]) then return false end
  end
  return true
end

--- The cell of `column` in `record`: a string, number, boolean or nil; and the
-- number of values replaced to make a table's JSON text valid.
function M.cell(record, column)
  local v = M.value(record, column)
  if v == nil or v == null then return nil, 0 end
  if type(v) ~= "table" then return v, 0 end
  if is_plain_array(v) then
    local parts = {}
    for i = 1, #v do parts[i] = csv.text(v[i]) end
    return table.concat(parts, ";"), 0
  end
  return json.encode(v)
end

return M
