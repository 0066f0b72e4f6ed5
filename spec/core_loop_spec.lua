-- The C handle driven by an event loop: drive_externally, interest, act,
-- finished and close_sockets, as qbench.loop uses them. The "loop" here is a
-- plain Lua loop that acts on every watched socket; what matters is what the
-- handle asks for and when.
local core = require "qbench.core"
local helper = require "helper"
local raw = require "rawserver"

local sockets_open = helper.open_sockets

-- Runs the handle until a transfer finishes (5 s at most); returns its results and every
-- interest change seen, as "fd:events" strings, and the timers asked for.
local function drive(h)
  local watched, seen, timers = {}, {}, {}
  local deadline = core.time() + 5
  while core.time() < deadline do
    local changes, timer = h:interest()
    for i = 1, #changes, 2 do
      seen[#seen + 1] = changes[i + 1]
      watched[changes[i]] = changes[i + 1] ~= "" and changes[i + 1] or nil
    end
    if timer ~= nil then timers[#timers + 1] = timer end
    for fd, events in pairs(watched) do h:act(fd, events) end
    h:act(-1)
    local r = table.pack(h:finished())
    if r[1] then
      local changes2 = h:interest()
      for i = 2, #changes2, 2 do seen[#seen + 1] = changes2[i] end
      return r, seen, timers
    end
    core.sleep(0.002)
  end
  error("no transfer finished within 5 s")
end

describe("a handle driven by an event loop", function()
  local sb
  setup(function() sb = helper.sandbox() end)
  before_each(function() helper.reset() end)

  it("asks for its timer first, then its socket, and hands the answer out through finished()", function()
    local h <close> = core.new { raw_headers = true, proxy = false }
    h:set_token(sb.token)
    h:drive_externally()
    assert.same({}, (h:interest())) -- nothing under way: nothing to watch
    h:start(5, "GET", sb.url .. "/qbench/api/v1/customer/3", { "Accept: application/json" })
    local changes, timer = h:interest()
    assert.same({}, changes)
    assert.equal(0, timer) -- libcurl wants to act at once; it did nothing itself
    assert.equal(0, #helper.requests(), "start() alone sends nothing on a loop-driven handle")
    local r, seen = drive(h)
    assert.equal(5, r[1])
    assert.equal(200, r[2])
    assert.equal(3, core.decode(r[4]).id)
    assert.is_truthy(seen[1] == "r" or seen[1] == "w" or seen[1] == "rw")
    assert.equal("", seen[#seen], "the socket is given up once the answer is in")
    assert.is_nil(h:finished(), "handed out once")
  end)

  it("keeps libcurl's own timeout: a stalled answer fails as a timeout", function()
    helper.faults("GET /qbench/api/v1/customer/1", { "stall:3000" })
    local h <close> = core.new { raw_headers = true, proxy = false, timeout = 0.4 }
    h:set_token(sb.token)
    h:drive_externally()
    h:start(1, "GET", sb.url .. "/qbench/api/v1/customer/1")
    local t0 = core.time()
    local r = drive(h)
    assert.equal(1, r[1])
    assert.is_nil(r[2])
    assert.equal("timeout", r[3])
    assert.is_true(core.time() - t0 < 2 * helper.time_scale)
  end)

  it("closes a socket libcurl gave up only at close_sockets(), after the loop stopped watching it", function()
    local srv = raw.start { "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}" }
    local h <close> = core.new { raw_headers = true, proxy = false }
    h:drive_externally()
    local before = sockets_open() -- the multi handle's own wake-up pair included
    h:start(1, "GET", srv.url .. "/")
    local r = drive(h)
    assert.equal(200, r[2])
    assert.equal(before + 1, sockets_open(), "libcurl is done with it, but the loop may still be watching")
    h:close_sockets()
    assert.equal(before, sockets_open())
    srv.stop()
  end)

  it("a blocking wait_any works on the same handle", function()
    local h <close> = core.new { raw_headers = true, proxy = false }
    h:set_token(sb.token)
    h:drive_externally()
    h:start(9, "GET", sb.url .. "/qbench/api/v1/customer/2")
    local tag, status, _, body = h:wait_any()
    assert.equal(9, tag)
    assert.equal(200, status)
    assert.equal(2, core.decode(body).id)
  end)

  it("refuses act() on a handle not driven by a loop, and drive_externally() with transfers under way", function()
    local h <close> = core.new { raw_headers = true, proxy = false }
    local ok, err = pcall(h.act, h, -1)
    assert.is_false(ok)
    assert.matches("not driven by an event loop", err)
    h:start(1, "GET", sb.url .. "/qbench/api/v1/customer/2")
    ok, err = pcall(h.drive_externally, h)
    assert.is_false(ok)
    assert.matches("transfers are under way", err)
  end)

  it("a request with its own Authorization line does not also carry the token", function()
    local h <close> = core.new { raw_headers = true, proxy = false }
    h:set_token("the-token")
    assert(h:request("GET", sb.url .. "/qbench/api/v1/customer/2", { "Authorization:" }))
    assert.is_nil(helper.last_request().headers.authorization)
    assert(h:request("GET", sb.url .. "/qbench/api/v1/customer/2"))
    assert.equal("Bearer the-token", helper.last_request().headers.authorization)
  end)
end)
