-- qbench-sandbox: contacts/add, contact/remove and the assay/panel discounts.
local helper = require "helper"
local core = require "qbench.core"

local call = helper.call
local V1 = "/qbench/api/v1/"

local function customer(id)
  local status, c = call("GET", V1 .. "customer/" .. id)
  assert.equal(200, status)
  return c
end

local function flags_of(c)
  local out = {}
  for _, ct in ipairs(c.contacts) do
    out[#out + 1] = { id = ct.id, receive_email = ct.receive_email,
      receive_invoice_email = ct.receive_invoice_email, portal_user = ct.portal_user }
  end
  return out
end

describe("sandbox contacts", function()
  before_each(function() helper.reset() end)

  describe("POST customer/contacts/add", function()
    it("links contacts keyed by id with their flags", function()
      local status, body = call("POST", V1 .. "customer/contacts/add", { body = {
        id = 1,
        contacts = {
          ["2"] = { receive_email = true, portal_user = false },
          ["1"] = { receive_email = false, receive_invoice_email = false, portal_user = true },
        },
      } })
      assert.equal(200, status)
      assert.same({ message = "OK" }, body)
      local c = customer(1)
      assert.same({
        { id = 1, receive_email = false, receive_invoice_email = false, portal_user = true },
        { id = 2, receive_email = true, receive_invoice_email = false, portal_user = false },
      }, flags_of(c))
      assert.is_string(c.contacts[1].first_name)
      assert.is_string(c.contacts[1].email_address)
    end)

    it("changes only the given flags of a linked contact", function()
      call("POST", V1 .. "customer/contacts/add", { body = { id = 4,
        contacts = { ["3"] = { receive_email = true, portal_user = true } } } })
      call("POST", V1 .. "customer/contacts/add", { body = { id = 4,
        contacts = { ["3"] = { portal_user = false } } } })
      assert.same({ { id = 3, receive_email = true, receive_invoice_email = false, portal_user = false } },
        flags_of(customer(4)))
    end)

    it("accepts the exact wire form of the document's example", function()
      local status = call("POST", V1 .. "customer/contacts/add", {
        headers = { "Content-Type: application/json" },
        body = '{"id": 1, "contacts": {"1": {"receive_email": false, "receive_invoice_email": false,'
          .. ' "portal_user": true}, "2": {"receive_email": true, "portal_user": false}}}' })
      assert.equal(200, status)
    end)

    for _, case in ipairs {
      { body = { contacts = { ["1"] = {} } }, status = 400, message = "id is required" },
      { body = { id = "1", contacts = { ["1"] = {} } }, status = 400, message = "id must be an integer" },
      { body = { id = 999, contacts = { ["1"] = {} } }, status = 404, message = "customer 999 not found" },
      { body = { id = 1 }, status = 400, message = "contacts is required" },
      { body = { id = 1, contacts = {} }, status = 400,
        message = "contacts must be a non-empty object keyed by contact id" },
      { body = { id = 1, contacts = { { receive_email = true } } }, status = 400,
        message = "contacts must be a non-empty object keyed by contact id" },
      { body = { id = 1, contacts = { ["99"] = { receive_email = true } } }, status = 400,
        message = "contacts.99: contact 99 does not exist" },
      { body = { id = 1, contacts = { ["2"] = { Portal_user = false } } }, status = 400,
        message = "contacts.2.Portal_user is not a contact flag (receive_email, receive_invoice_email, portal_user)" },
      { body = { id = 1, contacts = { ["1"] = { receive_email = "True" } } }, status = 400,
        message = "contacts.1.receive_email must be a boolean" },
    } do
      it("answers " .. case.status .. " for: " .. case.message, function()
        local status, body = call("POST", V1 .. "customer/contacts/add", { body = case.body })
        assert.equal(case.status, status)
        assert.same({ message = case.message }, body)
        assert.same({}, customer(1).contacts)
      end)
    end
  end)

  describe("POST customer/contact/remove", function()
    it("unlinks a linked contact", function()
      call("POST", V1 .. "customer/contacts/add", { body = { id = 5,
        contacts = { ["1"] = { receive_email = true }, ["2"] = { receive_email = true } } } })
      local status, body = call("POST", V1 .. "customer/contact/remove", { body = { id = 5, contact_id = 1 } })
      assert.equal(200, status)
      assert.same({ message = "OK" }, body)
      assert.same({ { id = 2, receive_email = true, receive_invoice_email = false, portal_user = false } },
        flags_of(customer(5)))
    end)

    for _, case in ipairs {
      { body = { id = 5, contact_id = 3 }, status = 400,
        message = "contact_id: contact 3 is not a contact of customer 5" },
      { body = { id = 5 }, status = 400, message = "contact_id is required" },
      { body = { id = 5, contact_id = 1.5 }, status = 400, message = "contact_id must be an integer" },
      { body = { contact_id = 1 }, status = 400, message = "id is required" },
      { body = { id = 600, contact_id = 1 }, status = 404, message = "customer 600 not found" },
    } do
      it("answers " .. case.status .. " for: " .. case.message, function()
        local status, body = call("POST", V1 .. "customer/contact/remove", { body = case.body })
        assert.equal(case.status, status)
        assert.same({ message = case.message }, body)
      end)
    end

    it("is only at the singular path (the document's example line is wrong)", function()
      local status = call("POST", V1 .. "customer/contacts/remove", { body = { id = 5, contact_id = 1 } })
      assert.equal(404, status)
    end)
  end)
end)

for _, kind in ipairs {
  { path = "assays", list = "assay_discounts", key = "assay_id", ids = "assay_ids",
    field = "assay_customer_discounts", noun = "assay", max = 10 },
  { path = "panels", list = "panel_discounts", key = "panel_id", ids = "panel_ids",
    field = "panel_customer_discounts", noun = "panel", max = 5 },
} do
  local url = V1 .. "customer/123/" .. kind.path
  local function item(id, base, discount)
    return { [kind.key] = id, base_price = base, discount = discount }
  end
  local function stored(c)
    local out = {}
    for _, d in ipairs(c[kind.field]) do
      out[#out + 1] = { [kind.key] = d[kind.key], base_price = d.base_price, discount = d.discount }
    end
    return out
  end

  describe("sandbox " .. kind.noun .. " discounts", function()
    before_each(function()
      helper.reset { customers = 130 }
    end)

    it("creates, updates and deletes discount items", function()
      local status, body = call("POST", url, { body = { [kind.list] = { item(2, 30, 10), item(1, 100, 20) } } })
      assert.equal(200, status)
      assert.same({ message = "OK" }, body)
      assert.same({ item(1, 100, 20), item(2, 30, 10) }, stored(customer(123)))

      status = call("PATCH", url, { body = { [kind.list] = { item(1, 10, 5), { [kind.key] = 2, discount = 30 } } } })
      assert.equal(200, status)
      assert.same({ item(1, 10, 5), item(2, 30, 30) }, stored(customer(123)))

      call("POST", url, { body = { [kind.list] = { item(3, 1.5, 0) } } })
      status, body = call("DELETE", url .. "?" .. kind.ids .. "=1&" .. kind.ids .. "=3")
      assert.equal(200, status)
      assert.same({ message = "OK" }, body)
      local req = helper.last_request()
      assert.equal("DELETE", req.method)
      assert.equal(kind.ids .. "=1&" .. kind.ids .. "=3", req.query)
      assert.same({ item(2, 30, 30) }, stored(customer(123)))
    end)

    it("refuses to create an item twice and to update a missing one", function()
      call("POST", url, { body = { [kind.list] = { item(1, 100, 20) } } })
      local status, body = call("POST", url, { body = { [kind.list] = { item(2, 1, 1), item(1, 1, 1) } } })
      assert.equal(400, status)
      assert.same({ message = string.format("%s[2].%s: customer 123 already has a discount for %s 1 (use PATCH)",
        kind.list, kind.key, kind.noun) }, body)
      status, body = call("PATCH", url, { body = { [kind.list] = { item(2, 1, 1) } } })
      assert.equal(400, status)
      assert.same({ message = string.format("%s[1].%s: customer 123 has no discount for %s 2 (use POST)",
        kind.list, kind.key, kind.noun) }, body)
      assert.same({ item(1, 100, 20) }, stored(customer(123)))
    end)

    for _, case in ipairs {
      { body = core.object {}, message = kind.list .. " is required" },
      { body = { [kind.list] = {} }, message = kind.list .. " must be a non-empty array" },
      { body = { [kind.list] = { [kind.key] = 1 } }, message = kind.list .. " must be a non-empty array" },
      { body = { [kind.list] = { item(kind.max + 1, 1, 1) } },
        message = string.format("%s[1].%s: %s %d does not exist", kind.list, kind.key, kind.noun, kind.max + 1) },
      { body = { [kind.list] = { item("1", 1, 1) } },
        message = string.format("%s[1].%s must be an integer", kind.list, kind.key) },
      { body = { [kind.list] = { { base_price = 1, discount = 1 } } },
        message = string.format("%s[1].%s is required", kind.list, kind.key) },
      { body = { [kind.list] = { item(1, 100, "20") } },
        message = kind.list .. "[1].discount must be a number" },
      { body = { [kind.list] = { { [kind.key] = 1, discount = 2 } } },
        message = kind.list .. "[1].base_price is required" },
      { body = { [kind.list] = { item(1, 1, 1), item(1, 2, 2) } },
        message = string.format("%s[2].%s: %s 1 appears twice", kind.list, kind.key, kind.noun) },
    } do
      it("refuses with 400: " .. case.message, function()
        local status, body = call("POST", url, { body = case.body })
        assert.equal(400, status)
        assert.same({ message = case.message }, body)
        assert.same({}, stored(customer(123)))
      end)
    end

    it("refuses to delete without ids, with bad ids or ids not linked", function()
      call("POST", url, { body = { [kind.list] = { item(1, 100, 20) } } })
      for _, case in ipairs {
        { "", kind.ids .. " is required" },
        { "?" .. kind.ids .. "=x", kind.ids .. "[1] must be an integer" },
        { "?" .. kind.ids .. "=1&" .. kind.ids .. "=2",
          string.format("%s: customer 123 has no discount for %s 2", kind.ids, kind.noun) },
      } do
        local status, body = call("DELETE", url .. case[1])
        assert.equal(400, status)
        assert.same({ message = case[2] }, body)
      end
      assert.same({ item(1, 100, 20) }, stored(customer(123)))
    end)

    it("answers 404 for a missing customer", function()
      for _, method in ipairs { "POST", "PATCH" } do
        local status, body = call(method, V1 .. "customer/999/" .. kind.path,
          { body = { [kind.list] = { item(1, 1, 1) } } })
        assert.equal(404, status)
        assert.same({ message = "customer 999 not found" }, body)
      end
      assert.equal(404, (call("DELETE", V1 .. "customer/999/" .. kind.path .. "?" .. kind.ids .. "=1")))
    end)
  end)
end
