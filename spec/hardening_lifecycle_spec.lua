-- Lifecycle: closing, collection, finalizers and coroutines around a client,
-- and what many clients and many calls leave behind.
-- QBENCH_SOAK=1 (make soak) runs the long versions: 10,000 clients and
-- 200,000 calls; the suite runs shorter ones.
local qbench = require "qbench"
local core = require "qbench.core"
local helper = require "helper"
local cases = require "hardening_cases"

local SOAK = os.getenv("QBENCH_SOAK") == "1"

local open_fds = helper.open_descriptors

local function rss_kb()
  for line in io.lines("/proc/self/status") do
    local kb = line:match("^VmRSS:%s+(%d+) kB")
    if kb then return tonumber(kb) end
  end
end

describe("lifecycle", function()
  local sb
  setup(function() sb = helper.sandbox() end)
  before_each(function() helper.reset() end)

  local function new_client(extra)
    local opts = { url = sb.url, token = sb.token, retries = 0 }
    for k, v in pairs(extra or {}) do opts[k] = v end
    return qbench.new(opts)
  end

  it("every method of a closed client raises a clear error and sends nothing", function()
    local qb = new_client()
    qb:close()
    qb:close()
    for _, m in ipairs(cases.METHODS) do
      -- list and pages raise too, but cases.METHODS turns an iterator's raise into nil, err
      local ok, value, err = pcall(m[3], qb)
      if ok then assert.is_nil(value, m[1]) else err = value end
      assert.matches("attempt to use a closed qbench client", tostring(err), 1, true)
    end
    assert.same({}, helper.requests())
    assert.equal("qbench.Client (closed)", tostring(qb))
  end)

  it("the C handle: closing twice is fine, use after close raises", function()
    local h = core.new {}
    h:close()
    h:close()
    local ok, err = pcall(h.request, h, "GET", sb.url .. "/qbench/api/v1/customer/1")
    assert.is_false(ok)
    assert.matches("attempt to use a closed qbench client", err, 1, true)
    assert.equal("qbench.Handle (closed)", tostring(h))
  end)

  it("an iterator whose client was closed raises; one whose client was dropped is collected", function()
    local qb = new_client()
    local iter = qb.customer:list { page_size = 2 }
    assert.equal(1, iter().id)
    assert.equal(2, iter().id)
    qb:close()
    local ok, err = pcall(iter)
    assert.is_false(ok)
    assert.matches("closed qbench client", tostring(err), 1, true)

    for _ = 1, 20 do
      local open_iter = new_client().customer:pages { page_size = 1 }
      assert(open_iter())
    end
    collectgarbage()
    collectgarbage()
    assert(new_client().customer:get(1))
  end)

  it("a finalizer that closes the client in the middle of its request does no harm", function()
    -- A 1 MB answer makes the request allocate enough for collection steps,
    -- and so finalizers, to run while the C function is between libcurl and
    -- its return values.
    local h = core.new { timeout = 10 }
    local headers = { "Authorization: Bearer " .. sb.token }
    local url = sb.url .. "/qbench/api/v1/customer/1"
    local inside, closed_inside = false, false
    local attempts = 0
    collectgarbage("incremental", 0, 100) -- see the next test
    while not closed_inside and attempts < 200 do
      attempts = attempts + 1
      helper.faults("GET /qbench/api/v1/customer/1", { "big:1000001" })
      for _ = 1, 2000 do
        setmetatable({}, { __gc = function()
          if inside and not closed_inside then
            closed_inside = true
            h:close()
          end
        end })
      end
      inside = true
      local status, _, body = h:request("GET", url, headers)
      inside = false
      assert.equal(200, status)
      assert.equal(1000001, #body)
      assert.equal("[0,0,0", body:sub(1, 6))
    end
    collectgarbage("incremental", 200, 100)
    assert.is_true(closed_inside, "a finalizer ran during a request")
    assert.equal("qbench.Handle (closed)", tostring(h))
  end)

  it("a finalizer that sends a request on the same client in the middle of one works", function()
    local h = core.new { timeout = 10 }
    local headers = { "Authorization: Bearer " .. sb.token }
    local inside, nested = false, nil
    local attempts = 0
    -- A collector that never pauses takes a step at each of the request's allocations, so a
    -- finalizer runs inside it whatever the rhythm earlier specs left the collector in.
    collectgarbage("incremental", 0, 100)
    while not nested and attempts < 200 do
      attempts = attempts + 1
      helper.faults("GET /qbench/api/v1/customer/1", { "big:1000001" })
      for _ = 1, 2000 do
        setmetatable({}, { __gc = function()
          if inside and not nested then
            nested = { h:request("GET", sb.url .. "/qbench/api/v1/customer/2", headers) }
          end
        end })
      end
      inside = true
      local status, _, body = h:request("GET", sb.url .. "/qbench/api/v1/customer/1", headers)
      inside = false
      assert.equal(200, status)
      assert.equal(1000001, #body)
    end
    collectgarbage("incremental", 200, 100) -- Lua's defaults
    assert.is_table(nested, "a finalizer ran during a request")
    assert.equal(200, nested[1])
    assert.equal(2, qbench.decode(nested[3]).id)
    h:close()
  end)

  it("several coroutines share one client", function()
    local qb <close> = new_client()
    local seen = {}
    local workers = {}
    for w = 1, 4 do
      workers[w] = coroutine.wrap(function()
        for c in qb.customer:list { page_size = 5, page_num = w } do
          seen[#seen + 1] = c.id
          coroutine.yield(true)
        end
        return false
      end)
    end
    local live = #workers
    while live > 0 do
      live = 0
      for w = 1, #workers do
        if workers[w] and workers[w]() then live = live + 1 else workers[w] = false end
      end
    end
    table.sort(seen)
    -- Worker w starts at page w, so customers 1..75 from page 1 to 15 are seen
    -- by one worker, 6..75 by the next, and so on: 75 + 70 + 65 + 60 ids.
    assert.equal(270, #seen)
    assert.equal(1, seen[1])
    assert.equal(75, seen[#seen])
  end)

  it(SOAK and "10,000 clients created and dropped leave no file descriptor open"
    or "500 clients created and dropped leave no file descriptor open", function()
    collectgarbage()
    local before = open_fds()
    local function churn(n)
      for i = 1, n do
        local qb = new_client()
        assert(qb.customer:get(1 + i % 75))
        if i % 2 == 0 then qb:close() end -- half closed, half left to the collector
      end
    end
    churn(SOAK and 10000 or 500)
    collectgarbage()
    collectgarbage()
    local after = open_fds()
    if SOAK then
      local function count(list) return select(2, list:gsub("\n", "")) end
      io.stderr:write(string.format("\nsoak: %d open descriptors before, %d after\n", count(before), count(after)))
    end
    assert.equal(before, after)
  end)

  if SOAK then
    it("200,000 GETs on one client keep resident memory flat", function()
      local qb <close> = new_client()
      local function run(n) for i = 1, n do assert(qb.customer:get(1 + i % 75)) end end
      run(20000)
      collectgarbage()
      local warm = rss_kb()
      run(180000)
      collectgarbage()
      local after = rss_kb()
      io.stderr:write(string.format("\nsoak: RSS %d kB after 20,000 GETs, %d kB after 200,000\n", warm, after))
      assert.is_true(after <= warm * 1.10, string.format("RSS %d kB after warm-up, %d kB at the end", warm, after))
    end)
  end
end)
