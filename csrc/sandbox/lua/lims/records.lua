-- The fields of v2 records: every property the record's schema declares,
-- with a plausible value of its type (or null where a real record would
-- often have none). Seeded records draw their values from the per-record
-- generator and their links from the seed formulas; created records start
-- blank.
local json = require "sandbox.json"
local prng = require "sandbox.lims.prng"
local seed = require "sandbox.lims.seed"
local relations = require "sandbox.lims.relations"
local catalog = require "sandbox.lims.catalog"

local null = json.null
local array = json.array

local M = {}

-- 02/14/2025 06:57 PM UTC, the example date in the API notes.
local BASE_TIME = 1739559420

function M.iso_time(t) return os.date("!%Y-%m-%dT%H:%M:%SZ", t) end
function M.iso_date(t) return os.date("!%Y-%m-%d", t) end

local VOCAB = {
  assays = { "Potency", "Pesticides", "Heavy Metals", "Microbials", "Terpenes", "Moisture Content",
    "Water Activity", "Mycotoxins", "Residual Solvents", "Foreign Matter", "Homogeneity", "Vitamin E Acetate" },
  panels = { "Full Compliance", "R&D Screen", "Microbial Panel", "Contaminants", "Label Claim" },
  teams = { "Chemistry", "Microbiology", "Sample Receiving", "Quality", "Metals" },
  divisions = { "West Lab", "East Lab", "Field Services" },
  assay_categories = { "Chemistry", "Microbiology", "Physical", "Contaminants" },
  accessioning_types = { "Standard", "Rush", "R&D", "Compliance", "Stability" },
  location_types = { "Freezer", "Refrigerator", "Shelf", "Rack", "Box" },
  locations = { "Freezer A", "Fridge 2", "Shelf 3", "Receiving Bench", "Archive Room", "Rack 7" },
  turnarounds = { "Standard", "Rush", "Same Day", "Next Day", "Extended" },
  worksheets = { "Potency HPLC", "Pesticides LC-MS", "Micro Plating", "Metals ICP-MS", "Moisture" },
  epics = { "Method Validation", "Client Onboarding", "Proficiency Testing" },
  projects = { "Stability Study", "Method Transfer", "Client Audit", "Proficiency Round", "New Matrix" },
  api_clients = { "LIMS Sync", "Portal Bridge", "Accounting Export" },
}
local COMPANY_1 = { "Acme", "Blue Ridge", "Cedar", "Delta", "Evergreen", "Falcon", "Granite", "Harbor",
  "Ironwood", "Juniper", "Keystone", "Lakeside", "Maple", "Northstar", "Oakridge", "Pioneer" }
local COMPANY_2 = { "Analytical", "Botanicals", "Cultivation", "Extracts", "Farms", "Growers", "Labs",
  "Naturals", "Organics", "Research", "Wellness" }
local FIRST_NAMES = { "John", "Jane", "Maria", "Wei", "Aisha", "Carlos", "Olga", "Kenji", "Priya", "Liam",
  "Noah", "Emma", "Sofia", "Yusuf", "Hana", "Diego" }
local LAST_NAMES = { "Doe", "Smith", "Garcia", "Chen", "Khan", "Novak", "Tanaka", "Patel", "Murphy",
  "Rossi", "Kowalski", "Silva", "Haddad", "Jensen" }
local TAGS = { "Priority", "Wholesale", "Retail", "R&D", "Hemp", "Food", "Water", "Stability" }
local SAMPLE_TYPES = { "Flower", "Concentrate", "Edible", "Tincture", "Water", "Soil", "Topical" }
local STATES = { "NOT STARTED", "IN PROGRESS", "COMPLETED", "ON HOLD" }
local CITIES = { { "Denver", "CO", "80202" }, { "Portland", "OR", "97201" }, { "Austin", "TX", "78701" },
  { "Boston", "MA", "02108" } }
local PREFIX = { samples = "S", orders = "O", tests = "T", batches = "B", invoices = "INV", quotations = "Q",
  projects = "P", sources = "SRC" }
local SINGULAR = { batches = "Batch", accessioning_types = "Accessioning Type", order_comments = "Comment" }

local function singular(col)
  return SINGULAR[col] or (col:gsub("s$", ""):gsub("_", " "):gsub("^%l", string.upper))
end

local function pick(list, r) return list[r(#list)] end

-- How a string field gets its value: a function(db, id, r) giving a string, or nil for
-- null. Worked out from the names once per collection: the tests ran for every field
-- of every seeded record (10,000 samples in one spec walk).
local function string_maker(col, name)
  if name:match("api_client_id$") then
    return function(db, _, r) return db:external_id("api_clients", r(db:size("api_clients"))) end
  end
  if name:match("email") then
    local box = col:gsub("_", ""):sub(1, 8)
    return function(_, id) return string.format("%s%d@example.com", box, id) end
  end
  if name == "phone" or name == "fax" or name == "mobile" then
    return function(_, _, r) return string.format("(%03d) %03d-%04d", 200 + r(700), 200 + r(700), r(10000) - 1) end
  end
  if name == "first_name" then return function(_, _, r) return pick(FIRST_NAMES, r) end end
  if name == "last_name" then return function(_, _, r) return pick(LAST_NAMES, r) end end
  if name == "customer_name" or name == "company_name" or name == "group_name" then
    return function(_, _, r) return string.format("%s %s", pick(COMPANY_1, r), pick(COMPANY_2, r)) end
  end
  if name == "title" or name == "name" or name == "display_name" or name == "value" then
    local vocab = VOCAB[col]
    if vocab then return function(_, id) return vocab[(id - 1) % #vocab + 1] end end
    local word = singular(col) .. " "
    return function(_, id) return word .. id end
  end
  if name == "custom_formatted_id" then
    local prefix = PREFIX[col] or "X"
    return function(_, id) return string.format("%s-%06d", prefix, id) end
  end
  if name == "message" or name == "description" or name == "comments" or name == "notes" then
    local word = "Sandbox " .. singular(col):lower() .. " "
    return function(_, id, r)
      if r(3) == 1 then return nil end
      return word .. id .. "."
    end
  end
  if name == "url" then return function(_, id) return string.format("https://lab.example.com/files/%s/%d.pdf", col, id) end end
  if name:match("uuid$") or name == "id_hash" or name == "signature_request_id" then
    return function(_, _, r) return string.format("%08x%08x", r(0x7fffffff), r(0x7fffffff)) end
  end
  if name == "state" or name == "status" then return function(_, _, r) return pick(STATES, r) end end
  if name:match("render_status$") or name == "signature_status" then return function() return "COMPLETE" end end
  if name == "address" then return function(_, _, r) return string.format("%d Main St", 10 + r(9000)) end end
  for part, at in pairs { city_name = 1, state_name = 2, zip_postal_code = 3 } do
    if name == part then return function(_, id) return CITIES[(id - 1) % #CITIES + 1][at] end end
  end
  local constant
  if name == "country_name" then constant = "USA"
  elseif name:match("color$") then return function(_, _, r) return string.format("#%06x", r(0xffffff)) end
  elseif name == "sample_type" then return function(_, _, r) return pick(SAMPLE_TYPES, r) end
  elseif name == "lab_id" then return function(_, id) return string.format("LAB-%05d", id) end
  elseif name == "units" then constant = "mg/g"
  elseif name == "method" then constant = "HPLC"
  elseif name:match("^payment_term") then constant = "Net 30"
  elseif name == "type" then constant = col == "attachments" and "order" or "pdf"
  -- External systems' keys and logs: unset in a lab without those systems.
  elseif name:match("^qbd_") or name:match("^cc_") or name:match("metrc") or name:match("external_id")
    or name:match("confident_cannabis") or name:match("error") or name:match("log$") then
    return function() return nil end
  end
  if constant then return function() return constant end end
  local words = name:gsub("_", " ") .. " "
  return function(_, id) return words .. id end
end

local function integer_maker(name)
  local target = relations.FIELD_TARGETS[name]
  if target then return function(db, _, r) return r(db:size(target)) end end
  if name:match("_id$") then
    return function(_, _, r)
      if r(2) == 1 then return nil end
      return r(20)
    end
  end
  if name == "percent_completion" then return function(_, _, r) return r(101) - 1 end end
  return function(_, _, r) return r(10) end
end

local function number_maker(name)
  if name == "latitude" then return function(_, _, r) return 25 + r(2000) / 100 end end
  if name == "longitude" then return function(_, _, r) return -(70 + r(5000) / 100) end end
  return function(_, _, r) return r(100000) / 100 end
end

-- The format of a date field's value ("date" or "date-time"), nil for other fields.
local function date_format(schema)
  local format
  for _, alt in ipairs(schema.anyOf or {}) do
    if alt.format == "date" then return "date" end
    if alt.format == "date-time" then format = "date-time" end
  end
  return format
end

-- A function(db, id, r, created) per field of `col`, in the catalog's order (the
-- order in which they draw from the record's generator), built once per collection.
local makers = {}

local function makers_of(col)
  if makers[col] then return makers[col] end
  local schema = catalog.schemas[col]
  local formulas = seed.FIELDS[col] or {}
  local list = {}
  for n, name in ipairs(catalog.fields[col]) do
    local s = schema.properties[name]
    local format = date_format(s)
    local make
    if name == "id" then
      if s.type == "string" then make = function(db, id) return db:external_id(col, id) end
      else make = function(_, id) return id end end
    elseif formulas[name] then
      local formula = formulas[name]
      make = function(db, id) return formula(id, db.sizes) end
    elseif name == "last_updated" then
      make = function(_, _, r, created) return tostring(created + r(30 * 86400)) end
    elseif format then
      local render = format == "date" and M.iso_date or M.iso_time
      local always = name == "date_created"
      make = function(_, _, r, created)
        if not always and r(10) <= 3 then return nil end
        return render(created - r(60) * 86400)
      end
    elseif s.type == "string" then
      local value, max = string_maker(col, name), s.maxLength
      make = function(db, id, r)
        local v = value(db, id, r)
        if v and max and #v > max then return v:sub(1, max) end
        return v
      end
    elseif s.type == "integer" then
      make = integer_maker(name)
    elseif s.type == "number" then
      make = number_maker(name)
    elseif s.type == "boolean" then
      if name == "deleted" then make = function() return false end
      elseif name == "active" then make = function(_, _, r) return r(5) > 1 end
      else make = function(_, _, r) return r(2) == 1 end end
    elseif s.type == "array" then
      if name == "tags" then
        make = function(_, _, r)
          local list_ = {}
          for _ = 1, r(3) - 1 do
            local tag = pick(TAGS, r)
            if list_[1] ~= tag then list_[#list_ + 1] = tag end
          end
          return array(list_)
        end
      else
        make = function() return array {} end
      end
    else
      make = function() return nil end
    end
    list[n] = { name = name, make = make }
  end
  makers[col] = list
  return list
end

-- The stored fields of seeded record `id`: scalars and string arrays; the
-- arrays of linked records and the nested objects are made when rendered.
function M.seeded(db, col, id)
  local r = prng.new(db.seed, prng.salt(col), id)
  local created = BASE_TIME - r(400) * 86400
  local row = {}
  for _, field in ipairs(makers_of(col)) do
    local v = field.make(db, id, r, created)
    if v == nil then v = null end
    row[field.name] = v
  end
  return row
end

-- The fields of a record about to be created at time `now`: what the body
-- gives, on a blank record (false, empty arrays, null).
function M.blank(db, col, id, now)
  local schema = catalog.schemas[col]
  local row = {}
  for _, name in ipairs(catalog.fields[col]) do
    local s = schema.properties[name]
    local v = null
    if name == "id" then
      v = s.type == "string" and db:external_id(col, id) or id
    elseif name == "last_updated" then
      v = tostring(now)
    elseif name == "date_created" then
      v = M.iso_time(now)
    elseif s.type == "boolean" then
      v = false
    elseif s.type == "array" then
      v = array {}
    end
    row[name] = v
  end
  return row
end

return M
