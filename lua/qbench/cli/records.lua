--- The records a `qbench v2` write sends, from `--data JSON`, `--file FILE`
-- (JSON: an array or one object; NDJSON when the name ends in .ndjson or
-- .jsonl) or `--csv FILE` (one record a row under a header row of field
-- names). CSV cells are typed by the operation's body schema, as the API
-- description gives it: "12" becomes 12 where the field is an integer,
-- true/false a boolean, a;b an array (its items typed too), a JSON text an
-- object; an empty cell is not sent; a cell that does not convert stays text,
-- for the schema check to report. The ' that qbench's CSV output puts before
-- formula-like text is removed first (not with --csv-raw), so an export's
-- cells come back exactly.
-- @module qbench.cli.records
-- @local

local qbench = require "qbench"
local args = require "qbench.args"
local csv = require "qbench.csv"
local schema = require "qbench.schema"
local errors = require "qbench.cli.errors"
local files = require "qbench.cli.files"
local options = require "qbench.cli.options"

local M = {}

local function is_array(v)
  local n = type(v) == "table" and args.sequence_length(v) or 0
  return n > 0
end

local function decoded(text, where)
  local v, why = qbench.decode(text)
  if v == nil then errors.usage("%s is not JSON: %s", where, why) end
  return v
end

-- An empty table decodes alike from {} and []: a record is an object.
local function as_record(v)
  if type(v) == "table" and next(v) == nil then return qbench.object {} end
  return v
end

local function from_json(text, where)
  local v = decoded(text, where)
  if type(v) == "table" and next(v) == nil and text:match("^%s*%[") then return {} end -- []
  local records = is_array(v) and v or { v }
  for i, r in ipairs(records) do records[i] = as_record(r) end
  return records
end

local function from_ndjson(text, where)
  local out, n = {}, 0
  for line in (text:gsub("\r\n", "\n") .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    if line:find("%S") then out[#out + 1] = as_record(decoded(line, string.format("%s line %d", where, n))) end
  end
  return out
end

-- One cell as the value of a field of schema `prop` (nil: unknown field, text).
local function typed(cell, prop)
  if not prop then return cell end
  local t = prop.type
  if not t and prop.anyOf then
    for _, alt in ipairs(prop.anyOf) do
      if alt.type == "string" then return cell end
    end
    t = prop.anyOf[1] and prop.anyOf[1].type
  end
  if t == "integer" then
    return options.cell_integer(cell) or cell
  elseif t == "number" then
    return options.cell_number(cell) or cell
  elseif t == "boolean" then
    local lower = cell:lower()
    if lower == "true" then return true elseif lower == "false" then return false end
    return cell
  elseif t == "array" then
    local out = {}
    for part in cell:gmatch("[^;]+") do out[#out + 1] = typed(part, prop.items) end
    return qbench.array(out)
  elseif t == "object" then
    local v = qbench.decode(cell)
    if type(v) == "table" then return v end
    return cell
  end
  return cell
end

local function from_csv(text, where, item, raw)
  local rows, why = csv.parse(text, { unguard = not raw })
  if not rows then errors.usage("%s: %s", where, why) end
  local header = rows[1]
  if not header then errors.usage("%s: no header row", where) end
  local seen = {}
  for i, name in ipairs(header) do
    if name == "" then errors.usage("%s: column %d of the header row has no name", where, i) end
    if seen[name] then errors.usage("%s: column '%s' appears twice in the header row", where, name) end
    seen[name] = true
  end
  local props = item.properties or {}
  local out = {}
  for r = 2, #rows do
    local row = rows[r]
    if not (#row == 1 and row[1] == "") then -- a blank line
      if #row > #header then
        errors.usage("%s: row %d has %d cells, but the header row names %d columns", where, r, #row, #header)
      end
      local record = qbench.object {}
      for i, name in ipairs(header) do
        local cell = row[i] or ""
        if cell ~= "" then record[name] = typed(cell, props[name]) end
      end
      out[#out + 1] = record
    end
  end
  return out
end

--- The records of the arguments `a` for the body schema `body`: an array
-- (one element for a body that is not bulk). Input that cannot be read as
-- records is a usage error.
function M.read(a, body)
  local bulk = body.type == "array"
  local item = bulk and body.items or body
  local records
  if a.data then
    records = from_json(a.data, "--data")
  elseif a.file then
    local text = files.read(a.file, "--file")
    if a.file:match("%.ndjson$") or a.file:match("%.jsonl$") then
      records = from_ndjson(text, a.file)
    else
      records = from_json(text, a.file)
    end
  elseif a.csv then
    records = from_csv(files.read(a.csv, "--csv"), a.csv, item, a.csv_raw)
  else
    errors.usage("give the records with --data, --file%s", bulk and " or --csv" or "")
  end
  if #records == 0 then errors.usage("no records in the input") end
  if not bulk and #records > 1 then errors.usage("this operation takes one body, got %d records", #records) end
  return records, bulk, item
end

--- Checks each record against the item schema; returns an array of
-- {index =, message =} for those that fail (empty when all pass).
-- `label` names the records in messages ("samples").
function M.check(records, item, label)
  local bad = {}
  for i, record in ipairs(records) do
    local why = schema.check(record, item, label)
    if why then bad[#bad + 1] = { index = i, message = why } end
  end
  return bad
end

return M
