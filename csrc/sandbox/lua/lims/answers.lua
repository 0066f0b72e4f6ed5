-- v2 answer bodies: the list envelope, {"data": ...}, and the error shapes.
local json = require "sandbox.json"
local jsontype = require "sandbox.jsontype"
local errors = require "sandbox.errors"
local strict = require "sandbox.lims.strict"

local M = {}

-- "invoice_items" -> "invoice item", "batches" -> "batch".
function M.noun(col)
  local s = col:gsub("_", " ")
  if s:match("ies$") then return s:sub(1, -4) .. "y" end
  if s:match("ches$") or s:match("sses$") then return s:sub(1, -3) end
  return (s:gsub("s$", ""))
end

function M.bad_request(fields, description)
  return 400, errors.v2(400, description or fields[1].field .. ": " .. fields[1].message, fields)
end

function M.not_found(what) return 404, errors.v2(404, what .. " not found") end

-- A page of `items` (JSON texts), given the total and the page size.
function M.page(items, page_num, page_size, total)
  return 200, string.format('{"data":[%s],"page_number":%d,"total_count":%d,"total_pages":%d}',
    table.concat(items, ","), page_num, total, (total + page_size - 1) // page_size)
end

-- {"data": <JSON text>}
function M.data(encoded) return string.format('{"data":%s}', encoded) end

function M.data_list(encoded_items) return '{"data":[' .. table.concat(encoded_items, ",") .. "]}" end

-- `schema` (optional): the schema of one record of the answer (the
-- operation's `record`), which --strict-schema holds `value` to; `value` is
-- one record, or a list of them (json.array).
function M.encode_data(value, schema)
  if schema and strict.enabled() then
    if jsontype.is_array(value) then
      local out = {}
      for i, item in ipairs(value) do out[i] = strict.record(schema, item) end
      value = json.array(out)
    else
      value = strict.record(schema, value)
    end
  end
  return json.encode { data = value }
end

-- The JSON text of one record of a list answer (see encode_data).
function M.encode_record(value, schema) return json.encode(strict.record(schema, value)) end

return M
