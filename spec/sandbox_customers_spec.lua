-- qbench-sandbox: the customer endpoints and the checks every API call gets.
local helper = require "helper"
local core = require "qbench.core"

local call = helper.call
local null = core.null
local V1 = "/qbench/api/v1/"

local function ids_of(list)
  local out = {}
  for i, c in ipairs(list) do out[i] = c.id end
  return out
end

local function range(a, b)
  local out = {}
  for i = a, b do out[#out + 1] = i end
  return out
end

describe("sandbox customers", function()
  before_each(function() helper.reset() end)

  describe("GET customer/{id}", function()
    it("answers the document's example record for customer 1, with the extra fields", function()
      local status, c, headers = call("GET", V1 .. "customer/1")
      assert.equal(200, status)
      assert.equal("application/json", headers["content-type"])
      assert.equal(1, c.id)
      assert.equal("Example Customer", c.customer_name)
      assert.same({ "Example tag" }, c.tags)
      for _, k in ipairs { "address", "comments", "fax", "phone" } do
        assert.equal(null, c[k], k)
      end
      assert.matches("^%d%d/%d%d/%d%d%d%d %d%d:%d%d [AP]M$", c.date_created)
      assert.is_string(c.last_updated)
      assert.matches("^%d+$", c.last_updated)
      assert.same({}, c.contacts)
      assert.same({}, c.assay_customer_discounts)
      assert.same({}, c.panel_customer_discounts)
    end)

    it("answers 404 with a JSON message for a missing customer", function()
      local status, body = call("GET", V1 .. "customer/999")
      assert.equal(404, status)
      assert.same({ message = "customer 999 not found" }, body)
      assert.equal(404, (call("GET", V1 .. "customer/0")))
    end)

    it("generates the same data for the same seed and other data for another", function()
      local _, a = call("GET", V1 .. "customer/2")
      helper.reset { seed = 1 }
      local _, b = call("GET", V1 .. "customer/2")
      assert.same(a, b)
      helper.reset { seed = 2 }
      local _, c = call("GET", V1 .. "customer/2")
      assert.are_not.same(a, c)
    end)

    it("has records with null fields, strings, empty tags and non-empty tags", function()
      local seen = {}
      for page = 1, 2 do
        local _, body = call("GET", V1 .. "customer?page_num=" .. page)
        for _, c in ipairs(body.data) do
          seen.null_phone = seen.null_phone or c.phone == null
          seen.phone = seen.phone or type(c.phone) == "string"
          seen.no_tags = seen.no_tags or #c.tags == 0
          seen.tags = seen.tags or #c.tags > 0
          seen.no_divisions = seen.no_divisions or c.divisions == nil
        end
      end
      assert.same({ null_phone = true, phone = true, no_tags = true, tags = true, no_divisions = true }, seen)
    end)
  end)

  describe("GET customer (pages)", function()
    it("answers page 1 of 50 by default, in id order", function()
      local status, body = call("GET", V1 .. "customer")
      assert.equal(200, status)
      assert.equal(75, body.total_count)
      assert.equal(2, body.total_pages)
      assert.same(range(1, 50), ids_of(body.data))
    end)

    it("answers the rest on page 2 and an empty page past the end", function()
      local _, body = call("GET", V1 .. "customer?page_num=2&page_size=50")
      assert.same(range(51, 75), ids_of(body.data))
      local status, past = call("GET", V1 .. "customer?page_num=3&page_size=50")
      assert.equal(200, status)
      assert.same({ total_count = 75, total_pages = 2, data = {} }, past)
    end)

    it("honours small page sizes", function()
      local _, body = call("GET", V1 .. "customer?page_num=4&page_size=7")
      assert.equal(11, body.total_pages)
      assert.same(range(22, 28), ids_of(body.data))
    end)

    for _, case in ipairs {
      { n = 0, pages = 0, last = {} },
      { n = 1, pages = 1, last = { 1 } },
      { n = 50, pages = 1, last = range(1, 50) },
      { n = 51, pages = 2, last = { 51 } },
      { n = 75, pages = 2, last = range(51, 75) },
    } do
      it("counts pages right over " .. case.n .. " customers", function()
        helper.reset { customers = case.n }
        local page = math.max(case.pages, 1)
        local _, body = call("GET", V1 .. "customer?page_size=50&page_num=" .. page)
        assert.equal(case.n, body.total_count)
        assert.equal(case.pages, body.total_pages)
        assert.same(case.last, ids_of(body.data))
      end)
    end

    for _, q in ipairs { "page_size=51", "page_size=0", "page_size=-1", "page_size=abc",
      "page_size=1.5", "page_size=" } do
      it("refuses " .. q .. " with 400", function()
        local status, body = call("GET", V1 .. "customer?" .. q)
        assert.equal(400, status)
        assert.same({ message = "page_size must be an integer from 1 to 50" }, body)
      end)
    end

    for _, q in ipairs { "page_num=0", "page_num=x", "page_num=-2" } do
      it("refuses " .. q .. " with 400", function()
        local status, body = call("GET", V1 .. "customer?" .. q)
        assert.equal(400, status)
        assert.same({ message = "page_num must be an integer >= 1" }, body)
      end)
    end
  end)

  describe("POST customer", function()
    it("creates a customer with the next id, linking and updating contacts", function()
      local status, body = call("POST", V1 .. "customer", { body = {
        customer_name = "Example Customer 3", phone = "(000) 000-0000", tags = { "New" },
        contacts = {
          { first_name = "John", last_name = "Doe", email_address = "example@example.com", id = 1 },
          { id = 2 },
        },
      } })
      assert.equal(200, status)
      assert.same({ id = 76 }, body)
      local _, c = call("GET", V1 .. "customer/76")
      assert.equal("Example Customer 3", c.customer_name)
      assert.equal("(000) 000-0000", c.phone)
      assert.same({ "New" }, c.tags)
      assert.same({ 1, 2 }, ids_of(c.contacts))
      assert.equal("John", c.contacts[1].first_name)
      assert.equal("example@example.com", c.contacts[1].email_address)
      assert.is_false(c.contacts[2].receive_email)
      local _, list = call("GET", V1 .. "customer?page_num=2")
      assert.equal(76, list.total_count)
    end)

    it("never reuses the id of a deleted customer", function()
      assert.equal(200, (call("DELETE", V1 .. "customer/75")))
      local _, body = call("POST", V1 .. "customer", { body = { customer_name = "After delete" } })
      assert.same({ id = 76 }, body)
    end)

    for _, case in ipairs {
      { body = { phone = "1" }, message = "customer_name is required" },
      { body = { customer_name = "" }, message = "customer_name must be a non-empty string" },
      { body = { customer_name = "  " }, message = "customer_name must be a non-empty string" },
      { body = { customer_name = null }, message = "customer_name must be a non-empty string" },
      { body = { customer_name = 7 }, message = "customer_name must be a non-empty string" },
      { body = { customer_name = "A", phone = 5 }, message = "phone must be a string or null" },
      { body = { customer_name = "A", tags = { 1 } }, message = "tags[1] must be a string" },
      { body = { customer_name = "A", contacts = { { id = 99 } } },
        message = "contacts[1].id: contact 99 does not exist" },
      { body = { customer_name = "A", contacts = { { first_name = "X" } } },
        message = "contacts[1].id is required" },
      { body = { customer_name = "A", contacts = { { id = "1" } } },
        message = "contacts[1].id must be an integer" },
      { body = { customer_name = "A", contacts = { id = 1 } },
        message = "contacts must be an array of contact objects" },
    } do
      it("refuses " .. case.message .. " with 400 and creates nothing", function()
        local status, body = call("POST", V1 .. "customer", { body = case.body })
        assert.equal(400, status)
        assert.same({ message = case.message }, body)
        local _, list = call("GET", V1 .. "customer?page_size=1")
        assert.equal(75, list.total_count)
      end)
    end
  end)

  describe("the fields a customer body may hold", function()
    -- Every field of the Customers document and of real records with a known
    -- type (api/qbench-api-notes.md) is stored as sent; nothing is dropped.
    local FULL = {
      customer_name = "Full Customer", address = "1 Main St", phone = "(111) 111-1111",
      fax = "(222) 222-2222", comments = "All fields", email = "full@example.com", tags = { "A", "B" },
      account_number = "AC-00001", license_number = "LIC-9", billing_contact_name = "Bill Ing",
      billing_email = "bill@example.com", payment_term_days = 45, company_discount = 12.5,
      initial_quickbooks_details = '{"qb_id": "7", "synced": true}',
    }

    it("POST stores each of them and GET answers it back", function()
      local status, body = call("POST", V1 .. "customer", { body = FULL })
      assert.equal(200, status)
      local _, c = call("GET", V1 .. "customer/" .. body.id)
      for k, v in pairs(FULL) do assert.same(v, c[k], k) end
    end)

    it("PUT changes each of them, and null clears them", function()
      local changed = {}
      for k, v in pairs(FULL) do changed[k] = v end
      changed.customer_name, changed.payment_term_days, changed.company_discount = "Changed", 60, 7
      assert.equal(200, (call("PUT", V1 .. "customer/4", { body = changed })))
      local _, c = call("GET", V1 .. "customer/4")
      for k, v in pairs(changed) do assert.same(v, c[k], k) end
      local cleared = {}
      for k in pairs(FULL) do
        if k ~= "customer_name" and k ~= "tags" then cleared[k] = null end
      end
      assert.equal(200, (call("PUT", V1 .. "customer/4", { body = cleared })))
      _, c = call("GET", V1 .. "customer/4")
      for k in pairs(cleared) do assert.equal(null, c[k], k) end
      assert.equal("Changed", c.customer_name)
    end)

    it("an exported customer imported back loses nothing", function()
      local SERVER = { id = true, date_created = true, last_updated = true, deleted = true, contacts = true,
        assay_customer_discounts = true, panel_customer_discounts = true, divisions = true, lab = true }
      local _, page = call("GET", V1 .. "customer?page_size=50")
      for _, exported in ipairs(page.data) do
        local body = { contacts = {} }
        for k, v in pairs(exported) do
          if not SERVER[k] then body[k] = v end
        end
        local status, created = call("POST", V1 .. "customer", { body = body })
        assert.equal(200, status, exported.id)
        local _, imported = call("GET", V1 .. "customer/" .. created.id)
        for k, v in pairs(exported) do
          if not SERVER[k] then assert.same(v, imported[k], k .. " of customer " .. exported.id) end
        end
      end
    end)

    for _, case in ipairs {
      { "id", 7, "id is set by QBench" },
      { "date_created", "02/14/2025 06:57 PM", "date_created is set by QBench" },
      { "last_updated", "1739559420", "last_updated is set by QBench" },
      { "deleted", false, "deleted is set by QBench (DELETE the customer)" },
      { "assay_customer_discounts", {}, "assay_customer_discounts changes through customer/{id}/assays" },
      { "panel_customer_discounts", {}, "panel_customer_discounts changes through customer/{id}/panels" },
      { "lab", null, "lab cannot be written through v1" },
      { "divisions", {}, "divisions cannot be written through v1" },
      { "customer_nmae", "typo", "unknown customer field 'customer_nmae'" },
      { "payment_term_days", "30", "payment_term_days must be an integer or null" },
      { "payment_term_days", 30.5, "payment_term_days must be an integer or null" },
      { "company_discount", "5%", "company_discount must be a number or null" },
      { "account_number", 5, "account_number must be a string or null" },
      { "initial_quickbooks_details", { qb_id = "7" }, "initial_quickbooks_details must be a string or null" },
    } do
      it("refuses " .. case[1] .. " = " .. tostring(case[2]) .. " in POST and PUT, naming it", function()
        local status, body = call("POST", V1 .. "customer", { body = { customer_name = "N", [case[1]] = case[2] } })
        assert.equal(400, status)
        assert.same({ message = case[3] }, body)
        local _, list = call("GET", V1 .. "customer?page_size=1")
        assert.equal(75, list.total_count)
        local _, before = call("GET", V1 .. "customer/5")
        status, body = call("PUT", V1 .. "customer/5", { body = { comments = "changed", [case[1]] = case[2] } })
        assert.equal(400, status)
        assert.same({ message = case[3] }, body)
        local _, after = call("GET", V1 .. "customer/5")
        assert.same(before, after)
      end)
    end

    it("refuses a contact field the document does not define", function()
      local status, body = call("POST", V1 .. "customer", { body = { customer_name = "N",
        contacts = { { id = 1, phone = "1" } } } })
      assert.equal(400, status)
      assert.same({ message = "contacts[1].phone is not a contact field (id, first_name, last_name, email_address)" }, body)
    end)
  end)

  describe("PUT customer/{id}", function()
    it("updates the given fields, keeps the others and replaces the contacts", function()
      call("PUT", V1 .. "customer/3", { body = { contacts = { { id = 4 }, { id = 5 } } } })
      local _, before = call("GET", V1 .. "customer/3")
      local status, body = call("PUT", V1 .. "customer/3", { body = {
        phone = "(000) 000-0000",
        contacts = { { id = 1, first_name = "Johnny" }, { id = 5 } },
      } })
      assert.equal(200, status)
      assert.same({ message = "OK" }, body)
      local _, c = call("GET", V1 .. "customer/3")
      assert.equal("(000) 000-0000", c.phone)
      assert.equal(before.customer_name, c.customer_name)
      assert.equal(before.address, c.address)
      assert.same({ 1, 5 }, ids_of(c.contacts))
      assert.equal("Johnny", c.contacts[1].first_name)
    end)

    it("renames a customer", function()
      call("PUT", V1 .. "customer/2", { body = { customer_name = "Renamed" } })
      local _, c = call("GET", V1 .. "customer/2")
      assert.equal("Renamed", c.customer_name)
    end)

    it("refuses a null or empty customer_name", function()
      for _, v in ipairs { null, "" } do
        local status, body = call("PUT", V1 .. "customer/2", { body = { customer_name = v } })
        assert.equal(400, status)
        assert.same({ message = "customer_name must be a non-empty string" }, body)
      end
    end)

    it("answers 404 for a missing customer", function()
      local status, body = call("PUT", V1 .. "customer/500", { body = { phone = "1" } })
      assert.equal(404, status)
      assert.same({ message = "customer 500 not found" }, body)
    end)
  end)

  describe("DELETE customer/{id}", function()
    it("deletes, then answers 404", function()
      local status, body = call("DELETE", V1 .. "customer/10")
      assert.equal(200, status)
      assert.same({ message = "OK" }, body)
      assert.equal(404, (call("GET", V1 .. "customer/10")))
      assert.equal(404, (call("DELETE", V1 .. "customer/10")))
      local _, list = call("GET", V1 .. "customer")
      assert.equal(74, list.total_count)
      assert.equal(11, list.data[10].id)
    end)
  end)

  describe("invalid UTF-8", function()
    -- It used to be stored, and then every list and get answered 500 until a reset.
    for _, case in ipairs {
      { "POST", "customer", '{"customer_name": "Bad \xff name"}', "customer_name" },
      { "PUT", "customer/2", '{"comments": "ok", "tags": ["fine", "\xc0\xaf"]}', "tags[1]" },
      { "POST", "customer", '{"customer_name": "N", "contacts": [{"id": 1, "first_name": "\xed\xa0\x80"}]}',
        "contacts[0].first_name" },
    } do
      it("refuses it with 400 in " .. case[1] .. " " .. case[2] .. " and keeps serving", function()
        local status, body = call(case[1], V1 .. case[2], { body = case[3], headers = { "Content-Type: application/json" } })
        assert.equal(400, status)
        assert.same({ message = "request body has invalid UTF-8 in " .. case[4] }, body)
        local list_status, list = call("GET", V1 .. "customer?page_size=50")
        assert.equal(200, list_status)
        assert.equal(75, list.total_count)
        assert.equal(200, (call("GET", V1 .. "customer/2")))
        assert.equal(200, (call("GET", V1 .. "customer?page_num=2")))
      end)
    end

    it("keeps valid multi-byte UTF-8", function()
      local status, body = call("POST", V1 .. "customer", { body = { customer_name = "Caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8c\xbf" } })
      assert.equal(200, status)
      local _, c = call("GET", V1 .. "customer/" .. body.id)
      assert.equal("Caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8c\xbf", c.customer_name)
    end)
  end)

  describe("every API call", function()
    it("needs a bearer token (401 invalid_token)", function()
      local status, body, headers = call("GET", V1 .. "customer/1", { token = false })
      assert.equal(401, status)
      assert.same({ error = "invalid_token", error_description = "Authorization header is missing" }, body)
      assert.equal('Bearer error="invalid_token"', headers["www-authenticate"])
    end)

    it("refuses a wrong token with 401", function()
      local status, body = call("GET", V1 .. "customer/1", { token = "wrong" })
      assert.equal(401, status)
      assert.same({ error = "invalid_token", error_description = "The access token is invalid" }, body)
    end)

    it("refuses another scheme with 401", function()
      local status, body = call("GET", V1 .. "customer", { token = false,
        headers = { "Authorization: Basic dXNlcjpwYXNz" } })
      assert.equal(401, status)
      assert.equal("invalid_token", body.error)
      assert.matches("Invalid Authorization header format", body.error_description, 1, true)
    end)

    it("checks the token before the body", function()
      local status = call("POST", V1 .. "customer", { token = false, body = "{" })
      assert.equal(401, status)
    end)

    it("refuses a body that is not JSON with 400", function()
      local status, body = call("POST", V1 .. "customer", { body = "{not json",
        headers = { "Content-Type: application/json" } })
      assert.equal(400, status)
      assert.matches("^request body is not valid JSON", body.message)
    end)

    it("refuses a JSON array body with 400", function()
      local status, body = call("PUT", V1 .. "customer/1", { body = "[]",
        headers = { "Content-Type: application/json" } })
      assert.equal(400, status)
      assert.same({ message = "request body must be a JSON object" }, body)
    end)

    it("refuses POST, PUT and PATCH without Content-Type: application/json with 400", function()
      for _, case in ipairs {
        { "POST", "customer", "Content-Type: text/plain" },
        { "PUT", "customer/1", "Content-Type:" },
        { "PATCH", "customer/1/assays", "Content-Type: application/x-www-form-urlencoded" },
      } do
        local status, body = call(case[1], V1 .. case[2], { body = '{"customer_name": "X"}',
          headers = { case[3] } })
        assert.equal(400, status, case[1])
        assert.same({ message = "Content-Type must be application/json" }, body)
      end
    end)

    it("accepts a charset parameter on the content type", function()
      local status = call("POST", V1 .. "customer", { body = '{"customer_name": "X"}',
        headers = { "Content-Type: application/json; charset=utf-8" } })
      assert.equal(200, status)
    end)

    it("answers 404 for an unknown route", function()
      for _, path in ipairs { V1 .. "customers", V1 .. "customer/abc", V1 .. "customer/1/tests",
        "/qbench/api/v1/sample/1", "/", "/qbench/oauth2/v1/token" } do
        local status, body = call("GET", path)
        assert.equal(404, status, path)
        assert.same({ message = "no such endpoint: " .. path }, body)
      end
    end)

    it("answers 405 with Allow for a wrong method on a known path", function()
      local status, body, headers = call("PATCH", V1 .. "customer/1", { body = {} })
      assert.equal(405, status)
      assert.same({ message = "method PATCH is not allowed on " .. V1 .. "customer/1" }, body)
      assert.equal("GET, PUT, DELETE", headers["allow"])
      local _
      status, _, headers = call("GET", V1 .. "customer/contacts/add")
      assert.equal(405, status)
      assert.equal("POST", headers["allow"])
    end)
  end)
end)
