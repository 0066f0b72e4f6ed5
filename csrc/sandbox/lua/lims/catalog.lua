-- The v2 collections as the generated operations table describes them:
-- each collection's path segment and the schema of its records (from the
-- answer of its single-record GET), with the property names sorted.
local operations = require "sandbox.v2.operations"

local M = {}

M.PREFIX = "/qbench/api/v2/"

M.schemas = {}      -- collection -> record schema
M.fields = {}       -- collection -> property names, sorted
M.segment_of = {}   -- collection -> path segment ("invoice-items")
M.collection_of = {} -- path segment -> collection

local function add(name, segment, schema)
  M.schemas[name] = schema
  M.segment_of[name] = segment
  if segment then M.collection_of[segment] = name end
  local names = {}
  for k in pairs(schema.properties or {}) do names[#names + 1] = k end
  table.sort(names)
  M.fields[name] = names
end

for _, op in ipairs(operations) do
  local segment = op.path:match("^/qbench/api/v2/([%w%-]+)/{[%w_]+}$")
  if op.method == "GET" and segment and op.record and not op.list and segment ~= "integrations" then
    add((segment:gsub("%-", "_")), segment, op.record)
  end
end
-- Order comments have no endpoint of their own, only their order's list.
for _, op in ipairs(operations) do
  if op.method == "GET" and op.path == M.PREFIX .. "orders/{order_id}/comments" then
    add("order_comments", nil, op.record)
  end
end

-- The collection a path's first segment names ("samples" for
-- /qbench/api/v2/samples/{sample_id}/tests), or nil.
function M.first_collection(path)
  local seg = path:sub(#M.PREFIX + 1):match("^([%w%-]+)")
  return seg and M.collection_of[seg]
end

return M
