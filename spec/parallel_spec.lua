-- Parallel pagination and get_many on libcurl's multi interface.
local qbench = require "qbench"
local helper = require "helper"

local API = "/qbench/api/v1/"

describe("parallel pages", function()
  local sb, qb

  setup(function()
    sb = helper.sandbox()
    qb = qbench.new { url = sb.url, token = sb.token, sleep = function() end }
  end)
  teardown(function()
    qb:close()
    helper.reset()
  end)
  before_each(function() helper.reset { customers = 200 } end)

  local function page_requests()
    local out = {}
    for _, r in ipairs(helper.requests()) do
      if r.path == API .. "customer" then out[#out + 1] = r end
    end
    return out
  end

  for _, concurrency in ipairs { 1, 2, 4, 8 } do
    it("list yields every customer in order at concurrency " .. concurrency, function()
      local ids = {}
      for c in qb.customer:list { page_size = 10, concurrency = concurrency } do ids[#ids + 1] = c.id end
      assert.equal(200, #ids)
      for i = 1, 200 do assert.equal(i, ids[i]) end
      local pages = {}
      for _, r in ipairs(page_requests()) do pages[#pages + 1] = tonumber(r.query:match("page_num=(%d+)")) end
      table.sort(pages)
      local want = {}
      for n = 1, 20 do want[n] = n end
      assert.same(want, pages) -- each page fetched exactly once
    end)
  end

  it("keeps page order when later pages finish first", function()
    helper.faults("GET " .. API .. "customer?page_num=2&*", { "stall:300" })
    local order = {}
    for p in qb.customer:pages { page_size = 50, concurrency = 3 } do order[#order + 1] = p.data[1].id end
    assert.same({ 1, 51, 101, 151 }, order)
  end)

  it("never has more than concurrency pages under way or waiting", function()
    local yielded, worst = 0, 0
    for _ in qb.customer:pages { page_size = 5, concurrency = 3 } do
      yielded = yielded + 1
      local ahead = #page_requests() - yielded
      worst = math.max(worst, ahead)
      assert.is_true(ahead <= 3, "fetched " .. ahead .. " pages ahead of the loop")
    end
    assert.equal(40, yielded)
    assert.equal(3, worst) -- and it does run ahead
  end)

  it("all and pages take concurrency too", function()
    local all = assert(qb.customer:all { page_size = 20, concurrency = 4 })
    assert.equal(200, #all)
    assert.equal(200, all[200].id)
    local n = 0
    for p in qb.customer:pages { concurrency = 4 } do n = n + #p.data end
    assert.equal(200, n)
  end)

  it("retries a failing page and never skips it", function()
    helper.faults("GET " .. API .. "customer?page_num=3&*", { "503", "drop" })
    local ids = {}
    for c in qb.customer:list { page_size = 20, concurrency = 4 } do ids[#ids + 1] = c.id end
    assert.equal(200, #ids)
    assert.equal(41, ids[41])
    local tries = 0
    for _, r in ipairs(page_requests()) do
      if r.query:match("^page_num=3&") then tries = tries + 1 end
    end
    assert.equal(3, tries)
  end)

  it("raises the error when a page finally fails, and the client stays usable", function()
    helper.faults("GET " .. API .. "customer?page_num=4&*", { "404" })
    local seen = 0
    local ok, err = pcall(function()
      for _ in qb.customer:list { page_size = 20, concurrency = 4 } do seen = seen + 1 end
    end)
    assert.is_false(ok)
    assert.equal(404, err.status)
    assert.equal(60, seen)
    assert.equal(7, assert(qb.customer:get(7)).id)
  end)

  it("cancels what is in flight on break, and the client stays usable", function()
    for page = 3, 5 do helper.faults("GET " .. API .. "customer?page_num=" .. page .. "&*", { "stall:400" }) end
    local finished = {}
    local watched <close> = qbench.new { url = sb.url, token = sb.token,
      on_request = function(info) finished[#finished + 1] = info.path end }
    local n = 0
    for _ in watched.customer:pages { page_size = 10, concurrency = 4 } do
      n = n + 1
      if n == 2 then break end
    end
    assert.equal(2, n)
    assert.equal(7, assert(watched.customer:get(7)).id)
    for _, path in ipairs(finished) do
      assert.is_nil(path:match("page_num=[345]&"), "a cancelled page was completed: " .. path)
    end
  end)

  it("reuses connections across parallel transfers and across walks", function()
    local function ports()
      local set, n = {}, 0
      for _, r in ipairs(page_requests()) do
        assert.is_number(r.remote_port)
        if not set[r.remote_port] then set[r.remote_port], n = true, n + 1 end
      end
      return set, n
    end
    -- The first pages are slowed, so the first walk has all four transfers in
    -- flight at once whatever the machine's speed: it opens every connection
    -- a walk can need, and the second must find them all open.
    helper.faults("GET " .. API .. "customer", { "stall:100", "stall:100", "stall:100", "stall:100", "stall:100" })
    for _ in qb.customer:pages { page_size = 5, concurrency = 4 } do end
    local first, count = ports()
    assert.is_true(count <= 5, count .. " connections for 40 pages")
    helper.reset { customers = 200 }
    for _ in qb.customer:pages { page_size = 5, concurrency = 4 } do end
    -- Every connection of the first walk that the second had use for is reused: a loaded
    -- machine may let the second walk have more transfers in flight at once than the first.
    local second, second_count = ports()
    local reused = 0
    for port in pairs(second) do
      if first[port] then reused = reused + 1 end
    end
    assert.equal(math.min(count, second_count), reused, "connections of the first walk reused by the second")
  end)

  for _, mode in ipairs { "null", "missing" } do
    it("falls back to one page at a time until an empty page when total_pages is " .. mode, function()
      helper.reset { customers = 95, total_pages = mode }
      local first = assert(qb.customer:page { page_size = 50 })
      assert.equal(95, first.total_count)
      if mode == "null" then assert.equal(qbench.null, first.total_pages) else assert.is_nil(first.total_pages) end
      helper.reset { customers = 95, total_pages = mode }
      local ids = {}
      for c in qb.customer:list { page_size = 20, concurrency = 4 } do ids[#ids + 1] = c.id end
      assert.equal(95, #ids)
      assert.equal(95, ids[95])
      local queries = {}
      for _, r in ipairs(page_requests()) do queries[#queries + 1] = r.query end
      assert.same({ "page_num=1&page_size=20", "page_num=2&page_size=20", "page_num=3&page_size=20",
        "page_num=4&page_size=20", "page_num=5&page_size=20", "page_num=6&page_size=20" }, queries)
    end)
  end

  it("asks for compressed answers", function()
    for _ in qb.customer:pages { page_size = 50, concurrency = 2 } do end
    for _, r in ipairs(page_requests()) do assert.matches("gzip", r.headers["accept-encoding"]) end
  end)

  it("bounds concurrency by the client's max_concurrency", function()
    local small <close> = qbench.new { url = sb.url, token = sb.token, max_concurrency = 2 }
    local ok, err = pcall(small.customer.list, small.customer, { concurrency = 3 })
    assert.is_false(ok)
    assert.matches("bad argument #1 to 'list' (concurrency (at most the client's max_concurrency) must be an integer from 1 to 2, got 3)", err, 1, true)
    assert.has_error(function() qb.customer:pages { concurrency = 0 } end)
    assert.same({}, helper.requests())
  end)
end)

describe("max_concurrency across nested loops", function()
  -- The sandbox answers 429 once N requests are in flight; with retries = 0 a 429 fails the call.
  local function nested_walk(limit, max_concurrency)
    local sb = helper.start { "--concurrency-limit", tostring(limit), "--latency-ms", "30", "--customers", "60",
      "--die-with-parent", "--quiet" }
    local qb <close> = qbench.new { url = sb.url, token = "sandbox-token", retries = 0, max_concurrency = max_concurrency }
    local seen, refused = 0, 0
    local ok, err = pcall(function()
      for page in qb.customer:pages { page_size = 10, concurrency = max_concurrency } do
        local ids = {}
        for i, c in ipairs(page.data) do ids[i] = c.id end
        for _, c in ipairs(qb.customer:get_many(ids, { concurrency = max_concurrency })) do
          if qbench.is_error(c) then refused = refused + 1 else seen = seen + 1 end
        end
      end
    end)
    sb.stop()
    return seen, refused, ok or err
  end

  it("keeps every request of a client, walks and plain calls together, within max_concurrency exactly", function()
    local seen, refused, walk = nested_walk(3, 3)
    assert.is_true(walk == true, tostring(walk))
    assert.equal(0, refused)
    assert.equal(60, seen)
  end)

  it("the same walk against a limit one below max_concurrency is refused: the count above is tight", function()
    local seen, refused, walk = nested_walk(2, 3)
    assert.is_true(refused > 0 or walk ~= true, "never more than 2 in flight: the cap was not reached")
    assert.is_true(seen < 60)
  end)

  it("a walk without `concurrency` runs at most max_concurrency pages at once when that is below 4", function()
    local function walk(limit)
      local sb = helper.start { "--concurrency-limit", tostring(limit), "--latency-ms", "50", "--customers", "100",
        "--die-with-parent", "--quiet" }
      local qb <close> = qbench.new { url = sb.url, token = "sandbox-token", retries = 0, max_concurrency = 2 }
      local all, err = qb.customer:all { page_size = 5 } -- 20 pages, default concurrency
      sb.stop()
      return all, err
    end
    local all, err = walk(2)
    assert.is_table(all, tostring(err))
    assert.equal(100, #all)
    local none, refused = walk(1) -- and it does run two at once
    assert.is_nil(none)
    assert.equal(429, refused.status)
  end)
end)

describe("get_many", function()
  local sb, qb
  setup(function()
    sb = helper.sandbox()
    qb = qbench.new { url = sb.url, token = sb.token, sleep = function() end }
  end)
  teardown(function() qb:close() end)
  before_each(function() helper.reset() end)

  it("returns customers in the order of ids, with error entries for missing ones", function()
    local ids = { 9, 3, 4242, 70, 3, 1 }
    local out = qb.customer:get_many(ids, { concurrency = 3 })
    assert.equal(#ids, #out)
    for i, id in ipairs(ids) do
      if id == 4242 then
        assert.is_true(qbench.is_error(out[i]))
        assert.equal(404, out[i].status)
      else
        assert.equal(id, out[i].id)
      end
    end
    local paths = {}
    for _, r in ipairs(helper.requests()) do paths[#paths + 1] = r.path end
    table.sort(paths)
    assert.same({ API .. "customer/1", API .. "customer/3", API .. "customer/3", API .. "customer/4242",
      API .. "customer/70", API .. "customer/9" }, paths)
  end)

  it("checks its arguments before sending", function()
    local ok, err = pcall(qb.customer.get_many, qb.customer, {})
    assert.is_false(ok)
    assert.matches("bad argument #1 to 'get_many' (ids must be a non-empty array)", err, 1, true)
    assert.has_error(function() qb.customer:get_many({ 1, 0 }) end)
    assert.has_error(function() qb.customer:get_many({ 1 }, { concurrency = 11 }) end)
    assert.has_error(function() qb.customer:get_many({ 1 }, { speed = 1 }) end)
    assert.same({}, helper.requests())
  end)
end)
