-- qbench-sandbox: QBench's two 429 limits and --latency-ms.
local helper = require "helper"
local core = require "qbench.core"

local call = helper.call
local V1 = "/qbench/api/v1/"

local function now()
  local f = io.popen("date +%s.%N")
  local t = tonumber(f:read("l"))
  f:close()
  return t
end

-- Runs a shell script and returns its standard output.
local function sh(script)
  local f = assert(io.popen(script))
  local out = f:read("a")
  f:close()
  return out
end

local function curl_get(sb, path, token)
  return "curl -s -H " .. helper.shell_quote("Authorization: Bearer " .. token) .. " "
    .. helper.shell_quote(sb.url .. path)
end

-- Sends `requests` ({method, path, body}) in one curl run, one after the other on
-- one connection: they take milliseconds, so they fall in one sub-second window.
-- Returns {status =, headers = {lower-case name = value}, body = decoded} per request.
local function burst(sb, token, requests)
  local args = {}
  for i, r in ipairs(requests) do
    if i > 1 then args[#args + 1] = "--next" end
    args[#args + 1] = "-s -i -w '\\n@@END@@\\n' -H " .. helper.shell_quote("Authorization: Bearer " .. token)
    if r[1] ~= "GET" then args[#args + 1] = "-X " .. r[1] end
    if r[3] then args[#args + 1] = "-H 'Content-Type: application/json' --data-raw " .. helper.shell_quote(r[3]) end
    args[#args + 1] = helper.shell_quote(sb.url .. r[2])
  end
  local out, answers = sh("curl " .. table.concat(args, " ")), {}
  for chunk in out:gmatch("(.-)\n@@END@@\n") do
    local head, body = chunk:match("^(.-)\r\n\r\n(.*)$")
    local a = { status = tonumber(head:match("^HTTP/%S+ (%d+)")), headers = {}, body = core.decode(body) }
    for name, value in head:gmatch("\r\n([^:\r\n]+):%s*([^\r\n]*)") do a.headers[name:lower()] = value end
    answers[#answers + 1] = a
  end
  return answers
end

describe("sandbox rate limit (--rate-limit 3/0.5)", function()
  local sb
  setup(function()
    sb = helper.start { "--token", "t", "--rate-limit", "3/0.5", "--quiet", "--die-with-parent" }
  end)
  teardown(function() sb.stop() end)

  it("answers request 4 of a window with QBench's 429, then opens a new window", function()
    local requests = { { "GET", V1 .. "customer/1" }, { "GET", V1 .. "customer/2" }, { "GET", V1 .. "customer/3" },
      { "POST", V1 .. "customer", '{"customer_name": "Too many"}' } }
    local answers
    -- A machine too loaded to send four requests in 0.5 s splits them over two
    -- windows (counts 1, 2, 1, 2 ...): try again, at most three times.
    for _ = 1, 3 do
      answers = burst(sb, "t", requests)
      if #answers == 4 and answers[4].headers["x-qbapi-throttle-request-count"] == "4" then break end
      os.execute("sleep 0.55")
    end
    for i = 1, 3 do
      assert.equal(200, answers[i].status)
      assert.equal(tostring(i), answers[i].headers["x-qbapi-throttle-request-count"])
      local ttl = answers[i].headers["x-qbapi-throttle-ttl"]
      assert.matches("^0%.%d%d?%d?$", ttl)
      assert.is_true(tonumber(ttl) > 0 and tonumber(ttl) <= 0.5, ttl)
    end
    local refused = answers[4]
    assert.equal(429, refused.status)
    local ttl = refused.headers["x-qbapi-throttle-ttl"]
    assert.matches("^0%.%d%d?%d?$", ttl)
    assert.equal("4", refused.headers["x-qbapi-throttle-request-count"])
    assert.same({ error = "ratelimit exceeded 3 per 0.5 seconds [current count: 4. Retry in " .. ttl
      .. " seconds]" }, refused.body)

    os.execute("sleep " .. (tonumber(ttl) + 0.05))
    local _, list, h2 = call("GET", V1 .. "customer?page_size=1", { target = sb, token = "t" })
    assert.equal("1", h2["x-qbapi-throttle-request-count"])
    assert.equal(75, list.total_count) -- the refused POST created nothing
  end)
end)

describe("sandbox rate limit of whole seconds (--rate-limit 1/30)", function()
  it("gives whole seconds in its headers and message, as QBench does", function()
    local sb = helper.start { "--token", "t", "--rate-limit", "1/30", "--quiet", "--die-with-parent" }
    local status, _, headers = call("GET", V1 .. "customer/1", { target = sb, token = "t" })
    assert.equal(200, status)
    assert.equal("30", headers["x-qbapi-throttle-ttl"])
    local body
    status, body, headers = call("GET", V1 .. "customer/1", { target = sb, token = "t" })
    sb.stop()
    assert.equal(429, status)
    local ttl = headers["x-qbapi-throttle-ttl"]
    assert.matches("^[23]%d$", ttl)
    assert.same({ error = "ratelimit exceeded 1 per 30 seconds [current count: 2. Retry in " .. ttl .. " seconds]" }, body)
  end)
end)

describe("sandbox concurrency limit (--concurrency-limit 1)", function()
  local sb
  setup(function()
    sb = helper.start { "--token", "t", "--concurrency-limit", "1", "--latency-ms", "400",
      "--quiet", "--die-with-parent" }
  end)
  teardown(function() sb.stop() end)

  it("answers 429 to a request arriving while the limit is in flight", function()
    local tmp = os.tmpname()
    local out = sh(curl_get(sb, V1 .. "customer/1", "t") .. " -o /dev/null -w '%{http_code}' > "
      .. tmp .. " & sleep 0.15; "
      .. curl_get(sb, V1 .. "customer/2", "t") .. " -w '\\n%{http_code}'; wait; cat " .. tmp)
    os.remove(tmp)
    local body, second, first = out:match("^(.*)\n(%d+)(%d%d%d)$")
    assert.equal("200", first)
    assert.equal("429", second)
    assert.same({ error = "exceeded concurrent request limit of 1" }, core.decode(body))
  end)

  it("does not count control requests", function()
    local out = sh(curl_get(sb, V1 .. "customer/1", "t") .. " -o /dev/null & sleep 0.1; "
      .. "curl -s -o /dev/null -w '%{http_code}' " .. helper.shell_quote(sb.url .. "/_sandbox/requests")
      .. "; wait")
    assert.equal("200", out)
  end)
end)

describe("sandbox latency (--latency-ms 250)", function()
  local sb
  setup(function()
    sb = helper.start { "--token", "t", "--latency-ms", "250", "--quiet", "--die-with-parent" }
  end)
  teardown(function() sb.stop() end)

  it("delays every API answer", function()
    local t0 = now()
    assert.equal(200, (call("GET", V1 .. "customer/1", { target = sb, token = "t" })))
    assert.equal(401, (call("GET", V1 .. "customer/1", { target = sb, token = false })))
    local took = now() - t0
    assert.is_true(took >= 0.5, "took " .. took)
  end)

  it("sleeps outside the lock: concurrent requests overlap", function()
    local t0 = now()
    local out = sh(("%s -o /dev/null -w '%%{http_code}\\n' & "):rep(4):format(
      curl_get(sb, V1 .. "customer/1", "t"), curl_get(sb, V1 .. "customer/2", "t"),
      curl_get(sb, V1 .. "customer/3", "t"), curl_get(sb, V1 .. "customer/4", "t")) .. "wait")
    local took = now() - t0
    assert.equal("200\n200\n200\n200\n", out)
    assert.is_true(took < 0.9, "4 requests of 250 ms took " .. took)
  end)
end)
