--- What each `qbench` subcommand does, given its parsed arguments.
--
-- A write is first described as the request it makes (method, path, query,
-- body): `--dry-run` prints that description, otherwise the library call
-- named beside it sends the same request. spec/cli_spec.lua checks that the
-- two agree, request by request, against the sandbox.
-- @module qbench.cli.commands

local qbench = require "qbench"
local format = require "qbench.cli.format"
local parser = require "qbench.cli.parser"
local Progress = require "qbench.cli.progress"

local M = {}

local API_ROOT = "/qbench/api/v1/"

--- Raised (as a table) for a usage error found after parsing, e.g. two options that exclude each other.
M.usage_error_mt = { __name = "qbench.cli.UsageError" }
local function usage_error(fmt, ...)
  error(setmetatable({ message = string.format(fmt, ...) }, M.usage_error_mt), 0)
end

local function percent_encode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

-- The same query string the library sends: keys sorted, array values repeating their key.
local function query_string(query)
  if not query or next(query) == nil then return "" end
  local keys = {}
  for k in pairs(query) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do
    local v = query[k]
    for _, item in ipairs(type(v) == "table" and v or { v }) do
      parts[#parts + 1] = percent_encode(k) .. "=" .. percent_encode(tostring(item))
    end
  end
  return "?" .. table.concat(parts, "&")
end

local function print_plan(ctx, plan)
  local path = plan.path:sub(1, 1) == "/" and plan.path or API_ROOT .. plan.path
  ctx.out:write(plan.method, " ", path, query_string(plan.query), "\n")
  if plan.body ~= nil then
    ctx.out:write(type(plan.body) == "string" and plan.body or qbench.encode(plan.body), "\n")
  end
end

-- Runs a write: prints it under --dry-run, else sends it. `send(qb)` returns the
-- library call's results; `report(result)` prints what a successful call gives back.
local function write(ctx, a, plan, send, report)
  if a.dry_run then
    print_plan(ctx, plan)
    return 0
  end
  local result, err = send(ctx.client())
  if result == nil then return ctx.fail(err) end
  if report then report(result) end
  return 0
end

-- customers list ------------------------------------------------------------

-- The rest of the pages after the first, with --concurrency passed on when the
-- library accepts it; an older library refuses the option, and then pages come one by one.
local function rest_of_list(ctx, qb, opts, concurrency)
  if concurrency then
    local with = { page_num = opts.page_num, page_size = opts.page_size, concurrency = concurrency }
    local ok, iter = pcall(qb.customer.list, qb.customer, with)
    if ok then return iter end
    if not tostring(iter):find("unknown option", 1, true) then error(iter, 0) end
    if concurrency > 1 then
      ctx.note("--concurrency is not supported by this qbench library; fetching pages one at a time")
    end
  end
  return qb.customer:list(opts)
end

local function list(ctx, a)
  local qb = ctx.client()
  local progress = Progress.new { enabled = not a.no_progress and Progress.stderr_is_terminal() }
  local writer = format.writer(a.format, ctx.out)
  local page_size = a.page_size

  -- Made before the first page is fetched (an iterator fetches nothing until
  -- called), so a note about --concurrency comes before any progress line.
  local rest = rest_of_list(ctx, qb, { page_num = 2, page_size = page_size }, a.concurrency)
  local first, err = qb.customer:page { page_num = 1, page_size = page_size }
  if not first then return ctx.fail(err) end
  local total_pages = math.tointeger(first.total_pages)
  local items, pages_done = 0, 1
  local function emit(c)
    progress:clear()
    writer.row(c)
    items = items + 1
  end
  for _, c in ipairs(first.data) do emit(c) end
  progress:update({ pages_done = 1, total_pages = total_pages, items = items }, true)

  local more = #first.data > 0 and (total_pages == nil or total_pages > 1)
  if more then
    local from_list = 0
    local ok, failure = pcall(function()
      for c in rest do
        emit(c)
        from_list = from_list + 1
        if from_list % page_size == 0 then
          pages_done = 1 + from_list // page_size
          ctx.out:flush()
          progress:update { pages_done = pages_done, items = items }
        end
      end
    end)
    if not ok then
      progress:clear()
      if qbench.is_error(failure) then return ctx.fail(failure) end
      error(failure, 0)
    end
    pages_done = 1 + (from_list + page_size - 1) // page_size
  end
  progress:finish { pages_done = pages_done, total_pages = total_pages or pages_done, items = items }
  writer.finish()
  return 0
end

local function get(ctx, a)
  local c, err = ctx.client().customer:get(a.id)
  if not c then return ctx.fail(err) end
  if a.format == "json" then
    ctx.out:write(qbench.encode(c), "\n")
  else
    local writer = format.writer(a.format, ctx.out)
    writer.row(c)
    writer.finish()
  end
  return 0
end

-- create and update -----------------------------------------------------------

local function contacts_of(ids)
  local contacts = {}
  for i, id in ipairs(ids) do contacts[i] = { id = id } end
  return contacts
end

local function create(ctx, a)
  if not a.name:match("%S") then usage_error("--name must not be empty") end
  local fields = { customer_name = a.name }
  for _, f in ipairs(parser.STRING_FIELDS) do fields[f.field] = a[f.option] end
  if #a.tag > 0 then fields.tags = a.tag end
  if #a.contact > 0 then fields.contacts = contacts_of(a.contact) end
  return write(ctx, a, { method = "POST", path = "customer", body = fields },
    function(qb) return qb.customer:create(fields) end,
    function(id) ctx.out:write(string.format("%d\n", id)) end)
end

local function update(ctx, a)
  local fields = {}
  if a.name then
    if not a.name:match("%S") then usage_error("--name must not be empty") end
    fields.customer_name = a.name
  end
  for _, f in ipairs(parser.STRING_FIELDS) do
    local clear = a["clear_" .. f.option]
    if clear and a[f.option] then usage_error("--%s and --clear-%s exclude each other", f.option, f.option) end
    if clear then fields[f.field] = qbench.null else fields[f.field] = a[f.option] end
  end
  if a.clear_tags and #a.tag > 0 then usage_error("--tag and --clear-tags exclude each other") end
  if a.clear_tags then fields.tags = qbench.array {} elseif #a.tag > 0 then fields.tags = a.tag end
  if #a.contact > 0 then fields.contacts = contacts_of(a.contact) end
  if next(fields) == nil then usage_error("nothing to update: give at least one field option (see --help)") end
  return write(ctx, a, { method = "PUT", path = "customer/" .. a.id, body = fields },
    function(qb) return qb.customer:update(a.id, fields) end)
end

local function delete(ctx, a)
  return write(ctx, a, { method = "DELETE", path = "customer/" .. a.id },
    function(qb) return qb.customer:delete(a.id) end)
end

-- contacts ---------------------------------------------------------------------

local function contacts_add(ctx, a)
  local by_id, wire = {}, qbench.object {}
  for _, spec in ipairs(a.contact) do
    if by_id[spec.id] then usage_error("contact %d is given twice", spec.id) end
    by_id[spec.id] = spec.flags
    wire[string.format("%d", spec.id)] = spec.flags
  end
  return write(ctx, a, { method = "POST", path = "customer/contacts/add", body = { id = a.id, contacts = wire } },
    function(qb) return qb.customer:add_contacts(a.id, by_id) end)
end

local function contacts_remove(ctx, a)
  return write(ctx, a,
    { method = "POST", path = "customer/contact/remove", body = { id = a.id, contact_id = a.contact_id } },
    function(qb) return qb.customer:remove_contact(a.id, a.contact_id) end)
end

-- discounts ----------------------------------------------------------------------

local function discounts(kind)
  local id_key, list_key, ids_key = kind .. "_id", kind .. "_discounts", kind .. "_ids"
  local verbs = { create = "POST", update = "PATCH" }
  return function(ctx, a)
    local action = a.discount_action
    if action == "delete" then
      local ids = a[ids_key]
      return write(ctx, a, { method = "DELETE", path = string.format("customer/%d/%ss", a.id, kind), query = { [ids_key] = ids } },
        function(qb) return qb.customer["delete_" .. list_key](qb.customer, a.id, ids) end)
    end
    local items = {}
    for i, item in ipairs(a.item) do
      items[i] = { [id_key] = item.id, base_price = item.base_price, discount = item.discount }
    end
    return write(ctx, a, { method = verbs[action], path = string.format("customer/%d/%ss", a.id, kind), body = { [list_key] = items } },
      function(qb) return qb.customer[action .. "_" .. list_key](qb.customer, a.id, items) end)
  end
end

-- request ---------------------------------------------------------------------------

local function read_data(spec)
  if spec:sub(1, 1) ~= "@" then return spec end
  local name = spec:sub(2)
  local f, why
  if name == "-" then f = io.stdin else f, why = io.open(name, "rb") end
  if not f then usage_error("--data: cannot read %s", why) end
  local text = f:read("a")
  if f ~= io.stdin then f:close() end
  return text
end

local function request(ctx, a)
  local query
  if #a.query > 0 then
    query = {}
    for _, pair in ipairs(a.query) do
      local have = query[pair.key]
      if have == nil then
        query[pair.key] = pair.value
      elseif type(have) == "table" then
        have[#have + 1] = pair.value
      else
        query[pair.key] = { have, pair.value }
      end
    end
  end
  local body
  if a.data then
    body = read_data(a.data)
    local _, why = qbench.decode(body)
    if why then usage_error("--data is not JSON: %s", why) end
  end
  if a.dry_run then
    print_plan(ctx, { method = a.method, path = a.path, query = query, body = body })
    return 0
  end
  local answer, err = ctx.client():request(a.method, a.path, { query = query, body = body })
  if answer == nil then return ctx.fail(err) end
  ctx.out:write(qbench.encode(answer), "\n")
  return 0
end

--- The handler for parsed arguments `a`: a function(ctx, a) returning the exit status.
-- @tparam table a argparse's result
-- @treturn function
function M.handler(a)
  if a.command == "request" then return request end
  local action = a.action
  if action == "contacts" then
    return a.contacts_action == "add" and contacts_add or contacts_remove
  end
  if action == "assay-discounts" then return discounts("assay") end
  if action == "panel-discounts" then return discounts("panel") end
  return ({ list = list, get = get, create = create, update = update, delete = delete })[action]
end

return M
