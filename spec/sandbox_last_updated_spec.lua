-- The sandbox's last_updated: stamped by every write that changes what a record
-- shows, and the list filters last_updated (Unix seconds, at or after) and
-- last_updated_start / last_updated_end (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, UTC,
-- optional Z) where the digest declares them; include_deleted=DELETED_ONLY
-- gives the deleted records, filtered the same way.
local helper = require "helper"

local V2 = helper.V2

local function get(path)
  local status, body = helper.call("GET", V2 .. path)
  assert.equal(200, status, path)
  return body
end

local function lu_of(col, id) return tonumber(get(col .. "/" .. id).data.last_updated) end

-- Every record of a list (all pages), as {id = last_updated}.
local function listed(path)
  local out, page = {}, 1
  while true do
    local sep = path:find("?", 1, true) and "&" or "?"
    local body = get(path .. sep .. "page_size=50&page_num=" .. page)
    for _, r in ipairs(body.data) do out[r.id] = tonumber(r.last_updated) end
    if page >= body.total_pages then return out end
    page = page + 1
  end
end

local function ids(set)
  local out = {}
  for id in pairs(set) do out[#out + 1] = id end
  table.sort(out)
  return out
end

local function recent(t) return t ~= nil and math.abs(t - os.time()) <= 5 end

describe("sandbox last_updated", function()
  before_each(function() helper.reset() end)

  describe("changes on every write", function()
    it("a created record has now; an updated one gets now", function()
      local status, body = helper.call("POST", V2 .. "samples", { body = { { order_id = 1, sample_type = "Water" } } })
      assert.equal(201, status)
      assert.is_true(recent(tonumber(body.data[1].last_updated)))
      assert.is_false(recent(lu_of("samples", 3)))
      assert.equal(200, (helper.call("PATCH", V2 .. "samples", { body = { { id = 3, comments = "x" } } })))
      assert.is_true(recent(lu_of("samples", 3)))
    end)

    it("a deleted record gets now, and DELETED_ONLY lists it with it", function()
      assert.is_false(recent(lu_of("samples", 7)))
      assert.equal(204, (helper.call("DELETE", V2 .. "samples/7")))
      local deleted = listed("samples?include_deleted=DELETED_ONLY")
      assert.same({ 7 }, ids(deleted))
      assert.is_true(recent(deleted[7]))
      assert.is_nil(listed("samples")[7])
    end)

    it("a record that embeds the written one gets now: a sample's tests, an invoice's items", function()
      assert.is_false(recent(lu_of("samples", 5)))
      assert.equal(201, (helper.call("POST", V2 .. "tests", { body = { { sample_id = 5, assay_id = 1 } } })))
      assert.is_true(recent(lu_of("samples", 5)))
      assert.is_false(recent(lu_of("samples", 4)))
      -- Moving test 7 (of sample 4) away and deleting it both change what sample 4 shows.
      assert.equal(200, (helper.call("PATCH", V2 .. "tests", { body = { { id = 7, sample_id = 6 } } })))
      assert.is_true(recent(lu_of("samples", 4)))
      assert.is_true(recent(lu_of("samples", 6)))
      assert.equal(204, (helper.call("DELETE", V2 .. "invoice-items/4")))
      assert.is_true(recent(tonumber(get("invoices/2").data.last_updated)))
    end)

    it("both sides of a link and an unlink: customer and contact", function()
      assert.equal(204, (helper.call("POST", V2 .. "customers/3/contacts", { body = { { contact_id = 9 } } })))
      assert.is_true(recent(lu_of("customers", 3)))
      assert.is_true(recent(lu_of("contacts", 9)))
      helper.reset()
      assert.equal(204, (helper.call("DELETE", V2 .. "customers/2/contacts/2")))
      assert.is_true(recent(lu_of("customers", 2)))
      assert.is_true(recent(lu_of("contacts", 2)))
    end)

    it("a payment applied to an invoice, and an action that changes an invoice's fields", function()
      assert.equal(204, (helper.call("POST", V2 .. "payments/4/invoices", { body = { { invoice_id = 8, applied_amount = 5 } } })))
      assert.is_true(recent(lu_of("payments", 4)))
      assert.is_true(recent(lu_of("invoices", 8)))
      assert.is_false(recent(lu_of("invoices", 9)))
      assert.equal(204, (helper.call("POST", V2 .. "invoices/9/sync")))
      assert.is_true(recent(lu_of("invoices", 9)))
    end)
  end)

  describe("list filters", function()
    local all

    before_each(function() all = listed("samples") end)

    -- The ids whose last_updated passes `keep`.
    local function expected(keep)
      local out = {}
      for id, t in pairs(all) do
        if keep(t) then out[#out + 1] = id end
      end
      table.sort(out)
      return out
    end

    local function middle()
      local times = {}
      for _, t in pairs(all) do times[#times + 1] = t end
      table.sort(times)
      return times[#times // 2]
    end

    it("last_updated is a Unix time: updated at or after it", function()
      local t = middle()
      local got = ids(listed("samples?last_updated=" .. t))
      assert.same(expected(function(x) return x >= t end), got)
      assert.is_true(#got > 0 and #got < 60)
      assert.same({}, ids(listed("samples?last_updated=" .. (os.time() + 3600))))
    end)

    it("last_updated_start and _end take YYYY-MM-DDTHH:MM:SS (UTC, Z or not) or a date", function()
      local t = middle()
      local iso = os.date("!%Y-%m-%dT%H:%M:%S", t)
      assert.same(expected(function(x) return x >= t end), ids(listed("samples?last_updated_start=" .. iso)))
      assert.same(expected(function(x) return x >= t end), ids(listed("samples?last_updated_start=" .. iso .. "Z")))
      assert.same(expected(function(x) return x <= t end), ids(listed("samples?last_updated_end=" .. iso)))
      -- A date alone: from its first second, to its last.
      local day = os.date("!%Y-%m-%d", t)
      local day_start = t - t % 86400
      assert.same(expected(function(x) return x >= day_start end), ids(listed("samples?last_updated_start=" .. day)))
      assert.same(expected(function(x) return x <= day_start + 86399 end), ids(listed("samples?last_updated_end=" .. day)))
      assert.same(expected(function(x) return x >= day_start and x <= day_start + 86399 end),
        ids(listed("samples?last_updated_start=" .. day .. "&last_updated_end=" .. day)))
    end)

    it("a value of another form is a 400 naming the filter", function()
      for _, q in ipairs { "last_updated=yesterday", "last_updated=-5", "last_updated_start=2025-13-01",
        "last_updated_start=2025-02-30", "last_updated_end=02/14/2025", "last_updated_start=2025-02-14T25:00:00" } do
        local status, body = helper.call("GET", V2 .. "samples?" .. q)
        assert.equal(400, status, q)
        assert.equal(q:match("^([%w_]+)="), body.errors[1].field, q)
      end
      -- Where the digest declares no such filter, it is an unknown parameter, as before.
      local status, body = helper.call("GET", V2 .. "teams?last_updated=1")
      assert.equal(400, status)
      assert.equal("unknown query parameter", body.errors[1].message)
    end)

    it("DELETED_ONLY with a window gives the records deleted in it", function()
      local before = os.time() - 1
      assert.equal(204, (helper.call("DELETE", V2 .. "samples/11")))
      assert.same({ 11 }, ids(listed("samples?include_deleted=DELETED_ONLY&last_updated=" .. before)))
      assert.same({}, ids(listed("samples?include_deleted=DELETED_ONLY&last_updated=" .. (os.time() + 60))))
    end)

    it("a sub-collection list that declares last_updated honours it", function()
      -- /samples/1/batches declares last_updated; sample 1 is in batch 1.
      local t = tonumber(get("batches/1").data.last_updated)
      assert.same({ 1 }, ids(listed("samples/1/batches?last_updated=" .. t)))
      assert.same({}, ids(listed("samples/1/batches?last_updated=" .. (t + 1))))
    end)
  end)
end)
