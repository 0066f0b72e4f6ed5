-- Shared by the hardening specs: every sandbox fault with the error kind it
-- must give, and every method of the module as a uniform call.
local M = {}

-- fault, kind, status (nil when there is no answer)
M.FAULTS = {
  { "drop", "network" },
  { require("helper").stall, "timeout" }, -- outlasts the clients' helper.short_timeout
  { "truncate", "network" },
  { "garbage", "decode", 200 },
  { "html", "http", 502 },
  { "400", "http", 400 },
  { "401", "auth", 401 },
  { "404", "http", 404 },
  { "429", "rate_limit", 429 },
  { "500", "http", 500 },
  { "502", "http", 502 },
  { "503", "http", 503 },
}

-- list and pages raise the error object (a generic for cannot return it): caught here.
local function iterate(iter_fn)
  local ok, err = pcall(function() for _ in iter_fn() do end end)
  if ok then return true end
  return nil, err
end

-- name, HTTP method, call(qb) -> value | nil, err; `empty` marks calls answered by a
-- 204 with no body, which the "truncate" fault cannot cut short.
M.METHODS = {
  { "request GET", "GET", function(qb) return qb:request("GET", "customer/1") end },
  { "request POST", "POST", function(qb) return qb:request("POST", "customer", { body = { customer_name = "R" } }) end },
  { "get", "GET", function(qb) return qb.customer:get(1) end },
  { "page", "GET", function(qb) return qb.customer:page { page_size = 5 } end },
  { "list", "GET", function(qb) return iterate(function() return qb.customer:list { page_size = 5 } end) end },
  { "pages", "GET", function(qb) return iterate(function() return qb.customer:pages { page_size = 5 } end) end },
  { "all", "GET", function(qb) return qb.customer:all { page_size = 5 } end },
  { "create", "POST", function(qb) return qb.customer:create { customer_name = "Matrix" } end },
  { "update", "PUT", function(qb) return qb.customer:update(1, { phone = "(000) 000-0000" }) end },
  { "delete", "DELETE", function(qb) return qb.customer:delete(1) end },
  { "add_contacts", "POST", function(qb)
    return qb.customer:add_contacts(1, { [3] = { receive_email = false, receive_invoice_email = false, portal_user = true } })
  end },
  { "remove_contact", "POST", function(qb) return qb.customer:remove_contact(1, 2) end },
  { "create_assay_discounts", "POST", function(qb)
    return qb.customer:create_assay_discounts(1, { { assay_id = 1, base_price = 100, discount = 20 } })
  end },
  { "update_assay_discounts", "PATCH", function(qb)
    return qb.customer:update_assay_discounts(1, { { assay_id = 1, base_price = 10, discount = 5 } })
  end },
  { "delete_assay_discounts", "DELETE", function(qb) return qb.customer:delete_assay_discounts(1, { 1, 2 }) end },
  { "create_panel_discounts", "POST", function(qb)
    return qb.customer:create_panel_discounts(1, { { panel_id = 1, base_price = 100, discount = 20 } })
  end },
  { "update_panel_discounts", "PATCH", function(qb)
    return qb.customer:update_panel_discounts(1, { { panel_id = 1, base_price = 10, discount = 5 } })
  end },
  { "delete_panel_discounts", "DELETE", function(qb) return qb.customer:delete_panel_discounts(1, { 1 }) end },
  -- API v2: reads, bulk writes, a sub-collection's writes and actions.
  { "v2 get", "GET", function(qb) return qb.v2.samples:get(1) end },
  { "v2 page", "GET", function(qb) return qb.v2.samples:page { page_size = 5 } end },
  { "v2 list", "GET", function(qb) return iterate(function() return qb.v2.orders:list { page_size = 5 } end) end },
  { "v2 get_many", "GET", function(qb)
    local got = qb.v2.samples:get_many { 1 }
    if got[1].id then return got end
    return nil, got[1]
  end },
  { "v2 create", "POST", function(qb) return qb.v2.customers:create { { customer_name = "Matrix" } } end },
  { "v2 update", "PATCH", function(qb) return qb.v2.samples:update { { id = 1, comments = "x" } } end },
  { "v2 delete", "DELETE", empty = true, function(qb) return qb.v2.samples:delete(1) end },
  { "v2 sub-collection create", "POST", empty = true, function(qb)
    return qb.v2.customers(1).contacts:create { { contact_id = 2, receive_email = true } }
  end },
  { "v2 sub-collection delete", "DELETE", empty = true, function(qb) return qb.v2.customers(1).contacts:delete(2) end },
  { "v2 action sync", "POST", empty = true, function(qb) return qb.v2.invoices(1):sync() end },
  { "v2 action publish", "POST", empty = true, function(qb) return qb.v2.reports:publish { { id = 1 } } end },
  { "v2 action named_cells", "PATCH", empty = true, function(qb) return qb.v2.tests:named_cells { { id = 1 } } end },
}

-- Every API request in the sandbox's log (the token endpoint excluded).
function M.api_requests(log)
  local out = {}
  for _, r in ipairs(log) do
    if r.path:find("^/qbench/api/") then out[#out + 1] = r end
  end
  return out
end

return M
