-- v2 answer bodies: the list envelope, {"data": ...}, and the error shapes.
local json = require "sandbox.json"
local errors = require "sandbox.errors"

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

function M.encode_data(value) return json.encode { data = value } end

return M
