--- The Customers endpoints: `qb.customer:get(1)` and friends.
-- @classmod qbench.customer

local core = require "qbench.core"
local args = require "qbench.args"
local qerror = require "qbench.error"

local null, object = core.null, core.object

local M = {}
local methods = {}
local mt = { __name = "qbench.Customer", __index = methods }

local MAX_PAGE_SIZE = 50
local CONTACT_FLAGS = { receive_email = true, receive_invoice_email = true, portal_user = true }

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
function methods:get(id)
  id = args.id(id, 1, "get", "id")
  local path = "customer/" .. id
  local c, err = self.client:_send("GET", path, nil, nil, "get")
  if c == nil then return nil, err end
  if type(c) ~= "table" then return unexpected("customer is not an object", "GET", path, c) end
  return c
end

local function page_options(opts, fname)
  opts = args.opt_table(opts, 1, fname, "options")
  for k in pairs(opts) do
    if k ~= "page_num" and k ~= "page_size" then args.error(1, fname, "unknown option " .. args.describe(k)) end
  end
  return args.int_range(opts.page_num, 1, nil, 1, 1, fname, "page_num"),
         args.int_range(opts.page_size, 1, MAX_PAGE_SIZE, MAX_PAGE_SIZE, 1, fname, "page_size")
end

local function fetch_page(self, page_num, page_size, fname)
  local p, err = self.client:_send("GET", "customer", { page_num = page_num, page_size = page_size }, nil, fname)
  if p == nil then return nil, err end
  if type(p) ~= "table" or type(p.data) ~= "table" then
    return unexpected("page without a data array", "GET", "customer", p)
  end
  return p
end

--- One page: {total_count =, total_pages =, data = {...}}.
function methods:page(opts)
  local page_num, page_size = page_options(opts, "page")
  return fetch_page(self, page_num, page_size, "page")
end

-- Walks pages from page_num on. Stops after total_pages, or on an empty data
-- array when total_pages is missing (total_count alone is not trusted: it can be null).
local function page_walker(self, opts, fname)
  local page_num, page_size = page_options(opts, fname)
  local finished = false
  return function()
    if finished then return nil end
    local p, err = fetch_page(self, page_num, page_size, fname)
    if p == nil then
      finished = true
      return nil, err
    end
    local total = math.tointeger(p.total_pages)
    if #p.data == 0 or (total and page_num >= total) then finished = true end
    if #p.data == 0 then return nil end
    page_num = page_num + 1
    return p
  end
end

--- Iterates over every page table, in order. Raises the error object on failure.
function methods:pages(opts)
  local next_page = page_walker(self, opts, "pages")
  return function()
    local p, err = next_page()
    if err then error(err, 0) end
    return p
  end
end

--- Iterates over every customer of every page, in order. Raises the error object on failure.
function methods:list(opts)
  local next_page = page_walker(self, opts, "list")
  local data, i = nil, 0
  return function()
    while true do
      if data and i < #data then
        i = i + 1
        return data[i]
      end
      local p, err = next_page()
      if err then error(err, 0) end
      if p == nil then return nil end
      data, i = p.data, 0
    end
  end
end

--- Every customer as one array, or nil, err.
function methods:all(opts)
  local next_page = page_walker(self, opts, "all")
  local out = {}
  while true do
    local p, err = next_page()
    if err then return nil, err end
    if p == nil then return out end
    table.move(p.data, 1, #p.data, #out + 1, out)
  end
end

--- Creates a customer; returns its new id.
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

function methods:delete(id)
  id = args.id(id, 1, "delete", "id")
  return done(self.client:_send("DELETE", "customer/" .. id, nil, nil, "delete"))
end

--- contacts: { [contact_id] = {receive_email = bool, receive_invoice_email = bool, portal_user = bool} }
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

function methods:remove_contact(id, contact_id)
  id = args.id(id, 1, "remove_contact", "id")
  contact_id = args.id(contact_id, 2, "remove_contact", "contact_id")
  return done(self.client:_send("POST", "customer/contact/remove", nil, { id = id, contact_id = contact_id }, "remove_contact", 2))
end

-- The assay and panel discount calls differ only in their names.
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
