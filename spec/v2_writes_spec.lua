-- API v2 writes through qb.v2: create, update, delete and the actions; bodies
-- checked against the description before anything is sent; bulk bodies over
-- max_batch; writes under faults; and a minimal valid body for every write of the
-- generated table, accepted by the sandbox (the client's checks and the sandbox's
-- own are separate code, so each can catch the other).
local qbench = require "qbench"
local helper = require "helper"

local V2 = "/qbench/api/v2"

describe("qb.v2 writes", function()
  local sb, qb, v2
  setup(function()
    sb = helper.sandbox()
    qb = qbench.new { url = sb.url, token = sb.token, sleep = function() end }
    v2 = qb.v2
  end)
  teardown(function() qb:close() end)

  local mark = 0
  before_each(function()
    helper.reset()
    mark = 0
  end)
  local function set_mark() mark = #helper.requests() end
  local function only_request() return helper.only_request_since(mark) end
  local function some_id(collection)
    local p = assert(v2[collection]:page { page_size = 1 })
    return p.data[1].id
  end

  describe("create, update, delete", function()
    it("v2.customers:create{...} sends the array and returns the created records", function()
      local made = assert(v2.customers:create { { customer_name = "ACME" }, { customer_name = "Beta" } })
      assert.equal(2, #made)
      assert.equal("ACME", made[1].customer_name)
      assert.equal("Beta", made[2].customer_name)
      assert.equal("integer", math.type(made[1].id))
      local r = only_request()
      assert.equal("POST", r.method)
      assert.equal(V2 .. "/customers", r.path)
      assert.equal("application/json", r.headers["content-type"])
      assert.same({ { customer_name = "ACME" }, { customer_name = "Beta" } }, r.json)
      assert.equal('[{"customer_name":"ACME"},{"customer_name":"Beta"}]', r.body)
      set_mark()
      local again = assert(v2.customers:get(made[2].id))
      assert.equal("Beta", again.customer_name)
    end)

    it("v2.samples:update{...} sends PATCH with ids inside and returns the records", function()
      local upd = assert(v2.samples:update { { id = 12, sample_type = "Flower" } })
      assert.equal(12, upd[1].id)
      assert.equal("Flower", upd[1].sample_type)
      local r = only_request()
      assert.equal("PATCH", r.method)
      assert.equal(V2 .. "/samples", r.path)
      assert.equal('[{"id":12,"sample_type":"Flower"}]', r.body)
      assert.equal("Flower", assert(v2.samples:get(12)).sample_type)
    end)

    it("v2.samples:delete(12) answers 204 -> true, and the sample is gone", function()
      assert.is_true(v2.samples:delete(12))
      local r = only_request()
      assert.equal("DELETE", r.method)
      assert.equal(V2 .. "/samples/12", r.path)
      assert.equal("", r.body)
      local s, err = v2.samples:get(12)
      assert.is_nil(s)
      assert.equal(404, err.status)
    end)

    local RESOURCES = {
      customers = { customer_name = "Made by spec" },
      contacts = { first_name = "Ada", last_name = "Lovelace" },
      orders = function() return { customer_account_id = some_id("customers") } end,
      samples = function() return { order_id = some_id("orders") } end,
      tests = function() return { sample_id = some_id("samples"), assay_id = some_id("assays") } end,
      assays = { title = "Spec assay" },
      panels = { title = "Spec panel" },
      invoices = function() return { order_id = some_id("orders"), order_ids = { some_id("orders") }, template_id = 1 } end,
      payments = function() return { customer_id = some_id("customers"), amount = 12, template_id = 1 } end,
      turnarounds = { name = "Spec turnaround", default_duration = 3, flag_background_color = "#fff",
        flag_text_color = "#000" },
    }
    for collection, record in pairs(RESOURCES) do
      it(collection .. ": create, update, delete on the wire, and a 400 path", function()
        local rec = type(record) == "function" and record() or record
        set_mark()
        local made, err = v2[collection]:create { rec }
        assert(made, tostring(err))
        local r = only_request()
        assert.equal("POST", r.method)
        assert.equal(V2 .. "/" .. collection:gsub("_", "-"), r.path)
        local id = made[1].id
        assert.equal("integer", math.type(id))
        set_mark()
        local upd = assert(v2[collection]:update { { id = id } })
        assert.equal(id, upd[1].id)
        assert.equal(string.format('[{"id":%d}]', id), only_request().body)
        set_mark()
        assert.is_true(v2[collection]:delete(id))
        assert.equal(string.format("%s/%s/%d", V2, collection:gsub("_", "-"), id), only_request().path)
        -- The server's 400: an update of a record that does not exist, sent with checks off.
        local raw <close> = qbench.new { url = sb.url, token = sb.token, validate = false }
        local none, bad = raw.v2[collection]:update { { id = "not an id" } }
        assert.is_nil(none)
        assert.equal(400, bad.status)
        assert.is_table(bad.errors)
        assert.is_string(bad.error_type)
      end)
    end
  end)

  describe("sub-collections and actions", function()
    it("v2.customers(7).contacts:create{...} and :delete(contact_id)", function()
      local contact = some_id("contacts")
      set_mark()
      assert(v2.customers(7).contacts:create { { contact_id = contact, receive_email = true } })
      local r = only_request()
      assert.equal("POST", r.method)
      assert.equal(V2 .. "/customers/7/contacts", r.path)
      local found = false
      for c in v2.customers(7).contacts:list() do if c.id == contact then found = true end end
      assert.is_true(found)
      set_mark()
      assert.is_true(v2.customers(7).contacts:delete(contact))
      assert.equal(string.format("%s/customers/7/contacts/%d", V2, contact), only_request().path)
    end)

    it("v2.payments(id).invoices: apply and unapply", function()
      local payment, invoice = some_id("payments"), some_id("invoices")
      set_mark()
      assert(v2.payments(payment).invoices:create { { invoice_id = invoice, applied_amount = 1 } })
      assert.equal(string.format("%s/payments/%d/invoices", V2, payment), only_request().path)
      set_mark()
      assert.is_true(v2.payments(payment).invoices:delete(invoice))
      assert.equal(string.format("%s/payments/%d/invoices/%d", V2, payment, invoice), only_request().path)
    end)

    it("v2.invoices(5):sync() -> true, without a body", function()
      assert.is_true(v2.invoices(5):sync())
      local r = only_request()
      assert.equal("POST", r.method)
      assert.equal(V2 .. "/invoices/5/sync", r.path)
      assert.equal("", r.body)
    end)

    it("v2.invoices(5):send_email{...} -> what came back (202)", function()
      local answer = assert(v2.invoices(5):send_email { emails = { "lab@example.com" } })
      assert.is_table(answer)
      local r = only_request()
      assert.equal(V2 .. "/invoices/5/send-email", r.path)
      assert.equal('{"emails":["lab@example.com"]}', r.body)
    end)

    it("v2.reports:publish{...} -> true (204)", function()
      local report = some_id("reports")
      set_mark()
      assert.is_true(v2.reports:publish { { id = report, send_emails = false } })
      local r = only_request()
      assert.equal(V2 .. "/reports/publish", r.path)
      assert.same({ { id = report, send_emails = false } }, r.json)
    end)

    it("v2.tests:named_cells{...} -> true (204)", function()
      assert.is_true(v2.tests:named_cells { { id = 1, qb_dynamic_spreadsheet_patch = qbench.object {} } })
      local r = only_request()
      assert.equal("PATCH", r.method)
      assert.equal(V2 .. "/tests/worksheets/dynamic/named-cells", r.path)
      assert.equal('[{"id":1,"qb_dynamic_spreadsheet_patch":{}}]', r.body)
    end)

    it("v2.labels(3):print(data_type, records)", function()
      assert(v2.labels(3):print("sample", { { id = 1, count = 2 } }))
      assert.equal(V2 .. "/labels/3/sample", only_request().path)
    end)
  end)

  describe("the server's 400 for sub-collection writes and actions", function()
    -- Sent with the client's own checks off, so that the sandbox's are what answers.
    local CASES = {
      { "customers(7).contacts:create", function(v) return v.customers(7).contacts:create { { contact_id = 999999 } } end },
      { "payments(1).invoices:create", function(v) return v.payments(1).invoices:create { { invoice_id = 999999, applied_amount = 1 } } end },
      { "invoices(5):send_email", function(v) return v.invoices(5):send_email { emails = "not an array" } end },
      { "reports:publish", function(v) return v.reports:publish { { id = 999999 } } end },
      { "tests:named_cells", function(v) return v.tests:named_cells { { id = "x" } } end },
      { "labels(1):print", function(v) return v.labels(1):print("sample", { { id = 999999 } }) end },
    }
    for _, case in ipairs(CASES) do
      it(case[1] .. ": nil and the 400 with v2's per-field errors", function()
        local raw <close> = qbench.new { url = sb.url, token = sb.token, validate = false }
        local result, err = case[2](raw.v2)
        assert.is_nil(result)
        assert.equal("http", err.kind)
        assert.equal(400, err.status)
        assert.is_table(err.errors)
        assert.is_true(#err.errors > 0)
        assert.is_string(err.errors[1].field)
        assert.equal(1, #helper.requests())
      end)
    end
  end)

  describe("bodies are checked before anything is sent", function()
    local function refused(fn, pattern)
      local ok, err = pcall(fn)
      assert.is_false(ok)
      assert.matches(pattern, err)
      assert.same({}, helper.requests(), "nothing was sent")
    end

    it("types per JSON type, naming the record and the field", function()
      refused(function() return v2.samples:create { { order_id = 1 }, { order_id = 1 }, { order_id = "12" } } end,
        "bad argument #1 to 'create' %(records%[3%]%.order_id: expected integer, got \"12\"%)")
      refused(function() return v2.samples:create { { inventory_stock_quantity_used = "2" } } end,
        "records%[1%]%.inventory_stock_quantity_used: expected number")
      refused(function() return v2.samples:create { { complete = "yes" } } end, "records%[1%]%.complete: expected boolean")
      refused(function() return v2.samples:create { { tags = "a" } } end, "records%[1%]%.tags: expected array")
      refused(function() return v2.samples:create { { order = 5 } } end, "records%[1%]%.order: expected object")
      refused(function() return v2.samples:create { { comments = 5 } } end, "records%[1%]%.comments: expected string")
      refused(function() return v2.samples:create { { order_id = 1.5 } } end, "expected integer, got 1.5")
    end)

    it("required fields, unknown fields with a suggestion, nested arrays", function()
      refused(function() return v2.samples:update { { sample_type = "x" } } end, "records%[1%]%.id: required")
      refused(function() return v2.samples:create { { ordr_id = 1 } } end,
        "records%[1%]%.ordr_id: unknown field: did you mean 'order_id'%?")
      refused(function() return v2.samples:create { { tags = { "a", 2 } } } end, "records%[1%]%.tags%[2%]: expected string")
      refused(function() return v2.attachments:create { { file_name = "x.pdf", object_id = 1 } } end,
        "records%[1%]%.attachment_type: required")
    end)

    it("maxLength counts characters, not bytes", function()
      -- PATCH customers: customer_name at most 250 characters; 250 two-byte characters pass.
      refused(function() return v2.customers:update { { id = 1, customer_name = string.rep("é", 251) } } end,
        "records%[1%]%.customer_name: at most 250 characters, got 251")
      local ok = v2.customers:update { { id = 1, customer_name = string.rep("é", 250) } }
      assert.is_table(ok)
    end)

    it("the body's own shape: records must be a non-empty array; object bodies must be tables", function()
      refused(function() return v2.samples:create {} end, "records must be a non%-empty array of records")
      refused(function() return v2.samples:create "x" end, "records must be a non%-empty array")
      refused(function() return v2.invoices(5):send_email "x" end, "body must be a table")
      refused(function() return v2.invoices(5):sync { 1 } end, "this call takes no body")
    end)

    it("validate = false sends what it is given", function()
      local raw <close> = qbench.new { url = sb.url, token = sb.token, validate = false }
      local made, err = raw.v2.samples:create { { order_id = "12" } }
      assert.is_nil(made)
      assert.equal(400, err.status)
      assert.equal('[{"order_id":"12"}]', only_request().body)
    end)
  end)

  describe("bulk bodies over max_batch", function()
    it("go out as several requests in order, and the result holds every record", function()
      local small <close> = qbench.new { url = sb.url, token = sb.token, max_batch = 2 }
      local recs = {}
      for i = 1, 5 do recs[i] = { customer_name = "Batch " .. i } end
      local made = assert(small.v2.customers:create(recs))
      assert.equal(5, #made)
      for i = 1, 5 do assert.equal("Batch " .. i, made[i].customer_name) end
      local sizes = {}
      for _, r in ipairs(helper.requests()) do sizes[#sizes + 1] = #qbench.decode(r.body) end
      assert.same({ 2, 2, 1 }, sizes)
    end)

    it("a failure in the middle says what was written and what was not", function()
      local small <close> = qbench.new { url = sb.url, token = sb.token, max_batch = 2, retries = 0 }
      helper.faults("POST " .. V2 .. "/customers", { "ok", "400" })
      local recs = {}
      for i = 1, 5 do recs[i] = { customer_name = "Batch " .. i } end
      local made, err = small.v2.customers:create(recs)
      assert.is_nil(made)
      assert.equal(400, err.status)
      assert.equal(2, err.written)
      assert.equal(3, #err.records)
      assert.equal("Batch 3", err.records[1].customer_name)
      assert.equal(2, #helper.requests())
    end)
  end)

  describe("under faults", function()
    for _, fault in ipairs { "503", "500", "502", "504", "drop", "truncate", "stall:1500" } do
      it("a POST or PATCH is never sent twice after " .. fault, function()
        local quick <close> = qbench.new { url = sb.url, token = sb.token, timeout = 0.5, sleep = function() end }
        helper.faults("POST " .. V2 .. "/customers", { fault })
        helper.faults("PATCH " .. V2 .. "/samples", { fault })
        local made, err = quick.v2.customers:create { { customer_name = "Once" } }
        assert.is_nil(made)
        local upd, err2 = quick.v2.samples:update { { id = 1 } }
        assert.is_nil(upd)
        local posts, patches = 0, 0
        for _, r in ipairs(helper.requests()) do
          if r.method == "POST" then posts = posts + 1 end
          if r.method == "PATCH" then patches = patches + 1 end
        end
        assert.equal(1, posts)
        assert.equal(1, patches)
        if fault ~= "503" then assert.equal("unknown", err.outcome) end
        assert.is_true(err2.sent)
      end)
    end

    it("a POST on 429 is retried: QBench did not process it", function()
      helper.faults("POST " .. V2 .. "/customers", { "429:1" })
      assert(v2.customers:create { { customer_name = "After 429" } })
      assert.equal(2, #helper.requests())
    end)

    it("a DELETE is retried, and a retry that finds the record gone is success", function()
      local quick <close> = qbench.new { url = sb.url, token = sb.token, timeout = 0.5, sleep = function() end }
      helper.faults("DELETE " .. V2 .. "/samples/3", { "stall:1500" })
      assert.is_true(quick.v2.samples:delete(3))
      assert.equal(2, #helper.requests())
    end)
  end)

  describe("every write of the generated table", function()
    -- A minimal valid value for a schema: required fields only, ids of records that exist.
    local function minimal(schema, name)
      local t = schema.type
      if schema.anyOf then return minimal(schema.anyOf[1], name) end
      if schema.enum then return schema.enum[1] end
      if t == "integer" then return 1 end
      if t == "number" then return 1 end
      if t == "boolean" then return false end
      if t == "string" then return name == "attachment_type" and "sample" or "x" end
      if t == "array" then return schema.items and qbench.array { minimal(schema.items, name) } or qbench.array {} end
      local out = qbench.object {}
      for _, field in ipairs(schema.required or {}) do out[field] = minimal(schema.properties[field], field) end
      return out
    end

    local function writes(def, chain, out)
      for name, m in pairs(def.methods or {}) do
        if m[1] ~= "GET" then out[#out + 1] = { chain = chain, name = name, entry = m } end
      end
      for name, child in pairs(def.children or {}) do writes(child, chain .. "." .. name, out) end
      if def.record then writes(def.record, chain .. "(1)", out) end
      return out
    end

    it("sends a minimal valid body to all 61 writes and gets a 2xx", function()
      local all = {}
      for _, collection in ipairs(require("qbench.v2").collections()) do
        writes(require("qbench.v2.api." .. collection), collection, all)
      end
      -- Each write once: the generated table lists record-level copies of get/delete too.
      local seen, unique = {}, {}
      for _, w in ipairs(all) do
        local key = w.entry[1] .. " " .. w.entry[2]
        if not seen[key] then seen[key] = true; unique[#unique + 1] = w end
      end
      assert.equal(61, #unique)
      table.sort(unique, function(a, b) return a.entry[1] .. a.entry[2] < b.entry[1] .. b.entry[2] end)
      local failures = {}
      for _, w in ipairs(unique) do
        helper.reset()
        local node = v2
        for step, call in w.chain:gmatch("([%w_]+)(%(?1?%)?)") do
          node = node[step]
          if call == "(1)" then node = node(1) end
        end
        local args = {}
        if w.entry.id then args[#args + 1] = w.entry.id_type == "string" and "sample" or 2 end
        if w.entry.body then args[#args + 1] = minimal(w.entry.body) end
        local ok, result, err = pcall(node[w.name], node, table.unpack(args))
        if not ok or result == nil then
          failures[#failures + 1] = string.format("%s %s: %s", w.entry[1], w.entry[2], tostring(ok and err or result))
        end
      end
      assert.same({}, failures)
    end)
  end)
end)
