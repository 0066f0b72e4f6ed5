--- Output formats of the `qbench` command: json, ndjson, csv and table.
-- A writer takes customers one at a time so that `list` streams; only
-- `table` waits for the end, to size its columns.
-- @module qbench.cli.format

local qbench = require "qbench"
local csv = require "qbench.cli.csv"

local null = qbench.null

local M = {}

M.NAMES = { "json", "ndjson", "csv", "table" }

--- The CSV columns, in order. `tags` are joined with ";", `contact_ids` are the linked contacts' ids.
M.CSV_COLUMNS = { "id", "customer_name", "email", "phone", "fax", "address", "comments", "tags",
  "contact_ids", "account_number", "license_number", "billing_contact_name", "billing_email",
  "payment_term_days", "company_discount", "deleted", "date_created", "last_updated" }

local TABLE_COLUMNS = { "id", "customer_name", "phone", "email", "tags" }
local TABLE_MAX_WIDTH = 40

-- A value as one cell of text: null and missing are empty.
local function text_of(v)
  if v == nil or v == null then return "" end
  if math.type(v) == "integer" then return string.format("%d", v) end
  if type(v) == "number" then return string.format("%.14g", v) end
  if type(v) == "table" then return qbench.encode(v) end
  return tostring(v)
end

local function joined(list, pick)
  if type(list) ~= "table" then return "" end
  local out = {}
  for i, item in ipairs(list) do out[i] = text_of(pick and type(item) == "table" and item[pick] or item) end
  return table.concat(out, ";")
end

--- The text of one column of a customer.
-- @tparam table customer a customer as the API returns it
-- @tparam string column a name from CSV_COLUMNS
-- @treturn string the cell
function M.cell(customer, column)
  if column == "tags" then return joined(customer.tags) end
  if column == "contact_ids" then return joined(customer.contacts, "id") end
  return text_of(customer[column])
end

local function row_of(customer, columns)
  local row = {}
  for i, col in ipairs(columns) do row[i] = M.cell(customer, col) end
  return row
end

-- Display width of a UTF-8 string (characters, not bytes); invalid UTF-8 counts bytes.
local function width(s) return utf8.len(s) or #s end

local function clip(s, n)
  if width(s) <= n then return s end
  local cut = utf8.offset(s, n) or n
  return s:sub(1, cut - 1) .. "…"
end

local writers = {}

function writers.json(out)
  local n = 0
  return {
    row = function(c)
      out:write(n == 0 and "[\n" or ",\n", qbench.encode(c))
      n = n + 1
    end,
    finish = function() out:write(n == 0 and "[]\n" or "\n]\n") end,
  }
end

function writers.ndjson(out)
  return {
    row = function(c) out:write(qbench.encode(c), "\n") end,
    finish = function() end,
  }
end

function writers.csv(out)
  out:write(csv.record(M.CSV_COLUMNS))
  return {
    row = function(c) out:write(csv.record(row_of(c, M.CSV_COLUMNS))) end,
    finish = function() end,
  }
end

function writers.table(out)
  local rows = { TABLE_COLUMNS }
  return {
    row = function(c)
      local row = row_of(c, TABLE_COLUMNS)
      for i, cellv in ipairs(row) do row[i] = clip(cellv:gsub("[%c]", " "), TABLE_MAX_WIDTH) end
      rows[#rows + 1] = row
    end,
    finish = function()
      local widths = {}
      for _, row in ipairs(rows) do
        for i, cellv in ipairs(row) do widths[i] = math.max(widths[i] or 0, width(cellv)) end
      end
      for _, row in ipairs(rows) do
        local parts = {}
        for i, cellv in ipairs(row) do
          parts[i] = i == #row and cellv or cellv .. string.rep(" ", widths[i] - width(cellv))
        end
        out:write(table.concat(parts, "  "), "\n")
      end
    end,
  }
end

--- A writer for the format `name` on the file `out`: `w.row(customer)` for each, then `w.finish()`.
-- @tparam string name one of NAMES
-- @tparam file out where to write
-- @treturn table the writer
function M.writer(name, out)
  local make = writers[name]
  if not make then error("unknown format " .. tostring(name), 2) end
  return make(out)
end

return M
