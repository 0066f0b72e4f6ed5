-- How the seeded v2 records link: the value of each link field of a seeded
-- record as a formula of its id (so it needs no stored record), and the
-- many-to-many links made at reset. Record 1 of every collection is linked
-- to records 1 and 2 of the others wherever a link exists, so a client can
-- try any sub-collection endpoint with ids 1 and 2.
local LinkSet = require "sandbox.lims.linkset"

local M = {}

-- Parent of child i when n children are spread in consecutive blocks over
-- `parents` parents (samples 1-3 -> order 1, 4-6 -> order 2 ...).
local function block(i, n, parents) return (i - 1) * parents // n + 1 end
-- The first child of parent p under block(); nil when p has none.
local function first_child(p, n, parents)
  local c = ((p - 1) * n + parents - 1) // parents + 1
  if c <= n and block(c, n, parents) == p then return c end
  return nil
end
local function cycle(i, n) return (i - 1) % n + 1 end

local ATTACHMENT_TYPES = { "order", "sample", "test", "batch", "customer", "assay" }
M.ATTACHMENT_TYPES = ATTACHMENT_TYPES

-- [collection][field] = function(id, sizes) -> value (nil: null).
M.FIELDS = {
  samples = {
    order_id = function(id, s) return block(id, s.samples, s.orders) end,
    parent_sample_id = function(id) if id % 10 == 0 then return id - 1 end end,
    project_id = function(id, s) return cycle(id, s.projects) end,
    source_id = function(id, s) return cycle(id, s.sources) end,
    location_id = function(id, s) return cycle(id, s.locations) end,
    accessioning_type_id = function(id, s) return cycle(id, s.accessioning_types) end,
  },
  tests = {
    sample_id = function(id, s) return block(id, s.tests, s.samples) end,
    assay_id = function(id, s) return cycle(id, s.assays) end,
    panel_id = function(id, s) if id % 4 == 0 then return cycle(id // 4, s.panels) end end,
    tech_id = function(id, s) return cycle(id, s.users) end,
    turnaround_id = function(id, s) return cycle(id, s.turnarounds) end,
  },
  orders = {
    customer_account_id = function(id, s) return cycle(id, s.customers) end,
    project_id = function(id, s) return cycle(id, s.projects) end,
    division_id = function(id, s) return cycle(id, s.divisions) end,
    turnaround_id = function(id, s) return cycle(id, s.turnarounds) end,
  },
  invoices = { order_id = function(id, s) return cycle(id, s.orders) end },
  invoice_items = {
    invoice_id = function(id, s) return block(id, s.invoice_items, s.invoices) end,
    assay_id = function(id, s) return cycle(id, s.assays) end,
  },
  payments = { customer_id = function(id, s) return cycle(id, s.customers) end },
  quotations = { customer_id = function(id, s) return cycle(id, s.customers) end },
  reports = {
    order_id = function(id, s) return cycle(id, s.orders) end,
    -- Order-level, sample-level and test-level reports in turn.
    sample_id = function(id, s)
      if id % 3 == 1 then return nil end
      return first_child(cycle(id, s.orders), s.samples, s.orders)
    end,
    test_id = function(id, s)
      if id % 3 ~= 0 then return nil end
      local sample = first_child(cycle(id, s.orders), s.samples, s.orders)
      return sample and first_child(sample, s.tests, s.samples)
    end,
  },
  order_comments = {
    order_id = function(id, s) return block(id, s.order_comments, s.orders) end,
    contact_id = function(id, s) return cycle(id, s.contacts) end,
    user_id = function(id, s) return cycle(id, s.users) end,
  },
  attachments = {
    type = function(id) return ATTACHMENT_TYPES[cycle(id, #ATTACHMENT_TYPES)] end,
    object_id = function(id, s)
      local kind = ATTACHMENT_TYPES[cycle(id, #ATTACHMENT_TYPES)]
      return cycle((id - 1) // #ATTACHMENT_TYPES + 1, s[kind .. "s"] or s[kind .. "es"])
    end,
  },
  customers = { parent_customer_id = function(id) if id % 5 == 0 then return id - 1 end end },
  projects = {
    epic_id = function(id, s) return cycle(id, s.epics) end,
    tech_id = function(id, s) return cycle(id, s.users) end,
  },
  sources = { project_id = function(id, s) return cycle(id, s.projects) end },
  locations = {
    location_type_id = function(id, s) return cycle(id, s.location_types) end,
    parent_location_id = function(id) if id > 1 and id % 3 == 0 then return 1 end end,
  },
  location_types = { parent_location_type_id = function(id) if id > 1 then return 1 end end },
  assays = {
    category_id = function(id, s) return cycle(id, s.assay_categories) end,
    team_id = function(id, s) return cycle(id, s.teams) end,
    default_technician_id = function(id, s) return cycle(id, s.users) end,
    worksheet_id = function(id, s) return cycle(id, s.worksheets) end,
    batch_worksheet_id = function(id, s) return cycle(id, s.worksheets) end,
  },
  batches = {
    assay_id = function(id, s) return cycle(id, s.assays) end,
    worksheet_id = function(id, s) return cycle(id, s.worksheets) end,
  },
  printdocs = {
    customer_id = function(id, s) return cycle(id, s.customers) end,
    object_id = function(id, s) return cycle(id, s.orders) end,
  },
}

-- How each many-to-many link set is seeded, [name] = function(set, sizes)
-- (left side first in the name).
local LINKS = {
  customer_contacts = function(L, s)
    for c = 1, s.customers do
      L:add(c, cycle(c, s.contacts),
        { receive_email = c % 2 == 1, receive_invoice_email = c % 3 == 0, portal_user = c % 4 == 0 })
      L:add(c, cycle(c + 1, s.contacts),
        { receive_email = false, receive_invoice_email = false, portal_user = false })
    end
  end,
  customer_sources = function(L, s)
    for c = 1, math.min(s.customers, s.sources) do L:add(c, c) end
  end,
  customer_divisions = function(L, s)
    for c = 1, s.customers, 2 do L:add(c, cycle(c, s.divisions)) end
  end,
  api_client_customers = function(L, s)
    for a = 1, s.api_clients do
      for c = a, math.min(s.customers, a + 12), 3 do L:add(a, c) end
    end
  end,
  batch_samples = function(L, s)
    for i = 1, math.min(s.samples, s.batches * 6) do L:add(cycle(i, s.batches), i) end
  end,
  batch_tests = function(L, s)
    for i = 1, math.min(s.tests, s.batches * 8) do L:add(cycle(i, s.batches), i) end
  end,
  batch_parents = function(L, s)
    for b = 2, s.batches, 2 do L:add(b, b - 1) end -- child, parent
  end,
  panel_assays = function(L, s)
    for p = 1, s.panels do
      for k = 0, 2 do L:add(p, cycle(p + k, s.assays)) end
    end
  end,
  assay_turnarounds = function(L, s)
    for a = 1, s.assays do L:add(a, cycle(a, s.turnarounds)) end
  end,
  assay_accessioning_types = function(L, s)
    for a = 1, s.assays do L:add(a, cycle(a, s.accessioning_types)) end
  end,
  assay_divisions = function(L, s)
    for a = 1, s.assays do L:add(a, cycle(a, s.divisions)) end
  end,
  turnaround_divisions = function(L, s)
    for t = 1, s.turnarounds do L:add(t, cycle(t, s.divisions)) end
  end,
  invoice_orders = function(L, s)
    for i = 1, s.invoices do
      L:add(i, cycle(i, s.orders))
      if i % 3 == 0 then L:add(i, cycle(i + 1, s.orders)) end
    end
  end,
  -- Payment p is applied to invoices p and p + 1; the first application's
  -- id is p (they number the integrations' "invoice-payments").
  invoice_payments = function(L, s)
    for p = 1, s.payments do
      L:add(cycle(p, s.invoices), p, { id = p, applied_amount = 100 * p })
    end
    for p = 1, s.payments do
      if cycle(p + 1, s.invoices) ~= cycle(p, s.invoices) then
        L:add(cycle(p + 1, s.invoices), p, { id = s.payments + p, applied_amount = 50 })
      end
    end
  end,
}

-- The many-to-many link sets, [name] = LinkSet, each seeded the first time
-- it is looked up: most resets are followed by no v2 request at all.
function M.links(s)
  return setmetatable({}, { __index = function(t, name)
    local fill = LINKS[name]
    if not fill then return nil end
    local set = LinkSet.new()
    fill(set, s)
    rawset(t, name, set)
    return set
  end })
end

-- Integration mappings: [kind][integration id][entity id] = vendor id.
-- Kind (path segment) -> the collection its entity ids number; an
-- invoice-payment is a payment's application to an invoice, numbered
-- like payments.
M.INTEGRATION_KINDS = { assays = "assays", contacts = "contacts", customers = "customers",
  ["invoice-payments"] = "invoice_payments", invoices = "invoices", panels = "panels", payments = "payments" }

-- Each kind's mappings are made the first time the kind is looked up.
function M.integrations(s)
  return setmetatable({}, { __index = function(t, kind)
    local collection = M.INTEGRATION_KINDS[kind]
    if not collection then return nil end
    local per = {}
    local n = s[collection] or s.payments
    for iid = 1, s.integrations do
      local map = {}
      for e = 1, math.min(n, 5 + iid) do map[e] = string.format("EXT-%d-%s-%d", iid, kind:upper(), e) end
      per[iid] = map
    end
    rawset(t, kind, per)
    return per
  end })
end

return M
