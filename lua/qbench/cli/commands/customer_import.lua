--- `qbench customers import FILE.csv`: one customer created per row of a CSV
-- file whose header row names the fields. A row that cannot be sent (no
-- name, a bad number, text that is not UTF-8) or that the server refuses is
-- reported on stderr and the others go on: `row 3: created customer 81`,
-- `row 4: customer_name is required`. Rows are counted as a spreadsheet
-- numbers them, the header being row 1. --dry-run checks and reports every
-- row exactly as a real run does, printing the requests instead of sending
-- them. The ' that qbench's CSV output puts before formula-like text is
-- removed (unless --csv-raw), so an export imports exactly. Ctrl-C reports
-- the row in flight (in doubt) and the summary before the command ends.
-- @module qbench.cli.commands.customer_import
-- @local

local csv = require "qbench.csv"
local errors = require "qbench.cli.errors"
local fields = require "qbench.cli.customer_fields"
local files = require "qbench.cli.files"
local options = require "qbench.cli.options"
local plan = require "qbench.cli.plan"

local M = {}

local function importable()
  local names = {}
  for _, name in ipairs(fields.NAMES) do
    local kind = fields.IMPORT[name]
    if kind and kind ~= "server" then names[#names + 1] = name end
  end
  return table.concat(names, ", ")
end

-- How each column is read, from the header row; the columns skipped.
local function columns_of(header, file)
  local named = false
  for _, name in ipairs(header) do named = named or name == "customer_name" end
  if not named then errors.usage("%s: the header row has no customer_name column", file) end
  local kinds, seen, skipped = {}, {}, {}
  for i, name in ipairs(header) do
    if name == "" then errors.usage("%s: column %d of the header row has no name", file, i) end
    if seen[name] then errors.usage("%s: column '%s' appears twice in the header row", file, name) end
    seen[name] = true
    local kind = fields.IMPORT[name]
    if kind == nil then errors.usage("%s: unknown column '%s' (importable: %s)", file, name, importable()) end
    if kind == false then errors.usage("%s: column '%s' cannot be imported (importable: %s)", file, name, importable()) end
    if kind == "server" then skipped[#skipped + 1] = name end
    kinds[i] = kind
  end
  return kinds, skipped
end

local function split(cell)
  local out = {}
  for part in cell:gmatch("[^;]+") do out[#out + 1] = part end
  return out
end

local READERS = {
  string = function(cell) return cell end,
  integer = function(cell, name)
    local n = options.cell_integer(cell)
    if not n then return nil, string.format("%s must be an integer, got '%s'", name, cell) end
    return n
  end,
  number = function(cell, name)
    local n = options.cell_number(cell)
    if not n then return nil, string.format("%s must be a number, got '%s'", name, cell) end
    return n
  end,
  tags = function(cell) return split(cell) end,
  contact_ids = function(cell)
    local contacts = {}
    for _, part in ipairs(split(cell)) do
      local id = part:match("^%s*%d+%s*$") and math.tointeger(tonumber(part))
      if not id or id < 1 then return nil, string.format("contact_ids: '%s' is not a contact id", part) end
      contacts[#contacts + 1] = { id = id }
    end
    return contacts
  end,
}

local FIELD_OF = { contact_ids = "contacts" }

-- The body of one row, or nil and why it cannot be sent.
local function customer_of(record, header, kinds)
  if #record > #header then
    return nil, string.format("%d cells, but the header row names %d columns", #record, #header)
  end
  local body = {}
  for i, name in ipairs(header) do
    local cell, kind = record[i] or "", kinds[i]
    if cell ~= "" and kind ~= "server" then
      if not utf8.len(cell) then return nil, name .. " is not valid UTF-8" end
      local value, why = READERS[kind](cell, name)
      if value == nil then return nil, why end
      body[FIELD_OF[name] or name] = value
    end
  end
  if type(body.customer_name) ~= "string" or not body.customer_name:match("%S") then
    return nil, "customer_name is required"
  end
  return body
end

-- Sends one row's customer (or, under --dry-run, prints the request): returns
-- the new id (nil under --dry-run), or nil and why the row failed. A value the
-- library refuses is the row's failure in both modes, never the command's.
local function send(ctx, a, qb, body)
  local called, id, err
  if a.dry_run then
    called, id = errors.per_item(plan.print, ctx.out, qb, function(q) return q.customer:create(body) end)
    if not called then return nil, id end
    return nil
  end
  called, id, err = errors.per_item(qb.customer.create, qb.customer, body)
  if not called then return nil, id end
  if id == nil then return nil, (tostring(err):gsub("^qbench: ", "")) end
  return id
end

function M.import(ctx, a)
  local records, why = csv.parse(files.read(a.file, "customers import"), { unguard = not a.csv_raw })
  if not records then errors.usage("%s: %s", a.file, why) end
  if #records == 0 then errors.usage("%s: no header row", a.file) end
  local header = records[1]
  local kinds, skipped = columns_of(header, a.file)
  if #skipped > 0 then
    ctx.note("skipping the columns QBench sets itself: " .. table.concat(skipped, ", "))
  end
  local rows = {}
  for row = 2, #records do
    local record = records[row]
    if not (#record == 1 and record[1] == "") then rows[#rows + 1] = row end -- not a blank line
  end
  local qb = a.dry_run and ctx.planner() or ctx.client()
  local created, failed, done, sending = 0, 0, 0, nil
  local function summary(in_doubt)
    local not_sent = #rows - done - (in_doubt and 1 or 0)
    ctx.report("%d %s, %d failed%s%s%s", created, a.dry_run and "would be created" or "created", failed,
      in_doubt and ", 1 in doubt" or "", not_sent > 0 and string.format(", %d not sent", not_sent) or "",
      a.dry_run and " (dry run: nothing sent)" or "")
  end
  -- Ctrl-C: the row being sent may or may not have been created (its answer is lost).
  ctx.on_abort = function()
    if sending and not a.dry_run then
      ctx.report("row %d: interrupted while it was sent: the customer may have been created; "
        .. "check before importing this row again", sending)
    end
    summary(sending ~= nil and not a.dry_run)
  end
  for _, row in ipairs(rows) do
    local body, problem = customer_of(records[row], header, kinds)
    local id
    sending = body and row
    if body then id, problem = send(ctx, a, qb, body) end
    -- Counted before the report: an interrupt from here on finds the row done.
    if problem then failed = failed + 1 else created = created + 1 end
    done, sending = done + 1, nil
    if problem then
      ctx.report("row %d: %s", row, problem)
    elseif a.dry_run then
      ctx.report("row %d: would create customer %s", row, body.customer_name)
    else
      ctx.report("row %d: created customer %d", row, id)
    end
  end
  ctx.on_abort = nil
  summary(false)
  return failed == 0 and 0 or 1
end

return M
