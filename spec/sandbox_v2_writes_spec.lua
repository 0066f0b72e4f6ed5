-- qbench-sandbox v2 writes: bulk create, update and delete, the
-- sub-collection links, the actions, and the body checks with the errors
-- they name.
local helper = require "helper"
local core = require "qbench.core"

local call = helper.call
local V2 = helper.V2

local function ids_of(body)
  local out = {}
  for i, r in ipairs(body.data) do out[i] = r.id end
  return out
end

local function assert_bad(status, body, errors)
  assert.equal(400, status)
  assert.equal("error_description,error_token,error_type,errors", helper.v2_error_keys(body))
  assert.equal("BAD_REQUEST", body.error_type)
  assert.same(errors, body.errors)
end

local function count(path)
  local _, body = call("GET", V2 .. path .. (path:find("?", 1, true) and "&" or "?") .. "page_size=1")
  return body.total_count
end

describe("sandbox v2 writes", function()
  before_each(function() helper.reset() end)
  -- Leave the shared sandbox as the other spec files expect it.
  teardown(function() helper.reset() end)

  describe("bulk records", function()
    it("POST creates every record with the next ids and answers 201 with them", function()
      local status, body, _, raw = call("POST", V2 .. "samples", { body = {
        { order_id = 2, description = "first", received = true, tags = { "a", "b" } },
        { order_id = 3, inventory_stock_quantity_used = 1.25 },
      } })
      assert.equal(201, status)
      assert.same({ 61, 62 }, ids_of(body))
      assert.matches('"id":61', raw, 1, true)
      assert.matches('"inventory_stock_quantity_used":1.25', raw, 1, true)
      local s = body.data[1]
      assert.equal("first", s.description)
      assert.is_true(s.received)
      assert.same({ "a", "b" }, s.tags)
      assert.equal(core.null, body.data[2].description)
      assert.matches("^%d+$", s.last_updated)
      assert.is_true(math.abs(tonumber(s.last_updated) - os.time()) < 60)
      local _, again = call("GET", V2 .. "samples/61")
      assert.same(s, again.data)
      local _, of_order = call("GET", V2 .. "orders/2/samples")
      assert.same({ 4, 5, 6, 61 }, ids_of(of_order))
      assert.equal(62, count("samples"))
    end)

    it("creates linked records: a test appears under its sample and order", function()
      local status, body = call("POST", V2 .. "tests", { body = { { sample_id = 5, assay_id = 2 } } })
      assert.equal(201, status)
      assert.same({ 121 }, ids_of(body))
      local _, tests = call("GET", V2 .. "samples/5/tests")
      assert.same({ 9, 10, 121 }, ids_of(tests))
      local _, of_order = call("GET", V2 .. "tests?order_ids=2")
      assert.same({ 7, 8, 9, 10, 11, 12, 121 }, ids_of(of_order))
    end)

    it("PATCH updates the given fields by id and answers 200 with the records", function()
      local _, before = call("GET", V2 .. "samples/3")
      local status, body = call("PATCH", V2 .. "samples", { body = {
        { id = 3, description = "changed", comments = core.null }, { id = 4, order_id = 7 } } })
      assert.equal(200, status)
      assert.same({ 3, 4 }, ids_of(body))
      local s = body.data[1]
      assert.equal("changed", s.description)
      assert.equal(core.null, s.comments)
      assert.equal(before.data.sample_type, s.sample_type)
      assert.matches("^%d+$", s.last_updated)
      local _, moved = call("GET", V2 .. "orders/7/samples")
      assert.same({ 4, 19, 20, 21 }, ids_of(moved))
    end)

    it("PATCH refuses an unknown or deleted id with 400 on [i].id and changes nothing", function()
      call("DELETE", V2 .. "samples/5")
      local status, body = call("PATCH", V2 .. "samples", { body = {
        { id = 1, description = "not applied" }, { id = 999 }, { id = 5 } } })
      assert_bad(status, body, {
        { field = "[1].id", message = "no sample with id 999" },
        { field = "[2].id", message = "no sample with id 5" },
      })
      local _, one = call("GET", V2 .. "samples/1")
      assert.are_not.equal("not applied", one.data.description)
    end)

    it("DELETE answers 204 without a body, then 404", function()
      local status, _, headers, raw = call("DELETE", V2 .. "orders/3")
      assert.equal(204, status)
      assert.equal("", raw)
      assert.is_nil(headers["content-type"])
      assert.equal(404, (call("DELETE", V2 .. "orders/3")))
      assert.equal(19, count("orders"))
    end)

    it("refuses links to missing or deleted records", function()
      call("DELETE", V2 .. "orders/4")
      local status, body = call("POST", V2 .. "samples", { body = {
        { order_id = 999 }, { order_id = 4 }, { location_id = 1, project_id = 77 } } })
      assert_bad(status, body, {
        { field = "[0].order_id", message = "no order with id 999" },
        { field = "[1].order_id", message = "no order with id 4" },
        { field = "[2].project_id", message = "no project with id 77" },
      })
      status, body = call("POST", V2 .. "invoices", { body = {
        { order_id = 1, order_ids = { 1, 999 }, template_id = 1 } } })
      assert_bad(status, body, { { field = "[0].order_ids[1]", message = "no order with id 999" } })
      assert.equal(60, count("samples"))
    end)

    it("an invoice's order_ids become its orders", function()
      local status, body = call("POST", V2 .. "invoices", { body = {
        { order_id = 5, order_ids = { 5, 6 }, template_id = 1 } } })
      assert.equal(201, status)
      local id = body.data[1].id
      assert.same({ 5, 6 }, body.data[1].order_ids)
      local _, orders = call("GET", V2 .. "invoices/" .. id .. "/orders")
      assert.same({ 5, 6 }, ids_of(orders))
      local _, invoices = call("GET", V2 .. "orders/6/invoices")
      assert.same({ 6, id }, ids_of(invoices))
    end)
  end)

  describe("body checks", function()
    it("names every required field that is missing, per record", function()
      local status, body = call("POST", V2 .. "tests", { body = { { sample_id = 1, assay_id = 1 }, core.object {} } })
      assert_bad(status, body, {
        { field = "[1].assay_id", message = "is required" },
        { field = "[1].sample_id", message = "is required" },
      })
      assert.equal("[1].assay_id: is required", body.error_description)
      status, body = call("POST", V2 .. "tests", { body = { { sample_id = core.null, assay_id = 1 } } })
      assert_bad(status, body, { { field = "[0].sample_id", message = "is required" } })
    end)

    it("checks the JSON type of every field", function()
      local status, body = call("POST", V2 .. "assays", { body = { {
        title = "T", duration = "5", base_price = "cheap", description = 7, active = "yes",
        tags = "x", category = 5, date_created = 1, sort_order = 1.5, category_id = core.null,
      } } })
      assert_bad(status, body, {
        { field = "[0].active", message = "expected boolean" },
        { field = "[0].base_price", message = "expected number" },
        { field = "[0].category", message = "expected object" },
        { field = "[0].date_created", message = "expected string" },
        { field = "[0].description", message = "expected string" },
        { field = "[0].duration", message = "expected integer" },
        { field = "[0].sort_order", message = "expected integer" },
        { field = "[0].tags", message = "expected array" },
      })
    end)

    it("takes a number for a number field, integral or not", function()
      local status = call("POST", V2 .. "assays", { body = { { title = "T", base_price = 10, spike_level = 0.5 } } })
      assert.equal(201, status)
    end)

    it("checks maxLength in characters, not bytes", function()
      local ok = string.rep("\xc3\xa9", 250) -- 250 characters, 500 bytes
      assert.equal(200, (call("PATCH", V2 .. "customers", { body = { { id = 1, customer_name = ok } } })))
      local status, body = call("PATCH", V2 .. "customers", { body = { { id = 1, customer_name = ok .. "e" } } })
      assert_bad(status, body, { { field = "[0].customer_name", message = "longer than 250 characters" } })
    end)

    it("refuses fields the schema does not declare", function()
      local status, body = call("POST", V2 .. "contacts", { body = { { first_name = "A", colour = "red" } } })
      assert_bad(status, body, { { field = "[0].colour", message = "unknown field" } })
    end)

    it("checks nested arrays and their items", function()
      local status, body = call("POST", V2 .. "customers", { body = { {
        customer_name = "N", contacts = { core.object {}, 5 }, tags = { "ok", 2 } } } })
      assert_bad(status, body, {
        { field = "[0].contacts[1]", message = "expected object" },
        { field = "[0].tags[1]", message = "expected string" },
      })
      status, body = call("POST", V2 .. "payments/1/send-email", { body = { emails = { "a@example.com", 3 } } })
      assert_bad(status, body, { { field = "emails[1]", message = "expected string" } })
    end)

    it("wants a JSON array for a bulk body, with Content-Type: application/json", function()
      local status, body = call("POST", V2 .. "samples", { body = { order_id = 1 } })
      assert_bad(status, body, { { field = "(body)", message = "expected array" } })
      status, body = call("POST", V2 .. "samples", { body = "[{", headers = { "Content-Type: application/json" } })
      assert.equal(400, status)
      assert.equal("(body)", body.errors[1].field)
      assert.matches("^request body is not valid JSON", body.error_description)
      status, body = call("POST", V2 .. "samples", { body = "[]", headers = { "Content-Type: text/plain" } })
      assert_bad(status, body, { { field = "(body)", message = "Content-Type must be application/json" } })
    end)

    it("refuses invalid UTF-8 in any string and keeps serving", function()
      local status, body = call("POST", V2 .. "customers", {
        body = '[{"customer_name": "bad \xff name", "comments": "ok"}]', headers = { "Content-Type: application/json" } })
      assert_bad(status, body, { { field = "[0].customer_name", message = "not valid UTF-8" } })
      status, body = call("PATCH", V2 .. "tests", {
        body = '[{"id": 1, "worksheet_data": {"cell": "\xc0\xaf"}}]', headers = { "Content-Type: application/json" } })
      assert_bad(status, body, { { field = "[0].worksheet_data.cell", message = "not valid UTF-8" } })
      assert.equal(200, (call("GET", V2 .. "customers?page_size=50")))
      assert.equal(200, (call("GET", V2 .. "tests/1")))
    end)
  end)

  describe("sub-collection links", function()
    it("POST /customers/{id}/contacts links with flags; DELETE unlinks", function()
      local status, _, headers, raw = call("POST", V2 .. "customers/1/contacts", { body = {
        { contact_id = 5, receive_email = true }, { contact_id = 6 } } })
      assert.equal(204, status)
      assert.equal("", raw)
      assert.is_nil(headers["content-type"])
      local _, body = call("GET", V2 .. "customers/1/contacts")
      assert.same({ 1, 2, 5, 6 }, ids_of(body))
      _, body = call("GET", V2 .. "contacts/5/customers")
      assert.same({ 1, 4, 5 }, ids_of(body))
      assert.equal(204, (call("DELETE", V2 .. "customers/1/contacts/5")))
      _, body = call("GET", V2 .. "customers/1/contacts")
      assert.same({ 1, 2, 6 }, ids_of(body))
      status, body = call("DELETE", V2 .. "customers/1/contacts/5")
      assert.equal(404, status)
      assert.equal("contact 5 of customer 1 not found", body.error_description)
    end)

    it("POST /contacts/{id}/customers links the other way", function()
      assert.equal(204, (call("POST", V2 .. "contacts/9/customers", { body = { { customer_id = 4 } } })))
      local _, body = call("GET", V2 .. "customers/4/contacts")
      assert.same({ 4, 5, 9 }, ids_of(body))
      local status, bad = call("POST", V2 .. "contacts/9/customers", { body = { { customer_id = 999 } } })
      assert_bad(status, bad, { { field = "[0].customer_id", message = "no customer with id 999" } })
      assert.equal(404, (call("POST", V2 .. "contacts/999/customers", { body = { { customer_id = 1 } } })))
    end)

    it("applies a payment to invoices, updates and unapplies it", function()
      assert.equal(204, (call("POST", V2 .. "payments/1/invoices", { body = { { invoice_id = 5, applied_amount = 10 } } })))
      local _, body = call("GET", V2 .. "payments/1/invoices")
      assert.same({ 1, 2, 5 }, ids_of(body))
      _, body = call("GET", V2 .. "invoices/5/payments")
      assert.same({ 1, 4, 5 }, ids_of(body))
      assert.equal(204, (call("PATCH", V2 .. "payments/1/invoices", { body = { { invoice_id = 6 } } })))
      _, body = call("GET", V2 .. "payments/1/invoices")
      assert.same({ 1, 2, 5, 6 }, ids_of(body))
      assert.equal(204, (call("DELETE", V2 .. "payments/1/invoices/5")))
      assert.equal(404, (call("DELETE", V2 .. "payments/1/invoices/5")))
      _, body = call("GET", V2 .. "payments/1/invoices")
      assert.same({ 1, 2, 6 }, ids_of(body))
      local status, bad = call("POST", V2 .. "payments/1/invoices", { body = { { invoice_id = 5 } } })
      assert_bad(status, bad, { { field = "[0].applied_amount", message = "is required" } })
    end)
  end)

  describe("actions", function()
    it("POST /invoices/{id}/sync answers 204 with no body needed", function()
      local status, _, _, raw = call("POST", V2 .. "invoices/2/sync")
      assert.equal(204, status)
      assert.equal("", raw)
      local _, inv = call("GET", V2 .. "invoices/2")
      assert.is_false(inv.data.out_of_sync)
      assert.equal(404, (call("POST", V2 .. "invoices/999/sync")))
    end)

    it("POST /invoices/{id}/send-email answers 202 with a message and a queue id", function()
      local status, body, _, raw = call("POST", V2 .. "invoices/2/send-email", { body = { emails = { "a@example.com" } } })
      assert.equal(202, status)
      assert.matches('^{"data":{', raw)
      assert.equal("integer", math.type(body.data.queueId))
      assert.equal("string", type(body.data.message))
      local _, inv = call("GET", V2 .. "invoices/2")
      assert.is_true(inv.data.emailed)
    end)

    it("POST /payments/{id}/send-email needs its emails and answers 204", function()
      assert.equal(204, (call("POST", V2 .. "payments/2/send-email", { body = { emails = { "a@example.com" } } })))
      local status, body = call("POST", V2 .. "payments/2/send-email", { body = { email_message = "hi" } })
      assert_bad(status, body, { { field = "emails", message = "is required" } })
    end)

    it("POST /reports/publish publishes reports by id", function()
      assert.equal(204, (call("POST", V2 .. "reports/publish", { body = { { id = 3 } } })))
      local _, report = call("GET", V2 .. "reports/3")
      assert.matches("^%d%d%d%d%-%d%d%-%d%dT", report.data.date_published)
      local status, body = call("POST", V2 .. "reports/publish", { body = { { id = 999 } } })
      assert_bad(status, body, { { field = "[0].id", message = "no report with id 999" } })
    end)

    it("PATCH /tests/worksheets/dynamic/named-cells changes the test's worksheet data", function()
      assert.equal(204, (call("PATCH", V2 .. "tests/worksheets/dynamic/named-cells", {
        body = { { id = 4, qb_dynamic_spreadsheet_patch = { C3 = 12.5 } } } })))
      local status, body = call("GET", V2 .. "tests/4/worksheet/data?worksheet_config=true")
      assert.equal(200, status)
      assert.equal(4, body.data.id)
      assert.equal(12.5, body.data.worksheet_data.C3)
      assert.equal("table", type(body.data.worksheet_config))
    end)

    it("POST /labels/{label_id}/{data_type} prints labels of existing records", function()
      local status, body = call("POST", V2 .. "labels/1/samples", { body = { { id = 1, count = 2 }, { id = 2 } } })
      assert.equal(200, status)
      assert.same({ label_id = 1, data_type = "samples", labels = 3 }, body.data)
      status, body = call("POST", V2 .. "labels/1/samples", { body = { { id = 999 } } })
      assert_bad(status, body, { { field = "[0].id", message = "no sample with id 999" } })
      assert.equal(404, (call("POST", V2 .. "labels/99/samples", { body = { { id = 1 } } })))
    end)

    it("integrations map entities of existing records and answer them back", function()
      local status, body = call("POST", V2 .. "integrations/1/customers", { body = {
        { entity_id = 20, integration_vendor_id = "QB-20" } } })
      assert.equal(201, status)
      assert.same({ { entity_id = 20, entity_type = "customers", integration_id = 1, integraton_vendor_id = "QB-20" } }, body.data)
      local _, one = call("GET", V2 .. "integrations/1/customers/20")
      assert.equal("QB-20", one.data.integraton_vendor_id)
      local _, mapped = call("GET", V2 .. "customers?integration_ids=1&page_size=50")
      assert.same({ 1, 2, 3, 4, 5, 6, 20 }, ids_of(mapped))
      status, body = call("POST", V2 .. "integrations/1/customers", { body = {
        { entity_id = 999, integration_vendor_id = "x" } } })
      assert_bad(status, body, { { field = "[0].entity_id", message = "no customer with id 999" } })
      assert.equal(204, (call("DELETE", V2 .. "integrations/1/invoice-payments/1")))
      assert.equal(404, (call("GET", V2 .. "integrations/1/invoice-payments/1")))
      assert.equal(404, (call("GET", V2 .. "integrations/9/customers")))
    end)
  end)
end)

describe("sandbox v2 body checker", function()
  -- The checker alone, on schemas the digest's writes do not have (an enum).
  local validate
  setup(function()
    package.preload["sandbox.json"] = function() return core end
    package.preload["sandbox.text"] = function() return dofile("csrc/sandbox/lua/text.lua") end
    package.preload["sandbox.jsontype"] = function() return dofile("csrc/sandbox/lua/jsontype.lua") end
    validate = dofile("csrc/sandbox/lua/lims/validate.lua")
  end)
  teardown(function()
    package.preload["sandbox.json"], package.preload["sandbox.text"], package.preload["sandbox.jsontype"] = nil, nil, nil
  end)

  it("checks enums exactly", function()
    local schema = { type = "array", items = { type = "object", properties = {
      state = { type = "string", enum = { "OPEN", "CLOSED" } } } } }
    assert.is_nil(validate.check(schema, { { state = "OPEN" } }))
    assert.same({ { field = "[0].state", message = "must be one of OPEN, CLOSED" } },
      validate.check(schema, { { state = "open" } }))
  end)

  it("takes any anyOf alternative and names them all otherwise", function()
    local schema = { type = "object", properties = { v = { anyOf = { { type = "object" }, { type = "string" } } } } }
    assert.is_nil(validate.check(schema, { v = "x" }))
    assert.is_nil(validate.check(schema, { v = core.object {} }))
    assert.same({ { field = "v", message = "expected object or string" } }, validate.check(schema, { v = 5 }))
  end)
end)
