-- How v2 records link to each other, in one place: which fields and id
-- arrays name which collection (checked on writes), how a record of one
-- collection relates to another (for `*_ids` filters and sub-collection
-- lists such as /orders/{id}/samples), and which arrays a record embeds.
local LinkSet = require "sandbox.lims.linkset"

local M = {}

-- Field -> the collection whose ids it holds.
M.FIELD_TARGETS = {
  accessioning_type_id = "accessioning_types", assay_id = "assays", batch_id = "batches",
  category_id = "assay_categories", contact_id = "contacts", customer_id = "customers",
  customer_account_id = "customers", parent_customer_id = "customers", division_id = "divisions",
  epic_id = "epics", invoice_id = "invoices", location_id = "locations", parent_location_id = "locations",
  location_type_id = "location_types", parent_location_type_id = "location_types", order_id = "orders",
  panel_id = "panels", payment_id = "payments", project_id = "projects",
  created_from_quotation_id = "quotations", most_recent_report_id = "reports", sample_id = "samples",
  parent_sample_id = "samples", source_id = "sources", team_id = "teams", test_id = "tests",
  turnaround_id = "turnarounds", worksheet_id = "worksheets", batch_worksheet_id = "worksheets",
  tech_id = "users", default_technician_id = "users", approved_by_id = "users", emailed_by_id = "users",
  entered_by_id = "users", received_by_id = "users", requested_by_id = "users", created_by_user_id = "users",
  generated_by_id = "users", made_public_by_id = "users", user_id = "users",
  signature_requested_by_id = "users", signature_cancelled_by_id = "users",
  requested_for_id = "contacts", generated_by_contact_id = "contacts",
  made_public_by_api_client_id = "api_clients", entered_by_api_client_id = "api_clients",
  created_by_api_client_id = "api_clients", generated_by_api_client_id = "api_clients",
  emailed_by_api_client_id = "api_clients", published_by_api_client_id = "api_clients",
}

-- Array fields of write bodies -> the collection each item names.
M.ARRAY_TARGETS = { order_ids = "orders", test_ids = "tests" }

-- Query parameters "<x>_ids" -> the relation target they filter on.
M.PARAM_TARGETS = {
  order_ids = "orders", sample_ids = "samples", test_ids = "tests", customer_ids = "customers",
  customer_id = "customers", contact_ids = "contacts", batch_ids = "batches", assay_ids = "assays",
  panel_ids = "panels", invoice_ids = "invoices", project_ids = "projects", source_ids = "sources",
  location_ids = "locations", accessioning_type_ids = "accessioning_types", team_ids = "teams",
  tech_ids = "users", turnaround_ids = "turnarounds", category_ids = "assay_categories",
  worksheet_ids = "worksheets", parent_sample_ids = "parent_samples", parent_batch_ids = "parents",
  api_client_ids = "api_clients",
}

-- ------------------------------------------------------------ getters
-- A getter is function(db, id) -> a related id, nil, or a set {id = true}.

-- [collection][target] = the field holding the target's id, for the
-- relations that are a plain field (filters on them use an index).
M.FIELD_RELATIONS = {}

local function field(col, name)
  return function(db, id) return db:field(col, id, name) end, name
end

local function via(col, name, col2, name2)
  return function(db, id)
    local mid = db:field(col, id, name)
    return mid and db:field(col2, mid, name2)
  end
end

local function rights(links) return function(db, id) return db.links[links]:rights_of(id) end end
local function lefts(links) return function(db, id) return db.links[links]:lefts_of(id) end end

local function attached(kind)
  return function(db, id)
    if db:field("attachments", id, "type") == kind then return db:field("attachments", id, "object_id") end
    return nil
  end
end

-- [collection][target] = getter
M.RELATIONS = {
  samples = {
    orders = { field("samples", "order_id") },
    customers = function(db, id)
      local o = db:field("samples", id, "order_id")
      return o and db:field("orders", o, "customer_account_id")
    end,
    batches = lefts("batch_samples"), projects = { field("samples", "project_id") },
    sources = { field("samples", "source_id") }, locations = { field("samples", "location_id") },
    accessioning_types = { field("samples", "accessioning_type_id") },
    parent_samples = { field("samples", "parent_sample_id") },
  },
  tests = {
    samples = { field("tests", "sample_id") }, orders = via("tests", "sample_id", "samples", "order_id"),
    customers = function(db, id)
      local o = via("tests", "sample_id", "samples", "order_id")(db, id)
      return o and db:field("orders", o, "customer_account_id")
    end,
    assays = { field("tests", "assay_id") }, panels = { field("tests", "panel_id") },
    turnarounds = { field("tests", "turnaround_id") }, users = { field("tests", "tech_id") },
    batches = lefts("batch_tests"),
  },
  orders = {
    customers = { field("orders", "customer_account_id") }, projects = { field("orders", "project_id") },
    invoices = lefts("invoice_orders"),
  },
  batches = {
    samples = rights("batch_samples"), tests = rights("batch_tests"), assays = { field("batches", "assay_id") },
    worksheets = { field("batches", "worksheet_id") },
    -- batch_parents links child -> parent.
    parents = rights("batch_parents"), children = lefts("batch_parents"),
  },
  contacts = { customers = lefts("customer_contacts") },
  customers = {
    contacts = rights("customer_contacts"), sources = rights("customer_sources"),
    divisions = rights("customer_divisions"), api_clients = lefts("api_client_customers"),
    parent_customers = { field("customers", "parent_customer_id") },
  },
  invoices = {
    orders = rights("invoice_orders"), payments = rights("invoice_payments"),
    customers = function(db, id)
      local out = {}
      for o in pairs(db.links.invoice_orders:rights_of(id)) do
        local c = db:field("orders", o, "customer_account_id")
        if c then out[c] = true end
      end
      return out
    end,
  },
  invoice_items = { invoices = { field("invoice_items", "invoice_id") }, assays = { field("invoice_items", "assay_id") } },
  payments = { invoices = lefts("invoice_payments"), customers = { field("payments", "customer_id") } },
  reports = {
    orders = { field("reports", "order_id") }, samples = { field("reports", "sample_id") },
    tests = { field("reports", "test_id") },
  },
  attachments = {
    orders = attached("order"), samples = attached("sample"), tests = attached("test"),
    batches = attached("batch"), customers = attached("customer"), assays = attached("assay"),
  },
  order_comments = { orders = { field("order_comments", "order_id") } },
  assays = {
    panels = lefts("panel_assays"), assay_categories = { field("assays", "category_id") },
    teams = { field("assays", "team_id") }, worksheets = { field("assays", "worksheet_id") },
    users = { field("assays", "default_technician_id") }, turnarounds = rights("assay_turnarounds"),
    accessioning_types = rights("assay_accessioning_types"), divisions = rights("assay_divisions"),
  },
  panels = { assays = rights("panel_assays") },
  accessioning_types = { assays = lefts("assay_accessioning_types") },
  divisions = {
    assays = lefts("assay_divisions"), customers = lefts("customer_divisions"),
    turnarounds = lefts("turnaround_divisions"),
  },
  sources = { customers = lefts("customer_sources"), projects = { field("sources", "project_id") } },
  turnarounds = { assays = lefts("assay_turnarounds"), divisions = rights("turnaround_divisions") },
  quotations = { customers = { field("quotations", "customer_id") } },
  projects = { epics = { field("projects", "epic_id") } },
  locations = { location_types = { field("locations", "location_type_id") } },
}

for col, rels in pairs(M.RELATIONS) do
  for target, getter in pairs(rels) do
    if type(getter) == "table" then
      rels[target] = getter[1]
      M.FIELD_RELATIONS[col] = M.FIELD_RELATIONS[col] or {}
      M.FIELD_RELATIONS[col][target] = getter[2]
    end
  end
end

-- Path under /qbench/api/v2/ of each sub-collection list -> {the listed
-- collection, its relation to the parent named by the path's first segment}.
M.SUBLISTS = {
  ["api-clients/{api_client_id}/customers"] = { "customers", "api_clients" },
  ["assays/{assay_id}/accessioning-types"] = { "accessioning_types", "assays" },
  ["assays/{assay_id}/attachments"] = { "attachments", "assays" },
  ["assays/{assay_id}/divisions"] = { "divisions", "assays" },
  ["assays/{assay_id}/panels"] = { "panels", "assays" },
  ["assays/{assay_id}/turnarounds"] = { "turnarounds", "assays" },
  ["batches/{batch_id}/attachments"] = { "attachments", "batches" },
  -- The children of b are the batches whose parents include b, and back.
  ["batches/{batch_id}/children"] = { "batches", "parents" },
  ["batches/{batch_id}/parents"] = { "batches", "children" },
  ["batches/{batch_id}/samples"] = { "samples", "batches" },
  ["batches/{batch_id}/tests"] = { "tests", "batches" },
  ["contacts/{contact_id}/customers"] = { "customers", "contacts" },
  ["customers/{customer_id}/attachments"] = { "attachments", "customers" },
  ["customers/{customer_id}/contacts"] = { "contacts", "customers" },
  ["customers/{customer_id}/divisions"] = { "divisions", "customers" },
  ["customers/{customer_id}/sources"] = { "sources", "customers" },
  ["customers/{customer_id}/sub-customers"] = { "customers", "parent_customers" },
  ["invoices/{invoice_id}/invoice-items"] = { "invoice_items", "invoices" },
  ["invoices/{invoice_id}/orders"] = { "orders", "invoices" },
  ["invoices/{invoice_id}/payments"] = { "payments", "invoices" },
  ["orders/{order_id}/attachments"] = { "attachments", "orders" },
  ["orders/{order_id}/comments"] = { "order_comments", "orders" },
  ["orders/{order_id}/invoices"] = { "invoices", "orders" },
  ["orders/{order_id}/reports"] = { "reports", "orders" },
  ["orders/{order_id}/samples"] = { "samples", "orders" },
  ["orders/{order_id}/tests"] = { "tests", "orders" },
  ["panels/{panel_id}/assays"] = { "assays", "panels" },
  ["payments/{payment_id}/invoices"] = { "invoices", "payments" },
  ["samples/{sample_id}/attachments"] = { "attachments", "samples" },
  ["samples/{sample_id}/batches"] = { "batches", "samples" },
  ["samples/{sample_id}/reports"] = { "reports", "samples" },
  ["samples/{sample_id}/sub-samples"] = { "samples", "parent_samples" },
  ["samples/{sample_id}/tests"] = { "tests", "samples" },
  ["tests/{test_id}/attachments"] = { "attachments", "tests" },
  ["tests/{test_id}/batches"] = { "batches", "tests" },
  ["tests/{test_id}/reports"] = { "reports", "tests" },
  ["turnarounds/{turnaround_id}/divisions"] = { "divisions", "turnarounds" },
}

-- ------------------------------------------------------------ embedded arrays
-- [collection][property] = function(db, id) -> ids ascending. A record
-- embeds them as [{"id": N}, ...] (invoices.order_ids as plain ids).

local function sorted(getter) return function(db, id) return LinkSet.sorted(getter(db, id)) end end
-- [getter] = {child collection, field}: the embedded arrays made of children (lims/updated).
M.CHILDREN = {}
local function children(col, name)
  local getter = function(db, id)
    local out = {}
    for _, child in ipairs(db:children(col, name, id)) do
      if not db:is_deleted(col, child) then out[#out + 1] = child end
    end
    return out
  end
  M.CHILDREN[getter] = { col, name }
  return getter
end

M.EMBEDDED = {
  customers = { contacts = sorted(rights("customer_contacts")), sources = sorted(rights("customer_sources")) },
  contacts = { customers = sorted(lefts("customer_contacts")) },
  api_clients = { customers = sorted(rights("api_client_customers")) },
  batches = {
    samples = sorted(rights("batch_samples")), tests = sorted(rights("batch_tests")),
    parents = sorted(rights("batch_parents")), children = sorted(lefts("batch_parents")),
  },
  panels = { assays = sorted(rights("panel_assays")) },
  assays = {
    panels = sorted(lefts("panel_assays")), turnarounds = sorted(rights("assay_turnarounds")),
    accessioning_types = sorted(rights("assay_accessioning_types")),
  },
  turnarounds = { divisions = sorted(rights("turnaround_divisions")) },
  invoices = {
    orders = sorted(rights("invoice_orders")), order_ids = sorted(rights("invoice_orders")),
    invoice_items = children("invoice_items", "invoice_id"),
  },
  samples = {
    batches = sorted(lefts("batch_samples")), tests = children("tests", "sample_id"),
    sub_samples = children("samples", "parent_sample_id"), reports = children("reports", "sample_id"),
  },
}
-- Embedded as plain ids rather than {"id": N}.
M.EMBEDDED_IDS = { invoices = { order_ids = true } }

return M
