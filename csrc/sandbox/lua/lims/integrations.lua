-- /integrations/{integration_id}/{kind}: the ids other systems give
-- records (an integration's vendor id for customer 3, ...), per
-- integration and kind of record.
local json = require "sandbox.json"
local validate = require "sandbox.lims.validate"
local answers = require "sandbox.lims.answers"
local lists = require "sandbox.lims.lists"
local seed = require "sandbox.lims.seed"

local null = json.null

local M = {}

local function entity_exists(db, kind, id)
  local col = seed.INTEGRATION_KINDS[kind]
  if col ~= "invoice_payments" then return db:exists(col, id) end
  for _, apps in pairs(db.links.invoice_payments.left) do
    for _, data in pairs(apps) do
      if type(data) == "table" and data.id == id then return true end
    end
  end
  return false
end

local function integration(ctx, kind)
  local map = ctx.db.integrations[kind][ctx.path.integration_id]
  if not map then return nil, answers.not_found("integration " .. tostring(ctx.path.integration_id)) end
  return map
end

function M.list(kind)
  return function(ctx) return lists.integration_list(ctx.db, ctx.op, ctx.args, kind, ctx.path.integration_id) end
end

function M.get(kind)
  return function(ctx)
    local map, status, body = integration(ctx, kind)
    if not map then return status, body end
    local e = ctx.path.entity_id
    if map[e] == nil then return answers.not_found(kind .. " mapping " .. tostring(e)) end
    return 200, answers.encode_data(lists.mapping(kind, ctx.path.integration_id, e, map[e]), ctx.op.record)
  end
end

-- POST: map each entity_id to its integration_vendor_id; 201 with the mappings.
function M.create(kind)
  return function(ctx)
    local map, status, body = integration(ctx, kind)
    if not map then return status, body end
    local errs = validate.check(ctx.op.body.schema, ctx.body)
    if errs then return answers.bad_request(errs) end
    errs = {}
    local iid = ctx.path.integration_id
    for i, rec in ipairs(ctx.body) do
      local path = string.format("[%d]", i - 1)
      if not entity_exists(ctx.db, kind, rec.entity_id) then
        errs[#errs + 1] = { field = path .. ".entity_id", message = "no " .. answers.noun(seed.INTEGRATION_KINDS[kind]) .. " with id " .. tostring(rec.entity_id) }
      end
      if rec.integration_id ~= nil and rec.integration_id ~= null and rec.integration_id ~= iid then
        errs[#errs + 1] = { field = path .. ".integration_id", message = "must be " .. iid .. ", the integration of the path" }
      end
    end
    if errs[1] then return answers.bad_request(errs) end
    local out = {}
    for i, rec in ipairs(ctx.body) do
      map[rec.entity_id] = rec.integration_vendor_id
      out[i] = lists.mapping(kind, iid, rec.entity_id, rec.integration_vendor_id)
    end
    return 201, answers.encode_data(json.array(out), ctx.op.record)
  end
end

function M.delete(kind)
  return function(ctx)
    local map, status, body = integration(ctx, kind)
    if not map then return status, body end
    local e = ctx.path.entity_id
    if map[e] == nil then return answers.not_found(kind .. " mapping " .. tostring(e)) end
    map[e] = nil
    return 204, ""
  end
end

return M
