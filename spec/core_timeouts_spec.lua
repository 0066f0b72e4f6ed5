-- Timeouts of the C handle: a per-attempt timeout that replaces the
-- handle's for one transfer, and budgets for parallel transfers that only
-- the time spent waiting in wait_any consumes (a caller's slow loop body
-- must not time out answers that arrived long ago).
local core = require "qbench.core"
local helper = require "helper"
local raw = require "rawserver"

local API = "/qbench/api/v1/customer/"

describe("timeouts", function()
  local sb
  setup(function() sb = helper.sandbox() end)
  before_each(function() helper.reset() end)

  local function handle(extra)
    local opts = { raw_headers = true, timeout = 10, connect_timeout = 5, proxy = false }
    for k, v in pairs(extra or {}) do opts[k] = v end
    local h = core.new(opts)
    h:set_token(sb.token)
    return h
  end

  -- Seconds `f` took, and what it returned.
  local function timed(f, ...)
    local t0 = core.time()
    local r = table.pack(f(...))
    return core.time() - t0, r
  end

  describe("per attempt", function()
    it("request's timeout_seconds replaces the handle's for that request only", function()
      local h <close> = handle()
      helper.faults("GET " .. API .. "1", { "stall:2000", "stall:600" })
      local took, r = timed(h.request, h, "GET", sb.url .. API .. 1, {}, nil, 0.3)
      assert.is_nil(r[1])
      assert.equal("timeout", r[2])
      assert.equal(28, r[4])
      assert.is_true(r[5]) -- sent
      assert.is_false(r[6]) -- not final
      assert.is_true(took >= 0.25 and took < 1.5, "took " .. took)
      -- The next request has the handle's 10 s again: a 0.6 s stall is answered.
      took, r = timed(h.request, h, "GET", sb.url .. API .. 1, {})
      assert.equal(200, r[1])
      assert.is_true(took >= 0.55, "took " .. took)
    end)

    it("start's timeout_seconds is that transfer's budget only", function()
      local h <close> = handle()
      helper.faults("GET " .. API .. "1", { "stall:2000" })
      helper.faults("GET " .. API .. "2", { "stall:600" })
      h:start(1, "GET", sb.url .. API .. 1, {}, nil, 0.3)
      h:start(2, "GET", sb.url .. API .. 2, {})
      local took, r = timed(h.wait_any, h)
      assert.equal(1, r[1])
      assert.is_nil(r[2])
      assert.equal("timeout", r[3])
      assert.matches("^Operation timed out after %d+ milliseconds of waiting with 0 bytes received$", r[4])
      assert.equal(28, r[5])
      assert.is_true(r[6])
      assert.is_false(r[7])
      assert.is_true(took >= 0.25 and took < 1.5, "took " .. took)
      r = table.pack(h:wait_any())
      assert.equal(2, r[1])
      assert.equal(200, r[2])
    end)

    it("a bad timeout_seconds raises naming it, before anything is sent", function()
      local h <close> = handle()
      for _, bad in ipairs { 0, -1, 0 / 0, math.huge, 1e9, "1", true, {} } do
        local ok, err = pcall(h.request, h, "GET", sb.url .. API .. 1, {}, nil, bad)
        assert.is_false(ok, tostring(bad))
        assert.matches("bad argument #6 to '.-' %(timeout_seconds must be a positive number of seconds%)", err)
        ok, err = pcall(h.start, h, 1, "GET", sb.url .. API .. 1, {}, nil, bad)
        assert.is_false(ok, tostring(bad))
        assert.matches("bad argument #7 to '.-' %(timeout_seconds must be a positive number of seconds%)", err)
      end
      assert.equal(0, select("#", h:wait_any())) -- nothing was started
      assert.same({}, helper.requests())
      -- nil is "not given", and a tiny positive value is not "no timeout"
      assert.equal(200, (h:request("GET", sb.url .. API .. 1, {}, nil, nil)))
      helper.faults("GET " .. API .. "1", { "stall:500" })
      assert.equal("timeout", select(2, h:request("GET", sb.url .. API .. 1, {}, nil, 1e-6)))
    end)
  end)

  describe("parallel transfers", function()
    it("time the caller spends away does not count: 4 answers after a 1.5 s sleep with timeout = 1", function()
      local h <close> = handle { timeout = 1 }
      for i = 1, 4 do h:start(i, "GET", sb.url .. API .. i, {}) end
      core.sleep(1.5)
      local took, got = timed(function()
        local out = {}
        for _ = 1, 4 do
          local tag, status, _, body = h:wait_any()
          out[tag] = { status, body }
        end
        return out
      end)
      for i = 1, 4 do
        assert.equal(200, got[1][i][1], tostring(got[1][i][2]))
        assert.equal(i, core.decode(got[1][i][2]).id)
      end
      assert.is_true(took < 0.5, "took " .. took)
      assert.equal(0, select("#", h:wait_any()))
    end)

    it("a stalled transfer still times out after ~1 s of waiting, the others are answered", function()
      local h <close> = handle { timeout = 1 }
      helper.faults("GET " .. API .. "1", { "stall:3000" })
      h:start(1, "GET", sb.url .. API .. 1, {})
      h:start(2, "GET", sb.url .. API .. 2, {})
      core.sleep(1.5)
      local took, r = timed(h.wait_any, h)
      assert.equal(2, r[1])
      assert.equal(200, r[2])
      assert.is_true(took < 0.3, "took " .. took)
      took, r = timed(h.wait_any, h)
      assert.equal(1, r[1])
      assert.is_nil(r[2])
      assert.equal("timeout", r[3])
      assert.equal(28, r[5])
      assert.is_true(r[6]) -- the request went out
      assert.is_false(r[7])
      assert.is_true(took >= 0.95 and took < 1.5, "waited " .. took)
      local waited_ms = tonumber(r[4]:match("after (%d+) milliseconds of waiting"))
      assert.is_true(waited_ms >= 1000 and waited_ms < 1500, r[4])
    end)

    it("the connect budget is waiting time too, and a transfer timed out there was not sent", function()
      -- A TLS handshake nobody answers: the transfer never gets connected.
      local srv = raw.start { "HTTP/1.1 200 OK\r\n\r\n" }
      local h <close> = handle { timeout = 5, connect_timeout = 0.5 }
      h:start(1, "GET", (srv.url:gsub("^http:", "https:")) .. "/", {})
      core.sleep(1)
      local took, r = timed(h.wait_any, h)
      srv.stop()
      assert.equal(1, r[1])
      assert.is_nil(r[2])
      assert.equal("timeout", r[3])
      assert.matches("^Connection timed out after %d+ milliseconds of waiting$", r[4])
      assert.is_false(r[6]) -- nothing sent: any method may be retried
      assert.is_false(r[7])
      -- The 1 s sleep did not count. The upper bound is loose: the first TLS
      -- connect loads the CA bundle inside libcurl, seconds under valgrind.
      assert.is_true(took >= 0.45 and took < 5, "waited " .. took)
    end)

    it("pump reads answers in the background and charges no budget", function()
      local h <close> = handle { timeout = 1 }
      assert.same({ 0, 0 }, { h:pump() })
      helper.faults("GET " .. API .. "1", { "big:3000000" }) -- more than the socket buffers hold
      helper.faults("GET " .. API .. "2", { "stall:3000" })
      h:start(1, "GET", sb.url .. API .. 1, {})
      h:start(2, "GET", sb.url .. API .. 2, {})
      local ready, running
      local deadline = core.time() + 1.5
      while core.time() < deadline do
        core.sleep(0.02)
        ready, running = h:pump()
      end
      assert.equal(1, ready)   -- the 3 MB answer is all in memory
      assert.equal(1, running) -- the stalled one is under way, its budget untouched
      local took, r = timed(h.wait_any, h)
      assert.equal(1, r[1])
      assert.equal(200, r[2])
      assert.equal(3000000, #r[4])
      assert.is_true(took < 0.5, "took " .. took)
      took, r = timed(h.wait_any, h)
      assert.equal(2, r[1])
      assert.equal("timeout", r[3])
      assert.is_true(took >= 0.95 and took < 1.5, "waited " .. took)
    end)

    it("cancel drops a finished transfer that was not collected", function()
      local h <close> = handle()
      h:start(1, "GET", sb.url .. API .. 1, {})
      local deadline = core.time() + 5
      while select(1, h:pump()) == 0 and core.time() < deadline do core.sleep(0.01) end
      assert.same({ 1, 0 }, { h:pump() })
      assert.is_true(h:cancel(1))
      assert.is_false(h:cancel(1))
      assert.equal(0, select("#", h:wait_any()))
      assert.same({ 0, 0 }, { h:pump() })
      h:start(1, "GET", sb.url .. API .. 2, {}) -- the tag is free again, the transfer reused
      local tag, status = h:wait_any()
      assert.equal(1, tag)
      assert.equal(200, status)
    end)

    it("hands out outcomes in the order they finished", function()
      local h <close> = handle()
      helper.faults("GET " .. API .. "1", { "stall:400" })
      helper.faults("GET " .. API .. "2", { "stall:200" })
      h:start(1, "GET", sb.url .. API .. 1, {})
      h:start(2, "GET", sb.url .. API .. 2, {})
      h:start(3, "GET", sb.url .. API .. 3, {})
      local order = {}
      for i = 1, 3 do order[i] = h:wait_any() end
      assert.same({ 3, 2, 1 }, order)
    end)
  end)
end)
