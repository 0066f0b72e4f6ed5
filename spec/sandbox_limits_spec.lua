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

describe("sandbox rate limit (--rate-limit 3/2)", function()
  local sb
  setup(function()
    sb = helper.start { "--token", "t", "--rate-limit", "3/2", "--quiet", "--die-with-parent" }
  end)
  teardown(function() sb.stop() end)

  it("answers request 4 of a window with QBench's 429, then opens a new window", function()
    for i = 1, 3 do
      local status, _, headers = call("GET", V1 .. "customer/1", { target = sb, token = "t" })
      assert.equal(200, status)
      assert.equal(tostring(i), headers["x-qbapi-throttle-request-count"])
      assert.matches("^[12]$", headers["x-qbapi-throttle-ttl"])
    end
    local status, body, headers = call("POST", V1 .. "customer",
      { target = sb, token = "t", body = { customer_name = "Too many" } })
    assert.equal(429, status)
    local ttl = headers["x-qbapi-throttle-ttl"]
    assert.matches("^[12]$", ttl)
    assert.equal("4", headers["x-qbapi-throttle-request-count"])
    assert.same({ error = "ratelimit exceeded 3 per 2 seconds [current count: 4. Retry in " .. ttl
      .. " seconds]" }, body)

    os.execute("sleep " .. ttl .. ".05")
    local _, list, h2 = call("GET", V1 .. "customer?page_size=1", { target = sb, token = "t" })
    assert.equal("1", h2["x-qbapi-throttle-request-count"])
    assert.equal(75, list.total_count) -- the refused POST created nothing
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
