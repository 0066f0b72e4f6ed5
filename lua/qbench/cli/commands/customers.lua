--- `qbench customers ...`: the v1 Customers endpoints, each a call of
-- qb.customer. Under --dry-run the same call runs in plan mode (qb:plan) and
-- the requests it would send are printed instead.
-- @module qbench.cli.commands.customers
-- @local

local qbench = require "qbench"
local errors = require "qbench.cli.errors"
local fields = require "qbench.cli.customer_fields"
local listing = require "qbench.cli.listing"
local parser = require "qbench.cli.customers_parser"
local plan = require "qbench.cli.plan"
local tags = require "qbench.cli.commands.customer_tags"

local M = {}

M.RESOURCE = fields.RESOURCE

local DEFAULT_COLUMNS = { csv = fields.CSV_COLUMNS, table = fields.TABLE_COLUMNS }

-- Runs a write: prints its requests under --dry-run, else sends it. `send(qb)`
-- is the library call; `report(result)` prints what a successful one gives back.
local function write(ctx, a, send, report)
  if a.dry_run then
    plan.print(ctx.out, ctx.planner(), send)
    return 0
  end
  local result, err = send(ctx.client())
  if result == nil then return ctx.fail(err) end
  if report then report(result) end
  return 0
end

function M.list(ctx, a)
  return listing.list(ctx, a, {
    resource = M.RESOURCE, default_columns = DEFAULT_COLUMNS, noun = "customers",
    pages = function(qb, opts) return qb.customer:pages(opts) end,
  })
end

function M.get(ctx, a)
  return listing.one(ctx, a, {
    resource = M.RESOURCE, default_columns = DEFAULT_COLUMNS,
    get = function(qb) return qb.customer:get(a.id) end,
  })
end

local function contacts_of(ids)
  local contacts = {}
  for i, id in ipairs(ids) do contacts[i] = { id = id } end
  return contacts
end

function M.create(ctx, a)
  if not a.name:match("%S") then errors.usage("--name must not be empty") end
  local body = { customer_name = a.name }
  for _, f in ipairs(parser.STRING_FIELDS) do body[f.field] = a[f.option] end
  if #a.tag > 0 then body.tags = a.tag end
  if #a.contact > 0 then body.contacts = contacts_of(a.contact) end
  return write(ctx, a, function(qb) return qb.customer:create(body) end,
    function(id) ctx.out:write(string.format("%d\n", id)) end)
end

function M.update(ctx, a)
  local body = {}
  if a.name then
    if not a.name:match("%S") then errors.usage("--name must not be empty") end
    body.customer_name = a.name
  end
  for _, f in ipairs(parser.STRING_FIELDS) do
    local clear = a["clear_" .. f.option]
    if clear and a[f.option] then errors.usage("--%s and --clear-%s exclude each other", f.option, f.option) end
    if clear then body[f.field] = qbench.null else body[f.field] = a[f.option] end
  end
  local editing = #a.add_tag > 0 or #a.remove_tag > 0
  if a.clear_tags and #a.tag > 0 then errors.usage("--tag and --clear-tags exclude each other") end
  if editing and (a.clear_tags or #a.tag > 0) then
    errors.usage("--add-tag and --remove-tag exclude --tag and --clear-tags")
  end
  if a.clear_tags then body.tags = qbench.array {} elseif #a.tag > 0 then body.tags = a.tag end
  if #a.contact > 0 then body.contacts = contacts_of(a.contact) end
  if editing then return tags.update_one(ctx, a, body) end
  if next(body) == nil then errors.usage("nothing to update: give at least one field option (see --help)") end
  return write(ctx, a, function(qb) return qb.customer:update(a.id, body) end)
end

function M.delete(ctx, a)
  return write(ctx, a, function(qb) return qb.customer:delete(a.id) end)
end

function M.contacts_add(ctx, a)
  local by_id = {}
  for _, spec in ipairs(a.contact) do
    if by_id[spec.id] then errors.usage("contact %d is given twice", spec.id) end
    by_id[spec.id] = spec.flags
  end
  return write(ctx, a, function(qb) return qb.customer:add_contacts(a.id, by_id) end)
end

function M.contacts_remove(ctx, a)
  return write(ctx, a, function(qb) return qb.customer:remove_contact(a.id, a.contact_id) end)
end

--- The handler of `customers assay-discounts` or `panel-discounts`.
function M.discounts(kind)
  local id_key, list_key, ids_key = kind .. "_id", kind .. "_discounts", kind .. "_ids"
  return function(ctx, a)
    local action = a.discount_action
    if action == "delete" then
      return write(ctx, a, function(qb) return qb.customer["delete_" .. list_key](qb.customer, a.id, a[ids_key]) end)
    end
    local items = {}
    for i, item in ipairs(a.item) do
      items[i] = { [id_key] = item.id, base_price = item.base_price, discount = item.discount }
    end
    return write(ctx, a, function(qb) return qb.customer[action .. "_" .. list_key](qb.customer, a.id, items) end)
  end
end

--- The handler of a parsed `customers ...` command line.
function M.handler(a)
  local action = a.action
  if action == "contacts" then return a.contacts_action == "add" and M.contacts_add or M.contacts_remove end
  if action == "assay-discounts" then return M.discounts("assay") end
  if action == "panel-discounts" then return M.discounts("panel") end
  if action == "tag" then return tags.tag end
  if action == "import" then return require("qbench.cli.commands.customer_import").import end
  return M[action]
end

return M
