-- API v2 reads through qb.v2: for collections of every shape, the exact request the
-- sandbox received and the value returned; filters of every kind; walks; errors;
-- and every GET of the generated table reachable and accepted.
local qbench = require "qbench"
local helper = require "helper"

local V2 = "/qbench/api/v2"

describe("qb.v2 reads", function()
  local sb, qb, v2
  setup(function()
    sb = helper.sandbox()
    qb = qbench.new { url = sb.url, token = sb.token }
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
  local function requests_since_mark() return helper.requests_since(mark) end

  describe("the documented calls", function()
    it("v2.samples:get(12) returns the data object, unwrapped", function()
      local s = assert(v2.samples:get(12))
      assert.equal(12, s.id)
      assert.equal("integer", math.type(s.id))
      assert.is_nil(s.data)
      local r = only_request()
      assert.equal("GET", r.method)
      assert.equal(V2 .. "/samples/12", r.path)
      assert.equal("", r.query)
      assert.equal("Bearer " .. sb.token, r.headers.authorization)
      assert.equal("application/json", r.headers.accept)
    end)

    it("v2.samples:page{...} returns the page envelope and sends repeated array keys", function()
      local orders = assert(v2.orders:page { page_size = 2 }).data
      set_mark()
      local p = assert(v2.samples:page { page_num = 1, page_size = 50, order_ids = { orders[1].id, orders[2].id } })
      assert.equal(1, p.page_number)
      assert.is_number(p.total_count)
      assert.is_number(p.total_pages)
      assert.is_table(p.data)
      assert.is_true(#p.data > 0)
      for _, s in ipairs(p.data) do
        assert.is_true(s.order_id == orders[1].id or s.order_id == orders[2].id)
      end
      local r = only_request()
      assert.equal(V2 .. "/samples", r.path)
      assert.equal(string.format("order_ids=%d&order_ids=%d&page_num=1&page_size=50", orders[1].id, orders[2].id), r.query)
    end)

    it("v2.tests:list{sample_ids, sort_by, sort_order} walks every matching test in order", function()
      local ids = {}
      for t in v2.tests:list { sample_ids = { 12 }, sort_by = "id", sort_order = "DESC" } do
        assert.equal(12, t.sample_id)
        ids[#ids + 1] = t.id
      end
      assert.is_true(#ids > 0)
      for i = 2, #ids do assert.is_true(ids[i - 1] > ids[i]) end
      local r = helper.requests()[1]
      assert.equal(V2 .. "/tests", r.path)
      assert.equal("page_num=1&page_size=50&sample_ids=12&sort_by=id&sort_order=DESC", r.query)
    end)

    it("a sub-collection: v2.customers(7).contacts:list()", function()
      local n = 0
      for c in v2.customers(7).contacts:list() do
        assert.is_number(c.id)
        n = n + 1
      end
      local r = helper.requests()[1]
      assert.equal(V2 .. "/customers/7/contacts", r.path)
      assert.equal("page_num=1&page_size=50", r.query)
      local p = assert(v2.customers(7).contacts:page())
      assert.equal(n, p.total_count)
    end)

    it("nested reads: v2.tests(5).worksheet.data:get() and its boolean filters", function()
      local ws = assert(v2.tests(5).worksheet.data:get())
      assert.is_table(ws)
      local r = only_request()
      assert.equal(V2 .. "/tests/5/worksheet/data", r.path)
      set_mark()
      assert(v2.tests(5).worksheet.data:get { raw_worksheet_data = true, worksheet_config = false })
      assert.equal("raw_worksheet_data=true&worksheet_config=false", only_request().query)
    end)

    it("an integration: v2.integrations(4).customers:list() and :get(id)", function()
      local list = assert(v2.integrations(4).customers:all())
      assert.equal(V2 .. "/integrations/4/customers", helper.requests()[1].path)
      if #list > 0 then
        set_mark()
        -- Integration records are keyed by entity_id (the digest gives them no id).
        local c = assert(v2.integrations(4).customers:get(list[1].entity_id))
        assert.equal(list[1].entity_id, c.entity_id)
        assert.equal(string.format("%s/integrations/4/customers/%d", V2, list[1].entity_id), only_request().path)
      end
    end)

    it("pages, all and get_many", function()
      local pages = 0
      for p in v2.orders:pages { page_size = 5 } do
        pages = pages + 1
        assert.is_true(#p.data <= 5)
      end
      assert.is_true(pages >= 3)
      local all = assert(v2.orders:all { page_size = 5 })
      local total = assert(v2.orders:page { page_size = 1 }).total_count
      assert.equal(total, #all)
      local many = v2.samples:get_many({ 3, 1, 2 }, { concurrency = 4 })
      assert.equal(3, many[1].id)
      assert.equal(1, many[2].id)
      assert.equal(2, many[3].id)
    end)

    it("collections of every shape answer their documented request", function()
      local cases = {
        { function() return v2.customers:page { page_size = 3 } end, "/customers", "page_num=1&page_size=3" },
        { function() return v2.assays:page { page_size = 3 } end, "/assays", "page_num=1&page_size=3" },
        { function() return v2.batches:page { page_size = 3 } end, "/batches", "page_num=1&page_size=3" },
        { function() return v2.invoices:page { page_size = 3 } end, "/invoices", "page_num=1&page_size=3" },
        { function() return v2.invoice_items:page { page_size = 3 } end, "/invoice-items", "page_num=1&page_size=3" },
        { function() return v2.assay_categories:page() end, "/assay-categories", "page_num=1&page_size=50" },
        { function() return v2.location_types:page() end, "/location-types", "page_num=1&page_size=50" },
        { function() return v2.api_clients:page() end, "/api-clients", "page_num=1&page_size=50" },
        { function() return v2.orders(1).samples:page() end, "/orders/1/samples", "page_num=1&page_size=50" },
        { function() return v2.batches(2).children:page() end, "/batches/2/children", "page_num=1&page_size=50" },
        { function() return v2.samples(3).sub_samples:page() end, "/samples/3/sub-samples", "page_num=1&page_size=50" },
        { function() return v2.invoices(1).invoice_items:page() end, "/invoices/1/invoice-items", "page_num=1&page_size=50" },
        { function() return v2.orders(1).comments:page() end, "/orders/1/comments", "page_num=1&page_size=50" },
        { function() return v2.users:get(1) end, "/users/1", "" },
        { function() return v2.teams:get(1) end, "/teams/1", "" },
        { function() return v2.batches(1).worksheet.data:get() end, "/batches/1/worksheet/data", "" },
      }
      for _, case in ipairs(cases) do
        set_mark()
        local value, err = case[1]()
        assert(value, tostring(err))
        local r = only_request()
        assert.equal(V2 .. case[2], r.path)
        assert.equal(case[3], r.query)
        if case[3] ~= "" then assert.is_table(value.data) else assert.is_nil(value.data) end
      end
    end)
  end)

  describe("filters", function()
    local function raises(fn, pattern)
      local ok, err = pcall(fn)
      assert.is_false(ok)
      assert.matches(pattern, err)
      assert.same({}, helper.requests(), "nothing is sent")
    end

    it("array, boolean, enum, integer and string filters on the wire", function()
      -- samples' ids are strings in the description, its order_ids integers: each as declared.
      assert(v2.samples:page { ids = { "3", "1" }, order_ids = { 2 }, include_deleted = "TRUE", sort_order = "ASC",
        sort_by = "id" })
      assert.equal("ids=3&ids=1&include_deleted=TRUE&order_ids=2&page_num=1&page_size=50&sort_by=id&sort_order=ASC",
        only_request().query)
      set_mark()
      assert(v2.assays:page { active = true })
      assert.equal("active=true&page_num=1&page_size=50", only_request().query)
    end)

    it("an enum value in the wrong case raises, naming the values", function()
      raises(function() return v2.samples:page { sort_order = "asc" } end,
        "bad argument #1 to 'page' %(filter 'sort_order' must be one of ASC, DESC, got \"asc\"%)")
    end)

    it("an unknown filter raises, naming the closest known one", function()
      raises(function() return v2.samples:page { order_id = 3 } end,
        "unknown filter 'order_id' for samples: did you mean 'order_ids'%?")
      raises(function() for _ in v2.tests:list { smaple_ids = { 1 } } do end end, "did you mean 'sample_ids'")
      raises(function() return v2.users:page { sort_order = "ASC" } end, "unknown filter 'sort_order' for users")
    end)

    it("wrong types raise: integers, arrays, booleans", function()
      raises(function() return v2.samples:page { order_ids = { 1.5 } } end, "filter 'order_ids%[1%]' must be an integer, got 1.5")
      raises(function() return v2.samples:page { order_ids = 3 } end, "filter 'order_ids' must be a non%-empty array of integers")
      raises(function() return v2.samples:page { order_ids = {} } end, "non%-empty array")
      raises(function() return v2.samples:page { ids = { 3 } } end, "filter 'ids%[1%]' must be a string, got 3")
      raises(function() return v2.tests(1).worksheet.data:get { raw_worksheet_data = "yes" } end,
        "filter 'raw_worksheet_data' must be a boolean")
    end)

    it("page_size is 1..50 and page_num >= 1", function()
      raises(function() return v2.samples:page { page_size = 51 } end, "page_size must be an integer from 1 to 50, got 51")
      raises(function() return v2.samples:page { page_num = 0 } end, "page_num must be an integer >= 1, got 0")
    end)

    it("a method or a collection the API does not have raises, naming what there is", function()
      raises(function() return v2.users:create { {} } end, "v2 users has no 'create' %(it has: all, get, get_many, list, page, pages%)")
      raises(function() return v2.sample end, "qb.v2 has no collection 'sample': did you mean 'samples'%?")
      raises(function() return v2.samples(0) end, "sample_id must be a positive integer, got 0")
      raises(function() return v2.samples:get("12") end, "sample_id must be a positive integer, got \"12\"")
    end)
  end)

  describe("walks", function()
    for _, concurrency in ipairs { 1, 4 } do
      it("walk 3+ pages at concurrency " .. concurrency .. ": every record once, in order", function()
        local total = assert(v2.samples:page { page_size = 1 }).total_count
        assert.is_true(total > 2 * 7, "the sandbox has enough samples for 3 pages of 7")
        set_mark()
        local ids = {}
        for s in v2.samples:list { page_size = 7, concurrency = concurrency, sort_by = "id", sort_order = "ASC" } do
          ids[#ids + 1] = s.id
        end
        assert.equal(total, #ids)
        for i = 2, #ids do assert.is_true(ids[i - 1] < ids[i]) end
        local pages = {}
        for _, r in ipairs(requests_since_mark()) do
          assert.equal(V2 .. "/samples", r.path)
          pages[#pages + 1] = tonumber(r.query:match("page_num=(%d+)"))
        end
        table.sort(pages)
        for i, n in ipairs(pages) do assert.equal(i, n) end
        assert.equal((total + 6) // 7, #pages)
      end)
    end

    it("a break stops the walk", function()
      local n = 0
      for _ in v2.samples:list { page_size = 5, concurrency = 3 } do
        n = n + 1
        if n == 7 then break end
      end
      assert(qb.v2.samples:get(1)) -- the client goes on working
    end)
  end)

  describe("errors", function()
    it("a 404 fills the v2 fields: message, error_type, error_token", function()
      local s, err = v2.samples:get(999999)
      assert.is_nil(s)
      assert.equal("http", err.kind)
      assert.equal(404, err.status)
      assert.is_string(err.error_type)
      assert.is_string(err.error_token)
      assert.equal(err.body.error_description, err.message)
      assert.matches("GET /qbench/api/v2/samples/999999 HTTP 404", tostring(err))
    end)

    it("a 400 from the server carries err.errors as given", function()
      local body, err = v2:request("GET", "samples", { query = { page_size = 51 } })
      assert.is_nil(body)
      assert.equal(400, err.status)
      assert.is_table(err.errors)
      assert.is_string(err.error_type)
    end)

    it("qb.v2:request takes v2-relative paths", function()
      local body, status = assert(v2:request("GET", "samples/2"))
      assert.equal(200, status)
      assert.equal(2, body.data.id)
      assert.equal(V2 .. "/samples/2", helper.last_request().path)
    end)
  end)

  describe("the whole generated table", function()
    -- Every GET of the digest, reached through qb.v2 with ids of records that exist.
    local function reads(def, chain, out)
      for name, m in pairs(def.methods or {}) do
        if m[1] == "GET" then out[#out + 1] = { chain = chain, name = name, entry = m } end
      end
      for name, child in pairs(def.children or {}) do
        reads(child, chain .. "." .. name, out)
      end
      if def.record then reads(def.record, chain .. "(1)", out) end
      return out
    end

    it("every v2 GET is reachable from qb.v2 and accepted by the sandbox", function()
      local found = {}
      for _, collection in ipairs(require("qbench.v2").collections()) do
        reads(require("qbench.v2.api." .. collection), collection, found)
      end
      -- Each GET once: a record's own get() repeats its collection's get(id).
      local seen, all = {}, {}
      for _, read in ipairs(found) do
        if not seen[read.entry[2]] then seen[read.entry[2]] = true; all[#all + 1] = read end
      end
      table.sort(all, function(a, b) return a.entry[2] < b.entry[2] end)
      assert.equal(108, #all, "the digest's 108 GETs")
      local failures = {}
      for _, read in ipairs(all) do
        -- Walk from qb.v2 along the chain: names and (1) for records.
        -- Walk from qb.v2 along the chain: names, and (1) for records (a string id such as
        -- an API client's is looked up in its collection first).
        local node = v2
        for step, call in read.chain:gmatch("([%w_]+)(%(?1?%)?)") do
          node = node[step]
          if call == "(1)" then
            local first = 1
            if node.def.record.param_type == "string" then first = assert(node:page { page_size = 1 }).data[1].id end
            node = node(first)
          end
        end
        local value, err
        if read.name == "list" then
          value, err = node:page { page_size = 2 }
        elseif read.entry.id then
          local first = 1
          if read.entry.id_type == "string" then first = assert(node:page { page_size = 1 }).data[1].id end
          value, err = node:get(first)
        else
          value, err = node:get()
        end
        if value == nil then failures[#failures + 1] = read.entry[2] .. ": " .. tostring(err) end
      end
      assert.same({}, failures)
    end)
  end)
end)
