--- The v1 Customers endpoints: `qb.customer:get(1)` and friends.
-- `qb.customer` is a client's (@{qbench.Client}); `qbench.customer` is the module-level
-- client's, with the same methods. Every call returns its result, or nil and an error object
-- (@{qbench.error}) when the server or the network fails; a wrong argument raises, naming
-- it, and sends nothing (`bad argument #1 to 'get' (id must be a positive integer, got 0)`).
--
-- **Walking pages.** `list`, `pages` and `all` start at `page_num` (default 1) and use
-- `page_size` (1 to 50, default 50). They stop after `total_pages`, or at the first empty
-- page when the server gives none. Once the first page has told `total_pages`, the next
-- pages are fetched up to `concurrency` at a time (default 4, at most the client's
-- `max_concurrency`) while the loop body runs, and handed out strictly in page order; at
-- most `concurrency + 1` pages are in memory. A failing page is retried like any GET and
-- never skipped: `list` and `pages` raise its error object, `all` returns `nil, err`.
-- A `break` out of the loop, or an error, cancels the pages still under way.
--
-- **On the wire** the calls follow the headings of QBench's Customers document:
-- `add_contacts` sends contact ids as string keys, `remove_contact` is a POST to
-- `customer/contact/remove`, and discount deletes are DELETEs with repeated keys
-- (`?assay_ids=1&assay_ids=2`) and no body.
-- @classmod qbench.customer
-- @usage
-- local id = assert(qb.customer:create{customer_name = "ACME Labs", tags = {"Wholesale"}})
-- assert(qb.customer:update(id, {email = "lab@acme.example"}))
-- for c in qb.customer:list{page_size = 50} do
--   if c.email == qbench.null then print(c.id, c.customer_name .. " has no email") end
-- end

local core = require "qbench.core"
local args = require "qbench.args"
local Resource = require "qbench.resource"

local null, object = core.null, core.object

local M = {}
local methods = setmetatable({}, { __index = Resource.methods })
local mt = { __name = "qbench.Customer", __index = methods }

local CONTACT_FLAGS = { receive_email = true, receive_invoice_email = true, portal_user = true }

local DEFINITION = {
  name = "customer",
  list = { path = "customer" },
  item = {
    path_of = function(id) return "customer/" .. id end,
    id_of = function(v, n, fname, what) return args.id(v, n, fname, what or "id") end,
  },
  -- record_key nil: v1 answers a GET with the customer itself.
}

--- @local
function M.new(client)
  return Resource.new(client, DEFINITION, mt)
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
-- @function get
-- @tparam integer id the customer's id
-- @treturn table the customer, or nil and an error object
-- @usage
-- local c = assert(qb.customer:get(7))
-- print(c.customer_name, c.tags[1])

--- One page, as the API answers it: `{total_count =, total_pages =, data = {...}}`.
-- `total_pages` can be @{qbench.null}: some QBench resources do not say.
-- @function page
-- @tparam[opt] table opts `page_num` (default 1) and `page_size` (1 to 50, default 50)
-- @treturn table the page, or nil and an error object
-- @usage local p = assert(qb.customer:page{page_num = 2, page_size = 10})

--- Iterates over every page table, in order. Raises the error object on failure.
-- @function pages
-- @tparam[opt] table opts `page_num`, `page_size`, and `concurrency` (pages fetched at once;
-- 1 fetches one at a time)
-- @return an iterator for a generic `for`; a `break` fetches nothing more
-- @usage for page in qb.customer:pages{page_size = 50} do print(page.total_pages) end

--- Iterates over every customer of every page, in order. Raises the error object on failure.
-- @function list
-- @tparam[opt] table opts as for `pages`
-- @return an iterator for a generic `for`; a `break` fetches nothing more
-- @usage for c in qb.customer:list{page_size = 50} do print(c.id, c.customer_name) end

--- Every customer as one array, or nil, err.
-- @function all
-- @tparam[opt] table opts as for `pages`
-- @treturn {table,...} every customer, or nil and an error object
-- @usage
-- local customers, err = qb.customer:all{page_size = 50}
-- if not customers then error(tostring(err)) end
-- print(#customers .. " customers")

--- Many customers at once, in the order of `ids`.
-- Each entry is the customer table, or an error object (@{qbench.is_error}) for one that
-- could not be had (a 404, a network failure): one failure does not fail the call.
-- @function get_many
-- @tparam {integer,...} ids customer ids
-- @tparam[opt] table opts `concurrency` (requests at once)
-- @treturn table an array in the order of `ids`
-- @usage
-- for i, c in ipairs(qb.customer:get_many({3, 1, 2}, {concurrency = 3})) do
--   print(i, qbench.is_error(c) and tostring(c) or c.customer_name)
-- end

--- Creates a customer; returns its new id.
-- @function create
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
  local req = self.client:_prepare("POST", "customer", nil, body, "create", 1)
  local r, err = self.client:_perform(req)
  if r == nil then return nil, err end
  local id = type(r) == "table" and math.tointeger(r.id)
  if not id then return Resource.unexpected("no integer id", req, r) end
  return id
end

--- Updates fields of a customer; returns true.
-- A field set to @{qbench.null} is cleared; `customer_name` cannot be.
-- @function update
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
-- @function delete
-- @tparam integer id the customer's id
-- @treturn boolean true, or nil and an error object
-- @usage assert(qb.customer:delete(75))
function methods:delete(id)
  id = args.id(id, 1, "delete", "id")
  return done(self.client:_send("DELETE", "customer/" .. id, nil, nil, "delete"))
end

--- Links contacts to a customer, setting their flags.
-- `contacts` maps contact ids to flags:
-- `{[contact_id] = {receive_email = bool, receive_invoice_email = bool, portal_user = bool}}`.
-- @function add_contacts
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
-- @function remove_contact
-- @tparam integer id the customer's id
-- @tparam integer contact_id the contact's id
-- @treturn boolean true, or nil and an error object
-- @usage
-- assert(qb.customer:add_contacts(7, {[3] = {receive_email = true}}))
-- assert(qb.customer:remove_contact(7, 3))   -- contact 3 is no longer linked to customer 7
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
-- @usage
-- assert(qb.customer:create_assay_discounts(7, {{assay_id = 1, base_price = 100, discount = 20}}))
-- assert(qb.customer:update_assay_discounts(7, {{assay_id = 1, base_price = 100, discount = 25}}))

--- Deletes discounts on assays of a customer (DELETE with `?assay_ids=1&assay_ids=2`).
-- @function delete_assay_discounts
-- @tparam integer id the customer's id
-- @tparam {integer,...} assay_ids the assays
-- @treturn boolean true, or nil and an error object
-- @usage
-- assert(qb.customer:create_assay_discounts(7, {{assay_id = 1, base_price = 100, discount = 20},
--                                               {assay_id = 2, base_price = 30, discount = 10}}))
-- assert(qb.customer:delete_assay_discounts(7, {1, 2}))

--- Creates discounts on panels for a customer (POST).
-- @function create_panel_discounts
-- @tparam integer id the customer's id
-- @tparam {table,...} panel_discounts items `{panel_id =, base_price =, discount =}`
-- @treturn boolean true, or nil and an error object
-- @usage assert(qb.customer:create_panel_discounts(7, {{panel_id = 1, base_price = 50, discount = 15}}))

--- Changes discounts on panels of a customer (PATCH).
-- @function update_panel_discounts
-- @tparam integer id the customer's id
-- @tparam {table,...} panel_discounts items `{panel_id =, base_price =, discount =}`
-- @treturn boolean true, or nil and an error object
-- @usage
-- assert(qb.customer:create_panel_discounts(7, {{panel_id = 1, base_price = 50, discount = 15}}))
-- assert(qb.customer:update_panel_discounts(7, {{panel_id = 1, base_price = 50, discount = 10}}))

--- Deletes discounts on panels of a customer (DELETE with `?panel_ids=1`).
-- @function delete_panel_discounts
-- @tparam integer id the customer's id
-- @tparam {integer,...} panel_ids the panels
-- @treturn boolean true, or nil and an error object
-- @usage
-- assert(qb.customer:create_panel_discounts(7, {{panel_id = 1, base_price = 50, discount = 15}}))
-- assert(qb.customer:delete_panel_discounts(7, {1}))

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
        if not args.finite(v) then
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
    local req = self.client:_prepare("DELETE", string.format("customer/%d/%s", id, segment), { [ids_key] = ids }, nil, fname)
    -- After an attempt whose outcome is unknown, QBench's "has no discount" means it is gone.
    req.already_done = function(err)
      return err.status == 400 and type(err.message) == "string" and err.message:find("has no discount", 1, true) ~= nil
    end
    return done(self.client:_perform(req))
  end
end

discount_methods("assay")
discount_methods("panel")

M.methods = methods
return M
