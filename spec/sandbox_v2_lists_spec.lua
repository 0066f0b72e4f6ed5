-- qbench-sandbox v2 reads: the list envelope and paging, every kind of
-- filter, links between records, sorting, include_deleted, 404s.
local helper = require "helper"

local call = helper.call
local V2 = helper.V2

local function ids_of(body)
  local out = {}
  for i, r in ipairs(body.data) do out[i] = r.id end
  return out
end

-- Every record of a list, walking all its pages.
local function all_ids(path)
  local out, page = {}, 1
  local sep = path:find("?", 1, true) and "&" or "?"
  repeat
    local status, body = call("GET", path .. sep .. "page_size=50&page_num=" .. page)
    assert.equal(200, status)
    for _, r in ipairs(body.data) do out[#out + 1] = r.id end
    page = page + 1
  until page > body.total_pages
  return out
end

local function range(a, b)
  local out = {}
  for i = a, b do out[#out + 1] = i end
  return out
end

-- A 400 in v2's shape: {error_description, error_type, error_token, errors}.
local function assert_bad(status, body, errors)
  assert.equal(400, status)
  assert.equal("error_description,error_token,error_type,errors", helper.v2_error_keys(body))
  assert.equal("BAD_REQUEST", body.error_type)
  assert.matches("^%x+%-%x+%-%x+%-%x+%-%x+$", body.error_token)
  assert.same(errors, body.errors)
end

describe("sandbox v2 lists", function()
  before_each(function() helper.reset() end)
  -- Leave the shared sandbox as the other spec files expect it.
  teardown(function() helper.reset() end)

  describe("envelope and paging", function()
    it("answers data, page_number, total_count and total_pages, 20 per page by default", function()
      local status, body, headers, raw = call("GET", V2 .. "samples")
      assert.equal(200, status)
      assert.equal("application/json", headers["content-type"])
      assert.same(range(1, 20), ids_of(body))
      -- The numbers as they are on the wire: integers, not 3.0.
      assert.matches('"page_number":1,"total_count":60,"total_pages":3}$', raw)
    end)

    it("walks three pages of 20 and then answers an empty page", function()
      local seen = {}
      for page = 1, 3 do
        local _, body, _, raw = call("GET", V2 .. "samples?page_num=" .. page)
        assert.matches('"page_number":' .. page .. ',"total_count":60,"total_pages":3}$', raw)
        for _, id in ipairs(ids_of(body)) do seen[#seen + 1] = id end
      end
      assert.same(range(1, 60), seen)
      local _, body, _, raw = call("GET", V2 .. "samples?page_num=4")
      assert.same({}, body.data)
      assert.matches('^{"data":%[%],"page_number":4,', raw)
    end)

    it("takes page_size 50, refuses 51 and page_num 0 naming the parameter", function()
      local status, body = call("GET", V2 .. "tests?page_size=50&page_num=3")
      assert.equal(200, status)
      assert.same(range(101, 120), ids_of(body))
      assert.equal(3, body.total_pages)
      status, body = call("GET", V2 .. "tests?page_size=51")
      assert_bad(status, body, { { field = "page_size", message = "must be from 1 to 50" } })
      status, body = call("GET", V2 .. "tests?page_num=0")
      assert_bad(status, body, { { field = "page_num", message = "must be at least 1" } })
    end)

    it("pages a sub-collection list too", function()
      local _, body = call("GET", V2 .. "orders/2/samples?page_size=2&page_num=2")
      assert.same({ 6 }, ids_of(body))
      assert.equal(3, body.total_count)
      assert.equal(2, body.total_pages)
    end)
  end)

  describe("filters", function()
    it("takes array parameters as repeated keys", function()
      local _, body = call("GET", V2 .. "samples?order_ids=1&order_ids=3&page_size=50")
      assert.same({ 1, 2, 3, 7, 8, 9 }, ids_of(body))
      _, body = call("GET", V2 .. "samples?ids=5&ids=2&ids=40")
      assert.same({ 2, 5, 40 }, ids_of(body))
    end)

    it("filters on links: tests by sample, orders by customer, samples by batch", function()
      local _, body = call("GET", V2 .. "tests?sample_ids=12")
      assert.same({ 23, 24 }, ids_of(body))
      for _, t in ipairs(body.data) do assert.equal(12, t.sample_id) end
      _, body = call("GET", V2 .. "orders?customer_ids=3")
      assert.same({ 3 }, ids_of(body))
      assert.equal(3, body.data[1].customer_account_id)
      _, body = call("GET", V2 .. "samples?batch_ids=2")
      for _, s in ipairs(body.data) do
        local _, batches = call("GET", V2 .. "samples/" .. s.id .. "/batches")
        assert.same({ 2 }, ids_of(batches))
      end
      assert.equal(6, #body.data)
    end)

    it("filters tests by order through their samples", function()
      local _, body = call("GET", V2 .. "tests?order_ids=2")
      assert.same({ 7, 8, 9, 10, 11, 12 }, ids_of(body))
    end)

    it("takes booleans as true or false and filters on a boolean field", function()
      local _, all = call("GET", V2 .. "assays?page_size=50")
      local active = {}
      for _, a in ipairs(all.data) do if a.active then active[#active + 1] = a.id end end
      assert.is_true(#active > 0 and #active < #all.data)
      local status, body = call("GET", V2 .. "assays?active=true&page_size=50")
      assert.equal(200, status)
      assert.same(active, ids_of(body))
      status, body = call("GET", V2 .. "assays?active=yes")
      assert_bad(status, body, { { field = "active", message = "expected true or false" } })
    end)

    it("checks enums exactly", function()
      assert.equal(200, (call("GET", V2 .. "customers?customer_tags_action=And")))
      local status, body = call("GET", V2 .. "customers?customer_tags_action=and")
      assert_bad(status, body, { { field = "customer_tags_action", message = "must be one of Or, And, Not" } })
    end)

    it("refuses a bad integer, in an array and alone", function()
      local status, body = call("GET", V2 .. "samples?order_ids=1&order_ids=two")
      assert_bad(status, body, { { field = "order_ids[1]", message = "expected integer" } })
      status, body = call("GET", V2 .. "contacts?customer_id=1.5")
      assert_bad(status, body, { { field = "customer_id", message = "expected integer" } })
      status, body = call("GET", V2 .. "samples/x1")
      assert_bad(status, body, { { field = "sample_id", message = "expected integer" } })
    end)

    it("refuses a parameter the operation does not declare, and a repeated single one", function()
      local status, body = call("GET", V2 .. "samples?order_id=1")
      assert_bad(status, body, { { field = "order_id", message = "unknown query parameter" } })
      assert.equal("order_id: unknown query parameter", body.error_description)
      status, body = call("GET", V2 .. "teams/1?page_size=5")
      assert_bad(status, body, { { field = "page_size", message = "unknown query parameter" } })
      status, body = call("GET", V2 .. "samples?page_size=5&page_size=6")
      assert_bad(status, body, { { field = "page_size", message = "expected one value, got 2" } })
    end)

    it("accepts and ignores the declared filters it does not honour", function()
      local status, body = call("GET", V2 .. "samples?sample_type=Water&metrc_uid=abc&page_size=50")
      assert.equal(200, status)
      assert.equal(50, #body.data)
    end)
  end)

  describe("links", function()
    it("orders -> samples -> tests agree with the records' link fields", function()
      local _, samples = call("GET", V2 .. "orders/4/samples")
      assert.same({ 10, 11, 12 }, ids_of(samples))
      for _, s in ipairs(samples.data) do assert.equal(4, s.order_id) end
      local _, tests = call("GET", V2 .. "samples/11/tests")
      assert.same({ 21, 22 }, ids_of(tests))
      local _, via_order = call("GET", V2 .. "orders/4/tests")
      assert.same({ 19, 20, 21, 22, 23, 24 }, ids_of(via_order))
      local _, sample = call("GET", V2 .. "samples/11")
      assert.same({ { id = 21 }, { id = 22 } }, sample.data.tests)
      assert.same({ id = 4 }, sample.data.order)
    end)

    it("batches link samples and tests both ways, and parents to children", function()
      local _, samples = call("GET", V2 .. "batches/1/samples")
      assert.same({ 1, 9, 17, 25, 33, 41 }, ids_of(samples))
      local _, batches = call("GET", V2 .. "samples/9/batches")
      assert.same({ 1 }, ids_of(batches))
      local _, tests = call("GET", V2 .. "batches/1/tests")
      assert.equal(8, #tests.data)
      local _, children = call("GET", V2 .. "batches/1/children")
      assert.same({ 2 }, ids_of(children))
      local _, parents = call("GET", V2 .. "batches/2/parents")
      assert.same({ 1 }, ids_of(parents))
      local _, batch = call("GET", V2 .. "batches/2")
      assert.same({ { id = 1 } }, batch.data.parents)
    end)

    it("customers and contacts list each other", function()
      local _, contacts = call("GET", V2 .. "customers/2/contacts")
      assert.same({ 2, 3 }, ids_of(contacts))
      local _, customers = call("GET", V2 .. "contacts/3/customers")
      assert.same({ 2, 3 }, ids_of(customers))
      local _, customer = call("GET", V2 .. "customers/2")
      assert.same({ { id = 2 }, { id = 3 } }, customer.data.contacts)
    end)

    it("invoices list their items and orders, payments their invoices", function()
      local _, items = call("GET", V2 .. "invoices/2/invoice-items")
      assert.same({ 4, 5, 6 }, ids_of(items))
      for _, it in ipairs(items.data) do assert.equal(2, it.invoice_id) end
      local _, orders = call("GET", V2 .. "invoices/3/orders")
      assert.same({ 3, 4 }, ids_of(orders))
      local _, invoice = call("GET", V2 .. "invoices/3")
      assert.same({ 3, 4 }, invoice.data.order_ids)
      local _, invoices = call("GET", V2 .. "payments/2/invoices")
      assert.same({ 2, 3 }, ids_of(invoices))
    end)

    it("answers every sub-list the same every time, once its records have been built", function()
      -- Order comments do not show their order_id: the second look used to find none.
      for _, path in ipairs { "orders/1/comments", "orders/4/samples", "samples/11/tests", "tests/13/reports",
        "batches/2/parents", "customers/4/sub-customers" } do
        local _, first = call("GET", V2 .. path)
        local _, again = call("GET", V2 .. path .. "?page_size=50")
        assert.is_true(#first.data > 0, path)
        assert.same(ids_of(first), ids_of(again))
      end
    end)

    it("answers 404 in v2's shape for a missing record and a missing parent", function()
      for _, path in ipairs { "samples/999", "orders/999/samples", "customers/0" } do
        local status, body, headers = call("GET", V2 .. path)
        assert.equal(404, status, path)
        assert.equal("application/json", headers["content-type"])
        assert.equal("error_description,error_token,error_type", helper.v2_error_keys(body))
        assert.equal("NOT_FOUND", body.error_type)
      end
      local _, body = call("GET", V2 .. "samples/999")
      assert.equal("sample 999 not found", body.error_description)
    end)

    it("answers 404 and 405 for unknown paths and methods in v2's shape", function()
      local status, body = call("GET", V2 .. "nowhere")
      assert.equal(404, status)
      assert.equal("no such endpoint: " .. V2 .. "nowhere", body.error_description)
      local headers
      status, body, headers = call("PUT", V2 .. "samples", { body = {} })
      assert.equal(405, status)
      assert.equal("GET, PATCH, POST", headers["allow"])
      assert.equal("METHOD_NOT_ALLOWED", body.error_type)
    end)
  end)

  describe("sort and include_deleted", function()
    it("sorts on a field, ties by id, ASC or DESC", function()
      local _, body = call("GET", V2 .. "samples?sort_by=sample_type&page_size=50")
      local prev
      for _, s in ipairs(body.data) do
        if prev then
          assert.is_true(prev.sample_type < s.sample_type or (prev.sample_type == s.sample_type and prev.id < s.id))
        end
        prev = s
      end
      local _, desc = call("GET", V2 .. "samples?sort_by=id&sort_order=DESC&page_size=3")
      assert.same({ 60, 59, 58 }, ids_of(desc))
      local status, bad = call("GET", V2 .. "samples?sort_by=colour")
      assert_bad(status, bad, { { field = "sort_by", message = "no field 'colour' to sort by" } })
    end)

    it("hides a deleted record unless include_deleted says otherwise", function()
      assert.equal(204, (call("DELETE", V2 .. "samples/2")))
      local _, body = call("GET", V2 .. "samples?page_size=3")
      assert.same({ 1, 3, 4 }, ids_of(body))
      assert.equal(59, body.total_count)
      _, body = call("GET", V2 .. "samples?page_size=3&include_deleted=TRUE")
      assert.same({ 1, 2, 3 }, ids_of(body))
      assert.equal(60, body.total_count)
      _, body = call("GET", V2 .. "samples?include_deleted=DELETED_ONLY")
      assert.same({ 2 }, ids_of(body))
      assert.equal(404, (call("GET", V2 .. "samples/2")))
      _, body = call("GET", V2 .. "orders/1/samples")
      assert.same({ 1, 3 }, ids_of(body))
      local status, bad = call("GET", V2 .. "samples?include_deleted=true")
      assert_bad(status, bad, { { field = "include_deleted", message = "must be one of TRUE, DELETED_ONLY" } })
    end)
  end)

  describe("walking big collections", function()
    it("walks 10,000 samples in 200 pages of 50, in id order", function()
      helper.reset { v2 = { samples = 10000 } }
      local ids = all_ids(V2 .. "samples")
      assert.equal(10000, #ids)
      for i = 1, 10000 do
        if ids[i] ~= i then error("sample " .. i .. " is " .. tostring(ids[i])) end
      end
      local _, body = call("GET", V2 .. "tests?page_size=1")
      assert.equal(20000, body.total_count)
    end)
  end)
end)
