-- Every Customers call: what it returns, and the exact request the sandbox received.
local qbench = require "qbench"
local helper = require "helper"

local API = "/qbench/api/v1/"

describe("qb.customer", function()
  local sb, qb

  setup(function()
    sb = helper.sandbox()
    qb = qbench.new { url = sb.url .. "/", token = sb.token }
  end)
  teardown(function() qb:close() end)
  -- Requests before the mark are set-up, not what a test asserts on.
  local mark = 0
  local function set_mark() mark = #helper.requests() end
  before_each(function()
    helper.reset()
    mark = 0
  end)

  local function only_request() return helper.only_request_since(mark) end

  local function assert_common_headers(r, with_body)
    assert.equal("Bearer " .. sb.token, r.headers.authorization)
    assert.equal("application/json", r.headers.accept)
    assert.matches("^lua%-qbench/" .. qbench._VERSION:gsub("%.", "%%.") .. " libcurl/[%d.]+ Lua 5%.4$", r.headers["user-agent"])
    if with_body then
      assert.equal("application/json", r.headers["content-type"])
    else
      assert.equal("", r.body)
    end
  end

  describe("get", function()
    it("returns the customer with integer ids and sends GET customer/{id}", function()
      local c = assert(qb.customer:get(7))
      assert.equal("integer", math.type(c.id))
      assert.equal(7, c.id)
      assert.is_string(c.customer_name)
      assert.is_table(c.tags)
      local r = only_request()
      assert.equal("GET", r.method)
      assert.equal(API .. "customer/7", r.path)
      assert.equal("", r.query)
      assert_common_headers(r, false)
    end)

    it("accepts an integral float id and sends it as an integer", function()
      assert(qb.customer:get(3.0))
      assert.equal(API .. "customer/3", only_request().path)
    end)

    it("returns nil and an http error for a missing customer", function()
      local c, err = qb.customer:get(9999)
      assert.is_nil(c)
      assert.equal("http", err.kind)
      assert.equal(404, err.status)
      assert.equal("GET", err.method)
      assert.equal(API .. "customer/9999", err.path)
    end)
  end)

  describe("page", function()
    it("returns one page and sends page_num and page_size", function()
      local p = assert(qb.customer:page { page_num = 2, page_size = 10 })
      assert.equal(75, p.total_count)
      assert.equal(8, p.total_pages)
      assert.equal(10, #p.data)
      assert.equal(11, p.data[1].id)
      assert.equal("integer", math.type(p.total_pages))
      local r = only_request()
      assert.equal("GET", r.method)
      assert.equal(API .. "customer", r.path)
      assert.equal("page_num=2&page_size=10", r.query)
      assert_common_headers(r, false)
    end)

    it("defaults to the first page of 50", function()
      local p = assert(qb.customer:page())
      assert.equal(50, #p.data)
      assert.equal("page_num=1&page_size=50", only_request().query)
    end)
  end)

  describe("create", function()
    it("returns the new integer id and sends the documented body", function()
      local id = assert(qb.customer:create {
        customer_name = "ACME", tags = { "x" },
        contacts = { { id = 1 }, { id = 2.0, first_name = "Jane" } },
      })
      assert.equal("integer", math.type(id))
      assert.equal(76, id)
      local r = only_request()
      assert.equal("POST", r.method)
      assert.equal(API .. "customer", r.path)
      assert_common_headers(r, true)
      assert.same({ customer_name = "ACME", tags = { "x" }, contacts = { { id = 1 }, { id = 2, first_name = "Jane" } } }, r.json)
      assert.matches('"id":2[,}]', r.body) -- an integer on the wire, never 2.0
      local c = assert(qb.customer:get(id))
      assert.equal("ACME", c.customer_name)
      assert.same({ "x" }, c.tags)
    end)

    it("sends contacts = qbench.null as a JSON null", function()
      qb.customer:create { customer_name = "No contacts", contacts = qbench.null } -- the sandbox may refuse it
      local r = only_request()
      assert.matches('"contacts":null[,}]', r.body)
      assert.equal(qbench.null, r.json.contacts)
    end)

    it("sends an empty tags table as an empty array", function()
      assert(qb.customer:create { customer_name = "Empty", tags = {} })
      assert.matches('"tags":%[%]', only_request().body)
    end)
  end)

  describe("update", function()
    it("returns true, sends PUT with the fields, and qbench.null clears a field", function()
      assert(qb.customer:update(1, { fax = "123" }))
      set_mark()
      assert.is_true(qb.customer:update(1, { phone = "(000) 000-0000", fax = qbench.null }))
      local r = only_request()
      assert.equal("PUT", r.method)
      assert.equal(API .. "customer/1", r.path)
      assert_common_headers(r, true)
      assert.same({ phone = "(000) 000-0000", fax = qbench.null }, r.json)
      local c = assert(qb.customer:get(1))
      assert.equal("(000) 000-0000", c.phone)
      assert.equal(qbench.null, c.fax)
    end)

    it("sends contacts with integer ids", function()
      assert.is_true(qb.customer:update(2, { contacts = { { id = 3.0 } } }))
      local r = only_request()
      assert.same({ contacts = { { id = 3 } } }, r.json)
      assert.equal('{"contacts":[{"id":3}]}', r.body) -- the raw bytes: 3, never 3.0
    end)

    it("sends contacts = qbench.null as a JSON null", function()
      qb.customer:update(2, { contacts = qbench.null }) -- the sandbox may refuse it; the wire is what counts
      assert.equal('{"contacts":null}', only_request().body)
    end)
  end)

  describe("delete", function()
    it("returns true, sends DELETE customer/{id} without a body, and the customer is gone", function()
      assert.is_true(qb.customer:delete(5))
      local r = only_request()
      assert.equal("DELETE", r.method)
      assert.equal(API .. "customer/5", r.path)
      assert_common_headers(r, false)
      local c, err = qb.customer:get(5)
      assert.is_nil(c)
      assert.equal(404, err.status)
    end)
  end)

  describe("contacts", function()
    it("add_contacts sends contacts keyed by id strings with boolean flags", function()
      assert.is_true(qb.customer:add_contacts(4, {
        [1] = { receive_email = false, receive_invoice_email = false, portal_user = true },
        [2.0] = { receive_email = true, portal_user = false },
      }))
      local r = only_request()
      assert.equal("POST", r.method)
      assert.equal(API .. "customer/contacts/add", r.path)
      assert_common_headers(r, true)
      assert.same({
        id = 4,
        contacts = {
          ["1"] = { receive_email = false, receive_invoice_email = false, portal_user = true },
          ["2"] = { receive_email = true, portal_user = false },
        },
      }, r.json)
      assert.matches('"contacts":{', r.body)
    end)

    it("remove_contact sends POST customer/contact/remove with id and contact_id", function()
      assert(qb.customer:add_contacts(4, { [3] = { portal_user = true } }))
      set_mark()
      assert.is_true(qb.customer:remove_contact(4, 3))
      local r = only_request()
      assert.equal("POST", r.method)
      assert.equal(API .. "customer/contact/remove", r.path)
      assert_common_headers(r, true)
      assert.same({ id = 4, contact_id = 3 }, r.json)
    end)
  end)

  for _, kind in ipairs { "assay", "panel" } do
    describe(kind .. " discounts", function()
      local key, id_key, ids_key = kind .. "_discounts", kind .. "_id", kind .. "_ids"
      local segment = kind .. "s"
      -- One item as it goes on the wire: keys sorted bytewise, numbers as given.
      local function item_text(id, base, discount)
        local fields = { string.format('"%s":%d', id_key, id), '"base_price":' .. base, '"discount":' .. discount }
        table.sort(fields)
        return "{" .. table.concat(fields, ",") .. "}"
      end

      it("create sends POST customer/{id}/" .. segment .. " with the items", function()
        local items = { { [id_key] = 1, base_price = 100, discount = 20 }, { [id_key] = 2, base_price = 30.5, discount = 10 } }
        assert.is_true(qb.customer["create_" .. key](qb.customer, 12, items))
        local r = only_request()
        assert.equal("POST", r.method)
        assert.equal(API .. "customer/12/" .. segment, r.path)
        assert_common_headers(r, true)
        assert.same({ [key] = items }, r.json)
        -- On the wire, keys sorted: integers stay integers and 30.5 stays 30.5 (the decoder above hides 100 vs 100.0).
        assert.equal(string.format('{"%s":[%s,%s]}', key, item_text(1, "100", "20"), item_text(2, "30.5", "10")), r.body)
      end)

      it("update sends PATCH with the items", function()
        assert(qb.customer["create_" .. key](qb.customer, 12, { { [id_key] = 1, base_price = 100, discount = 20 } }))
        set_mark()
        local items = { { [id_key] = 1.0, base_price = 10.0, discount = 5 } }
        assert.is_true(qb.customer["update_" .. key](qb.customer, 12, items))
        local r = only_request()
        assert.equal("PATCH", r.method)
        assert.equal(API .. "customer/12/" .. segment, r.path)
        assert.same({ [key] = { { [id_key] = 1, base_price = 10, discount = 5 } } }, r.json)
        assert.equal(string.format('{"%s":[%s]}', key, item_text(1, "10", "5")), r.body)
      end)

      it("delete sends DELETE with repeated " .. ids_key .. " keys and no body", function()
        assert(qb.customer["create_" .. key](qb.customer, 12, {
          { [id_key] = 1, base_price = 100, discount = 20 }, { [id_key] = 2, base_price = 30, discount = 10 },
        }))
        set_mark()
        assert.is_true(qb.customer["delete_" .. key](qb.customer, 12, { 1, 2.0 }))
        local r = only_request()
        assert.equal("DELETE", r.method)
        assert.equal(API .. "customer/12/" .. segment, r.path)
        assert.equal(ids_key .. "=1&" .. ids_key .. "=2", r.query)
        assert_common_headers(r, false)
      end)
    end)
  end
end)
