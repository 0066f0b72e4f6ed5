-- qbench-sandbox: the JSON types it holds requests to. An integer is only a
-- number spelt as one (not 2.0, 0x10 or 1e2), a boolean only true or false
-- (not 1 or 0), in query parameters and body fields alike; and [] is not {}:
-- an array where an object belongs (or the other way round) is refused.
-- Bodies are sent as raw text, so that no encoder stands between the spec
-- and the sandbox.
local helper = require "helper"

local call = helper.call
local V1 = "/qbench/api/v1/"
local V2 = helper.V2
local JSON = { "Content-Type: application/json" }

local function send(method, path, raw)
  return call(method, path, { body = raw, headers = JSON })
end

local function count_v1()
  local _, list = call("GET", V1 .. "customer?page_size=1")
  return list.total_count
end

local function count_v2(col)
  local _, list = call("GET", V2 .. col .. "?page_size=1")
  return list.total_count
end

local function assert_v2_bad(status, body, field, message)
  assert.equal(400, status)
  assert.equal("BAD_REQUEST", body.error_type)
  assert.same({ { field = field, message = message } }, body.errors)
end

describe("sandbox JSON types", function()
  before_each(function() helper.reset() end)
  teardown(function() helper.reset() end)

  describe("integers in query parameters", function()
    for _, v in ipairs { "2.0", "0x10", "1e2" } do
      it("v2 refuses page_size=" .. v, function()
        local status, body = call("GET", V2 .. "samples?page_size=" .. v)
        assert_v2_bad(status, body, "page_size", "expected integer")
      end)

      it("v2 refuses order_ids=" .. v .. " as an array item", function()
        local status, body = call("GET", V2 .. "samples?order_ids=1&order_ids=" .. v)
        assert_v2_bad(status, body, "order_ids[1]", "expected integer")
      end)

      it("v2 refuses " .. v .. " as an integer path id", function()
        local status, body = call("GET", V2 .. "samples/" .. v)
        assert_v2_bad(status, body, "sample_id", "expected integer")
      end)

      it("v1 refuses page_num=" .. v .. " and page_size=" .. v, function()
        local status, body = call("GET", V1 .. "customer?page_num=" .. v)
        assert.equal(400, status)
        assert.same({ message = "page_num must be an integer >= 1" }, body)
        status, body = call("GET", V1 .. "customer?page_size=" .. v)
        assert.equal(400, status)
        assert.same({ message = "page_size must be an integer from 1 to 50" }, body)
      end)

      it("v1 refuses assay_ids=" .. v .. " in a discount delete", function()
        assert.equal(200, (send("POST", V1 .. "customer/3/assays",
          '{"assay_discounts": [{"assay_id": 2, "base_price": 10, "discount": 1}]}')))
        local status, body = call("DELETE", V1 .. "customer/3/assays?assay_ids=" .. v)
        assert.equal(400, status)
        assert.same({ message = "assay_ids[1] must be an integer" }, body)
        local _, c = call("GET", V1 .. "customer/3")
        assert.equal(1, #c.assay_customer_discounts)
      end)
    end

    it("takes a plain integer (the checks above refuse only the spelling)", function()
      local status, body = call("GET", V2 .. "samples?page_size=2&order_ids=2&order_ids=16")
      assert.equal(200, status)
      assert.equal(6, body.total_count)
    end)
  end)

  describe("booleans in query parameters", function()
    for _, v in ipairs { "1", "0" } do
      it("v2 refuses active=" .. v, function()
        local status, body = call("GET", V2 .. "assays?active=" .. v)
        assert_v2_bad(status, body, "active", "expected true or false")
      end)
    end
  end)

  describe("integers in bodies", function()
    for _, v in ipairs { "2.0", "1e2", "2E0", "-1.0" } do
      it("v2 refuses " .. v .. " for an integer field and creates nothing", function()
        local status, body = send("POST", V2 .. "assays", '[{"title": "T", "category_id": ' .. v .. '}]')
        assert_v2_bad(status, body, "[0].category_id", "expected integer")
        assert.equal(12, count_v2("assays"))
      end)

      it("v1 refuses " .. v .. " for a contact id, a discount's assay id and payment_term_days", function()
        local status, body = send("POST", V1 .. "customer", '{"customer_name": "N", "contacts": [{"id": ' .. v .. '}]}')
        assert.equal(400, status)
        assert.same({ message = "contacts[1].id must be an integer" }, body)
        status, body = send("POST", V1 .. "customer", '{"customer_name": "N", "payment_term_days": ' .. v .. '}')
        assert.equal(400, status)
        assert.same({ message = "payment_term_days must be an integer or null" }, body)
        assert.equal(75, count_v1())
        status, body = send("POST", V1 .. "customer/3/assays",
          '{"assay_discounts": [{"assay_id": ' .. v .. ', "base_price": 10, "discount": 1}]}')
        assert.equal(400, status)
        assert.same({ message = "assay_discounts[1].assay_id must be an integer" }, body)
        status, body = send("POST", V1 .. "customer/contact/remove", '{"id": 3, "contact_id": ' .. v .. '}')
        assert.equal(400, status)
        assert.same({ message = "contact_id must be an integer" }, body)
      end)

      it("the reset body refuses customers = " .. v, function()
        local status, _, body = helper.http("POST", helper.sandbox().url .. "/_sandbox/reset", JSON,
          '{"customers": ' .. v .. '}')
        assert.equal(400, status)
        assert.matches("customers must be an integer", body, 1, true)
      end)
    end

    it("refuses 0x10 as JSON, with 400 on the body", function()
      local status, body = send("POST", V2 .. "assays", '[{"title": "T", "category_id": 0x10}]')
      assert.equal(400, status)
      assert.equal("(body)", body.errors[1].field)
      assert.matches("^request body is not valid JSON", body.errors[1].message)
      status, body = send("POST", V1 .. "customer", '{"customer_name": "N", "payment_term_days": 0x10}')
      assert.equal(400, status)
      assert.matches("^request body is not valid JSON", body.message)
      assert.equal(12, count_v2("assays"))
      assert.equal(75, count_v1())
    end)

    it("takes 2 as an integer and 2.5 or 2.0 as a number", function()
      local status, body = send("POST", V2 .. "assays", '[{"title": "T", "category_id": 2, "base_price": 2.0}]')
      assert.equal(201, status)
      assert.equal(2, body.data[1].category_id)
      status = send("POST", V1 .. "customer", '{"customer_name": "N", "payment_term_days": 30, "company_discount": 2.0}')
      assert.equal(200, status)
    end)

    it("keeps an integer past 2^53 exact", function()
      local status, body = send("POST", V2 .. "samples", '[{"order_id": 9007199254740993}]')
      assert_v2_bad(status, body, "[0].order_id", "no order with id 9007199254740993")
    end)
  end)

  describe("booleans in bodies", function()
    for _, v in ipairs { "1", "0" } do
      it("v2 refuses " .. v .. " for a boolean field", function()
        local status, body = send("POST", V2 .. "assays", '[{"title": "T", "active": ' .. v .. '}]')
        assert_v2_bad(status, body, "[0].active", "expected boolean")
        assert.equal(12, count_v2("assays"))
      end)

      it("v1 refuses " .. v .. " for a contact flag", function()
        local status, body = send("POST", V1 .. "customer/contacts/add",
          '{"id": 3, "contacts": {"1": {"receive_email": ' .. v .. '}}}')
        assert.equal(400, status)
        assert.same({ message = "contacts.1.receive_email must be a boolean" }, body)
      end)
    end
  end)

  describe("arrays and objects", function()
    it("v2 refuses [] for a record of a bulk body: [[]]", function()
      local status, body = send("POST", V2 .. "samples", "[[]]")
      assert_v2_bad(status, body, "[0]", "expected object")
      status, body = send("PATCH", V2 .. "samples", '[{"id": 1}, []]')
      assert_v2_bad(status, body, "[1]", "expected object")
      assert.equal(60, count_v2("samples"))
    end)

    it("v2 refuses {} for a bulk body and for an array field", function()
      local status, body = send("POST", V2 .. "samples", "{}")
      assert_v2_bad(status, body, "(body)", "expected array")
      status, body = send("POST", V2 .. "samples", '[{"order_id": 1, "tags": {}}]')
      assert_v2_bad(status, body, "[0].tags", "expected array")
      assert.equal(60, count_v2("samples"))
    end)

    it("v2 refuses [] for a free-form object field and takes {}", function()
      local status, body = send("PATCH", V2 .. "tests/worksheets/dynamic/named-cells",
        '[{"id": 1, "qb_dynamic_spreadsheet_patch": []}]')
      assert_v2_bad(status, body, "[0].qb_dynamic_spreadsheet_patch", "expected object")
      status = send("PATCH", V2 .. "tests/worksheets/dynamic/named-cells", '[{"id": 1, "qb_dynamic_spreadsheet_patch": {}}]')
      assert.equal(204, status)
    end)

    it("v2 takes [] for an empty bulk body and for an empty array field", function()
      assert.equal(201, (send("POST", V2 .. "samples", "[]")))
      local status, body = send("POST", V2 .. "samples", '[{"order_id": 1, "tags": []}]')
      assert.equal(201, status)
      assert.same({}, body.data[1].tags)
    end)

    it("v1 refuses [] for a contact, a discount and a contact's flags", function()
      for _, case in ipairs {
        { "POST", "customer", '{"customer_name": "N", "contacts": [[]]}', "contacts[1] must be an object" },
        { "PUT", "customer/3", '{"contacts": [{"id": 1}, []]}', "contacts[2] must be an object" },
        { "POST", "customer/3/assays", '{"assay_discounts": [[]]}', "assay_discounts[1] must be an object" },
        { "POST", "customer/contacts/add", '{"id": 3, "contacts": {"1": []}}', "contacts.1 must be an object of flags" },
        { "POST", "customer/contacts/add", '{"id": 3, "contacts": []}',
          "contacts must be a non-empty object keyed by contact id" },
      } do
        local status, body = send(case[1], V1 .. case[2], case[3])
        assert.equal(400, status, case[3])
        assert.same({ message = case[4] }, body)
      end
      local _, c = call("GET", V1 .. "customer/3")
      assert.same({}, c.contacts)
      assert.same({}, c.assay_customer_discounts)
      assert.equal(75, count_v1())
    end)

    it("v1 refuses {} for tags and contacts, and [] for the body", function()
      for _, case in ipairs {
        { "POST", "customer", '{"customer_name": "N", "tags": {}}', "tags must be an array of strings" },
        { "PUT", "customer/3", '{"tags": {}}', "tags must be an array of strings" },
        { "POST", "customer", '{"customer_name": "N", "contacts": {}}', "contacts must be an array of contact objects" },
        { "POST", "customer", "[]", "request body must be a JSON object" },
        { "POST", "customer", " [ ] ", "request body must be a JSON object" },
      } do
        local status, body = send(case[1], V1 .. case[2], case[3])
        assert.equal(400, status, case[3])
        assert.same({ message = case[4] }, body)
      end
      assert.equal(75, count_v1())
    end)

    it("v1 takes [] for empty tags and contacts", function()
      local status, body = send("POST", V1 .. "customer", '{"customer_name": "N", "tags": [], "contacts": []}')
      assert.equal(200, status)
      local _, c = call("GET", V1 .. "customer/" .. body.id)
      assert.same({}, c.tags)
      assert.same({}, c.contacts)
    end)

    it("the control endpoints refuse [] for an object", function()
      local url = helper.sandbox().url
      local status, _, body = helper.http("POST", url .. "/_sandbox/reset", JSON, "[]")
      assert.equal(400, status)
      assert.matches("reset body must be a JSON object", body, 1, true)
      status, _, body = helper.http("POST", url .. "/_sandbox/reset", JSON, '{"v2": []}')
      assert.equal(400, status)
      assert.matches("v2: must be an object of collection sizes", body, 1, true)
      status, _, body = helper.http("POST", url .. "/_sandbox/faults", JSON, "[]")
      assert.equal(400, status)
      assert.matches("faults body must be a JSON object", body, 1, true)
      status, _, body = helper.http("POST", url .. "/_sandbox/faults", JSON, '{"match": "GET /x", "sequence": {}}')
      assert.equal(400, status)
      assert.matches("sequence must be a non-empty array", body, 1, true)
    end)
  end)
end)
