-- How many records of each v2 collection the sandbox seeds: defaults times
-- --v2-scale, then --v2-sizes, then the reset body's "v2" object. A
-- collection left unset follows its parent (samples: 3 per order, tests: 2
-- per sample ...), so `{"samples": 10000}` also gives 20,000 tests.
local jsontype = require "sandbox.jsontype"

local M = {}

-- At scale 1.
local BASE = {
  customers = 25, contacts = 30, orders = 20, batches = 8, assays = 12, assay_categories = 4, panels = 5,
  invoices = 10, payments = 8, users = 8, teams = 4, locations = 6, location_types = 3,
  accessioning_types = 4, divisions = 3, epics = 3, projects = 5, quotations = 6, sources = 10,
  turnarounds = 4, worksheets = 5, labels = 3, printdocs = 3, api_clients = 3, attachments = 12,
  integrations = 5,
}
-- collection = {parent, per parent}, resolved in this order.
local DERIVED = {
  { "samples", "orders", 3 }, { "tests", "samples", 2 }, { "invoice_items", "invoices", 3 },
  { "reports", "orders", 1 }, { "order_comments", "orders", 2 },
}
local MAX_SCALE, MAX_COUNT = 1000, 1000000

M.NAMES = {}
for name in pairs(BASE) do M.NAMES[#M.NAMES + 1] = name end
for _, d in ipairs(DERIVED) do M.NAMES[#M.NAMES + 1] = d[1] end
table.sort(M.NAMES)
local KNOWN = {}
for _, name in ipairs(M.NAMES) do KNOWN[name] = true end

-- Checks {"scale": N, "<collection>": N, ...}; nil when good, else why not.
function M.check_table(t)
  if not jsontype.is_object(t) then return "must be an object of collection sizes" end
  for k, v in pairs(t) do
    if k == "scale" then
      if math.type(v) ~= "integer" or v < 1 or v > MAX_SCALE then
        return "scale must be an integer from 1 to " .. MAX_SCALE
      end
    elseif not KNOWN[k] then
      return "unknown collection '" .. tostring(k) .. "' (" .. table.concat(M.NAMES, ", ") .. ", scale)"
    elseif math.type(v) ~= "integer" or v < 1 or v > MAX_COUNT then
      return k .. " must be an integer from 1 to " .. MAX_COUNT
    end
  end
  return nil
end

-- "samples=10000,tests=5" (the --v2-sizes flag) -> table, or nil and why not.
function M.parse_list(s)
  local t = {}
  if s == nil or s == "" then return t end
  for item in (s .. ","):gmatch("([^,]*),") do
    local k, v = item:match("^%s*([%w_]+)%s*=%s*(%d+)%s*$")
    if not k then return nil, "--v2-sizes: expected NAME=N[,NAME=N...], got '" .. item .. "'" end
    t[k] = math.tointeger(tonumber(v))
  end
  local err = M.check_table(t)
  if err then return nil, "--v2-sizes: " .. err end
  return t
end

-- The sizes of every collection: `layers` are tables from check_table, later
-- ones winning; a scale in a later layer replaces an earlier one.
function M.resolve(...)
  local scale, explicit = 1, {}
  for i = 1, select("#", ...) do
    local layer = select(i, ...)
    for k, v in pairs(layer or {}) do
      if k == "scale" then scale = v else explicit[k] = v end
    end
  end
  local out = {}
  for name, n in pairs(BASE) do out[name] = explicit[name] or math.min(MAX_COUNT, n * scale) end
  for _, d in ipairs(DERIVED) do
    local name, parent, per = d[1], d[2], d[3]
    out[name] = explicit[name] or math.min(MAX_COUNT, out[parent] * per)
  end
  return out
end

return M
