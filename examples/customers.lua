-- A tour of the Customers API. Run it against the sandbox with `make demo`,
-- or against your own instance:
--   QBENCH_URL=https://lab.qbench.net QBENCH_TOKEN=... lua5.4 examples/customers.lua
local qbench = require "qbench"

local opts, missing = qbench.env_options()
if not opts then io.stderr:write(arg[0], ": ", missing, "\n") os.exit(2) end
local qb <close> = qbench.new(opts)

local function say(fmt, ...) print(string.format(fmt, ...)) end

local id = assert(qb.customer:create {
  customer_name = "Demo Labs " .. os.time(),
  tags = { "demo" },
  contacts = { { id = 1 }, { id = 2 } },
})
say("created customer %d with contacts 1 and 2", id)

local found, seen = nil, 0
for customer in qb.customer:list { page_size = 50 } do
  seen = seen + 1
  if customer.id == id then found = customer end
end
say("listed %d customers page by page; found %q", seen, found and found.customer_name or "nothing")

assert(qb.customer:update(id, { phone = "(000) 000-0000", fax = qbench.null }))
local c = assert(qb.customer:get(id))
say("updated phone to %s (fax is %s)", c.phone, c.fax == qbench.null and "null" or tostring(c.fax))

assert(qb.customer:add_contacts(id, { [3] = { receive_email = true, receive_invoice_email = false, portal_user = true } }))
say("added contact 3 with e-mail and portal access")
assert(qb.customer:remove_contact(id, 3))
say("removed contact 3")

assert(qb.customer:create_assay_discounts(id, {
  { assay_id = 1, base_price = 100, discount = 20 },
  { assay_id = 2, base_price = 30, discount = 10 },
}))
assert(qb.customer:update_assay_discounts(id, { { assay_id = 1, base_price = 10, discount = 5 } }))
assert(qb.customer:delete_assay_discounts(id, { 1, 2 }))
say("created, updated and deleted assay discounts 1 and 2")

assert(qb.customer:create_panel_discounts(id, { { panel_id = 1, base_price = 50, discount = 15 } }))
assert(qb.customer:update_panel_discounts(id, { { panel_id = 1, base_price = 45, discount = 10 } }))
assert(qb.customer:delete_panel_discounts(id, { 1 }))
say("created, updated and deleted panel discount 1")

assert(qb.customer:delete(id))
local gone, err = qb.customer:get(id)
say("deleted customer %d; fetching it again gives: %s", id, gone and "still there!" or tostring(err))
