-- Retries, backoff, pacing and tracing. Waits go through an injected sleep
-- that records instead of sleeping, so the suite stays quick.
local qbench = require "qbench"
local retry = require "qbench.retry"
local helper = require "helper"

local API = "/qbench/api/v1/"

describe("retries", function()
  local sb, waits

  setup(function() sb = helper.sandbox() end)
  before_each(function()
    helper.reset()
    waits = {}
  end)

  local function new(extra)
    local opts = { url = sb.url, token = sb.token, timeout = 1, sleep = function(s) waits[#waits + 1] = s end }
    for k, v in pairs(extra or {}) do opts[k] = v end
    return qbench.new(opts)
  end

  local function count(method, path)
    local n = 0
    for _, r in ipairs(helper.requests()) do
      if r.method == method and r.path == path then n = n + 1 end
    end
    return n
  end

  -- A stall costs the client's timeout: those clients get the specs' short one.
  local function timed(fault) return fault == helper.stall and { timeout = helper.short_timeout } or nil end

  for _, fault in ipairs { "503", "500", "502", "504", "drop", "truncate", helper.stall } do
    it("retries a GET after " .. fault .. " and then succeeds", function()
      local qb <close> = new(timed(fault))
      helper.faults("GET " .. API .. "customer/1", { fault })
      local c = assert(qb.customer:get(1))
      assert.equal(1, c.id)
      assert.equal(2, count("GET", API .. "customer/1"))
      assert.equal(1, #waits)
    end)
  end

  it("waits what Retry-After says on a 429", function()
    local qb <close> = new()
    helper.faults("GET " .. API .. "customer/1", { "429:7" })
    assert(qb.customer:get(1))
    assert.same({ 7 }, waits)
  end)

  it("retries PUT and DELETE on a 503", function()
    local qb <close> = new()
    helper.faults("PUT " .. API .. "customer/2", { "503" })
    helper.faults("DELETE " .. API .. "customer/3", { "503" })
    assert.is_true(qb.customer:update(2, { phone = "1" }))
    assert.is_true(qb.customer:delete(3))
    assert.equal(2, count("PUT", API .. "customer/2"))
    assert.equal(2, count("DELETE", API .. "customer/3"))
  end)

  for _, fault in ipairs { "503", "500", "drop", "truncate", helper.stall } do
    it("never sends a POST twice after " .. fault, function()
      local qb <close> = new(timed(fault))
      assert(qb.customer:get(1)) -- a live keep-alive connection to tempt libcurl into a resend
      helper.faults("POST " .. API .. "customer", { fault })
      local id, err = qb.customer:create { customer_name = "Once" }
      assert.equal(1, count("POST", API .. "customer"))
      assert.equal(1, err and err.attempts or 1)
      assert.same({}, waits)
      if not id then assert.is_true(qbench.is_error(err)) end
    end)
  end

  it("never sends a PATCH twice after a 503", function()
    local qb <close> = new()
    helper.faults("PATCH " .. API .. "customer/4/assays", { "503" })
    local ok, err = qb.customer:update_assay_discounts(4, { { assay_id = 1, base_price = 1, discount = 1 } })
    assert.is_nil(ok)
    assert.equal(503, err.status)
    assert.equal(1, count("PATCH", API .. "customer/4/assays"))
  end)

  it("retries a POST on a 429, which QBench did not process", function()
    local qb <close> = new()
    helper.faults("POST " .. API .. "customer", { "429:1" })
    local id = assert(qb.customer:create { customer_name = "After 429" })
    assert.equal("integer", math.type(id))
    assert.equal(2, count("POST", API .. "customer"))
    assert.same({ 1 }, waits)
  end)

  it("retries a POST whose connection could not be made (nothing was sent)", function()
    local other = helper.start { "--quiet" }
    local url = other.url
    other.stop()
    local qb <close> = new { url = url, retries = 2 }
    local id, err = qb.customer:create { customer_name = "Nowhere" }
    assert.is_nil(id)
    assert.equal("network", err.kind)
    assert.equal(3, err.attempts)
    assert.equal(2, #waits)
  end)

  it("gives up after `retries` and says how many attempts were made", function()
    local qb <close> = new { retries = 2, backoff = 1, max_backoff = 3 }
    helper.faults("GET " .. API .. "customer/1", { "503", "503", "503", "503" })
    local c, err = qb.customer:get(1)
    assert.is_nil(c)
    assert.equal(503, err.status)
    assert.equal(3, err.attempts)
    assert.equal(3, count("GET", API .. "customer/1"))
    assert.equal(2, #waits)
    assert.is_true(waits[1] >= 0 and waits[1] <= 1)
    assert.is_true(waits[2] >= 0 and waits[2] <= 2)
  end)

  it("does not retry a 404 or a 400", function()
    local qb <close> = new()
    local _, err = qb.customer:get(9999)
    assert.equal(1, err.attempts)
    helper.faults("GET " .. API .. "customer/1", { "400" })
    local _, err2 = qb.customer:get(1)
    assert.equal(400, err2.status)
    assert.same({}, waits)
  end)

  it("retries a failing page inside list and never skips it", function()
    helper.reset { customers = 75 }
    local qb <close> = new()
    helper.faults("GET " .. API .. "customer", { "ok", "503", "drop" })
    local n = 0
    for _ in qb.customer:list() do n = n + 1 end
    assert.equal(75, n)
    assert.equal(4, count("GET", API .. "customer"))
  end)

  it("raises from list after the last try", function()
    helper.reset { customers = 75 }
    local qb <close> = new { retries = 1 }
    helper.faults("GET " .. API .. "customer", { "ok", "503", "503" })
    local n = 0
    local ok, err = pcall(function() for _ in qb.customer:list() do n = n + 1 end end)
    assert.is_false(ok)
    assert.equal(2, err.attempts)
    assert.equal(50, n)
  end)
end)

describe("backoff", function()
  it("is full jitter under an exponential ceiling capped by max_backoff", function()
    local policy = { retries = 10, backoff = 0.5, max_backoff = 3 }
    for attempt = 1, 8 do
      local ceiling = math.min(3, 0.5 * 2 ^ (attempt - 1))
      local lo, hi = math.huge, -math.huge
      for _ = 1, 200 do
        local w = retry.backoff(policy, attempt)
        lo, hi = math.min(lo, w), math.max(hi, w)
      end
      assert.is_true(lo >= 0 and hi <= ceiling, "attempt " .. attempt)
      assert.is_true(hi > ceiling / 2, "jitter spans the range")
    end
  end)
end)

describe("rate_limit", function()
  it("paces 100 calls under the sandbox's --rate-limit 20/0.4 without a single 429", function()
    local sb = helper.start { "--rate-limit", "20/0.4", "--die-with-parent", "--quiet" }
    local statuses = {}
    local qb <close> = qbench.new {
      url = sb.url, token = "sandbox-token", retries = 0, rate_limit = { requests = 20, per = 0.4 },
      on_request = function(info) statuses[info.status] = (statuses[info.status] or 0) + 1 end,
    }
    local t0 = require("qbench.core").time()
    for i = 1, 100 do assert(qb.customer:get(i % 75 + 1)) end
    local took = require("qbench.core").time() - t0
    sb.stop()
    assert.same({ [200] = 100 }, statuses)
    -- 100 calls at 20 per 0.4 s: four full waits, so about 1.6 s; a pacer that waits too long is a bug too.
    assert.is_true(took >= 1.5 and took < 3 * helper.time_scale, "took " .. took)
  end)

  it("waits, with an injected clock, exactly until the window has room", function()
    local sb = helper.sandbox()
    helper.reset()
    local now, slept = 1000, {}
    local qb <close> = qbench.new {
      url = sb.url, token = sb.token, rate_limit = { requests = 3, per = 10 },
      clock = function() return now end,
      sleep = function(s) slept[#slept + 1] = s; now = now + s end,
    }
    for _ = 1, 3 do assert(qb.customer:get(1)) end
    assert.same({}, slept)
    now = now + 4
    assert(qb.customer:get(1))
    assert.same({ 6 }, slept)
  end)

  it("counts each request from its own time: calls spread over the window free up one by one", function()
    local sb = helper.sandbox()
    helper.reset()
    local now, slept = 1000, {}
    local qb <close> = qbench.new {
      url = sb.url, token = sb.token, rate_limit = { requests = 3, per = 10 },
      clock = function() return now end,
      sleep = function(s) slept[#slept + 1] = s; now = now + s end,
    }
    -- Requests at t = 0, 2 and 5: the window holds them all.
    assert(qb.customer:get(1)); now = now + 2
    assert(qb.customer:get(1)); now = now + 3
    assert(qb.customer:get(1))
    assert.same({}, slept)
    -- The 4th waits for the 1st to leave the window (t = 10), the 5th for the 2nd (t = 12),
    -- the 6th for the 3rd (t = 15): each slot is its own request's, not a neighbour's.
    assert(qb.customer:get(1))
    assert(qb.customer:get(1))
    assert(qb.customer:get(1))
    assert.same({ 5, 2, 3 }, slept)
    assert.equal(1015, now)
  end)
end)

describe("on_request and QBENCH_DEBUG", function()
  it("calls on_request after every attempt with method, path, status, time, attempt and error kind", function()
    local sb = helper.sandbox()
    helper.reset()
    local infos = {}
    local qb <close> = qbench.new { url = sb.url, token = sb.token, sleep = function() end,
      on_request = function(info) infos[#infos + 1] = info end }
    helper.faults("GET " .. API .. "customer/1", { "503" })
    assert(qb.customer:get(1))
    assert.equal(2, #infos)
    assert.equal("GET", infos[1].method)
    assert.equal(API .. "customer/1", infos[1].path)
    assert.equal(503, infos[1].status)
    assert.equal("http", infos[1].error_kind)
    assert.equal(1, infos[1].attempt)
    assert.equal(2, infos[2].attempt)
    assert.equal(200, infos[2].status)
    assert.is_nil(infos[2].error_kind)
    assert.is_number(infos[2].elapsed)
    local keys = {}
    for k in pairs(infos[1]) do keys[#keys + 1] = k end
    table.sort(keys)
    assert.same({ "attempt", "elapsed", "error_kind", "method", "path", "status" }, keys)
  end)

  it("prints one line per attempt on stderr with QBENCH_DEBUG=1, without the token", function()
    local sb = helper.sandbox()
    helper.reset()
    helper.faults("GET " .. API .. "customer/2", { "503" })
    local script = string.format([[
      package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
      package.cpath = "build/?.so;" .. package.cpath
      local qb = require("qbench").new { url = %q, token = %q, sleep = function() end }
      assert(qb.customer:get(2))
    ]], sb.url, sb.token)
    local p = io.popen(string.format("QBENCH_DEBUG=1 lua5.4 -e %q 2>&1 >/dev/null", script))
    local out = p:read("a")
    p:close()
    local lines = {}
    for line in out:gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.equal(2, #lines)
    assert.matches("^qbench: GET /qbench/api/v1/customer/2 %-> 503 in [%d.]+ s %(attempt 1%), http$", lines[1])
    assert.matches("^qbench: GET /qbench/api/v1/customer/2 %-> 200 in [%d.]+ s %(attempt 2%)$", lines[2])
    assert.is_nil(out:find(sb.token, 1, true))
  end)
end)
