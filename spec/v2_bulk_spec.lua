-- v2 write bodies as they reach the wire, and bulk writes over max_batch: everything is
-- checked, shaped and encoded before the first request; a failure part-way says which
-- records are written (err.written, err.results), which are not (err.records) and which
-- are in doubt (err.in_doubt), each record in exactly one place; an empty table where
-- the schema wants an object goes out as {}. Asserted on the raw bytes the sandbox got.
local qbench = require "qbench"
local helper = require "helper"

local V2 = "/qbench/api/v2"

describe("v2 write bodies and bulk writes", function()
  local sb
  setup(function() sb = helper.sandbox() end)
  before_each(function() helper.reset() end)

  local function client(opts)
    local o = { url = sb.url, token = sb.token, sleep = function() end }
    for k, v in pairs(opts or {}) do o[k] = v end
    return qbench.new(o)
  end

  local function names(records)
    local out = {}
    for i, r in ipairs(records) do out[i] = r.customer_name end
    return out
  end

  local function five()
    local recs = {}
    for i = 1, 5 do recs[i] = { customer_name = "Batch " .. i } end
    return recs
  end

  describe("everything is checked and encoded before the first request", function()
    it("a record a later request would carry that JSON cannot hold raises, names its index, and nothing is sent", function()
      local qb <close> = client { max_batch = 2 }
      local recs = five()
      recs[5].customer_name = "bad \255 utf-8"
      local ok, err = pcall(qb.v2.customers.create, qb.v2.customers, recs)
      assert.is_false(ok)
      assert.matches("bad argument #1 to 'create' %(records%[5%]%.customer_name: cannot send it as JSON: invalid UTF%-8",
        err)
      assert.same({}, helper.requests())
    end)

    it("the same with validate = false, deep inside a record of the caller's whole array", function()
      local qb <close> = client { max_batch = 50, validate = false }
      local recs = {}
      for i = 1, 120 do recs[i] = { customer_name = "R" .. i } end
      recs[73].contacts = { { id = 1 }, { id = 0 / 0 } }
      local ok, err = pcall(qb.v2.customers.create, qb.v2.customers, recs)
      assert.is_false(ok)
      assert.matches("%(records%[73%]%.contacts%[2%]%.id: cannot send it as JSON: cannot encode NaN%)", err)
      assert.same({}, helper.requests())
    end)

    it("an object body that JSON cannot hold names body.<field>", function()
      local qb <close> = client { validate = false }
      local ok, err = pcall(function() return qb.v2.invoices(5):send_email { emails = { "a@b.c", print } } end)
      assert.is_false(ok)
      assert.matches("body%.emails%[2%]", err)
      assert.same({}, helper.requests())
    end)

    it("the slices carry exactly the bytes of one encoding of every record, sorted keys", function()
      local qb <close> = client { max_batch = 2 }
      local recs = five()
      recs[3].tags = { "b", "a" }
      recs[3].phone = "555"
      assert(qb.v2.customers:create(recs))
      local bodies = {}
      for i, r in ipairs(helper.requests()) do bodies[i] = r.body end
      assert.same({
        '[{"customer_name":"Batch 1"},{"customer_name":"Batch 2"}]',
        '[{"customer_name":"Batch 3","phone":"555","tags":["b","a"]},{"customer_name":"Batch 4"}]',
        '[{"customer_name":"Batch 5"}]',
      }, bodies)
    end)
  end)

  describe("a failure part-way", function()
    local function partition(err, all)
      -- Every record in exactly one of results, in_doubt and records, in the caller's order.
      local seen = {}
      for _, r in ipairs(err.results) do seen[#seen + 1] = r.customer_name end
      for _, r in ipairs(err.in_doubt) do seen[#seen + 1] = r.customer_name end
      for _, r in ipairs(err.records) do seen[#seen + 1] = r.customer_name end
      assert.same(names(all), seen)
    end

    it("a 201 with an undecodable body in a later request: its records are in doubt, not 'not written'", function()
      local qb <close> = client { max_batch = 2, retries = 0 }
      helper.faults("POST " .. V2 .. "/customers", { "ok", "garbage" })
      local recs = five()
      local made, err = qb.v2.customers:create(recs)
      assert.is_nil(made)
      assert.equal("decode", err.kind)
      assert.equal(200, err.status)
      assert.equal("unknown", err.outcome)
      assert.equal(2, err.written)
      assert.same({ "Batch 1", "Batch 2" }, names(err.results))
      assert.equal("integer", math.type(err.results[1].id), "the records as the server returned them")
      assert.same({ "Batch 3", "Batch 4" }, names(err.in_doubt))
      assert.same({ "Batch 5" }, names(err.records))
      assert.equal(recs[5], err.records[1], "the caller's own records")
      partition(err, recs)
      assert.equal(2, #helper.requests(), "nothing after the failure")
    end)

    it("a 2xx whose data is not an array of records is in doubt too", function()
      local qb <close> = client { max_batch = 2, retries = 0 }
      helper.faults("POST " .. V2 .. "/customers", { "ok", "ok", "json:duplicate-keys" })
      local recs = five()
      local made, err = qb.v2.customers:create(recs)
      assert.is_nil(made)
      assert.equal("decode", err.kind)
      assert.equal("unknown", err.outcome)
      assert.equal("unexpected answer: data is not an array (got nil)", err.message)
      assert.equal(4, err.written)
      assert.same({ "Batch 5" }, names(err.in_doubt))
      assert.same({}, err.records)
      partition(err, recs)
    end)

    for _, case in ipairs {
      { fault = "500", doubt = true }, { fault = "drop", doubt = true }, { fault = "504", doubt = true },
      { fault = "400", doubt = false }, { fault = "503", doubt = false }, { fault = "404", doubt = false },
    } do
      it("a " .. case.fault .. " on the second request: " .. (case.doubt and "in doubt" or "not written"), function()
        local qb <close> = client { max_batch = 2, retries = 0 }
        helper.faults("POST " .. V2 .. "/customers", { "ok", case.fault })
        local recs = five()
        local made, err = qb.v2.customers:create(recs)
        assert.is_nil(made)
        assert.equal(2, err.written)
        assert.same({ "Batch 1", "Batch 2" }, names(err.results))
        if case.doubt then
          assert.equal("unknown", err.outcome)
          assert.same({ "Batch 3", "Batch 4" }, names(err.in_doubt))
          assert.same({ "Batch 5" }, names(err.records))
        else
          assert.is_nil(err.outcome)
          assert.same({}, err.in_doubt)
          assert.same({ "Batch 3", "Batch 4", "Batch 5" }, names(err.records))
        end
        partition(err, recs)
      end)
    end

    it("a failure of the first request: nothing written, no results", function()
      local qb <close> = client { max_batch = 2, retries = 0 }
      helper.faults("PATCH " .. V2 .. "/customers", { "400" })
      local recs = {}
      for i = 1, 3 do recs[i] = { id = i, customer_name = "Batch " .. i } end
      local upd, err = qb.v2.customers:update(recs)
      assert.is_nil(upd)
      assert.equal(0, err.written)
      assert.same({}, err.results)
      assert.same({}, err.in_doubt)
      assert.equal(3, #err.records)
    end)

    it("after 204 answers written counts the records while results stays empty", function()
      local qb <close> = client { max_batch = 1, retries = 0 }
      helper.faults("POST " .. V2 .. "/reports/publish", { "ok", "500" })
      local reports = {}
      for r in qb.v2.reports:list { page_size = 3 } do
        reports[#reports + 1] = { id = r.id }
        if #reports == 3 then break end
      end
      helper.reset()
      helper.faults("POST " .. V2 .. "/reports/publish", { "ok", "500" })
      local done, err = qb.v2.reports:publish(reports)
      assert.is_nil(done)
      assert.equal(1, err.written)
      assert.same({}, err.results)
      assert.same({ reports[2] }, err.in_doubt)
      assert.same({ reports[3] }, err.records)
    end)
  end)

  describe("empty tables where the schema wants an object", function()
    local function raw_body() return helper.requests()[1].body end

    it("an empty record goes out as {}, not []", function()
      local qb <close> = client()
      qb.v2.customers(7).contacts:create { {} }
      assert.equal("[{}]", raw_body())
    end)

    it("{} nested in a record's array of objects goes out as {}", function()
      local qb <close> = client()
      local rec = { first_name = "Ada", customers = { {} } }
      qb.v2.contacts:create { rec }
      assert.equal('[{"customers":[{}],"first_name":"Ada"}]', raw_body())
      -- The caller's tables are unchanged: no mark, the same tables, still [] alone.
      assert.is_nil(getmetatable(rec))
      assert.is_nil(getmetatable(rec.customers[1]))
      assert.equal('{"customers":[[]],"first_name":"Ada"}', qbench.encode(rec, { sort_keys = true }))
    end)

    it("an object field, and an object body, left empty go out as {}", function()
      local qb <close> = client()
      qb.v2.samples:update { { id = 3, order = {} } }
      assert.equal('[{"id":3,"order":{}}]', raw_body())
      helper.reset()
      qb.v2.invoices(5):send_email {}
      assert.equal("{}", raw_body())
    end)

    it("with validate = false too, and empty arrays where arrays belong stay []", function()
      local qb <close> = client { validate = false }
      qb.v2.contacts(1).customers:create { {} }
      assert.equal("[{}]", raw_body())
      helper.reset()
      qb.v2.contacts:create { { first_name = "Ada", tags = {}, customers = {} } }
      assert.equal('[{"customers":[],"first_name":"Ada","tags":[]}]', raw_body())
    end)

    it("over max_batch, in every slice, and plan shows the bytes that are sent", function()
      local qb <close> = client { max_batch = 1 }
      local recs = { { first_name = "A", customers = { {} } }, { first_name = "B", customers = { {}, {} } } }
      local plan = qb:plan(function(q) q.v2.contacts:create(recs) end)
      assert(qb.v2.contacts:create(recs))
      local sent = helper.requests()
      assert.equal(2, #plan)
      assert.equal('[{"customers":[{}],"first_name":"A"}]', sent[1].body)
      assert.equal('[{"customers":[{},{}],"first_name":"B"}]', sent[2].body)
      assert.equal(sent[1].body, plan[1].body)
      assert.equal(sent[2].body, plan[2].body)
    end)
  end)

  describe("checks a planted bug would get past", function()
    it("qbench.null for a required field is refused on the client", function()
      local qb <close> = client()
      for _, call in ipairs {
        { function() return qb.v2.samples:update { { id = qbench.null } } end, "records%[1%]%.id: required" },
        { function() return qb.v2.contacts:create { { first_name = "A" }, { first_name = qbench.null } } end,
          "records%[2%]%.first_name: required" },
        { function() return qb.v2.payments(1):send_email { emails = qbench.null } end, "body%.emails: required" },
      } do
        local ok, err = pcall(call[1])
        assert.is_false(ok)
        assert.matches(call[2], err)
      end
      assert.same({}, helper.requests())
    end)
  end)
end)
