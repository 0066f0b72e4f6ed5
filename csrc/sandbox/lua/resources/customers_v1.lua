-- The 13 v1 Customers endpoints (QBench's Customers document) over the v1
-- store: their routes, and each one's own checks and answers.
local json = require "sandbox.json"
local jsontype = require "sandbox.jsontype"
local errors = require "sandbox.errors"
local query = require "sandbox.query"
local Store = require "sandbox.store"

local null = json.null
local encode = json.encode
local API = "/qbench/api/v1/"

local M = {}

local store          -- Store, replaced by every reset
-- How list answers give total_pages: "number" (the documented way), or
-- "null" / "missing" as some QBench resources do, for clients' fallbacks.
local total_pages_mode = "number"

function M.reset(customers, seed, total_pages)
  store = Store.new(customers, seed)
  total_pages_mode = total_pages or "number"
end

local function message(status, text, headers)
  return status, errors.v1(text), headers
end

local OK = encode { message = "OK" }

local is_int, is_num = jsontype.is_integer, jsontype.is_number
local is_array, is_object = jsontype.is_array, jsontype.is_object

-- ---------------------------------------------------------------- checks

-- What a create or update body may hold: the fields of the Customers
-- document and those real records carry with a known type (the API notes),
-- each stored and shown as sent (null clears it). Every other field is
-- refused, never dropped: an export imported back must lose nothing.
local FIELD_TYPES = {
  address = "string", phone = "string", fax = "string", comments = "string", email = "string",
  account_number = "string", license_number = "string", billing_contact_name = "string",
  billing_email = "string", initial_quickbooks_details = "string",
  payment_term_days = "integer", company_discount = "number",
}
local TYPE_CHECKS = { string = jsontype.is_string, integer = is_int, number = is_num }
local TYPE_NAMES = { string = "a string", integer = "an integer", number = "a number" }
-- Fields of a customer a body cannot set, and why.
local NOT_WRITABLE = {
  id = "is set by QBench", date_created = "is set by QBench", last_updated = "is set by QBench",
  deleted = "is set by QBench (DELETE the customer)",
  assay_customer_discounts = "changes through customer/{id}/assays",
  panel_customer_discounts = "changes through customer/{id}/panels",
  lab = "cannot be written through v1", divisions = "cannot be written through v1",
}
local BODY_FIELDS = { customer_name = true, tags = true, contacts = true }

local sorted_keys = jsontype.sorted_keys

-- Reads the fields of a customer body into `out`; returns nil or the error text.
local function check_customer_fields(body, out, creating)
  for _, k in ipairs(sorted_keys(body)) do
    if NOT_WRITABLE[k] then return k .. " " .. NOT_WRITABLE[k] end
    if not FIELD_TYPES[k] and not BODY_FIELDS[k] then return "unknown customer field '" .. k .. "'" end
  end
  local name = body.customer_name
  if name == nil then
    if creating then return "customer_name is required" end
  elseif type(name) ~= "string" or not name:match("%S") then
    return "customer_name must be a non-empty string"
  else
    out.customer_name = name
  end
  for _, k in ipairs(sorted_keys(FIELD_TYPES)) do
    local v, kind = body[k], FIELD_TYPES[k]
    if v ~= nil then
      if v ~= null and not TYPE_CHECKS[kind](v) then return k .. " must be " .. TYPE_NAMES[kind] .. " or null" end
      out[k] = v
    end
  end
  local tags = body.tags
  if tags ~= nil then
    if tags == null then tags = {} end
    if not is_array(tags) then return "tags must be an array of strings" end
    for i, t in ipairs(tags) do
      if type(t) ~= "string" then return string.format("tags[%d] must be a string", i) end
    end
    out.tags = tags
  end
  return nil
end

-- contacts: [{id = <existing contact>, first_name = ..., ...}]; the other
-- fields of the document's contact are strings (null clears them).
local CONTACT_STRINGS = { first_name = true, last_name = true, email_address = true }

local function check_contacts_list(contacts)
  if not is_array(contacts) then return nil, "contacts must be an array of contact objects" end
  for i, ct in ipairs(contacts) do
    if not is_object(ct) then return nil, string.format("contacts[%d] must be an object", i) end
    if ct.id == nil then return nil, string.format("contacts[%d].id is required", i) end
    if not is_int(ct.id) then return nil, string.format("contacts[%d].id must be an integer", i) end
    if not store.contacts[ct.id] then
      return nil, string.format("contacts[%d].id: contact %d does not exist", i, ct.id)
    end
    for _, k in ipairs(sorted_keys(ct)) do
      local v = ct[k]
      if k ~= "id" and not CONTACT_STRINGS[k] then
        return nil, string.format("contacts[%d].%s is not a contact field (id, first_name, last_name, email_address)", i, k)
      end
      if CONTACT_STRINGS[k] and v ~= null and type(v) ~= "string" then
        return nil, string.format("contacts[%d].%s must be a string or null", i, k)
      end
    end
  end
  return contacts
end

-- Applies contact field updates and replaces the customer's contact links,
-- keeping the flags of contacts that stay linked.
local function apply_contacts(c, contacts)
  local old = {}
  for _, link in ipairs(c.contacts) do old[link.contact_id] = link end
  local links, seen = {}, {}
  for _, ct in ipairs(contacts) do
    local target = store.contacts[ct.id]
    for k, v in pairs(ct) do
      if k ~= "id" then target[k] = v end
    end
    if not seen[ct.id] then
      seen[ct.id] = true
      links[#links + 1] = old[ct.id] or { contact_id = ct.id, receive_email = false,
        receive_invoice_email = false, portal_user = false }
    end
  end
  c.contacts = links
end

local function apply_fields(c, fields)
  for k, v in pairs(fields) do c[k] = v end
end

-- The fields and contacts of a create or update body, checked: fields, contacts | nil, error text.
local function customer_changes(body, creating)
  local fields = {}
  local err = check_customer_fields(body, fields, creating)
  if err then return nil, err end
  local contacts
  if body.contacts ~= nil then
    contacts, err = check_contacts_list(body.contacts)
    if err then return nil, err end
  end
  return fields, contacts
end

-- Checks {"id": <customer>} and returns the customer or an error answer.
local function body_customer(body)
  if body.id == nil then return nil, message(400, "id is required") end
  if not is_int(body.id) then return nil, message(400, "id must be an integer") end
  local c = store:get(body.id)
  if not c then return nil, message(404, "customer " .. body.id .. " not found") end
  return c
end

-- ---------------------------------------------------------------- handlers

local function get_customer(req)
  local id = req.params.id
  local s = store:encoded(id)
  if not s then return message(404, "customer " .. id .. " not found") end
  return 200, s
end

local function list_customers(req)
  local page_num, page_size = 1, 50
  local v = query.values(req.query, "page_num")[1]
  if v ~= nil then
    page_num = v:match("^%d+$") and math.tointeger(tonumber(v))
    if not page_num or page_num < 1 then
      return message(400, "page_num must be an integer >= 1")
    end
  end
  v = query.values(req.query, "page_size")[1]
  if v ~= nil then
    page_size = v:match("^%d+$") and math.tointeger(tonumber(v))
    if not page_size or page_size < 1 or page_size > 50 then
      return message(400, "page_size must be an integer from 1 to 50")
    end
  end
  local total = store:count()
  local parts = {}
  for i, id in ipairs(store:page(page_num, page_size)) do parts[i] = store:encoded(id) end
  local pages = total_pages_mode == "number" and tostring((total + page_size - 1) // page_size) or "null"
  if total_pages_mode == "missing" then
    return 200, string.format('{"total_count":%d,"data":[%s]}', total, table.concat(parts, ","))
  end
  return 200, string.format('{"total_count":%d,"total_pages":%s,"data":[%s]}', total, pages, table.concat(parts, ","))
end

local function create_customer(req)
  local fields, contacts = customer_changes(req.json, true)
  if not fields then return message(400, contacts) end
  local c = store:create(fields)
  apply_fields(c, fields)
  if contacts then apply_contacts(c, contacts) end
  store:touch()
  return 200, encode { id = c.id }
end

local function update_customer(req)
  local id = req.params.id
  local c = store:get(id)
  if not c then return message(404, "customer " .. id .. " not found") end
  local fields, contacts = customer_changes(req.json, false)
  if not fields then return message(400, contacts) end
  apply_fields(c, fields)
  if contacts then apply_contacts(c, contacts) end
  store:touch(c)
  return 200, OK
end

local function delete_customer(req)
  local id = req.params.id
  if not store:get(id) then return message(404, "customer " .. id .. " not found") end
  store:delete(id)
  return 200, OK
end

local CONTACT_FLAGS = { receive_email = true, receive_invoice_email = true, portal_user = true }

local function add_contacts(req)
  local body = req.json
  local c, s, b = body_customer(body)
  if not c then return s, b end
  local contacts = body.contacts
  if contacts == nil then return message(400, "contacts is required") end
  if not is_object(contacts) or next(contacts) == nil then
    return message(400, "contacts must be a non-empty object keyed by contact id")
  end
  local ids = {}
  for key, flags in pairs(contacts) do
    local cid = type(key) == "string" and key:match("^%d+$") and math.tointeger(tonumber(key))
    if not cid then
      return message(400, "contacts must be an object keyed by contact id (got key "
        .. tostring(key) .. ")")
    end
    if not store.contacts[cid] then
      return message(400, string.format("contacts.%s: contact %d does not exist", key, cid))
    end
    if not is_object(flags) then
      return message(400, string.format("contacts.%s must be an object of flags", key))
    end
    for name, v in pairs(flags) do
      if not CONTACT_FLAGS[name] then
        return message(400, string.format(
          "contacts.%s.%s is not a contact flag (receive_email, receive_invoice_email, portal_user)",
          key, tostring(name)))
      end
      if type(v) ~= "boolean" then
        return message(400, string.format("contacts.%s.%s must be a boolean", key, name))
      end
    end
    ids[#ids + 1] = { cid = cid, flags = flags }
  end
  table.sort(ids, function(x, y) return x.cid < y.cid end)
  for _, e in ipairs(ids) do
    local cid, flags = e.cid, e.flags
    local link
    for _, l in ipairs(c.contacts) do
      if l.contact_id == cid then link = l end
    end
    if not link then
      link = { contact_id = cid, receive_email = false, receive_invoice_email = false,
        portal_user = false }
      c.contacts[#c.contacts + 1] = link
    end
    for name, v in pairs(flags) do link[name] = v end
  end
  store:touch(c)
  return 200, OK
end

local function remove_contact(req)
  local body = req.json
  local c, s, b = body_customer(body)
  if not c then return s, b end
  local cid = body.contact_id
  if cid == nil then return message(400, "contact_id is required") end
  if not is_int(cid) then return message(400, "contact_id must be an integer") end
  for i, link in ipairs(c.contacts) do
    if link.contact_id == cid then
      table.remove(c.contacts, i)
      store:touch(c)
      return 200, OK
    end
  end
  return message(400, string.format("contact_id: contact %d is not a contact of customer %d", cid, c.id))
end

-- Assay and panel discounts share one implementation.
local KINDS = {
  assays = { list = "assay_discounts", key = "assay_id", ids = "assay_ids", field = "assays",
    noun = "assay", catalog = "assays" },
  panels = { list = "panel_discounts", key = "panel_id", ids = "panel_ids", field = "panels",
    noun = "panel", catalog = "panels" },
}

local function find_discount(items, item_id)
  for i, d in ipairs(items) do
    if d.item_id == item_id then return d, i end
  end
end

local function delete_discounts(k, c, id, raw_query)
  local items = c[k.field]
  local raw = query.values(raw_query, k.ids)
  if #raw == 0 then return message(400, k.ids .. " is required") end
  local del = {}
  for i, v in ipairs(raw) do
    local n = v:match("^%d+$") and math.tointeger(tonumber(v))
    if not n then return message(400, string.format("%s[%d] must be an integer", k.ids, i)) end
    if not find_discount(items, n) then
      return message(400, string.format("%s: customer %d has no discount for %s %d",
        k.ids, id, k.noun, n))
    end
    del[n] = true
  end
  local keep = {}
  for _, d in ipairs(items) do
    if not del[d.item_id] then keep[#keep + 1] = d end
  end
  c[k.field] = keep
  store:touch(c)
  return 200, OK
end

local function write_discounts(k, c, id, method, body)
  local items = c[k.field]
  local list = body[k.list]
  if list == nil then return message(400, k.list .. " is required") end
  if not is_array(list) or #list == 0 then
    return message(400, k.list .. " must be a non-empty array")
  end
  local seen = {}
  for i, d in ipairs(list) do
    local where = string.format("%s[%d]", k.list, i)
    if not is_object(d) then return message(400, where .. " must be an object") end
    local item_id = d[k.key]
    if item_id == nil then return message(400, where .. "." .. k.key .. " is required") end
    if not is_int(item_id) then return message(400, where .. "." .. k.key .. " must be an integer") end
    if not store[k.catalog][item_id] then
      return message(400, string.format("%s.%s: %s %d does not exist", where, k.key, k.noun, item_id))
    end
    if seen[item_id] then
      return message(400, string.format("%s.%s: %s %d appears twice", where, k.key, k.noun, item_id))
    end
    seen[item_id] = true
    local exists = find_discount(items, item_id) ~= nil
    if method == "POST" and exists then
      return message(400, string.format("%s.%s: customer %d already has a discount for %s %d (use PATCH)",
        where, k.key, id, k.noun, item_id))
    elseif method == "PATCH" and not exists then
      return message(400, string.format("%s.%s: customer %d has no discount for %s %d (use POST)",
        where, k.key, id, k.noun, item_id))
    end
    for _, f in ipairs { "base_price", "discount" } do
      local v = d[f]
      if v == nil and method == "POST" then return message(400, where .. "." .. f .. " is required") end
      if v ~= nil and not is_num(v) then return message(400, where .. "." .. f .. " must be a number") end
    end
  end
  for _, d in ipairs(list) do
    local item_id = d[k.key]
    local cur = find_discount(items, item_id)
    if not cur then
      cur = { item_id = item_id }
      items[#items + 1] = cur
    end
    if d.base_price ~= nil then cur.base_price = d.base_price end
    if d.discount ~= nil then cur.discount = d.discount end
  end
  table.sort(items, function(a, b) return a.item_id < b.item_id end)
  store:touch(c)
  return 200, OK
end

local function discounts(kind)
  local k = KINDS[kind]
  return function(req)
    local id = req.params.id
    local c = store:get(id)
    if not c then return message(404, "customer " .. id .. " not found") end
    if req.method == "DELETE" then return delete_discounts(k, c, id, req.query) end
    return write_discounts(k, c, id, req.method, req.json)
  end
end

-- ---------------------------------------------------------------- routes

-- body: "object" = a JSON object body is required (checked before the handler).
M.routes = {
  { method = "GET", path = API .. "customer", handler = list_customers },
  { method = "POST", path = API .. "customer", handler = create_customer, body = "object" },
  { method = "GET", path = API .. "customer/{id:int}", handler = get_customer },
  { method = "PUT", path = API .. "customer/{id:int}", handler = update_customer, body = "object" },
  { method = "DELETE", path = API .. "customer/{id:int}", handler = delete_customer },
  { method = "POST", path = API .. "customer/contacts/add", handler = add_contacts, body = "object" },
  { method = "POST", path = API .. "customer/contact/remove", handler = remove_contact, body = "object" },
}
for _, kind in ipairs { "assays", "panels" } do
  local path = API .. "customer/{id:int}/" .. kind
  M.routes[#M.routes + 1] = { method = "POST", path = path, handler = discounts(kind), body = "object" }
  M.routes[#M.routes + 1] = { method = "PATCH", path = path, handler = discounts(kind), body = "object" }
  M.routes[#M.routes + 1] = { method = "DELETE", path = path, handler = discounts(kind) }
end

return M
