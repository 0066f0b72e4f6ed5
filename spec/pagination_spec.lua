-- list, pages and all walk every page in order, and stop where QBench says.
local qbench = require "qbench"
local helper = require "helper"

describe("pagination", function()
  local qb

  setup(function()
    local sb = helper.sandbox()
    qb = qbench.new { url = sb.url, token = sb.token }
  end)
  teardown(function()
    qb:close()
    helper.reset()
  end)

  local function page_queries()
    local out = {}
    for _, r in ipairs(helper.requests()) do
      if r.path == "/qbench/api/v1/customer" then out[#out + 1] = r.query end
    end
    -- Pages may arrive out of order when fetched in parallel; order is list's job, tested elsewhere.
    table.sort(out, function(a, b) return tonumber(a:match("page_num=(%d+)")) < tonumber(b:match("page_num=(%d+)")) end)
    return out
  end

  local function expected_queries(pages, size)
    local out = {}
    for n = 1, math.max(pages, 1) do out[n] = string.format("page_num=%d&page_size=%d", n, size) end
    return out
  end

  for _, count in ipairs { 0, 1, 50, 51, 75 } do
    describe("over " .. count .. " customers", function()
      local pages = math.ceil(count / 50)
      before_each(function() helper.reset { customers = count } end)

      it("list yields every customer once, in id order, one request a page", function()
        local ids = {}
        for customer in qb.customer:list { page_size = 50 } do
          assert.equal("integer", math.type(customer.id))
          ids[#ids + 1] = customer.id
        end
        local want = {}
        for i = 1, count do want[i] = i end
        assert.same(want, ids)
        assert.same(expected_queries(pages, 50), page_queries())
      end)

      it("pages yields every page table in order", function()
        local seen = {}
        for p in qb.customer:pages { page_size = 50 } do
          seen[#seen + 1] = #p.data
          assert.equal(count, p.total_count)
          assert.equal(pages, p.total_pages)
        end
        local want = {}
        for n = 1, pages do want[n] = math.min(50, count - (n - 1) * 50) end
        assert.same(want, seen)
      end)

      it("all returns one array of every customer", function()
        local all = assert(qb.customer:all { page_size = 50 })
        assert.equal(count, #all)
        if count > 0 then assert.equal(count, all[count].id) end
      end)
    end)
  end

  it("walks small pages (7 a page over 75 customers: 11 requests)", function()
    helper.reset { customers = 75 }
    local n = 0
    for _ in qb.customer:list { page_size = 7 } do n = n + 1 end
    assert.equal(75, n)
    assert.same(expected_queries(11, 7), page_queries())
  end)

  it("starts at page_num when given", function()
    helper.reset { customers = 75 }
    local first
    for c in qb.customer:list { page_num = 2, page_size = 50 } do
      first = first or c.id
    end
    assert.equal(51, first)
    assert.same({ "page_num=2&page_size=50" }, page_queries())
  end)

  it("fetches no further page after a break", function()
    helper.reset { customers = 75 }
    local n = 0
    for c in qb.customer:list { page_size = 10, concurrency = 1 } do
      n = n + 1
      if c.id == 15 then break end
    end
    assert.equal(15, n)
    assert.same(expected_queries(2, 10), page_queries())
  end)

  it("fetches at most `concurrency` pages ahead, and nothing after a break", function()
    helper.reset { customers = 75 }
    for c in qb.customer:list { page_size = 10 } do -- default concurrency: 4
      if c.id == 15 then break end
    end
    -- Page 2 holds id 15: the walk may have asked for pages 3 to 6 ahead of it, never 7.
    -- Counted by page number, not by time: pages sent before the break may reach the log later.
    local function pages_asked()
      local nums = {}
      for _, query in ipairs(page_queries()) do nums[#nums + 1] = tonumber(query:match("page_num=(%d+)")) end
      table.sort(nums)
      return nums
    end
    for _ = 1, 3 do assert(qb.customer:get(1)) end
    local asked = pages_asked()
    assert.is_true(#asked >= 2, #asked .. " pages asked")
    assert.is_true(#asked <= 6 and asked[#asked] <= 6, "pages asked: " .. table.concat(asked, ","))
    for i = 2, #asked do assert.is_true(asked[i] > asked[i - 1], "a page asked twice") end
  end)

  it("list and pages raise the error object; all returns nil, err", function()
    helper.reset { customers = 75 }
    local once <close> = qbench.new { url = helper.sandbox().url, token = helper.sandbox().token, retries = 0 }
    helper.faults("GET /qbench/api/v1/customer", { "ok", "503" })
    local seen = 0
    local ok, err = pcall(function()
      for _ in once.customer:list { page_size = 50 } do seen = seen + 1 end
    end)
    assert.is_false(ok)
    assert.is_true(qbench.is_error(err))
    assert.equal(503, err.status)
    assert.equal(50, seen)

    helper.faults("GET /qbench/api/v1/customer", { "500" })
    ok, err = pcall(function() for _ in once.customer:pages() do end end)
    assert.is_false(ok)
    assert.equal(500, err.status)

    helper.faults("GET /qbench/api/v1/customer", { "ok", "garbage" })
    local all, err2 = once.customer:all()
    assert.is_nil(all)
    assert.equal("decode", err2.kind)
  end)
end)
