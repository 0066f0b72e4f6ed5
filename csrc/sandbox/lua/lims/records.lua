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

local function clip(s, schema)
  local max = schema.maxLength
  if max and #s > max then return s:sub(1, max) end
  return s
end

-- A string for `name`; nil means null.
local function string_value(db, col, id, name, r)
  if name:match("api_client_id$") then return db:external_id("api_clients", r(db:size("api_clients"))) end
  if name:match("email") then return string.format("%s%d@example.com", col:gsub("_", ""):sub(1, 8), id) end
  if name == "phone" or name == "fax" or name == "mobile" then
    return string.format("(%03d) %03d-%04d", 200 + r(700), 200 + r(700), r(10000) - 1)
  end
  if name == "first_name" then return pick(FIRST_NAMES, r) end
  if name == "last_name" then return pick(LAST_NAMES, r) end
  if name == "customer_name" or name == "company_name" or name == "group_name" then
    return string.format("%s %s", pick(COMPANY_1, r), pick(COMPANY_2, r))
  end
  if name == "title" or name == "name" or name == "display_name" or name == "value" then
    local vocab = VOCAB[col]
    if vocab then return vocab[(id - 1) % #vocab + 1] end
    return singular(col) .. " " .. id
  end
  if name == "custom_formatted_id" then return string.format("%s-%06d", PREFIX[col] or "X", id) end
  if name == "message" or name == "description" or name == "comments" or name == "notes" then
    if r(3) == 1 then return nil end
    return "Sandbox " .. singular(col):lower() .. " " .. id .. "."
  end
  if name == "url" then return string.format("https://lab.example.com/files/%s/%d.pdf", col, id) end
  if name:match("uuid$") or name == "id_hash" or name == "signature_request_id" then
    return string.format("%08x%08x", r(0x7fffffff), r(0x7fffffff))
  end
  if name == "state" or name == "status" then return pick(STATES, r) end
  if name:match("render_status$") or name == "signature_status" then return "COMPLETE" end
  if name == "address" then return string.format("%d Main St", 10 + r(9000)) end
  local city = CITIES[(id - 1) % #CITIES + 1]
  if name == "city_name" then return city[1] end
  if name == "state_name" then return city[2] end
  if name == "zip_postal_code" then return city[3] end
  if name == "country_name" then return "USA" end
  if name:match("color$") then return string.format("#%06x", r(0xffffff)) end
  if name == "sample_type" then return pick(SAMPLE_TYPES, r) end
  if name == "lab_id" then return string.format("LAB-%05d", id) end
  if name == "units" then return "mg/g" end
  if name == "method" then return "HPLC" end
  if name:match("^payment_term") then return "Net 30" end
  if name == "type" then return col == "attachments" and "order" or "pdf" end
  -- External systems' keys and logs: unset in a lab without those systems.
  if name:match("^qbd_") or name:match("^cc_") or name:match("metrc") or name:match("external_id")
    or name:match("confident_cannabis") or name:match("error") or name:match("log$") then
    return nil
  end
  return (name:gsub("_", " ")) .. " " .. id
end

local function integer_value(db, name, r)
  local target = relations.FIELD_TARGETS[name]
  if target then return r(db:size(target)) end
  if name:match("_id$") then
    if r(2) == 1 then return nil end
    return r(20)
  end
  if name == "percent_completion" then return r(101) - 1 end
  return r(10)
end

local function number_value(name, r)
  if name == "latitude" then return 25 + r(2000) / 100 end
  if name == "longitude" then return -(70 + r(5000) / 100) end
  return r(100000) / 100
end

local function date_value(name, schema, r, t)
  if name ~= "date_created" and r(10) <= 3 then return nil end
  local when = t - r(60) * 86400
  for _, alt in ipairs(schema.anyOf) do
    if alt.format == "date" then return M.iso_date(when) end
  end
  return M.iso_time(when)
end

local function is_date(schema)
  if not schema.anyOf then return false end
  for _, alt in ipairs(schema.anyOf) do
    if alt.format == "date" or alt.format == "date-time" then return true end
  end
  return false
end

-- The stored fields of seeded record `id`: scalars and string arrays; the
-- arrays of linked records and the nested objects are made when rendered.
function M.seeded(db, col, id)
  local schema = catalog.schemas[col]
  local r = prng.new(db.seed, prng.salt(col), id)
  local formulas = seed.FIELDS[col] or {}
  local created = BASE_TIME - r(400) * 86400
  local row = {}
  for _, name in ipairs(catalog.fields[col]) do
    local s = schema.properties[name]
    local v
    if name == "id" then
      v = s.type == "string" and db:external_id(col, id) or id
    elseif formulas[name] then
      v = formulas[name](id, db.sizes)
    elseif name == "last_updated" then
      v = tostring(created + r(30 * 86400))
    elseif is_date(s) then
      v = date_value(name, s, r, created)
    elseif s.type == "string" then
      v = string_value(db, col, id, name, r)
      if v then v = clip(v, s) end
    elseif s.type == "integer" then
      v = integer_value(db, name, r)
    elseif s.type == "number" then
      v = number_value(name, r)
    elseif s.type == "boolean" then
      if name == "deleted" then v = false elseif name == "active" then v = r(5) > 1 else v = r(2) == 1 end
    elseif s.type == "array" then
      local list = {}
      if name == "tags" then
        for _ = 1, r(3) - 1 do
          local tag = pick(TAGS, r)
          if list[1] ~= tag then list[#list + 1] = tag end
        end
      end
      v = array(list)
    end
    if v == nil then v = null end
    row[name] = v
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
