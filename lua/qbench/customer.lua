--- The Customers endpoints: `qb.customer:get(1)` and friends.
-- Every call returns its result, or nil and an error object (`qbench.error`) when the server or
-- the network fails; a wrong argument raises, naming it, and sends nothing.
-- @classmod qbench.customer

local core = require "qbench.core"
local args = require "qbench.args"
local qerror = require "qbench.error"
local Batch = require "qbench.batch"

local null, object = core.null, core.object

local M = {}
local methods = {}
local mt = { __name = "qbench.Customer", __index = methods }

local MAX_PAGE_SIZE = 50
local CONTACT_FLAGS = { receive_email = true, receive_invoice_email = true, portal_user = true }

--- @local
function M.new(client)
  return setmetatable({ client = client }, mt)
end

local function unexpected(what, method, path, got)
  return nil, qerror.new {
    kind = "decode", method = method, path = "/qbench/api/v1/" .. path, body = got,
    message = "unexpected answer: " .. what,
  }
end

-- For calls whose answer is {"message": "OK"}: success is the 2xx status.
local function done(decoded, err)
  if decoded == nil then return nil, err end
  return true
end

local function check_contacts(contacts, n, fname)
  if contacts == nil or contacts == null then return contacts end
  local len = args.array(contacts, n, fname, "contacts")
  local copy = {}
  for i = 1, len do
    local c = args.table(contacts[i], n, fname, string.format("contacts[%d]", i))
    local item = {}
    for k, v in pairs(c) do item[k] = v end
    item.id = args.id(c.id, n, fname, string.format("contacts[%d].id", i))
    copy[i] = item
  end
  return copy
end

-- A shallow copy of the fields, with contacts checked and their ids made integers.
local function customer_body(fields, n, fname)
  local body = {}
  for k, v in pairs(fields) do
    if type(k) ~= "string" then args.error(n, fname, "field names must be strings, got " .. args.describe(k)) end
    body[k] = v
  end
  body.contacts = check_contacts(fields.contacts, n, fname)
  return body
end

--- One customer by id.
-- @tparam integer id the customer's id
-- @treturn table the customer, or nil and an error object
-- @usage local c, err = qb.customer:get(7)
function methods:get(id)
  id = args.id(id, 1, "get", "id")
  local path = "customer/" .. id
  local c, err = self.client:_send("GET", path, nil, nil, "get")
  if c == nil then return nil, err end
  if type(c) ~= "table" then return unexpected("customer is not an object", "GET", path, c) end
  return c
end

local DEFAULT_CONCURRENCY = 4

-- A concurrency option: 1..the client's max_concurrency.
local function concurrency_option(self, v, n, fname)
  local max = self.client.max_concurrency
  return args.int_range(v, 1, max, math.min(DEFAULT_CONCURRENCY, max), n, fname,
    "concurrency (at most the client's max_concurrency)")
end

local function page_options(self, opts, fname, walking)
  opts = args.opt_table(opts, 1, fname, "options")
  for k in pairs(opts) do
    if k ~= "page_num" and k ~= "page_size" and not (walking and k == "concurrency") then
      args.error(1, fname, "unknown option " .. args.describe(k))
    end
  end
  return args.int_range(opts.page_num, 1, nil, 1, 1, fname, "page_num"),
         args.int_range(opts.page_size, 1, MAX_PAGE_SIZE, MAX_PAGE_SIZE, 1, fname, "page_size"),
         walking and concurrency_option(self, opts.concurrency, 1, fname)
end

local function check_page(p)
  if type(p) ~= "table" or type(p.data) ~= "table" then return nil, "page without a data array" end
  return p
end

local function fetch_page(self, page_num, page_size, fname)
  local p, err = self.client:_send("GET", "customer", { page_num = page_num, page_size = page_size }, nil, fname)
  if p == nil then return nil, err end
  local ok, why = check_page(p)
  if not ok then return unexpected(why, "GET", "customer", p) end
  return p
end

--- One page: {total_count =, total_pages =, data = {...}}.
-- @tparam[opt] table opts `page_num` (default 1) and `page_size` (1 to 50, default 50)
-- @treturn table the page, or nil and an error object
function methods:page(opts)
  local page_num, page_size = page_options(self, opts, "page", false)
  return fetch_page(self, page_num, page_size, "page")
end

-- A walk over pages: next() -> page | nil (the end) | nil, err; close() cancels.
-- The first page comes alone and tells total_pages; the rest are fetched up
-- to `concurrency` at a time and handed out strictly in page order. Pages
-- under way plus pages waiting their turn never exceed `concurrency`, so
-- memory holds at most concurrency + 1 pages. Without total_pages (it can be
-- null) the walk goes one page at a time until an empty data array; the
-- total_count alone is never trusted.
local function page_walk(self, opts, fname)
  local page_num, page_size, concurrency = page_options(self, opts, fname, true)
  local client = self.client
  client:_check_open()
  local walk = { finished = false }
  local total, batch
  local next_submit, ready = nil, {}

  local function finish()
    walk.finished = true
    if batch then batch:close() end
  end

  local function submit(n)
    batch:submit(n, client:_prepare("GET", "customer", { page_num = n, page_size = page_size }))
  end

  local function next_sequential()
    local p, err = fetch_page(self, page_num, page_size, fname)
    if p == nil then return nil, err end
    if total == nil then total = math.tointeger(p.total_pages) end
    return p
  end

  -- Keeps the `concurrency` pages after `from` under way or waiting.
  local function fill(from)
    while next_submit <= total and next_submit - from < concurrency do
      submit(next_submit)
      next_submit = next_submit + 1
    end
  end

  -- Pages and failures are both handed out in page order.
  local function next_parallel()
    fill(page_num)
    while ready[page_num] == nil do
      local n, outcome, p = batch:next()
      if outcome == "done" then
        local ok, why = check_page(p)
        if not ok then p = select(2, unexpected(why, "GET", "customer", p)) end
      end
      ready[n] = p
    end
    local p = ready[page_num]
    ready[page_num] = nil
    if qerror.is(p) then return nil, p end
    fill(page_num + 1)
    return p
  end

  function walk.next()
    if walk.finished then return nil end
    local p, err
    if batch then p, err = next_parallel() else p, err = next_sequential() end
    if p == nil then
      finish()
      return nil, err
    end
    local last = total and page_num >= total
    if #p.data == 0 or last then finish() end
    if #p.data == 0 then return nil end
    page_num = page_num + 1
    if not walk.finished and total and concurrency > 1 and not batch then
      batch = Batch.new(client)
      next_submit = page_num
      fill(page_num) -- the next pages load while the caller handles this one
    end
    return p
  end

  walk.close = finish
  return walk
end

-- The closing value of a generic for: a break or an error stops the walk.
local function closer(walk)
  return setmetatable({}, { __close = function() walk.close() end })
end

--- Iterates over every page table, in order. Raises the error object on failure.
-- opts: page_num, page_size, concurrency.
-- @tparam[opt] table opts `page_num`, `page_size`, and `concurrency` (pages fetched at once)
-- @return an iterator for a generic `for`; a `break` fetches nothing more
-- @usage for page in qb.customer:pages{page_size = 50} do print(page.total_pages) end
function methods:pages(opts)
  local walk = page_walk(self, opts, "pages")
  return function()
    local p, err = walk.next()
    if err then error(err, 0) end
    return p
  end, nil, nil, closer(walk)
end

--- Iterates over every customer of every page, in order. Raises the error object on failure.
-- opts: page_num, page_size, concurrency.
-- @tparam[opt] table opts as for `pages`
-- @return an iterator for a generic `for`; a `break` fetches nothing more
-- @usage for c in qb.customer:list{page_size = 50} do print(c.id, c.customer_name) end
function methods:list(opts)
  local walk = page_walk(self, opts, "list")
  local data, i = nil, 0
  return function()
    while true do
      if data and i < #data then
        i = i + 1
        return data[i]
      end
      local p, err = walk.next()
      if err then error(err, 0) end
      if p == nil then return nil end
      data, i = p.data, 0
    end
  end, nil, nil, closer(walk)
end

--- Every customer as one array, or nil, err.
-- @tparam[opt] table opts as for `pages`
-- @treturn {table,...} every customer, or nil and an error object
function methods:all(opts)
  local walk = page_walk(self, opts, "all")
  local _ <close> = closer(walk)
  local out = {}
  while true do
    local p, err = walk.next()
    if err then return nil, err end
    if p == nil then return out end
    table.move(p.data, 1, #p.data, #out + 1, out)
  end
end

--- Many customers at once, in the order of `ids`: each entry is the customer
-- table, or an error object (qbench.is_error) for one that could not be had.
-- @tparam {integer,...} ids customer ids
-- @tparam[opt] table opts `concurrency` (requests at once)
-- @treturn table an array in the order of `ids`
function methods:get_many(ids, opts)
  ids = args.id_list(ids, 1, "get_many", "ids")
  opts = args.opt_table(opts, 2, "get_many", "options")
  for k in pairs(opts) do
    if k ~= "concurrency" then args.error(2, "get_many", "unknown option " .. args.describe(k)) end
  end
  local concurrency = concurrency_option(self, opts.concurrency, 2, "get_many")
  local client = self.client
  client:_check_open()
  local batch <close> = Batch.new(client)
  local out, submitted, received = {}, 0, 0
  while received < #ids do
    while submitted < #ids and submitted - received < concurrency do
      submitted = submitted + 1
      batch:submit(submitted, client:_prepare("GET", "customer/" .. ids[submitted]))
    end
    local i, outcome, c = batch:next()
    if outcome == "done" and type(c) ~= "table" then
      c = select(2, unexpected("customer is not an object", "GET", "customer/" .. ids[i], c))
    end
    out[i] = c
    received = received + 1
  end
  return out
end

--- Creates a customer; returns its new id.
-- @tparam table fields `customer_name` (required), `tags`, `contacts` (an array of `{id = ...}`),
-- `phone`, `email`, ... as in QBench's API
-- @treturn integer the new id, or nil and an error object
-- @usage local id = assert(qb.customer:create{customer_name = "ACME", tags = {"x"}, contacts = {{id = 1}}})
function methods:create(fields)
  args.table(fields, 1, "create", "fields")
  local name = fields.customer_name
  if type(name) ~= "string" or name == "" then
    args.error(1, "create", "customer_name must be a non-empty string, got " .. args.describe(name))
  end
  local body = customer_body(fields, 1, "create")
  local r, err = self.client:_send("POST", "customer", nil, body, "create", 1)
  if r == nil then return nil, err end
  local id = type(r) == "table" and math.tointeger(r.id)
  if not id then return unexpected("no integer id", "POST", "customer", r) end
  return id
end

--- Updates fields of a customer (qbench.null clears one); returns true.
-- @tparam integer id the customer's id
-- @tparam table fields the fields to change; `tags` and `contacts` replace the whole list
-- @treturn boolean true, or nil and an error object
-- @usage assert(qb.customer:update(7, {phone = "(000) 000-0000", fax = qbench.null}))
function methods:update(id, fields)
  id = args.id(id, 1, "update", "id")
  args.table(fields, 2, "update", "fields")
  if next(fields) == nil then args.error(2, "update", "fields must not be empty") end
  local name = fields.customer_name
  if name ~= nil and (type(name) ~= "string" or name == "") then
    args.error(2, "update", "customer_name must be a non-empty string when given, got " .. args.describe(name))
  end
  local body = customer_body(fields, 2, "update")
  return done(self.client:_send("PUT", "customer/" .. id, nil, body, "update", 2))
end

--- Deletes a customer.
-- @tparam integer id the customer's id
-- @treturn boolean true, or nil and an error object
function methods:delete(id)
  id = args.id(id, 1, "delete", "id")
  return done(self.client:_send("DELETE", "customer/" .. id, nil, nil, "delete"))
end

--- Links contacts to a customer, setting their flags.
-- contacts: { [contact_id] = {receive_email = bool, receive_invoice_email = bool, portal_user = bool} }
-- @tparam integer id the customer's id
-- @tparam table contacts flags by contact id
-- @treturn boolean true, or nil and an error object
-- @usage assert(qb.customer:add_contacts(7, {[3] = {receive_email = true, portal_user = false}}))
function methods:add_contacts(id, contacts)
  id = args.id(id, 1, "add_contacts", "id")
  args.table(contacts, 2, "add_contacts", "contacts")
  if next(contacts) == nil then args.error(2, "add_contacts", "contacts must not be empty") end
  local wire = object {}
  for cid, flags in pairs(contacts) do
    cid = args.id(cid, 2, "add_contacts", "contact id key")
    args.table(flags, 2, "add_contacts", string.format("contacts[%d]", cid))
    local copy = {}
    for name, v in pairs(flags) do
      if not CONTACT_FLAGS[name] then
        args.error(2, "add_contacts", string.format("contacts[%d]: unknown flag %s (receive_email, receive_invoice_email, portal_user)", cid, args.describe(name)))
      end
      if type(v) ~= "boolean" then
        args.error(2, "add_contacts", string.format("contacts[%d].%s must be a boolean, got %s", cid, name, args.describe(v)))
      end
      copy[name] = v
    end
    wire[string.format("%d", cid)] = object(copy) -- the API keys contacts by id, as strings
  end
  return done(self.client:_send("POST", "customer/contacts/add", nil, { id = id, contacts = wire }, "add_contacts", 2))
end

--- Unlinks a contact from a customer.
-- @tparam integer id the customer's id
-- @tparam integer contact_id the contact's id
-- @treturn boolean true, or nil and an error object
function methods:remove_contact(id, contact_id)
  id = args.id(id, 1, "remove_contact", "id")
  contact_id = args.id(contact_id, 2, "remove_contact", "contact_id")
  return done(self.client:_send("POST", "customer/contact/remove", nil, { id = id, contact_id = contact_id }, "remove_contact", 2))
end

-- The assay and panel discount calls differ only in their names.

--- Creates discounts on assays for a customer (POST).
-- @function create_assay_discounts
-- @tparam integer id the customer's id
-- @tparam {table,...} assay_discounts items `{assay_id =, base_price =, discount =}`
-- @treturn boolean true, or nil and an error object
-- @usage assert(qb.customer:create_assay_discounts(7, {{assay_id = 1, base_price = 100, discount = 20}}))

--- Changes discounts on assays of a customer (PATCH).
-- @function update_assay_discounts
-- @tparam integer id the customer's id
-- @tparam {table,...} assay_discounts items `{assay_id =, base_price =, discount =}`
-- @treturn boolean true, or nil and an error object

--- Deletes discounts on assays of a customer (DELETE with `?assay_ids=1&assay_ids=2`).
-- @function delete_assay_discounts
-- @tparam integer id the customer's id
-- @tparam {integer,...} assay_ids the assays
-- @treturn boolean true, or nil and an error object

--- Creates discounts on panels for a customer (POST).
-- @function create_panel_discounts
-- @tparam integer id the customer's id
-- @tparam {table,...} panel_discounts items `{panel_id =, base_price =, discount =}`
-- @treturn boolean true, or nil and an error object

--- Changes discounts on panels of a customer (PATCH).
-- @function update_panel_discounts
-- @tparam integer id the customer's id
-- @tparam {table,...} panel_discounts items `{panel_id =, base_price =, discount =}`
-- @treturn boolean true, or nil and an error object

--- Deletes discounts on panels of a customer (DELETE with `?panel_ids=1`).
-- @function delete_panel_discounts
-- @tparam integer id the customer's id
-- @tparam {integer,...} panel_ids the panels
-- @treturn boolean true, or nil and an error object

local function discount_methods(kind)
  local segment, list_key, id_key, ids_key = kind .. "s", kind .. "_discounts", kind .. "_id", kind .. "_ids"

  local function items(list, fname)
    local len = args.array(list, 2, fname, list_key)
    local copy = {}
    for i = 1, len do
      local item = args.table(list[i], 2, fname, string.format("%s[%d]", list_key, i))
      local c = {}
      for k, v in pairs(item) do c[k] = v end
      c[id_key] = args.id(item[id_key], 2, fname, string.format("%s[%d].%s", list_key, i, id_key))
      for _, field in ipairs { "base_price", "discount" } do
        local v = item[field]
        if type(v) ~= "number" or v ~= v or v == math.huge or v == -math.huge then
          args.error(2, fname, string.format("%s[%d].%s must be a finite number, got %s", list_key, i, field, args.describe(v)))
        end
      end
      copy[i] = c
    end
    return { [list_key] = copy }
  end

  local function writer(verb, fname)
    return function(self, id, list)
      id = args.id(id, 1, fname, "id")
      local body = items(list, fname)
      return done(self.client:_send(verb, string.format("customer/%d/%s", id, segment), nil, body, fname, 2))
    end
  end

  methods["create_" .. list_key] = writer("POST", "create_" .. list_key)
  methods["update_" .. list_key] = writer("PATCH", "update_" .. list_key)
  methods["delete_" .. list_key] = function(self, id, ids)
    local fname = "delete_" .. list_key
    id = args.id(id, 1, fname, "id")
    ids = args.id_list(ids, 2, fname, ids_key)
    return done(self.client:_send("DELETE", string.format("customer/%d/%s", id, segment), { [ids_key] = ids }, nil, fname))
  end
end

discount_methods("assay")
discount_methods("panel")

M.methods = methods
return M
