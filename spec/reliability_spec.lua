-- Reliability and security, round 2: what a hostile server or a careless caller
-- could do to a call, and what the call does instead. Waits go through an
-- injected sleep where the wait itself is what is tested; real time is bounded.
local qbench = require "qbench"
local core = require "qbench.core"
local helper = require "helper"

local API = "/qbench/api/v1/"

local function count(method, path)
  local n = 0
  for _, r in ipairs(helper.requests()) do
    if r.method == method and r.path == path then n = n + 1 end
  end
  return n
end

describe("waits the server asks for", function()
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

  it("a Retry-After longer than max_backoff ends the call with kind rate_limit, without sleeping", function()
    local qb <close> = new { max_backoff = 30 }
    helper.faults("GET " .. API .. "customer/1", { "429:100" })
    local c, err = qb.customer:get(1)
    assert.is_nil(c)
    assert.equal("rate_limit", err.kind)
    assert.equal(429, err.status)
    assert.equal(100, err.retry_after)
    assert.matches("asks to wait 100 s, more than max_backoff", err.message)
    assert.same({}, waits)
    assert.equal(1, count("GET", API .. "customer/1"))
  end)

  it("reads the wait from Retry-After alone, and from X-QBAPI-Throttle-TTL alone", function()
    local qb <close> = new()
    helper.faults("GET " .. API .. "customer/1", { "429-retry-after:7" })
    assert(qb.customer:get(1))
    helper.faults("GET " .. API .. "customer/2", { "429-ttl:5" })
    assert(qb.customer:get(2))
    assert.same({ 7, 5 }, waits)
    local log = helper.requests()
    assert.equal(4, #log)
  end)

  it("a Retry-After within max_backoff is waited exactly", function()
    local qb <close> = new { max_backoff = 30 }
    helper.faults("GET " .. API .. "customer/1", { "429:30" })
    assert(qb.customer:get(1))
    assert.same({ 30 }, waits)
  end)

  it("a wait that would pass the call's deadline ends the call instead", function()
    local now = 1000
    local qb <close> = new { deadline = 5, clock = function() return now end,
      sleep = function(s) waits[#waits + 1] = s; now = now + s end }
    helper.faults("GET " .. API .. "customer/1", { "429:7" })
    local c, err = qb.customer:get(1)
    assert.is_nil(c)
    assert.equal("rate_limit", err.kind)
    assert.matches("deadline", err.message)
    assert.same({}, waits)
  end)

  for _, absurd in ipairs { "1e999", "9999999", "-5", "soon", "nan" } do
    it("Retry-After: " .. absurd .. " never raises and never sleeps past max_backoff", function()
      local retry = require "qbench.retry"
      local policy = { retries = 3, backoff = 0.5, max_backoff = 30 }
      local err = { kind = "rate_limit", status = 429, message = "slow down", headers = { ["retry-after"] = absurd } }
      local wait = retry.wait_before_retry(policy, "GET", err, true, 1)
      if wait then
        assert.is_true(wait >= 0 and wait <= 30, tostring(wait))
      else
        assert.is_true(err.retry_after > 30)
      end
    end)
  end
end)

describe("a retried DELETE whose first attempt may have worked", function()
  local sb
  setup(function() sb = helper.sandbox() end)
  before_each(function() helper.reset() end)

  it("is a success when the retry finds the customer gone (404)", function()
    local infos = {}
    local qb <close> = qbench.new { url = sb.url, token = sb.token, timeout = 0.5, sleep = function() end,
      on_request = function(i) infos[#infos + 1] = i end }
    helper.faults("DELETE " .. API .. "customer/4", { "stall:1500" }) -- carried out, answered too late
    assert.is_true(qb.customer:delete(4))
    assert.equal(2, count("DELETE", API .. "customer/4"))
    assert.equal(2, #infos)
    assert.equal("timeout", infos[1].error_kind)
    assert.equal(404, infos[2].status)
    local gone, err = qb.customer:get(4)
    assert.is_nil(gone)
    assert.equal(404, err.status)
  end)

  it("is still a failure when nothing was unknown: a plain 404 stays an error", function()
    local qb <close> = qbench.new { url = sb.url, token = sb.token, sleep = function() end }
    assert.is_true(qb.customer:delete(5))
    local ok, err = qb.customer:delete(5)
    assert.is_nil(ok)
    assert.equal(404, err.status)
    assert.equal(1, err.attempts)
  end)

  it("a discount delete that already worked: the retry's 'has no discount' is success", function()
    local qb <close> = qbench.new { url = sb.url, token = sb.token, timeout = 0.5, sleep = function() end }
    assert(qb.customer:create_assay_discounts(6, { { assay_id = 1, base_price = 100, discount = 20 } }))
    helper.faults("DELETE " .. API .. "customer/6/assays", { "stall:1500" })
    assert.is_true(qb.customer:delete_assay_discounts(6, { 1 }))
    assert.equal(2, count("DELETE", API .. "customer/6/assays"))
    local ok, err = qb.customer:delete_assay_discounts(6, { 1 }) -- now nothing was unknown
    assert.is_nil(ok)
    assert.equal(400, err.status)
  end)
end)

describe("timeout and deadline", function()
  local sb
  setup(function() sb = helper.sandbox() end)
  before_each(function() helper.reset() end)

  it("timeout is per attempt: four stalls of a GET take four timeouts", function()
    local qb <close> = qbench.new { url = sb.url, token = sb.token, timeout = 0.3, retries = 3, backoff = 0 }
    helper.faults("GET " .. API .. "customer/1", { "stall:2000", "stall:2000", "stall:2000", "stall:2000" })
    local t0 = core.time()
    local c, err = qb.customer:get(1)
    local took = core.time() - t0
    assert.is_nil(c)
    assert.equal("timeout", err.kind)
    assert.equal(4, err.attempts)
    assert.is_true(took >= 1.15 and took < 2.5 * helper.time_scale, "took " .. took)
  end)

  it("deadline bounds the whole call, retries and waits included", function()
    -- Without the deadline: 11 attempts of 0.5 s. With it: 0.5 s, then the 0.5 s left (a
    -- margin of 0.5 s for a loaded machine before a second attempt could not start).
    local qb <close> = qbench.new { url = sb.url, token = sb.token, timeout = 0.5, deadline = 1.0, retries = 10, backoff = 0 }
    -- Customer 2, not the 1 of the test before: a loaded machine may have its sandbox read
    -- that test's last stalled GET only after this test's reset.
    local stalls = {}
    for i = 1, 11 do stalls[i] = "stall:3000" end
    helper.faults("GET " .. API .. "customer/2", stalls)
    local t0 = core.time()
    local c, err = qb.customer:get(2)
    local took = core.time() - t0
    assert.is_nil(c)
    assert.equal("timeout", err.kind)
    assert.matches("deadline", err.message)
    assert.equal(2, err.attempts)
    assert.equal(2, count("GET", API .. "customer/2"))
    assert.is_true(took >= 0.95 and took < 2.5 * helper.time_scale, "took " .. took)
  end)

  it("the last attempt's timeout is cut to what is left of the deadline", function()
    -- 0.6 s, then 0.3 s left: a last attempt given its full timeout would end at 1.2 s.
    local qb <close> = qbench.new { url = sb.url, token = sb.token, timeout = 0.6, deadline = 0.9, retries = 5, backoff = 0 }
    helper.faults("GET " .. API .. "customer/1", { "stall:3000", "stall:3000", "stall:3000" })
    local t0 = core.time()
    local c, err = qb.customer:get(1)
    local took = core.time() - t0
    assert.is_nil(c)
    assert.equal(2, err.attempts)
    assert.is_true(took >= 0.85 and took < 1.15, "took " .. took)
  end)

  it("deadline is checked as an option", function()
    assert.has_error(function() qbench.new { url = sb.url, token = "t", deadline = 0 } end,
      "bad argument #1 to 'new' (option deadline must be a number from 0.001 to 1000000, got 0)")
  end)
end)

describe("what a failed write tells", function()
  local sb
  setup(function() sb = helper.sandbox() end)
  before_each(function() helper.reset() end)

  it("a POST whose answer was lost: sent, outcome unknown, sent once", function()
    local qb <close> = qbench.new { url = sb.url, token = sb.token, timeout = 0.5, sleep = function() end }
    helper.faults("POST " .. API .. "customer", { "stall:1500" })
    local id, err = qb.customer:create { customer_name = "Maybe made" }
    assert.is_nil(id)
    assert.equal("timeout", err.kind)
    assert.is_true(err.sent)
    assert.equal("unknown", err.outcome)
    assert.equal(1, count("POST", API .. "customer"))
  end)

  it("a POST cut short mid-answer and a PATCH answered by a gateway's 502: outcome unknown", function()
    local qb <close> = qbench.new { url = sb.url, token = sb.token, sleep = function() end }
    helper.faults("POST " .. API .. "customer", { "truncate" })
    local _, err = qb.customer:create { customer_name = "Cut" }
    assert.equal("unknown", err.outcome)
    assert.is_true(err.sent)
    helper.faults("PATCH " .. API .. "customer/2/assays", { "502" })
    local _, err2 = qb.customer:update_assay_discounts(2, { { assay_id = 1, base_price = 1, discount = 1 } })
    assert.equal(502, err2.status)
    assert.equal("unknown", err2.outcome)
  end)

  it("a POST the server refused (400, 503) or that never left: outcome not unknown", function()
    local qb <close> = qbench.new { url = sb.url, token = sb.token, retries = 0 }
    helper.faults("POST " .. API .. "customer", { "503" })
    local _, err = qb.customer:create { customer_name = "Refused" }
    assert.equal(503, err.status)
    assert.is_true(err.sent)
    assert.is_nil(err.outcome)
    local closed <close> = qbench.new { url = "http://127.0.0.1:1", token = "t", retries = 0 }
    local _, err2 = closed.customer:create { customer_name = "Nowhere" }
    assert.equal("network", err2.kind)
    assert.is_false(err2.sent)
    assert.is_nil(err2.outcome)
  end)
end)

describe("paths", function()
  it("go out as given: libcurl squashes no dot segment, so what errors and plans show is what was sent", function()
    local sb = helper.sandbox()
    helper.reset()
    local qb <close> = qbench.new { url = sb.url, token = sb.token, retries = 0 }
    local path = "/qbench/api/v1/customer/../customer/./1"
    local body, err = qb:request("GET", path)
    assert.is_nil(body)
    assert.equal(404, err.status)
    assert.equal(path, err.path)
    assert.equal(path, helper.last_request().path)
    assert.same({ path }, { qb:plan(function(q) q:request("GET", path) end)[1].path })
  end)
end)

describe("options that reach a header or the URL", function()
  local function refused(opts, pattern)
    local base = { url = "http://127.0.0.1:1", token = "t" }
    for k, v in pairs(opts) do base[k] = v end
    local ok, err = pcall(qbench.new, base)
    assert.is_false(ok, "accepted " .. tostring(next(opts)))
    assert.matches(pattern, err)
    return err
  end

  it("refuses CR, LF and NUL in user_agent, token and client credentials", function()
    for _, bad in ipairs { "app/1.0\r\nAuthorization: Bearer X", "app\n", "a\0b", "tab\there" } do
      refused({ user_agent = bad }, "option user_agent must be a non%-empty string without control characters")
      refused({ token = bad }, "option token must be a non%-empty string without control characters")
    end
    refused({ token = false }, "option token must be a string")
    refused({ token = nil, client_id = "id\r\n", client_secret = "s" }, "option client_id must be")
  end)

  it("refuses a URL with credentials, a query, a fragment or a backslash, and never shows it", function()
    local secret = "pw-should-not-show"
    local err = refused({ url = "http://user:" .. secret .. "@127.0.0.1:1" }, "must not contain user:password@")
    assert.is_truthy(err:find(secret, 1, true)) -- the raising message names what was given ...
    refused({ url = "http://h?x=" }, "must not have a query")
    refused({ url = "http://h#" }, "must not have a fragment")
    refused({ url = "http://127.0.0.1:1\\@evil" }, "backslashes")
    refused({ url = "http://h:99999" }, "invalid port")
    refused({ url = "http:///path" }, "no valid host")
    refused({ url = "http://h/\npath" }, "control characters")
    local ok = qbench.new { url = "https://lab.qbench.net:8443/base//", token = "t" }
    assert.equal("https://lab.qbench.net:8443/base", ok.url) -- ... but an accepted one keeps nothing secret
    ok:close()
  end)

  it("refuses a proxy that is not a URL or true", function()
    refused({ proxy = true }, "option proxy must be a proxy URL, or false")
    refused({ proxy = "not a url" }, "option proxy must be a URL")
    qbench.new({ url = "http://127.0.0.1:1", token = "t", proxy = false }):close()
    qbench.new({ url = "http://127.0.0.1:1", token = "t", proxy = "http://127.0.0.1:3128" }):close()
  end)
end)

describe("query values a URL cannot hold", function()
  local sb, qb
  setup(function()
    sb = helper.sandbox()
    qb = qbench.new { url = sb.url, token = sb.token }
  end)
  teardown(function() qb:close() end)
  before_each(function() helper.reset() end)

  it("NaN and infinities raise, naming the key, and nothing is sent", function()
    for _, v in ipairs { 0 / 0, math.huge, -math.huge } do
      local ok, err = pcall(qb.request, qb, "GET", "customer", { query = { page_num = v } })
      assert.is_false(ok)
      assert.matches("query value for page_num must be a finite number", err)
    end
    assert.same({}, helper.requests())
  end)

  it("an array with a hole raises instead of losing what follows it", function()
    local ok, err = pcall(qb.request, qb, "GET", "customer", { query = { ids = { 1, nil, 3 } } })
    assert.is_false(ok)
    assert.matches("query value for ids must be a value or a non%-empty array without holes", err)
    assert.same({}, helper.requests())
  end)

  it("floats keep full precision, integers are exact", function()
    assert(qb:request("GET", "customer", { query = { a = 0.1, b = 2 ^ 53, c = 1e300 } }))
    assert.equal("a=0.10000000000000001&b=9007199254740992&c=1.0000000000000001e%2B300", helper.last_request().query)
  end)
end)

describe("server text in errors", function()
  it("tostring(err) escapes control characters, C1 and bidi overrides from the server", function()
    local qerror = require "qbench.error"
    local err = qerror.new { kind = "http", status = 404, method = "GET", path = "/x",
      message = "nope \27]0;title\7\27[2J \226\128\174evil \194\155 \255" }
    local line = tostring(err)
    assert.equal("qbench: GET /x HTTP 404 (http): nope \\x1b]0;title\\x07\\x1b[2J \\u{202E}evil \\u{9B} \\xff", line)
    assert.is_nil(line:find("[%c]"))
  end)
end)

describe("hostile answers through the library (raw server)", function()
  local raw = require "rawserver"

  local OK_JSON = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"

  it("an answer cut after its status line is a network error: a GET is retried, a PUT too, a POST is not", function()
    local srv = raw.start { "HTTP/1.1 200 OK\r\n", OK_JSON }
    local qb <close> = qbench.new { url = srv.url, token = "t", sleep = function() end }
    local body = assert(qb:request("GET", "customer/1"))
    assert.same({}, body)
    assert.equal(2, #srv.requests())
    srv.stop()
    local once = raw.start { "HTTP/1.1 200 OK\r\n", OK_JSON }
    local qb2 <close> = qbench.new { url = once.url, token = "t", sleep = function() end }
    local id, err = qb2.customer:create { customer_name = "Cut" }
    assert.is_nil(id)
    assert.equal("network", err.kind)
    assert.equal("the answer was cut off inside its headers", err.message)
    assert.equal("unknown", err.outcome)
    assert.equal(1, #once.requests())
    once.stop()
  end)

  it("a 404 whose message drives a terminal is printed with escapes", function()
    local text = '{"message": "gone \\u001b]0;pwned\\u0007\\u001b[2J \\u202e"}'
    local srv = raw.start { string.format("HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", #text, text) }
    local qb <close> = qbench.new { url = srv.url, token = "t" }
    local c, err = qb.customer:get(1)
    srv.stop()
    assert.is_nil(c)
    assert.equal("gone \27]0;pwned\7\27[2J \226\128\174", err.message) -- the field keeps the data ...
    assert.equal("qbench: GET /qbench/api/v1/customer/1 HTTP 404 (http): gone \\x1b]0;pwned\\x07\\x1b[2J \\u{202E}",
      tostring(err)) -- ... the line shown to people cannot drive a terminal
  end)

  local function token_answer(status, json)
    return string.format("HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", status, #json, json)
  end

  for name, token in pairs { ["a line break"] = "abc\\r\\nX-Injected: 1", ["a NUL byte"] = "abc\\u0000def", empty = "" } do
    it("an access token with " .. name .. " from the token endpoint is kind auth, not a raised error", function()
      local srv = raw.start { token_answer(200, '{"access_token": "' .. token .. '", "expires_in": 3600}') }
      local infos = {}
      local qb <close> = qbench.new { url = srv.url, client_id = "id", client_secret = "secret", retries = 0,
        on_request = function(i) infos[#infos + 1] = i end }
      local c, err = qb.customer:get(1)
      srv.stop()
      assert.is_nil(c)
      assert.equal("auth", err.kind)
      assert.matches("without a usable access_token", err.message)
      assert.is_nil(err.body)
      assert.equal(1, #infos, "the token request is traced")
      assert.equal("auth", infos[1].error_kind)
    end)
  end

  it("a token endpoint that echoes the assertion: the JWT never reaches the error", function()
    -- A scripted server cannot know the JWT in advance: the token request's sender is
    -- replaced by one that answers as such a server would, echoing the assertion.
    local captured
    local qb <close> = qbench.new { url = "http://127.0.0.1:1", client_id = "id", client_secret = "secret", retries = 0 }
    local auth = require "qbench.auth"
    local transport = {
      in_loop = function() return false end,
      set_token = function(_, token) qb._transport:set_token(token) end,
      request = function(_, _, _, _, body)
        captured = body:match("assertion=([%w%-_.]+)")
        local json = string.format('{"error": "invalid_grant", "error_description": "bad assertion %s", "echo": ["%s"]}',
          captured, captured)
        return 400, "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n", json
      end,
    }
    local fake = auth.jwt_bearer {
      transport = transport, base_url = "http://127.0.0.1:1", clock = core.time, client_id = "id", client_secret = "secret",
    }
    local ok, err = fake.ensure(function() end)
    assert.is_nil(ok)
    assert.is_string(captured)
    local signature = captured:match("[^.]+$")
    assert.equal("auth", err.kind)
    assert.is_nil(tostring(err):find(signature, 1, true))
    assert.is_nil(err.message:find(signature, 1, true))
    assert.is_nil(err.body.error_description:find(signature, 1, true))
    assert.is_nil(err.body.echo[1]:find(signature, 1, true))
    assert.matches("%[redacted JWT%]", err.body.echo[1])
  end)

  it("proxy = URL sends every request through that proxy, loopback included", function()
    local proxy = raw.start { OK_JSON }
    local qb <close> = qbench.new { url = "http://127.0.0.1:9", token = "t", proxy = proxy.url, retries = 0 }
    assert(qb:request("GET", "customer/1"))
    local seen = proxy.requests()[1]
    proxy.stop()
    assert.matches("^GET http://127%.0%.0%.1:9/qbench/api/v1/customer/1 HTTP/1%.1\r\n", seen)
  end)

  it("an answer over max_response_bytes is not retried", function()
    local big = string.rep("x", 5000)
    local srv = raw.start { string.format("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", #big, big) }
    local qb <close> = qbench.new { url = srv.url, token = "t", max_response_bytes = 1000, sleep = function() end }
    local body, err = qb:request("GET", "customer/1")
    assert.is_nil(body)
    assert.equal(1, err.attempts)
    assert.equal(1, #srv.requests())
    srv.stop()
  end)
end)

describe("a slow loop body over prefetched pages", function()
  it("never times out a page whose answer came long ago, nor asks for it twice", function()
    local sb = helper.sandbox()
    helper.reset { customers = 40 }
    local qb <close> = qbench.new { url = sb.url, token = sb.token, timeout = 0.5, retries = 0 }
    local n = 0
    -- 4 pages of 10 at concurrency 4: while this body spends 0.4 s on a page, the
    -- next three pages (answered in milliseconds) wait longer than the timeout.
    for _ in qb.customer:list { page_size = 10, concurrency = 4 } do
      n = n + 1
      core.sleep(0.04)
    end
    assert.equal(40, n)
    local pages = {}
    for _, r in ipairs(helper.requests()) do
      local p = r.query:match("page_num=(%d+)")
      pages[p] = (pages[p] or 0) + 1
    end
    assert.same({ ["1"] = 1, ["2"] = 1, ["3"] = 1, ["4"] = 1 }, pages)
  end)
end)
