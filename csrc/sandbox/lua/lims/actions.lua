-- The v2 endpoints that are not plain record reads and writes: linking
-- and unlinking (customer <-> contact, payment -> invoice), invoice sync and
-- e-mails, report publishing, worksheet data and label printing. Each
-- checks its body against the digest's schema first (lims/validate).
local json = require "sandbox.json"
local validate = require "sandbox.lims.validate"
local answers = require "sandbox.lims.answers"
local writes = require "sandbox.lims.writes"
local records = require "sandbox.lims.records"
local catalog = require "sandbox.lims.catalog"
local updated = require "sandbox.lims.updated"

local null = json.null

local M = {}

local function present(v) return v ~= nil and v ~= null end

local function check_body(ctx)
  local errs = validate.check(ctx.op.body.schema, ctx.body)
  if errs then return answers.bad_request(errs) end
  return nil
end

-- Checks that the path's record exists; returns nil, or the 404 answer.
local function need(ctx, col, name)
  local id = ctx.path[name]
  if ctx.db:exists(col, id) then return nil end
  return answers.not_found(answers.noun(col) .. " " .. tostring(id))
end

-- ------------------------------------------------------------ customer <-> contact

local FLAGS = { "receive_email", "receive_invoice_email", "portal_user" }

-- POST /customers/{customer_id}/contacts and /contacts/{contact_id}/customers:
-- each entry names the other side (an entry without it changes nothing)
-- and may set the link's flags; 204.
local function link(ctx, own_col, own_name, other_name)
  local missing, missing_body = need(ctx, own_col, own_name)
  if missing then return missing, missing_body end
  local bad, bad_body = check_body(ctx)
  if bad then return bad, bad_body end
  local db, own = ctx.db, ctx.path[own_name]
  local errs = {}
  for i, rec in ipairs(ctx.body) do
    local path = string.format("[%d]", i - 1)
    writes.link_errors(db, rec, path, errs)
    if present(rec[own_name]) and rec[own_name] ~= own then
      errs[#errs + 1] = { field = path .. "." .. own_name, message = "must be " .. own .. ", the " .. answers.noun(own_col) .. " of the path" }
    end
  end
  if errs[1] then return answers.bad_request(errs) end
  local set = db.links.customer_contacts
  for _, rec in ipairs(ctx.body) do
    local other = rec[other_name]
    if present(other) then
      local customer, contact = own, other
      if own_col == "contacts" then customer, contact = other, own end
      local flags = set:get(customer, contact)
      if type(flags) ~= "table" then flags = { receive_email = false, receive_invoice_email = false, portal_user = false } end
      for _, f in ipairs(FLAGS) do
        if present(rec[f]) then flags[f] = rec[f] end
      end
      set:add(customer, contact, flags)
      updated.stamp(db, "customers", customer)
      updated.stamp(db, "contacts", contact)
    end
  end
  db:touch()
  return 204, ""
end

function M.link_contacts(ctx) return link(ctx, "customers", "customer_id", "contact_id") end
function M.link_customers(ctx) return link(ctx, "contacts", "contact_id", "customer_id") end

-- DELETE /customers/{customer_id}/contacts/{contact_id}: 204, or 404 when not linked.
function M.unlink_contact(ctx)
  local missing, missing_body = need(ctx, "customers", "customer_id")
  if missing then return missing, missing_body end
  local cid, contact = ctx.path.customer_id, ctx.path.contact_id
  if not ctx.db.links.customer_contacts:remove(cid, contact) then
    return answers.not_found("contact " .. tostring(contact) .. " of customer " .. cid)
  end
  updated.stamp(ctx.db, "customers", cid)
  updated.stamp(ctx.db, "contacts", contact)
  ctx.db:touch()
  return 204, ""
end

-- ------------------------------------------------------------ payment -> invoices

-- POST applies the payment to each invoice (replacing an earlier amount);
-- PATCH sets the listed applications, creating missing ones. 204 both.
local function apply_payment(ctx)
  local missing, missing_body = need(ctx, "payments", "payment_id")
  if missing then return missing, missing_body end
  local bad, bad_body = check_body(ctx)
  if bad then return bad, bad_body end
  local db, pid = ctx.db, ctx.path.payment_id
  local errs = {}
  for i, rec in ipairs(ctx.body) do writes.link_errors(db, rec, string.format("[%d]", i - 1), errs) end
  if errs[1] then return answers.bad_request(errs) end
  local set = db.links.invoice_payments
  for _, rec in ipairs(ctx.body) do
    local data = set:get(rec.invoice_id, pid)
    if type(data) ~= "table" then
      db.last_invoice_payment = db.last_invoice_payment + 1
      data = { id = db.last_invoice_payment, applied_amount = 0 }
    end
    if present(rec.applied_amount) then data.applied_amount = rec.applied_amount end
    set:add(rec.invoice_id, pid, data)
    updated.stamp(db, "invoices", rec.invoice_id)
    updated.stamp(db, "payments", pid)
  end
  db:touch()
  return 204, ""
end
M.apply_payment = apply_payment
M.update_payment_invoices = apply_payment

-- DELETE /payments/{payment_id}/invoices/{invoice_id}: 204, or 404 when not applied.
function M.unapply_payment(ctx)
  local missing, missing_body = need(ctx, "payments", "payment_id")
  if missing then return missing, missing_body end
  local pid, iid = ctx.path.payment_id, ctx.path.invoice_id
  if not ctx.db.links.invoice_payments:remove(iid, pid) then
    return answers.not_found("invoice " .. tostring(iid) .. " of payment " .. pid)
  end
  updated.stamp(ctx.db, "invoices", iid)
  updated.stamp(ctx.db, "payments", pid)
  ctx.db:touch()
  return 204, ""
end

-- ------------------------------------------------------------ invoices, payments, reports

local function touch_row(ctx, col, id, fields)
  local row = ctx.db:row(col, id)
  for k, v in pairs(fields) do
    if row[k] ~= nil then row[k] = v end
  end
  updated.stamp(ctx.db, col, id)
  ctx.db:touch()
end

-- POST /invoices/{invoice_id}/sync: 204.
function M.sync_invoice(ctx)
  local missing, missing_body = need(ctx, "invoices", "invoice_id")
  if missing then return missing, missing_body end
  local now = os.time()
  touch_row(ctx, "invoices", ctx.path.invoice_id, { out_of_sync = false, qbd_last_synced = records.iso_time(now) })
  return 204, ""
end

local queue_id = 0

-- POST /invoices/{invoice_id}/send-email: 202 {"data": {"message", "queueId"}}.
function M.email_invoice(ctx)
  local missing, missing_body = need(ctx, "invoices", "invoice_id")
  if missing then return missing, missing_body end
  local bad, bad_body = check_body(ctx)
  if bad then return bad, bad_body end
  local now = os.time()
  touch_row(ctx, "invoices", ctx.path.invoice_id, { emailed = true, date_emailed = records.iso_time(now) })
  queue_id = queue_id + 1
  local n = type(ctx.body.emails) == "table" and #ctx.body.emails or 0
  return 202, answers.encode_data({ message = string.format("Invoice e-mail queued for %d recipient(s)", n),
    queueId = queue_id }, ctx.op.record)
end

-- POST /payments/{payment_id}/send-email: 204.
function M.email_payment(ctx)
  local missing, missing_body = need(ctx, "payments", "payment_id")
  if missing then return missing, missing_body end
  local bad, bad_body = check_body(ctx)
  if bad then return bad, bad_body end
  return 204, ""
end

-- Checks that every entry's "id" names a live record of `col`.
local function ids_exist(ctx, col)
  local errs = {}
  for i, rec in ipairs(ctx.body) do
    if not ctx.db:exists(col, rec.id) then
      errs[#errs + 1] = { field = string.format("[%d].id", i - 1), message = "no " .. answers.noun(col) .. " with id " .. tostring(rec.id) }
    end
  end
  if errs[1] then return answers.bad_request(errs) end
  return nil
end

-- POST /reports/publish: each "id" is a report; 204.
function M.publish_reports(ctx)
  local bad, bad_body = check_body(ctx)
  if not bad then bad, bad_body = ids_exist(ctx, "reports") end
  if bad then return bad, bad_body end
  local now = records.iso_time(os.time())
  for _, rec in ipairs(ctx.body) do
    touch_row(ctx, "reports", rec.id, { date_published = now, emailed = rec.send_emails == true or nil })
  end
  return 204, ""
end

-- ------------------------------------------------------------ worksheets

local function worksheet_of(db, col, id)
  local data = db.worksheet_data[col][id]
  if not data then
    data = json.object { A1 = "Result", B1 = (id * 37) % 1000 / 10 }
    db.worksheet_data[col][id] = data
  end
  return data
end

-- PATCH /tests/worksheets/dynamic/named-cells: each "id" is a test whose
-- worksheet data takes the cells of qb_dynamic_spreadsheet_patch; 204.
function M.named_cells(ctx)
  local bad, bad_body = check_body(ctx)
  if not bad then bad, bad_body = ids_exist(ctx, "tests") end
  if bad then return bad, bad_body end
  for _, rec in ipairs(ctx.body) do
    local data = worksheet_of(ctx.db, "tests", rec.id)
    if type(rec.qb_dynamic_spreadsheet_patch) == "table" then
      for k, v in pairs(rec.qb_dynamic_spreadsheet_patch) do data[k] = v end
    end
  end
  ctx.db:touch()
  return 204, ""
end

-- GET /tests/{test_id}/worksheet/data and /batches/{batch_id}/worksheet/data.
function M.worksheet(col, name)
  return function(ctx)
    local missing, missing_body = need(ctx, col, name)
    if missing then return missing, missing_body end
    local id = ctx.path[name]
    local out = {}
    for prop in pairs(ctx.op.record.properties) do out[prop] = null end
    out.id = id
    out.worksheet_data = worksheet_of(ctx.db, col, id)
    if ctx.args.worksheet_config then
      out.worksheet_config = json.object { version = 1, sheets = json.array { "Sheet1" } }
    end
    if out.worksheet_processed ~= nil then out.worksheet_processed, out.worksheet_processed_error = true, false end
    return 200, answers.encode_data(out, ctx.op.record)
  end
end

-- ------------------------------------------------------------ labels

-- POST /labels/{label_id}/{data_type}: a data_type naming a collection
-- (sample, samples, tests, ...) needs each "id" to be one of its records;
-- any other data_type is printed as is. 200 with what was printed.
function M.print_labels(ctx)
  local db, label = ctx.db, ctx.path.label_id
  if not db:exists("labels", label) then return answers.not_found("label " .. tostring(label)) end
  local bad, bad_body = check_body(ctx)
  if bad then return bad, bad_body end
  local kind = ctx.path.data_type:lower():gsub("%-", "_")
  local col = catalog.schemas[kind] and kind or catalog.schemas[kind .. "s"] and kind .. "s"
    or catalog.schemas[kind .. "es"] and kind .. "es" or nil
  if col then
    bad, bad_body = ids_exist(ctx, col)
    if bad then return bad, bad_body end
  end
  local count = 0
  for _, rec in ipairs(ctx.body) do count = count + (present(rec.count) and rec.count or 1) end
  return 200, answers.encode_data { label_id = label, data_type = ctx.path.data_type, labels = count }
end

return M
