-- qbench-sandbox v2 behind the common pipeline: the request log, faults
-- (and the two lone-header 429 faults), the 429 limits, latency, bearer
-- tokens and v2's own token endpoints.
local helper = require "helper"

local call = helper.call
local V2 = helper.V2

local function now()
  local f = io.popen("date +%s.%N")
  local t = tonumber(f:read("l"))
  f:close()
  return t
end

describe("sandbox v2 pipeline", function()
  before_each(function() helper.reset() end)
  -- Leave the shared sandbox as the other spec files expect it.
  teardown(function() helper.reset() end)

  it("logs v2 requests with their raw query and body", function()
    call("GET", V2 .. "samples?order_ids=1&order_ids=2")
    call("POST", V2 .. "samples", { body = '[{"order_id": 1}]', headers = { "Content-Type: application/json" } })
    local log = helper.requests()
    assert.equal(2, #log)
    assert.equal(V2 .. "samples", log[1].path)
    assert.equal("order_ids=1&order_ids=2", log[1].query)
    assert.equal('[{"order_id": 1}]', log[2].body)
  end)

  it("needs a bearer token: 401 in v2's shape", function()
    local status, body, headers = call("GET", V2 .. "samples", { token = false })
    assert.equal(401, status)
    assert.equal("error_description,error_token,error_type", helper.v2_error_keys(body))
    assert.equal("INVALID_TOKEN", body.error_type)
    assert.equal("Authorization header is missing", body.error_description)
    assert.equal('Bearer error="invalid_token"', headers["www-authenticate"])
    status = call("GET", V2 .. "samples", { token = "wrong" })
    assert.equal(401, status)
  end)

  it("checks the token before the body", function()
    assert.equal(401, (call("POST", V2 .. "samples", { token = false, body = "[{" })))
  end)

  it("answers status faults in v2's shape and does not carry the request out", function()
    helper.faults("POST " .. V2 .. "samples", { "503", "500", "403", "404" })
    for _, code in ipairs { 503, 500, 403, 404 } do
      local status, body = call("POST", V2 .. "samples", { body = { { order_id = 1 } } })
      assert.equal(code, status)
      assert.equal("error_description,error_token,error_type", helper.v2_error_keys(body))
      assert.matches("%(sandbox fault%)$", body.error_description)
    end
    local _, list = call("GET", V2 .. "samples?page_size=1")
    assert.equal(60, list.total_count)
    assert.equal(5, #helper.requests())
  end)

  it("429:S on a v2 path: v2's shape with Retry-After and the throttle headers", function()
    helper.faults("GET " .. V2 .. "orders", { "429:3" })
    local status, body, headers = call("GET", V2 .. "orders")
    assert.equal(429, status)
    assert.equal("TOO_MANY_REQUESTS", body.error_type)
    assert.equal("3", headers["retry-after"])
    assert.equal("3", headers["x-qbapi-throttle-ttl"])
  end)

  for _, path in ipairs { "/qbench/api/v1/customer/1", V2 .. "samples/1" } do
    it("429-retry-after:S and 429-ttl:S send only their own header (" .. path .. ")", function()
      helper.faults("GET " .. path, { "429-retry-after:7", "429-ttl:4" })
      local status, _, headers = call("GET", path)
      assert.equal(429, status)
      assert.equal("7", headers["retry-after"])
      assert.is_nil(headers["x-qbapi-throttle-ttl"])
      assert.is_nil(headers["x-qbapi-throttle-request-count"])
      status, _, headers = call("GET", path)
      assert.equal(429, status)
      assert.equal("4", headers["x-qbapi-throttle-ttl"])
      assert.is_nil(headers["retry-after"])
      assert.equal(200, (call("GET", path)))
    end)
  end

  it("keeps v1's 429 body for the lone-header faults on v1 paths", function()
    helper.faults("GET /qbench/api/v1/customer/1", { "429-ttl:2" })
    local _, body = call("GET", "/qbench/api/v1/customer/1")
    assert.same({ error = "ratelimit exceeded 300 per 60 seconds [current count: 301. Retry in 2 seconds]" }, body)
  end)

  it("drop, truncate and stall work on v2 paths", function()
    helper.faults("POST " .. V2 .. "contacts", { "drop", "truncate" })
    local status, kind = call("POST", V2 .. "contacts", { body = { { first_name = "A" } } })
    assert.is_nil(status)
    assert.equal("network", kind)
    status, kind = call("POST", V2 .. "contacts", { body = { { first_name = "B" } } })
    assert.is_nil(status)
    assert.equal("network", kind)
    local _, list = call("GET", V2 .. "contacts?page_size=1")
    assert.equal(31, list.total_count) -- the truncated one was carried out, the dropped one not
    helper.faults("GET " .. V2 .. "teams", { "stall:300" })
    local t0 = now()
    assert.equal(200, (call("GET", V2 .. "teams")))
    assert.is_true(now() - t0 >= 0.3)
  end)

  describe("limits and latency", function()
    it("applies the rate limit to v2 with v2's 429 shape", function()
      local sb = helper.start { "--token", "t", "--rate-limit", "2/30", "--quiet", "--die-with-parent" }
      local opts = { target = sb, token = "t" }
      local _, _, h1 = call("GET", V2 .. "users", opts)
      assert.equal("1", h1["x-qbapi-throttle-request-count"])
      assert.equal(200, (call("GET", V2 .. "teams", opts)))
      local status, body, headers = call("GET", V2 .. "users", opts)
      sb.stop()
      assert.equal(429, status)
      assert.equal("3", headers["x-qbapi-throttle-request-count"])
      assert.equal("TOO_MANY_REQUESTS", body.error_type)
      assert.matches("^ratelimit exceeded 2 per 30 seconds", body.error_description)
    end)

    it("delays v2 answers by --latency-ms", function()
      local sb = helper.start { "--token", "t", "--latency-ms", "200", "--quiet", "--die-with-parent" }
      local t0 = now()
      local status = call("GET", V2 .. "users/1", { target = sb, token = "t" })
      local took = now() - t0
      sb.stop()
      assert.equal(200, status)
      assert.is_true(took >= 0.2, "took " .. took)
    end)
  end)

  describe("token endpoints", function()
    local CLIENT, SECRET = "v2-client", "v2-secret"
    local GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
    local sb
    setup(function()
      sb = helper.start { "--token", "t", "--client-id", CLIENT, "--client-secret", SECRET, "--token-ttl", "60",
        "--quiet", "--die-with-parent" }
    end)
    teardown(function() sb.stop() end)

    local function post(path, fields, headers)
      local body, h = helper.multipart(fields)
      return call("POST", V2 .. path, { target = sb, token = false, body = body, headers = headers or h })
    end

    it("exchanges a JWT-bearer grant sent as multipart for a token that works on v1 and v2", function()
      local status, body = post("auth/token", { { "grant_type", GRANT }, { "assertion", helper.jwt(CLIENT, SECRET) } })
      assert.equal(200, status)
      assert.equal("Bearer", body.token_type)
      assert.equal(60, body.expires_in)
      assert.equal(200, (call("GET", V2 .. "samples/1", { target = sb, token = body.access_token })))
      assert.equal(200, (call("GET", "/qbench/api/v1/customer/1", { target = sb, token = body.access_token })))
      local _, info = call("GET", V2 .. "auth/token/info", { target = sb, token = body.access_token })
      assert.equal(CLIENT, info.data.client_id)
      assert.is_true(info.data.expires_in > 50 and info.data.expires_in <= 60)
    end)

    it("refreshes once with the refresh token", function()
      local _, first = post("auth/token", { { "grant_type", GRANT }, { "assertion", helper.jwt(CLIENT, SECRET) } })
      local status, body = post("auth/token/refresh", { { "refresh_token_id", first.refresh_token } })
      assert.equal(200, status)
      assert.are_not.equal(first.access_token, body.access_token)
      assert.equal(200, (call("GET", V2 .. "teams", { target = sb, token = body.access_token })))
      status, body = post("auth/token/refresh", { { "refresh_token_id", first.refresh_token } })
      assert.equal(400, status)
      assert.equal("INVALID_GRANT", body.error_type)
    end)

    it("refuses a bad grant in v2's 400 shape", function()
      local status, body = post("auth/token", { { "grant_type", GRANT }, { "assertion", helper.jwt(CLIENT, "wrong") } })
      assert.equal(400, status)
      assert.equal("JWT signature is invalid", body.error_description)
      status, body = post("auth/token", { { "grant_type", GRANT } })
      assert.equal(400, status)
      assert.same({ { field = "assertion", message = "is required" } }, body.errors)
      status, body = call("POST", V2 .. "auth/token", { target = sb, token = false,
        body = "grant_type=x", headers = { "Content-Type: application/x-www-form-urlencoded" } })
      assert.equal(400, status)
      assert.equal("Content-Type must be multipart/form-data", body.error_description)
    end)

    it("without --client-id gives a token for any body that fits the schema", function()
      local body, headers = helper.multipart { { "grant_type", "x" }, { "assertion", "x" } }
      local status, answer = call("POST", V2 .. "auth/token", { token = false, body = body, headers = headers })
      assert.equal(200, status)
      assert.equal(200, (call("GET", V2 .. "teams", { token = answer.access_token })))
      body, headers = helper.multipart { { "refresh_token_id", "anything" } }
      assert.equal(200, (call("POST", V2 .. "auth/token/refresh", { token = false, body = body, headers = headers })))
      body, headers = helper.multipart { { "grant_type", "x" } }
      status, answer = call("POST", V2 .. "auth/token", { token = false, body = body, headers = headers })
      assert.equal(400, status)
      assert.same({ { field = "assertion", message = "is required" } }, answer.errors)
    end)
  end)

end)
