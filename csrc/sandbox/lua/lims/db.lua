-- The v2 records: seeded lazily (a record is built from (seed, collection,
-- id) the first time it is needed, so a reset costs nothing per record),
-- changed by writes, marked when deleted, with the many-to-many link sets,
-- the integrations' mappings and the encoded JSON of each record cached.
-- Ids of a collection are 1..last: seeded ones first, created ones after.
local json = require "sandbox.json"
local seed = require "sandbox.lims.seed"
local records = require "sandbox.lims.records"
local relations = require "sandbox.lims.relations"
local catalog = require "sandbox.lims.catalog"
local strict = require "sandbox.lims.strict"

local null = json.null

local DB = {}
DB.__index = DB

function DB.new(sizes, seed_value)
  local self = setmetatable({ sizes = sizes, seed = seed_value, cols = {}, indexes = {} }, DB)
  for name, n in pairs(sizes) do
    self.cols[name] = { last = n, rows = {}, deleted = {}, ndeleted = 0, cache = {} }
  end
  self.links = seed.links(sizes)
  self.integrations = seed.integrations(sizes)
  self.worksheet_data = { tests = {}, batches = {} }
  -- Applications of payments to invoices: two per payment at seed.
  self.last_invoice_payment = 2 * sizes.payments
  return self
end

-- Ids shown to clients: api clients have string ids (QBench's are UUIDs).
function DB.external_id(_, col, n)
  if col == "api_clients" then return string.format("00000000-0000-4000-8000-%012d", n) end
  return n
end

-- The internal id of a client-given id (an integer, or a string for api
-- clients), or nil when it cannot name a record.
function DB.internal_id(_, col, v)
  if col == "api_clients" then
    local n = type(v) == "string" and v:match("^00000000%-0000%-4000%-8000%-(%d+)$")
    return n and math.tointeger(tonumber(n))
  end
  if math.type(v) == "integer" then return v end
  if type(v) == "string" and v:match("^%d+$") then return math.tointeger(tonumber(v)) end
  return nil
end

function DB:size(col) return self.cols[col].last end

function DB:exists(col, id)
  local c = self.cols[col]
  return c ~= nil and math.type(id) == "integer" and id >= 1 and id <= c.last and not c.deleted[id]
end

function DB:is_deleted(col, id) return self.cols[col].deleted[id] == true end

-- The stored fields of a record, built on first use.
function DB:row(col, id)
  local c = self.cols[col]
  local row = c.rows[id]
  if not row then
    row = records.seeded(self, col, id)
    c.rows[id] = row
  end
  return row
end

-- One field's value (nil for null), without building the record when a
-- seed formula gives it: filters over 10,000 records stay cheap. A link the
-- record does not show (an order comment's order_id) is the formula's
-- whether the record was built or not.
function DB:field(col, id, name)
  local c = self.cols[col]
  local row = c.rows[id]
  if not row or (row[name] == nil and id <= self.sizes[col]) then
    local formulas = seed.FIELDS[col]
    local f = formulas and formulas[name]
    if f then return f(id, self.sizes) end
    row = row or self:row(col, id)
  end
  local v = row[name]
  if v == null then return nil end
  return v
end

-- Ids of the records of `col` (deleted ones too) whose field `name` is
-- `parent`, ascending.
function DB:children(col, name, parent)
  local key = col .. "." .. name
  local index = self.indexes[key]
  if not index then
    index = {}
    local c = self.cols[col]
    for id = 1, c.last do
      local p = self:field(col, id, name)
      if p ~= nil then
        local list = index[p]
        if not list then
          list = {}
          index[p] = list
        end
        list[#list + 1] = id
      end
    end
    self.indexes[key] = index
  end
  return index[parent] or {}
end

-- Every write may change what any record embeds, so all caches go.
function DB:touch()
  for _, c in pairs(self.cols) do c.cache = {} end
  self.indexes = {}
end

function DB:create(col, build)
  local c = self.cols[col]
  local id = c.last + 1
  c.last = id
  c.rows[id] = build(id)
  self:touch()
  return id
end

function DB:delete(col, id)
  local c = self.cols[col]
  c.deleted[id] = true
  c.ndeleted = c.ndeleted + 1
  local row = self:row(col, id)
  if row.deleted ~= nil then row.deleted = true end
  self:touch()
end

-- The record as a client sees it: its fields, the arrays of linked records
-- it embeds, and {"id": N} for each nested object whose *_id is set.
function DB:view(col, id)
  local row = self:row(col, id)
  local v = {}
  for k, val in pairs(row) do v[k] = val end
  local schema = catalog.schemas[col]
  for name, s in pairs(schema.properties) do
    if s.type == "object" then
      local link = row[name .. "_id"]
      if link ~= nil and link ~= null then v[name] = json.object { id = link } else v[name] = null end
    end
  end
  for name, getter in pairs(relations.EMBEDDED[col] or {}) do
    if schema.properties[name] then
      local plain = relations.EMBEDDED_IDS[col] and relations.EMBEDDED_IDS[col][name]
      local out = {}
      for _, n in ipairs(getter(self, id)) do out[#out + 1] = plain and n or json.object { id = n } end
      v[name] = json.array(out)
    end
  end
  return v
end

-- The record's JSON text, from the cache when nothing changed since.
function DB:encoded(col, id)
  local c = self.cols[col]
  local s = c.cache[id]
  if s then return s end
  s = json.encode(strict.record(catalog.schemas[col], self:view(col, id)))
  c.cache[id] = s
  return s
end

return DB
