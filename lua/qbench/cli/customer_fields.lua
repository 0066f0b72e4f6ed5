--- The fields of a v1 customer as the `qbench` command knows them: the
-- columns `--columns` and `--where` accept, the default CSV and table
-- columns, and how `customers import` reads each column of a CSV file.
-- The library sends customers as given and has no v1 schema; these are the
-- fields of the Customers document and of real answers (api/qbench-api-notes.md).
-- @module qbench.cli.customer_fields
-- @local

local M = {}

-- import: how a cell becomes the field sent; "server" columns are set by QBench
-- and skipped by import; fields without it cannot be imported.
local FIELDS = {
  { "id", import = "server" },
  { "customer_name", import = "string" },
  { "email", import = "string" }, { "phone", import = "string" }, { "fax", import = "string" },
  { "address", import = "string" }, { "comments", import = "string" },
  { "tags", import = "tags" },
  { "contacts" },
  { "contact_ids", import = "contact_ids" },
  { "account_number", import = "string" }, { "license_number", import = "string" },
  { "billing_contact_name", import = "string" }, { "billing_email", import = "string" },
  { "payment_term_days", import = "integer" }, { "company_discount", import = "number" },
  { "deleted", import = "server" }, { "date_created", import = "server" }, { "last_updated", import = "server" },
  { "lab" }, { "divisions" }, { "assay_customer_discounts" }, { "panel_customer_discounts" },
  { "initial_quickbooks_details" },
}

--- Every known field name, in the order above.
M.NAMES = {}
--- name -> how import reads it ("string", "integer", "number", "tags", "contact_ids", "server"), or false.
M.IMPORT = {}
for i, f in ipairs(FIELDS) do
  M.NAMES[i] = f[1]
  M.IMPORT[f[1]] = f.import or false
end

--- The columns of `--format csv` without `--columns`.
M.CSV_COLUMNS = { "id", "customer_name", "email", "phone", "fax", "address", "comments", "tags",
  "contact_ids", "account_number", "license_number", "billing_contact_name", "billing_email",
  "payment_term_days", "company_discount", "deleted", "date_created", "last_updated" }

--- The columns of `--format table` without `--columns`.
M.TABLE_COLUMNS = { "id", "customer_name", "phone", "email", "tags" }

--- Columns computed from a customer rather than read from one field.
M.DERIVED = {
  -- The ids of the linked contacts, in order.
  contact_ids = function(customer)
    local contacts = customer.contacts
    if type(contacts) ~= "table" then return nil end
    local ids = {}
    for _, c in ipairs(contacts) do
      if type(c) == "table" and c.id ~= nil then ids[#ids + 1] = c.id end
    end
    return ids
  end,
}

--- What qbench.cli.columns and --where know of a v1 customer.
M.RESOURCE = { names = M.NAMES, derived = M.DERIVED, noun = "customers" }

return M
