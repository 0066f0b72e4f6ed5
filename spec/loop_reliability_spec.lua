-- What hostile timing and careless callers did to clients in event loops, and
-- the rules that now hold: finalizers never touch a loop, closing wakes every
-- waiter, deadlines bound token requests, plan mode belongs to one coroutine,
-- and a dropped client is collected. Each case runs on both loops; every wait
-- is bounded.
local qbench = require "qbench"
local core = require "qbench.core"
local helper = require "helper"
local LOOPS = require "loops"

local API = "/qbench/api/v1/"
local scale = helper.time_scale

local function token_requests(sb)
  local n = 0
  for _, r in ipairs(helper.requests(sb)) do
    if r.path == "/qbench/oauth2/v1/token" then n = n + 1 end
  end
  return n
end

-- Gets customer `id` in a coroutine of `loop`, then runs the loop: the result and the seconds it took.
local function timed_get(loop, qb, id)
  local c, err, took
  loop.spawn(function()
    local t0 = core.time()
    c, err = qb.customer:get(id)
    took = core.time() - t0
  end)
  loop.run()
  return c, err, took
end

for name, make in pairs(LOOPS) do
  describe("qbench.loop." .. name, function()
    local sb
    setup(function() sb = helper.sandbox() end)
    before_each(function() helper.reset() end)

    it("get_many as the first call of a client does not hang (transfers started before the loop was attached)", function()
      local loop = make()
      local qb <close> = qbench.new { url = sb.url, token = sb.token, loop = loop.adapter, timeout = 5 }
      local got
      loop.spawn(function() got = qb.customer:get_many({ 4, 2, 7 }, { concurrency = 3 }) end)
      local t0 = core.time()
      loop.run(3 * scale)
      assert.is_true(core.time() - t0 < 3 * scale, "the loop ran dry only after the 5 s timeout")
      assert.same({ 4, 2, 7 }, { got[1].id, got[2].id, got[3].id })
    end)

    it("plan mode belongs to the coroutine that asked: another coroutine's write is sent meanwhile", function()
      local loop = make()
      local qb <close> = qbench.new { url = sb.url, token = sb.token, loop = loop.adapter }
      local planned, written, werr
      loop.spawn(function()
        planned = qb:plan(function(q)
          assert(q.customer:update(1, { phone = "planned" }))
          loop.sleep(0.2) -- the other coroutine writes now
          assert(q.customer:update(2, { phone = "planned too" }))
        end)
      end)
      loop.spawn(function()
        loop.sleep(0.05)
        written, werr = qb.customer:update(3, { phone = "real" })
      end)
      loop.run()
      assert.is_true(written, tostring(werr))
      assert.equal(2, #planned)
      assert.equal(API .. "customer/1", planned[1].path)
      assert.equal(API .. "customer/2", planned[2].path)
      local log = helper.requests()
      assert.equal(1, #log, "only the real write reached the server")
      assert.equal("PUT", log[1].method)
      assert.equal(API .. "customer/3", log[1].path)
      assert.equal('{"phone":"real"}', log[1].body)
    end)

    it("closing the client wakes coroutines waiting for a slot, in pacing and in a Retry-After sleep at once", function()
      local slow = helper.start { "--latency-ms", "3000", "--token", "T", "--die-with-parent", "--quiet" }
      local loop = make()
      local qb = qbench.new { url = slow.url, token = "T", loop = loop.adapter, max_concurrency = 1,
        rate_limit = { requests = 1, per = 30 }, max_backoff = 60 }
      local errors, t_closed = {}, nil
      local function expect_closed(what, fn)
        loop.spawn(function()
          local ok, err = pcall(fn)
          errors[what] = { ok = ok, err = tostring(err), at = core.time() }
        end)
      end
      expect_closed("in flight", function() return qb.customer:get(1) end)  -- holds the slot and the pace
      expect_closed("slot", function() return qb.customer:get(2) end)       -- waits for the slot
      local other = qbench.new { url = sb.url, token = sb.token, loop = loop.adapter, retries = 1, max_backoff = 60 }
      helper.faults("GET " .. API .. "customer/3", { "429:40" })
      expect_closed("retry-after", function() return other.customer:get(3) end) -- sleeps 40 s
      loop.spawn(function()
        loop.sleep(0.5)
        t_closed = core.time()
        qb:close()
        other:close()
      end)
      local t0 = core.time()
      loop.run()
      slow.stop()
      assert.is_true(core.time() - t0 < 2.5 * scale, "the loop ended only after " .. (core.time() - t0) .. " s")
      for _, what in ipairs { "in flight", "slot", "retry-after" } do
        local e = errors[what]
        assert.is_table(e, what .. ": the coroutine never ended")
        assert.is_false(e.ok, what)
        assert.matches("attempt to use a closed qbench client", e.err, 1, true)
        assert.is_true(e.at - t_closed < 0.5 * scale, what .. " woke late")
      end
    end)

    it("a coroutine waiting in pacing is woken by close with the closed-client error", function()
      local loop = make()
      local qb = qbench.new { url = sb.url, token = sb.token, loop = loop.adapter,
        rate_limit = { requests = 1, per = 30 } }
      local first, err_second, at
      loop.spawn(function()
        first = qb.customer:get(1)
        local ok, err = pcall(qb.customer.get, qb.customer, 2) -- waits ~30 s for the window
        err_second, at = not ok and tostring(err), core.time()
      end)
      local t_closed
      loop.spawn(function()
        loop.sleep(0.3)
        t_closed = core.time()
        qb:close()
      end)
      loop.run()
      assert.equal(1, first.id)
      assert.matches("closed qbench client", err_second)
      assert.is_true(at - t_closed < 0.5 * scale)
    end)

    it("deadline bounds the token request (0.5 s deadline, 3 s token stall)", function()
      local oauth = helper.start { "--client-id", "cid", "--client-secret", "sec", "--die-with-parent", "--quiet" }
      helper.faults("POST /qbench/oauth2/v1/token", { "stall:3000" }, oauth)
      local loop = make()
      local qb <close> = qbench.new { url = oauth.url, client_id = "cid", client_secret = "sec", loop = loop.adapter,
        deadline = 0.5, timeout = 10 }
      local c, err, took = timed_get(loop, qb, 1)
      oauth.stop()
      assert.is_nil(c)
      assert.equal("timeout", err.kind)
      assert.matches("deadline", err.message)
      assert.is_true(took >= 0.45 and took < 1.5 * scale, "took " .. tostring(took))
    end)

    -- cqueues resumes only its own coroutines; a coroutine resumed by hand inside one blocks
    -- (it is not the controller's), so only luv (and hand-written loops) can abandon one mid-wait.
    local luv_only = name == "luv" and it or pending

    -- A coroutine the host resumes by hand once, which starts the token request and is then
    -- left suspended (or closed with coroutine.close): the other coroutine's GETs must not wait
    -- for it. One token request of 0.15 s and 0.15 s per GET: far from 2 x timeout + 1 = 11 s.
    local function abandon_token_request(close_it)
      local oauth = helper.start { "--client-id", "cid", "--client-secret", "sec", "--latency-ms", "150",
        "--die-with-parent", "--quiet" }
      local loop = make()
      local qb <close> = qbench.new { url = oauth.url, client_id = "cid", client_secret = "sec", loop = loop.adapter,
        timeout = 5 }
      local abandoned = coroutine.create(function() return qb.customer:get(1) end)
      local got, took = {}, nil
      loop.spawn(function()
        assert(coroutine.resume(abandoned)) -- yields inside the token request; nobody resumes it again
        assert.equal("suspended", coroutine.status(abandoned))
        if close_it then coroutine.close(abandoned) end
        local t0 = core.time()
        for i = 2, 4 do got[#got + 1] = assert(qb.customer:get(i)).id end
        took = core.time() - t0
      end)
      loop.run()
      local tokens = token_requests(oauth)
      oauth.stop()
      assert.same({ 2, 3, 4 }, got)
      assert.is_true(took < 3 * scale, "took " .. tostring(took))
      return tokens
    end

    luv_only("a coroutine closed inside the token request holds no other coroutine up", function()
      abandon_token_request(true)
    end)

    luv_only("a token request's answer wakes every waiter even when the coroutine that asked is never resumed", function()
      assert.equal(1, abandon_token_request(false), "the waiter used the abandoned coroutine's token request")
    end)

    it("per-attempt timeout and deadline in loop-driven transfers: the last attempt gets what is left", function()
      local loop = make()
      local qb <close> = qbench.new { url = sb.url, token = sb.token, loop = loop.adapter, timeout = 0.3,
        deadline = 0.5, retries = 5, backoff = 0 }
      helper.faults("GET " .. API .. "customer/1", { "stall:5000", "stall:5000", "stall:5000" })
      local c, err, took = timed_get(loop, qb, 1)
      assert.is_nil(c)
      assert.equal(2, err.attempts, "0.3 s, then the 0.2 s left")
      assert.matches("deadline", err.message)
      assert.is_true(took >= 0.47 and took < 0.75 * scale, "took " .. tostring(took))
    end)

    it("the adapter's timer is stopped when libcurl wants none, and at close; no poll is left", function()
      local loop = make()
      local adapter = loop.adapter
      local qb = qbench.new { url = sb.url, token = sb.token, loop = adapter }
      local driver = qb._transport.driver
      local during, after
      loop.spawn(function()
        assert(qb.customer:get(1))
        after = driver.timer and driver.timer:pending()
        during = adapter.open_polls()
      end)
      loop.run()
      assert.is_false(after, "a timer still pending after the transfer ended")
      -- The idle connection may stay watched by libcurl or not; close unwatches it either way.
      assert.is_true(during <= 1)
      qb:close()
      assert.equal(0, adapter.open_polls())
      assert.is_false(driver.timer:pending())
    end)

    it("a walk's break cancels the transfers in flight: their connections close at once", function()
      local slow = helper.start { "--latency-ms", "800", "--token", "T", "--die-with-parent", "--quiet",
        "--customers", "60" }
      local loop = make()
      local qb <close> = qbench.new { url = slow.url, token = "T", loop = loop.adapter }
      local before = helper.open_sockets() -- libcurl's multi handle has a socket pair of its own
      local after_break
      loop.spawn(function()
        for _ in qb.customer:list { page_size = 10, concurrency = 4 } do -- luacheck: ignore 512 (once)
          loop.sleep(0.3) -- pages 2 to 5 are sent and wait for their answers
          break
        end
        after_break = helper.open_sockets()
      end)
      loop.run()
      local sent = #helper.requests(slow)
      slow.stop()
      assert.equal(5, sent, "the first page, then four at once")
      -- The first page's connection may stay in libcurl's cache; the four cut short are closed.
      assert.is_true(after_break <= before + 1, (after_break - before) .. " sockets open after the break")
    end)

    it("20 coroutines on one client never have more than max_concurrency requests in flight (counted exactly)", function()
      local function run(limit)
        local limited = helper.start { "--concurrency-limit", tostring(limit), "--latency-ms", "30", "--token", "T",
          "--die-with-parent", "--quiet" }
        local loop = make()
        local qb <close> = qbench.new { url = limited.url, token = "T", loop = loop.adapter, max_concurrency = 3,
          retries = 0 }
        local ok, refused = 0, 0
        for worker = 1, 20 do
          loop.spawn(function()
            for i = 1, 2 do
              local c = qb.customer:get((worker + i) % 20 + 1)
              if c then ok = ok + 1 else refused = refused + 1 end
            end
          end)
        end
        loop.run()
        limited.stop()
        return ok, refused
      end
      assert.same({ 40, 0 }, { run(3) })
      local _, refused = run(2)
      assert.is_true(refused > 0, "a limit of 2 was never exceeded: 3 at once never happened")
    end)

    it("a callback that cannot drive libcurl ends the transfers with a network error and tells adapter.on_error", function()
      local loop = make()
      local reported = {}
      local adapter = setmetatable({ on_error = function(why) reported[#reported + 1] = why end },
        { __index = loop.adapter })
      local slow = helper.start { "--latency-ms", "3000", "--token", "T", "--die-with-parent", "--quiet" }
      local qb <close> = qbench.new { url = slow.url, token = "T", loop = adapter, timeout = 0.3, retries = 0 }
      local c, err
      loop.spawn(function() c, err = qb.customer:get(1) end)
      loop.spawn(function()
        loop.sleep(0.2)
        -- libcurl's next callback fails (as it would without memory, or on a multi-handle error)
        local real = qb._transport.handle
        qb._transport.handle = setmetatable({ act = function() error("libcurl multi: out of memory") end }, {
          __index = function(_, k) return function(_, ...) return real[k](real, ...) end end })
      end)
      loop.run(5 * scale)
      slow.stop()
      assert.is_nil(c)
      assert.equal("network", err.kind)
      assert.matches("the event loop could not drive libcurl", err.message, 1, true)
      assert.matches("out of memory", err.message, 1, true)
      assert.equal(1, #reported)
      assert.matches("out of memory", reported[1], 1, true)
    end)

    it("closing a client whose connection is idle in libcurl's cache closes that socket too", function()
      local loop = make()
      collectgarbage()
      collectgarbage()
      local before = helper.open_sockets()
      local qb = qbench.new { url = sb.url, token = sb.token, loop = loop.adapter }
      loop.spawn(function() assert(qb.customer:get(1)) end)
      loop.run()
      assert.is_true(helper.open_sockets() > before)
      qb:close()
      assert.equal(before, helper.open_sockets())
    end)

    it("a call from a context that cannot yield (a sort comparator, a gsub callback) blocks instead", function()
      local loop = make()
      local qb <close> = qbench.new { url = sb.url, token = sb.token, loop = loop.adapter }
      local sorted, replaced
      loop.spawn(function()
        local ids = { 3, 1, 2 }
        table.sort(ids, function(a, b)
          return assert(qb.customer:get(a)).id < assert(qb.customer:get(b)).id
        end)
        sorted = ids
        replaced = ("<1><2>"):gsub("<(%d)>", function(d) return assert(qb.customer:get(tonumber(d))).customer_name end)
      end)
      loop.run()
      assert.same({ 1, 2, 3 }, sorted)
      local c1, c2 = assert(qb.customer:get(1)), assert(qb.customer:get(2))
      assert.equal(c1.customer_name .. c2.customer_name, replaced)
    end)

    it("a call inside a coroutine.wrap generator inside a loop coroutine works, or raises a clear error", function()
      local loop = make()
      local qb <close> = qbench.new { url = sb.url, token = sb.token, loop = loop.adapter }
      local seen, failure = {}, nil
      loop.spawn(function()
        loop.sleep(0.01) -- from now on the loop resumes this coroutine
        local ok, err = pcall(function()
          local gen = coroutine.wrap(function()
            for id = 1, 3 do coroutine.yield(assert(qb.customer:get(id))) end
          end)
          for _ = 1, 3 do
            local c = gen()
            seen[#seen + 1] = type(c) == "table" and c.id or tostring(c)
          end
        end)
        if not ok then failure = tostring(err) end
      end)
      loop.run()
      if failure then
        assert.matches("coroutine", failure)
      else
        assert.same({ 1, 2, 3 }, seen)
      end
    end)
  end)
end

describe("qbench.loop.luv without qb:close()", function()
  it("the README's example exits cleanly: no finalizer touches a loop that is gone", function()
    local process = require "process"
    local sb = helper.sandbox()
    local script = process.temp_file([[
local qbench = require "qbench"
local uv = require "luv"
local qb = qbench.new{url = os.getenv "QBENCH_URL", token = os.getenv "QBENCH_TOKEN", loop = require "qbench.loop.luv"}
coroutine.wrap(function() print(assert(qb.customer:get(1)).customer_name) end)()
uv.run()
]])
    local r = process.run({ "lua5.4", script }, { timeout = 20,
      env = { QBENCH_URL = sb.url, QBENCH_TOKEN = sb.token, LUA_PATH = "lua/?.lua;lua/?/init.lua;;",
              LUA_CPATH = "build/?.so;;" } })
    os.remove(script)
    assert.equal(0, r.status, r.err)
    assert.equal(assert(qbench.new { url = sb.url, token = sb.token }.customer:get(1)).customer_name .. "\n", r.out)
  end)

  it("20 clients dropped without close are collected: their sockets close", function()
    local uv = require "luv"
    local sb = helper.sandbox()
    local adapter = require "qbench.loop.luv"
    collectgarbage()
    collectgarbage()
    local before = helper.open_sockets()
    local done = 0
    for i = 1, 20 do
      coroutine.wrap(function()
        local qb = qbench.new { url = sb.url, token = sb.token, loop = adapter }
        assert(qb.customer:get(i))
        done = done + 1
      end)()
    end
    uv.run()
    assert.equal(20, done)
    for _ = 1, 3 do
      collectgarbage()
      uv.run("nowait") -- an orphaned client still watched closes on the loop's next callback
    end
    collectgarbage()
    assert.equal(before, helper.open_sockets())
    assert.equal(0, adapter.open_polls())
  end)
end)

describe("without a loop", function()
  it("deadline bounds the token request too (0.5 s deadline, 3 s token stall)", function()
    local oauth = helper.start { "--client-id", "cid", "--client-secret", "sec", "--die-with-parent", "--quiet" }
    helper.faults("POST /qbench/oauth2/v1/token", { "stall:3000" }, oauth)
    local qb <close> = qbench.new { url = oauth.url, client_id = "cid", client_secret = "sec", deadline = 0.5, timeout = 10 }
    local t0 = core.time()
    local c, err = qb.customer:get(1)
    local took = core.time() - t0
    oauth.stop()
    assert.is_nil(c)
    assert.equal("timeout", err.kind)
    assert.matches("deadline", err.message)
    assert.is_true(took >= 0.45 and took < 1.5 * scale, "took " .. took)
  end)
end)
