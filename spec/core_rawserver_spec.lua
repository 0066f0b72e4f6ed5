-- build/qbench-rawserver (csrc/testing/rawserver.c) through spec/rawserver.lua:
-- the other core_* specs trust it to send exactly what they script and to
-- log exactly what it was sent, so that is checked here first, byte for byte.
local core = require "qbench.core"
local raw = require "rawserver"

local OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

local function handle()
  return core.new { raw_headers = true, timeout = 5, connect_timeout = 2, proxy = false }
end

describe("qbench-rawserver", function()
  it("sends exactly the scripted bytes", function()
    local srv = raw.start { "HTTP/1.1 201 Made\r\nX-A: 1\r\nX-A:  two \r\nContent-Length: 5\r\n\r\nhello" }
    local h <close> = handle()
    local status, head, body = h:request("GET", srv.url .. "/x")
    srv.stop()
    assert.equal(201, status)
    assert.equal("HTTP/1.1 201 Made\r\nX-A: 1\r\nX-A:  two \r\nContent-Length: 5\r\n\r\n", head)
    assert.equal("hello", body)
  end)

  it("logs each request's raw bytes, head and body", function()
    local srv = raw.start { OK }
    local h <close> = handle()
    assert.equal(200, (h:request("POST", srv.url .. "/p?q=1", { "X-Test: a b", "Content-Type: text/plain" }, "x=1\r\n")))
    local got = srv.requests()
    srv.stop()
    assert.equal(1, #got)
    local r = got[1]
    local start = "POST /p?q=1 HTTP/1.1\r\nHost: 127.0.0.1:" .. srv.port .. "\r\n"
    assert.equal(start, r:sub(1, #start))
    assert.truthy(r:find("\r\nX-Test: a b\r\n", 1, true))
    assert.truthy(r:find("\r\nContent-Length: 5\r\n", 1, true))
    assert.equal("\r\n\r\nx=1\r\n", r:sub(-9))
  end)

  it("plays the entries in order, then repeats the last", function()
    local srv = raw.start {
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none",
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo",
    }
    local h <close> = handle()
    local bodies = {}
    for i = 1, 3 do bodies[i] = select(3, h:request("GET", srv.url .. "/" .. i)) end
    local n = #srv.requests()
    srv.stop()
    assert.same({ "one", "two", "two" }, bodies)
    assert.equal(3, n)
  end)

  it("keep serves the next request on the same connection; otherwise it closes", function()
    local kept = raw.start { { OK, keep = true }, OK }
    local h <close> = handle()
    for i = 1, 2 do assert.equal(200, (h:request("GET", kept.url .. "/" .. i))) end
    local kept_conns = kept.connections()
    kept.stop()
    assert.same({ 1, 1 }, kept_conns)

    local closed = raw.start { OK }
    for i = 1, 2 do assert.equal(200, (h:request("GET", closed.url .. "/" .. i))) end
    local closed_conns = closed.connections()
    closed.stop()
    assert.same({ 1, 2 }, closed_conns)
  end)

  it("stall waits between the parts it sends", function()
    local srv = raw.start { { "HTTP/1.1 200 OK\r\n", { stall = 400 }, "Content-Length: 2\r\n\r\nok" } }
    local h <close> = handle()
    local t0 = core.time()
    local status, head, body = h:request("GET", srv.url .. "/")
    local took = core.time() - t0
    srv.stop()
    assert.equal(200, status)
    assert.equal("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", head)
    assert.equal("ok", body)
    assert.is_true(took >= 0.35 and took < 3, "took " .. took)
  end)

  it("reset ends the connection with a TCP reset", function()
    local srv = raw.start { { "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", { stall = 100 }, reset = true } }
    local h <close> = handle()
    local v, kind, message, code = h:request("GET", srv.url .. "/")
    srv.stop()
    assert.is_nil(v)
    assert.equal("network", kind)
    assert.equal(56, code, message) -- CURLE_RECV_ERROR: the reset, not a clean end of stream
    assert.matches("reset", message)
  end)

  it("noread talks before any request", function()
    local srv = raw.start { { "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst", noread = true } }
    local h <close> = handle()
    local status, _, body = h:request("GET", srv.url .. "/")
    srv.stop()
    assert.equal(200, status)
    assert.equal("first", body)
  end)

  it("refuses a malformed script", function()
    local f = assert(io.popen("printf '%%%%send 99\\nshort' > /tmp/qbench-raw-bad.$$ && "
      .. raw.binary .. " --script /tmp/qbench-raw-bad.$$ 2>&1; echo \"status $?\"; rm -f /tmp/qbench-raw-bad.$$"))
    local out = f:read("a")
    f:close()
    assert.matches("bad script at byte 0", out, 1, true)
    assert.matches("status 2\n$", out)
  end)
end)
