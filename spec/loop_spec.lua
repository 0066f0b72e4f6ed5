-- Calls that never block the host's event loop: the cqueues and luv adapters.
-- Each case runs the same scenario on both loops; times are bounded.
local qbench = require "qbench"
local core = require "qbench.core"
local helper = require "helper"

local API = "/qbench/api/v1/"

local LOOPS = require "loops"

local open_sockets = helper.open_sockets

for name, make in pairs(LOOPS) do
  describe("qbench.loop." .. name, function()
    local slow, sb
    setup(function()
      sb = helper.sandbox()
      slow = helper.start { "--latency-ms", "1000", "--token", "T", "--die-with-parent", "--quiet" }
    end)
    teardown(function() slow.stop() end)
    before_each(function() helper.reset() end)

    it("a list walk in a coroutine gives the same records as outside one; get_many too", function()
      local loop = make()
      local qb <close> = qbench.new { url = sb.url, token = sb.token, loop = loop.adapter }
      local outside = {}
      for c in qb.customer:list { page_size = 10 } do outside[#outside + 1] = c.id end -- blocks: main coroutine
      local inside, many = {}, nil
      loop.spawn(function()
        for c in qb.customer:list { page_size = 10, concurrency = 4 } do inside[#inside + 1] = c.id end
        many = qb.customer:get_many({ 5, 3, 9 }, { concurrency = 3 })
      end)
      loop.run()
      assert.equal(75, #outside)
      assert.same(outside, inside)
      assert.same({ 5, 3, 9 }, { many[1].id, many[2].id, many[3].id })
    end)

    it("retries wait in the loop: the host keeps running during back-off", function()
      local loop = make()
      local qb <close> = qbench.new { url = sb.url, token = sb.token, loop = loop.adapter, backoff = 0.4, max_backoff = 0.4 }
      helper.faults("GET " .. API .. "customer/2", { "503", "503" })
      local ticks, done, c = 0, false, nil
      loop.spawn(function() while not done do ticks = ticks + 1; loop.sleep(0.01) end end)
      loop.spawn(function()
        c = qb.customer:get(2)
        done = true
      end)
      math.randomseed(7)
      loop.run()
      assert.equal(2, c.id)
      assert.is_true(ticks > 1, "ticked during the waits")
    end)

    it("one token request however many coroutines ask at once", function()
      local oauth = helper.start { "--client-id", "cid", "--client-secret", "sec", "--latency-ms", "100",
        "--die-with-parent", "--quiet" }
      local loop = make()
      local qb <close> = qbench.new { url = oauth.url, client_id = "cid", client_secret = "sec", loop = loop.adapter }
      local ok = 0
      for i = 1, 8 do
        loop.spawn(function()
          assert(qb.customer:get(i))
          ok = ok + 1
        end)
      end
      loop.run()
      local tokens = 0
      for _, r in ipairs(helper.requests(oauth)) do
        if r.path == "/qbench/oauth2/v1/token" then tokens = tokens + 1 end
      end
      oauth.stop()
      assert.equal(8, ok)
      assert.equal(1, tokens)
    end)

    it("pacing counts every coroutine of the client", function()
      local limited = helper.start { "--rate-limit", "6/0.3", "--token", "T", "--die-with-parent", "--quiet" }
      local loop = make()
      local statuses = {}
      local qb <close> = qbench.new { url = limited.url, token = "T", loop = loop.adapter, retries = 0,
        rate_limit = { requests = 6, per = 0.3 },
        on_request = function(i) statuses[i.status] = (statuses[i.status] or 0) + 1 end }
      for _ = 1, 3 do
        loop.spawn(function() for _ = 1, 6 do assert(qb.customer:get(1)) end end)
      end
      local t0 = core.time()
      loop.run()
      local took = core.time() - t0
      limited.stop()
      assert.same({ [200] = 18 }, statuses)
      -- 18 requests, 6 per 0.3 s: two full waits.
      assert.is_true(took >= 0.57 and took < 1.5 * helper.time_scale, "took " .. took)
    end)

    it("a coroutine abandoned mid-walk, then qb:close(), leaves no socket open", function()
      local loop = make()
      collectgarbage()
      collectgarbage() -- earlier tests' clients, closed by their finalizers
      local before = open_sockets()
      local qb = qbench.new { url = slow.url, token = "T", loop = loop.adapter }
      local started, walk_error = false, nil
      loop.spawn(function()
        started = true
        local ok, err = pcall(function()
          for _ in qb.customer:list { page_size = 5, concurrency = 4 } do end
        end)
        walk_error = not ok and tostring(err)
      end)
      loop.spawn(function()
        loop.sleep(0.3) -- the walk's first request is under way, then the host gives up on it
        qb:close()
      end)
      loop.run() -- ends: closing woke the walk, which found its client closed
      assert.is_true(started)
      assert.matches("closed qbench client", walk_error)
      collectgarbage()
      collectgarbage()
      assert.equal(before, open_sockets())
    end)

    it("outside any coroutine the same client blocks as without an adapter", function()
      local loop = make()
      local qb <close> = qbench.new { url = sb.url, token = sb.token, loop = loop.adapter }
      local c = assert(qb.customer:get(3))
      assert.equal(3, c.id)
      assert.equal(3, #assert(qb.customer:all { page_size = 25 }) // 25)
    end)
  end)
end

describe("the loop option", function()
  it("refuses a table that is not an adapter, naming what it lacks", function()
    local ok, err = pcall(qbench.new, { url = "http://127.0.0.1:1", token = "t", loop = { sleep = function() end } })
    assert.is_false(ok)
    assert.matches("option loop is not a loop adapter: it lacks active, watch, timer, event", err)
  end)
end)
