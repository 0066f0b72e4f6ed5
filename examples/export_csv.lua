-- Every customer to CSV (RFC 4180, tags joined with ";"), with a progress line
-- on stderr when it is a terminal.
--   QBENCH_URL=https://lab.qbench.net QBENCH_TOKEN=... lua5.4 examples/export_csv.lua customers.csv
-- Without a file name the CSV goes to stdout. Cells that a spreadsheet would
-- run as formulas (=, +, -, @ first) get a ' in front; csv.writer(out, {raw = true}) keeps them as they are.
local qbench = require "qbench"
local csv = require "qbench.csv"
local Progress = require "qbench.cli.progress"

local COLUMNS = { "id", "customer_name", "email", "phone", "fax", "address", "comments", "tags",
  "contact_ids", "account_number", "license_number", "billing_contact_name", "billing_email",
  "payment_term_days", "company_discount", "deleted", "date_created", "last_updated" }

-- The value of a column: tags and the linked contacts' ids joined with ";",
-- other lists and objects as JSON.
local function cell(customer, column)
  if column == "tags" or column == "contact_ids" then
    local list = column == "tags" and customer.tags or customer.contacts
    local parts = {}
    for _, item in ipairs(type(list) == "table" and list or {}) do
      local v = item
      if column == "contact_ids" then v = type(item) == "table" and item.id or nil end
      if v ~= nil and type(v) ~= "table" then parts[#parts + 1] = csv.text(v) end
    end
    return table.concat(parts, ";")
  end
  local v = customer[column]
  if type(v) == "table" and v ~= qbench.null then return qbench.encode(v) end
  return v
end

local path = arg[1]
local out = io.stdout
if path then out = assert(io.open(path, "wb")) end
local writer = csv.writer(out)

local function fail(message)
  io.stderr:write(tostring(message), "\n")
  os.exit(1)
end

local opts, missing = qbench.env_options()
if not opts then io.stderr:write(arg[0], ": ", missing, "\n") os.exit(2) end
local qb <close> = qbench.new(opts)

local progress = Progress.new()
local count, pages = 0, 0
local written, why = writer:write(COLUMNS)
if not written then fail("cannot write the CSV: " .. why) end
-- pages() raises the error object when a page fails; pcall turns it back into a message.
local ok, err = pcall(function()
  for page in qb.customer:pages { page_size = 50 } do
    for _, customer in ipairs(page.data) do
      local row = { n = #COLUMNS }
      for i, column in ipairs(COLUMNS) do row[i] = cell(customer, column) end
      assert(writer:write(row)) -- a failed write (a full disk) stops the export
    end
    count, pages = count + #page.data, pages + 1
    progress:update { pages_done = pages, total_pages = math.tointeger(page.total_pages), items = count }
  end
end)
progress:finish { pages_done = pages, items = count }
if not ok then fail(qbench.is_error(err) and err or "cannot write the CSV: " .. tostring(err):gsub("^.-:%d+: ", "")) end
local flushed, flush_err = out:flush()
if not flushed then fail("cannot write the CSV: " .. flush_err) end
if path then
  local closed, close_err = out:close()
  if not closed then fail("cannot write the CSV: " .. close_err) end
  io.stderr:write(string.format("wrote %d customers to %s\n", count, path))
end
