-- The handlers of the v2 operations, one route per operation of the
-- generated table, each with its handler (a read, a bulk write or an
-- action). Every handler first checks the request's query and path
-- parameters (lims/params). Loaded at the first request that needs a v2
-- route (lims/api).
local operations = require "sandbox.v2.operations"
local catalog = require "sandbox.lims.catalog"
local relations = require "sandbox.lims.relations"
local params = require "sandbox.lims.params"
local answers = require "sandbox.lims.answers"
local lists = require "sandbox.lims.lists"
local writes = require "sandbox.lims.writes"
local actions = require "sandbox.lims.actions"
local integrations = require "sandbox.lims.integrations"
local auth_endpoints = require "sandbox.lims.auth_endpoints"

local M = {}

local cfg
local current_db  -- function() -> the DB of the last reset
local db          -- set from current_db() at every request, before its handler runs

-- The path after /qbench/api/v2/.
local function rest(op) return op.path:sub(#catalog.PREFIX + 1) end

local function grant_schema()
  for _, op in ipairs(operations) do
    if op.path == catalog.PREFIX .. "auth/token" then return op.body.schema end
  end
end

local SPECIAL = {
  ["POST customers/{customer_id}/contacts"] = actions.link_contacts,
  ["POST contacts/{contact_id}/customers"] = actions.link_customers,
  ["DELETE customers/{customer_id}/contacts/{contact_id}"] = actions.unlink_contact,
  ["POST payments/{payment_id}/invoices"] = actions.apply_payment,
  ["PATCH payments/{payment_id}/invoices"] = actions.update_payment_invoices,
  ["DELETE payments/{payment_id}/invoices/{invoice_id}"] = actions.unapply_payment,
  ["POST invoices/{invoice_id}/sync"] = actions.sync_invoice,
  ["POST invoices/{invoice_id}/send-email"] = actions.email_invoice,
  ["POST payments/{payment_id}/send-email"] = actions.email_payment,
  ["POST reports/publish"] = actions.publish_reports,
  ["PATCH tests/worksheets/dynamic/named-cells"] = actions.named_cells,
  ["POST labels/{label_id}/{data_type}"] = actions.print_labels,
  ["GET tests/{test_id}/worksheet/data"] = actions.worksheet("tests", "test_id"),
  ["GET batches/{batch_id}/worksheet/data"] = actions.worksheet("batches", "batch_id"),
  ["POST auth/token"] = auth_endpoints.token,
  ["POST auth/token/refresh"] = auth_endpoints.refresh(grant_schema()),
  ["GET auth/token/info"] = auth_endpoints.info,
}

-- The live record a path parameter names: its id as the collection numbers
-- it, or nil and the 404 answer, which names the id as the path gave it
-- ("api client x-1 not found").
local function path_record(ctx, col, name)
  local id = db:internal_id(col, ctx.path[name])
  if id and db:exists(col, id) then return id end
  return nil, answers.not_found(answers.noun(col) .. " " .. tostring(ctx.path[name]))
end

-- The handler of one operation: function(ctx) -> status, body, headers.
local function handler_of(op)
  local sub = rest(op)
  local key = op.method .. " " .. sub
  if SPECIAL[key] then return SPECIAL[key] end

  local kind = sub:match("^integrations/{integration_id}/([%w%-]+)")
  if kind then
    local one = sub:match("/{entity_id}$") ~= nil
    if op.method == "GET" then return one and integrations.get(kind) or integrations.list(kind) end
    if op.method == "POST" then return integrations.create(kind) end
    if op.method == "DELETE" then return integrations.delete(kind) end
  end

  local sublist = relations.SUBLISTS[sub]
  if sublist and op.method == "GET" then
    local child, relation = sublist[1], sublist[2]
    local parent_col = catalog.first_collection(op.path)
    local name = sub:match("^[%w%-]+/{([%w_]+)}")
    return function(ctx)
      local id, status, body = path_record(ctx, parent_col, name)
      if not id then return status, body end
      return lists.list(db, op, ctx.args, child, { id = id, relation = relation })
    end
  end

  local col = catalog.first_collection(op.path)
  local one = sub:match("^[%w%-]+/{([%w_]+)}$")
  if col and sub:match("^[%w%-]+$") then
    if op.method == "GET" then return function(ctx) return lists.list(db, op, ctx.args, col) end end
    if op.method == "POST" then return function(ctx) return writes.create(db, op, col, ctx.body) end end
    if op.method == "PATCH" then return function(ctx) return writes.update(db, op, col, ctx.body) end end
  elseif col and one then
    local verb = op.method == "GET" and lists.get or op.method == "DELETE" and writes.delete
    if verb then
      return function(ctx)
        local id, status, body = path_record(ctx, col, one)
        if not id then return status, body end
        return verb(db, col, id)
      end
    end
  end
  error("no sandbox handler for " .. key)
end

local function route(op)
  local handle = handler_of(op)
  local json_body = op.body and op.body.content_type == "application/json"
  return {
    method = op.method, path = op.path, auth = op.auth, body = json_body and "json" or nil,
    handler = function(req)
      db = current_db()
      local args, path, errs = params.check(op, req)
      if errs then return answers.bad_request(errs) end
      return handle { db = db, op = op, req = req, args = args, path = path, body = req.json, cfg = cfg }
    end,
  }
end

-- `get_db`: function() -> the DB the handlers act on.
function M.routes(get_db, config)
  current_db, cfg = get_db, config
  local out = {}
  for _, op in ipairs(operations) do out[#out + 1] = route(op) end
  return out
end

return M
