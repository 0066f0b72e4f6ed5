-- v2 bulk writes of whole records: POST (create, 201 with the created
-- records), PATCH (update by "id", 200 with the updated records) and DELETE
-- (204; the record is marked deleted and lists hide it). A bulk body is
-- checked whole before anything changes: the schema (validate), then every
-- field naming another record (it must exist and not be deleted), then each
-- collection's own rules; an unknown id in a PATCH is a 400 on "[i].id".
-- Nested objects and arrays of objects are checked but not stored: links
-- change through the sub-collection endpoints (lims/actions).
local json = require "sandbox.json"
local jsontype = require "sandbox.jsontype"
local catalog = require "sandbox.lims.catalog"
local relations = require "sandbox.lims.relations"
local records = require "sandbox.lims.records"
local validate = require "sandbox.lims.validate"
local answers = require "sandbox.lims.answers"
local seed = require "sandbox.lims.seed"
local updated = require "sandbox.lims.updated"

local null = json.null

local M = {}

local noun = answers.noun

local sorted_keys = jsontype.sorted_keys

-- Adds an error per field of `rec` that names a record that does not exist.
function M.link_errors(db, rec, path, errs)
  for _, k in ipairs(sorted_keys(rec)) do
    local v = rec[k]
    local target = relations.FIELD_TARGETS[k]
    if target and v ~= null then
      local id = db:internal_id(target, v)
      if not id or not db:exists(target, id) then
        errs[#errs + 1] = { field = path .. "." .. k, message = "no " .. noun(target) .. " with id " .. tostring(v) }
      end
    end
    target = relations.ARRAY_TARGETS[k]
    if target and type(v) == "table" then
      for i, item in ipairs(v) do
        local id = db:internal_id(target, item)
        if not id or not db:exists(target, id) then
          errs[#errs + 1] = { field = string.format("%s.%s[%d]", path, k, i - 1),
            message = "no " .. noun(target) .. " with id " .. tostring(item) }
        end
      end
    end
  end
end

-- Attachment types that name a collection ("order", "Samples" ...).
local function attachment_collection(kind)
  if type(kind) ~= "string" then return nil end
  local k = kind:lower():gsub("s$", ""):gsub("e$", "")
  for _, t in ipairs(seed.ATTACHMENT_TYPES) do
    if t:gsub("e$", "") == k then return t == "batch" and "batches" or t .. "s", t end
  end
  return nil
end

local function copy_array(v)
  local out = {}
  for i, x in ipairs(v) do out[i] = x end
  return json.array(out)
end

-- Server-kept fields a body cannot set.
local KEPT = { id = true, last_updated = true, date_created = true }

-- Copies the storable fields of a body record onto a stored row.
local function apply(col, row, rec)
  local props = catalog.schemas[col].properties
  for k, v in pairs(rec) do
    local s = props[k]
    if s and not KEPT[k] and s.type ~= "object" and not (s.type == "array" and s.items and s.items.type == "object") then
      if v ~= null and s.type == "array" then v = copy_array(v) end
      row[k] = v
    end
  end
end

local function first_test(rec)
  if rec.test_id ~= nil and rec.test_id ~= null then return rec.test_id end
  if type(rec.test_ids) == "table" then return rec.test_ids[1] end
  return nil
end

-- Each collection's own rules: check(db, rec, path, errs) before anything
-- changes, fill(db, row, rec, now) when a record is created, linked(db, id,
-- rec) after it is stored (creates and updates).
local RULES = {
  attachments = {
    check = function(db, rec, path, errs)
      local col, kind = attachment_collection(rec.attachment_type)
      if col and rec.object_id ~= nil and not db:exists(col, rec.object_id) then
        errs[#errs + 1] = { field = path .. ".object_id", message = "no " .. kind .. " with id " .. tostring(rec.object_id) }
      end
    end,
    fill = function(_, row, rec, now)
      local _, kind = attachment_collection(rec.attachment_type)
      row.type = kind or rec.attachment_type
      row.attachment_upload_type = "API"
      row.date_public = rec.is_public and records.iso_time(now) or null
    end,
  },
  printdocs = {
    fill = function(db, row, rec, now)
      row.report_config_id = rec.printdoc_config_id
      row.object_id = rec.order_id or rec.sample_id or rec.batch_id or first_test(rec) or null
      if rec.order_id then row.customer_id = db:field("orders", rec.order_id, "customer_account_id") or null end
      row.render_status, row.date_generated, row.version = "COMPLETE", records.iso_time(now), 1
    end,
  },
  reports = {
    check = function(db, rec, path, errs)
      if type(rec.test_ids) == "table" then M.link_errors(db, { test_ids = rec.test_ids }, path, errs) end
    end,
    fill = function(db, row, rec, now)
      row.report_config_id = db:internal_id("reports", rec.report_config_id) or null
      local test = db:internal_id("tests", first_test(rec))
      local sample = test and db:field("tests", test, "sample_id")
      local order = sample and db:field("samples", sample, "order_id")
      row.test_id, row.sample_id, row.order_id = test or null, sample or null, order or null
      row.render_status, row.date_generated, row.state = "COMPLETE", records.iso_time(now), "GENERATED"
    end,
  },
  invoices = {
    linked = function(db, id, rec)
      local set = db.links.invoice_orders
      if rec.order_ids ~= nil then
        for o in pairs(set:rights_of(id)) do set:remove(id, o) end
        for _, o in ipairs(rec.order_ids == null and {} or rec.order_ids) do set:add(id, o) end
      end
      if rec.order_id ~= nil and rec.order_id ~= null then set:add(id, rec.order_id) end
    end,
  },
}

-- Checks a bulk body: the schema, the links, the collection's rules;
-- `existing` (PATCH) also needs each "id" to name a live record.
local function check_bulk(db, op, col, body, existing)
  local errs = validate.check(op.body.schema, body)
  if errs then return errs end
  errs = {}
  local rules = RULES[col] or {}
  for i, rec in ipairs(body) do
    local path = string.format("[%d]", i - 1)
    if existing then
      local id = db:internal_id(col, rec.id)
      if not id or not db:exists(col, id) then
        errs[#errs + 1] = { field = path .. ".id", message = "no " .. noun(col) .. " with id " .. tostring(rec.id) }
      end
    end
    M.link_errors(db, rec, path, errs)
    if rules.check then rules.check(db, rec, path, errs) end
  end
  return errs[1] and errs or nil
end

function M.create(db, op, col, body)
  local errs = check_bulk(db, op, col, body, false)
  if errs then return answers.bad_request(errs) end
  local rules = RULES[col] or {}
  local now = os.time()
  local out = {}
  for _, rec in ipairs(body) do
    local id = db:create(col, function(id)
      local row = records.blank(db, col, id, now)
      apply(col, row, rec)
      if rules.fill then rules.fill(db, row, rec, now) end
      return row
    end)
    if rules.linked then rules.linked(db, id, rec) end
    updated.written(db, col, id)
    db:touch()
    out[#out + 1] = db:encoded(col, id)
  end
  return 201, answers.data_list(out)
end

function M.update(db, op, col, body)
  local errs = check_bulk(db, op, col, body, true)
  if errs then return answers.bad_request(errs) end
  local rules = RULES[col] or {}
  local ids = {}
  for i, rec in ipairs(body) do
    local id = db:internal_id(col, rec.id)
    local row = db:row(col, id)
    local before = updated.embedders(db, col, id)
    apply(col, row, rec)
    updated.written(db, col, id, before)
    if rules.linked then rules.linked(db, id, rec) end
    ids[i] = id
  end
  db:touch()
  local out = {}
  for i, id in ipairs(ids) do out[i] = db:encoded(col, id) end
  return 200, answers.data_list(out)
end

function M.delete(db, col, id)
  if not id or not db:exists(col, id) then return answers.not_found(noun(col) .. " " .. tostring(id)) end
  updated.written(db, col, id)
  db:delete(col, id)
  return 204, ""
end

return M
