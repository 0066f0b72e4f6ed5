-- The sandbox's in-memory data: customers, contacts, assays, panels, and the
-- customer-specific discounts and contact links. Generated from a seed so a
-- test sees the same records on every run. Answers are cached as encoded
-- JSON per customer because GET customer/{id} is what benchmarks hammer.
--
-- The test suites reset the sandbox between nearly every two tests, mostly
-- to the same (customers, seed): the records generated last are kept,
-- never handed out, and a store copies one only when it is written to.
local json = require "sandbox.json"

local null = json.null
local array = json.array

local Store = {}
Store.__index = Store

local FIRST = { "Acme", "Blue Ridge", "Cedar", "Delta", "Evergreen", "Falcon", "Granite",
  "Harbor", "Ironwood", "Juniper", "Keystone", "Lakeside", "Maple", "Northstar", "Oakridge",
  "Pioneer", "Quarry", "Redwood", "Summit", "Tidewater" }
local SECOND = { "Analytical", "Botanicals", "Cultivation", "Dispensary", "Extracts", "Farms",
  "Growers", "Health", "Labs", "Naturals", "Organics", "Pharma", "Research", "Wellness" }
local SUFFIX = { "Inc.", "LLC", "Co.", "Ltd.", "Group", "" }
local STREETS = { "Main St", "Oak Ave", "Industrial Pkwy", "Harbor Blvd", "Mill Rd", "Pine St" }
local CITIES = { "Denver, CO 80202", "Portland, OR 97201", "Austin, TX 78701",
  "Sacramento, CA 95814", "Boston, MA 02108", "Tulsa, OK 74103" }
local TAGS = { "Priority", "Wholesale", "Retail", "R&D", "Net 30", "Hemp", "Food", "Water" }
local FIRST_NAMES = { "John", "Jane", "Maria", "Wei", "Aisha", "Carlos", "Olga", "Kenji",
  "Priya", "Liam", "Noah", "Emma", "Sofia", "Yusuf", "Hana", "Diego", "Ines", "Tom", "Ava", "Omar" }
local LAST_NAMES = { "Doe", "Smith", "Garcia", "Chen", "Khan", "Novak", "Tanaka", "Patel",
  "Murphy", "Rossi", "Kowalski", "Silva", "Haddad", "Jensen", "Okafor", "Moreau" }

-- 02/14/2025 06:57 PM UTC, the example date in the API notes.
local BASE_TIME = 1739559420

local function pick(list) return list[math.random(#list)] end

local function maybe(p, value)
  if math.random() < p then return value end
  return null
end

local function date_string(t) return os.date("!%m/%d/%Y %I:%M %p", t) end

-- The record as a client sees it; stored records hold the raw fields.
local FIELDS = { "id", "customer_name", "address", "phone", "fax", "comments", "email",
  "date_created", "last_updated", "deleted", "lab", "account_number", "license_number",
  "billing_contact_name", "billing_email", "payment_term_days", "company_discount",
  "initial_quickbooks_details" }

local function new_customer(id, name, t)
  return {
    id = id, customer_name = name, address = null, phone = null, fax = null, comments = null,
    email = null, tags = {}, date_created = date_string(t), last_updated = tostring(t),
    deleted = false, lab = null, account_number = null, license_number = null,
    billing_contact_name = null, billing_email = null, payment_term_days = null,
    company_discount = null, initial_quickbooks_details = null,
    contacts = {}, assays = {}, panels = {},
  }
end

local function generate_customer(id)
  if id == 1 then
    -- Exactly the record in the API document's example, plus the extras.
    local c = new_customer(1, "Example Customer", BASE_TIME - 400 * 86400)
    c.tags = { "Example tag" }
    return c
  end
  local t = BASE_TIME - math.random(0, 365 * 86400)
  local name = string.format("%s %s %s", pick(FIRST), pick(SECOND), pick(SUFFIX)):gsub("%s+$", "")
  local c = new_customer(id, name, t)
  c.address = maybe(0.7, string.format("%d %s, %s", math.random(10, 9999), pick(STREETS), pick(CITIES)))
  c.phone = maybe(0.6, string.format("(%03d) %03d-%04d", math.random(200, 989), math.random(200, 999), math.random(0, 9999)))
  c.fax = maybe(0.15, string.format("(%03d) %03d-%04d", math.random(200, 989), math.random(200, 999), math.random(0, 9999)))
  c.comments = maybe(0.3, "Prefers results by email.")
  c.email = maybe(0.5, string.format("lab%d@example.com", id))
  c.account_number = maybe(0.5, string.format("AC-%05d", math.random(0, 99999)))
  c.payment_term_days = maybe(0.5, pick { 15, 30, 45, 60 })
  c.company_discount = maybe(0.2, pick { 5, 10, 12.5 })
  if math.random() < 0.2 then
    c.initial_quickbooks_details = string.format('{"qb_id": "%d", "synced": false}', 1000 + id)
  end
  -- Real records sometimes lack "divisions" altogether.
  if math.random() < 0.5 then c.divisions = {} end
  local ntags = math.random(0, 3)
  for _ = 1, ntags do
    local tag = pick(TAGS)
    local dup = false
    for _, have in ipairs(c.tags) do if have == tag then dup = true end end
    if not dup then c.tags[#c.tags + 1] = tag end
  end
  -- Records edited after creation; the gap is never negative.
  c.last_updated = tostring(t + math.random(0, 30 * 86400))
  return c
end

-- Only looked up, never written: shared by every store.
local ASSAYS, PANELS = {}, {}
for id = 1, 10 do ASSAYS[id] = { id = id, title = "Assay " .. id } end
for id = 1, 5 do PANELS[id] = { id = id, title = "Panel " .. id } end

local function copy(v)
  if type(v) ~= "table" then return v end
  local t = {}
  for k, x in pairs(v) do t[k] = copy(x) end
  return t
end

-- What a seed gives: {customers, contacts, ids, encoded}. `encoded` caches
-- the JSON of unwritten customers across stores: a seeded customer links no
-- contact, so its answer depends on its own record alone.
local function generate(ncustomers, seed)
  math.randomseed(seed)
  local g = { customers = {}, ids = {}, contacts = {}, encoded = {} }
  for id = 1, ncustomers do
    g.customers[id] = generate_customer(id)
    g.ids[id] = id
  end
  for id = 1, 20 do
    local first, last = pick(FIRST_NAMES), pick(LAST_NAMES)
    g.contacts[id] = {
      id = id, first_name = first, last_name = last,
      email_address = string.format("%s.%s@example.com", first:lower(), last:lower()),
    }
  end
  return g
end

local generated, generated_key

function Store.new(ncustomers, seed)
  local key = ncustomers .. ":" .. seed
  if key ~= generated_key then generated, generated_key = generate(ncustomers, seed), key end
  local self = setmetatable({}, Store)
  self.seeded = generated
  -- Own records: a written seeded customer's copy, a created one, or false once deleted.
  self.customers = {}
  self.ids = table.move(generated.ids, 1, ncustomers, 1, {})
  self.cache = {}
  self.next_id = ncustomers + 1
  self.contacts = copy(generated.contacts)
  self.assays, self.panels = ASSAYS, PANELS
  return self
end

function Store:count() return #self.ids end

-- The customer's record, for the caller to change (nil when there is none).
function Store:get(id)
  local c = self.customers[id]
  if c == nil then
    local seeded = self.seeded.customers[id]
    if seeded == nil then return nil end
    c = copy(seeded)
    self.customers[id] = c
  end
  return c or nil
end

-- Every write clears the whole cache: contacts are shared between customers.
function Store:touch(c)
  self.cache = {}
  if c then c.last_updated = tostring(os.time()) end
end

local function discount_view(items, key, customer_id)
  local out = {}
  for _, d in ipairs(items) do
    out[#out + 1] = { [key] = d.item_id, base_price = d.base_price, discount = d.discount,
      customer_id = customer_id }
  end
  return array(out)
end

function Store:view(c)
  local v = {}
  for _, k in ipairs(FIELDS) do v[k] = c[k] end
  local tags = {}
  for i, t in ipairs(c.tags) do tags[i] = t end
  v.tags = array(tags)
  if c.divisions then v.divisions = array({}) end
  local contacts = {}
  for i, link in ipairs(c.contacts) do
    local ct = self.contacts[link.contact_id]
    local cv = {}
    for k, val in pairs(ct) do cv[k] = val end
    cv.receive_email = link.receive_email
    cv.receive_invoice_email = link.receive_invoice_email
    cv.portal_user = link.portal_user
    contacts[i] = cv
  end
  v.contacts = array(contacts)
  v.assay_customer_discounts = discount_view(c.assays, "assay_id", c.id)
  v.panel_customer_discounts = discount_view(c.panels, "panel_id", c.id)
  return v
end

-- The customer's JSON text, from the cache when nothing changed since.
function Store:encoded(id)
  local c = self.customers[id]
  local cache = self.cache
  if c == nil then
    c = self.seeded.customers[id]
    cache = self.seeded.encoded
  end
  if not c then return nil end
  local s = cache[id]
  if s then return s end
  s = json.encode(self:view(c))
  cache[id] = s
  return s
end

-- Ids of one page, in id order.
function Store:page(num, size)
  local out = {}
  local first = (num - 1) * size + 1
  for i = first, math.min(first + size - 1, #self.ids) do out[#out + 1] = self.ids[i] end
  return out
end

function Store:create(fields)
  local id = self.next_id
  self.next_id = id + 1
  local c = new_customer(id, fields.customer_name, os.time())
  self.customers[id] = c
  self.ids[#self.ids + 1] = id -- ids only grow, so the list stays sorted
  return c
end

function Store:delete(id)
  self.customers[id] = false
  for i, have in ipairs(self.ids) do
    if have == id then table.remove(self.ids, i) break end
  end
  self:touch()
end

return Store
