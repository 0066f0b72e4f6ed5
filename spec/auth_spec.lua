-- QBench's OAuth JWT-bearer flow against the sandbox's token endpoint.
local qbench = require "qbench"
local core = require "qbench.core"
local helper = require "helper"

local TOKEN_PATH = "/qbench/oauth2/v1/token"
local CLIENT_ID, SECRET = "lab-client", "s3cr3t-client-secret"

local function b64url_decode(s)
  local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
  local bits = s:gsub(".", function(c)
    local v = alphabet:find(c, 1, true) - 1
    local out = {}
    for i = 5, 0, -1 do out[#out + 1] = (v >> i) & 1 end
    return table.concat(out)
  end)
  return (bits:gsub("%d%d%d%d%d%d%d%d", function(byte) return string.char(tonumber(byte, 2)) end):gsub("[01]+$", ""))
end

describe("client_id and client_secret", function()
  local sb

  setup(function()
    sb = helper.start { "--client-id", CLIENT_ID, "--client-secret", SECRET, "--token-ttl", "2",
      "--token", "static-not-used", "--die-with-parent", "--quiet" }
  end)
  teardown(function() sb.stop() end)
  before_each(function() helper.reset(nil, sb) end)

  local function paths()
    local out = {}
    for _, r in ipairs(helper.requests(sb)) do out[#out + 1] = r.method .. " " .. r.path end
    return out
  end

  local function new(extra)
    local opts = { url = sb.url, client_id = CLIENT_ID, client_secret = SECRET, backoff = 0, sleep = function() end }
    for k, v in pairs(extra or {}) do opts[k] = v end
    return qbench.new(opts)
  end

  it("fetches a token once with a signed HS256 JWT and reuses it", function()
    local qb <close> = new()
    for id = 1, 5 do assert(qb.customer:get(id)) end
    assert.same({ "POST " .. TOKEN_PATH, "GET /qbench/api/v1/customer/1", "GET /qbench/api/v1/customer/2",
      "GET /qbench/api/v1/customer/3", "GET /qbench/api/v1/customer/4", "GET /qbench/api/v1/customer/5" }, paths())
    local log = helper.requests(sb)
    local token_req = log[1]
    assert.equal("application/x-www-form-urlencoded", token_req.headers["content-type"])
    assert.is_nil(token_req.headers.authorization)
    local assertion = token_req.body:match("^grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant%-type%%3Ajwt%-bearer&assertion=([%w%-_]+%.[%w%-_]+%.[%w%-_]+)$")
    assert.is_string(assertion)
    local h, c, sig = assertion:match("^([^.]+)%.([^.]+)%.([^.]+)$")
    assert.same({ alg = "HS256", typ = "JWT" }, core.decode(b64url_decode(h)))
    local claims = core.decode(b64url_decode(c))
    assert.equal(CLIENT_ID, claims.sub)
    assert.is_true(claims.exp > claims.iat and claims.exp - claims.iat <= 3600)
    assert.equal(core.b64url_encode(core.hmac_sha256(SECRET, h .. "." .. c)), sig)
    local bearer = log[2].headers.authorization
    assert.matches("^Bearer .+", bearer)
    assert.not_equal("Bearer static-not-used", bearer)
    for i = 3, 6 do assert.equal(bearer, log[i].headers.authorization) end
  end)

  it("fetches a new token when the cached one nears expires_in", function()
    local offset = 0
    local qb <close> = new { clock = function() return core.time() + offset end }
    assert(qb.customer:get(1))
    offset = 10 -- past the 2 s lifetime the sandbox gave
    assert(qb.customer:get(2))
    assert.same({ "POST " .. TOKEN_PATH, "GET /qbench/api/v1/customer/1",
      "POST " .. TOKEN_PATH, "GET /qbench/api/v1/customer/2" }, paths())
  end)

  it("renews a little before expires_in runs out (a tenth of a short lifetime), not earlier", function()
    -- The sandbox's tokens live 2 s: renewal is due 0.2 s before, whatever the server still accepts.
    local offset = 0
    local qb <close> = new { clock = function() return core.time() + offset end }
    assert(qb.customer:get(1))
    offset = 1.6 -- inside the lifetime, before the early-renewal window
    assert(qb.customer:get(2))
    assert.same({ "POST " .. TOKEN_PATH, "GET /qbench/api/v1/customer/1", "GET /qbench/api/v1/customer/2" }, paths())
    offset = 1.9 -- inside the window: the sandbox would still take the old token, the client renews anyway
    assert(qb.customer:get(3))
    assert.same({ "POST " .. TOKEN_PATH, "GET /qbench/api/v1/customer/1", "GET /qbench/api/v1/customer/2",
      "POST " .. TOKEN_PATH, "GET /qbench/api/v1/customer/3" }, paths())
  end)

  it("re-authenticates once on a 401 and repeats the request", function()
    local frozen = core.time()
    local qb <close> = new { clock = function() return frozen end } -- never thinks its token expired
    assert(qb.customer:get(1))
    helper.faults("GET /qbench/api/v1/customer/2", { "401" }, sb) -- the server no longer takes it
    local c = assert(qb.customer:get(2))
    assert.equal(2, c.id)
    assert.same({ "POST " .. TOKEN_PATH, "GET /qbench/api/v1/customer/1", "GET /qbench/api/v1/customer/2",
      "POST " .. TOKEN_PATH, "GET /qbench/api/v1/customer/2" }, paths())
  end)

  for _, form in ipairs { "400:invalid_grant", "400:header_format" } do
    it("re-authenticates once on the " .. form .. " answer", function()
      local qb <close> = new()
      assert(qb.customer:get(1))
      helper.faults("GET /qbench/api/v1/customer/3", { form, form }, sb)
      local c, err = qb.customer:get(3)
      assert.is_nil(c)
      assert.equal(400, err.status)
      assert.equal(2, err.attempts)
      assert.same({ "POST " .. TOKEN_PATH, "GET /qbench/api/v1/customer/1", "GET /qbench/api/v1/customer/3",
        "POST " .. TOKEN_PATH, "GET /qbench/api/v1/customer/3" }, paths())
    end)
  end

  it("does not retry a static token on 401", function()
    local qb <close> = qbench.new { url = sb.url, token = "nope", sleep = function() end }
    local c, err = qb.customer:get(1)
    assert.is_nil(c)
    assert.equal("auth", err.kind)
    assert.equal(1, err.attempts)
    assert.equal(1, #helper.requests(sb))
  end)

  it("reports a refused token exchange as kind auth with the server's reason, never the secret", function()
    local qb <close> = qbench.new { url = sb.url, client_id = CLIENT_ID, client_secret = "wrong-secret" }
    local c, err = qb.customer:get(1)
    assert.is_nil(c)
    assert.equal("auth", err.kind)
    assert.equal(400, err.status)
    assert.equal(TOKEN_PATH, err.path)
    assert.matches("invalid_grant", err.message)
    assert.same({ "POST " .. TOKEN_PATH }, paths())
    for _, text in ipairs { tostring(err), err.message, tostring(qb), err.url } do
      assert.is_nil(text:find("wrong-secret", 1, true))
    end
    local other <close> = qbench.new { url = sb.url, client_id = "someone-else", client_secret = SECRET }
    local _, err2 = other.customer:get(1)
    assert.equal("auth", err2.kind)
  end)

  it("configures the module-level client from QBENCH_CLIENT_ID and QBENCH_CLIENT_SECRET", function()
    local script = [[
      package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
      package.cpath = "build/?.so;" .. package.cpath
      local c = assert(require("qbench").customer:get(6))
      io.write(c.id)
    ]]
    local cmd = string.format("env -u QBENCH_TOKEN QBENCH_URL=%s QBENCH_CLIENT_ID=%s QBENCH_CLIENT_SECRET=%s lua5.4 -e %q 2>&1",
      sb.url, CLIENT_ID, SECRET, script)
    local p = io.popen(cmd)
    local out = p:read("a")
    p:close()
    assert.equal("6", out)
    assert.same({ "POST " .. TOKEN_PATH, "GET /qbench/api/v1/customer/6" }, paths())
  end)

  it("signs against the server's Date when the local clock is off by more than a minute", function()
    local qb <close> = new { clock = function() return core.time() - 7200 end }
    local c = assert(qb.customer:get(4))
    assert.equal(4, c.id)
    assert.same({ "POST " .. TOKEN_PATH, "POST " .. TOKEN_PATH, "GET /qbench/api/v1/customer/4" }, paths())
  end)

  it("keeps the secret, the JWT and the token out of tostring, errors and traces", function()
    local seen = {}
    local qb <close> = new { on_request = function(info)
      for _, v in pairs(info) do seen[#seen + 1] = tostring(v) end
    end }
    assert(qb.customer:get(1))
    helper.faults("GET /qbench/api/v1/customer/1", { "500", "500", "500", "500" }, sb)
    local _, err = qb.customer:get(1)
    local log = helper.requests(sb)
    local jwt = log[1].body:match("assertion=(.*)$")
    local token = log[2].headers.authorization:match("^Bearer (.*)$")
    seen[#seen + 1] = tostring(err)
    seen[#seen + 1] = tostring(qb)
    seen[#seen + 1] = tostring(qb._transport.handle)
    for k, v in pairs(err) do seen[#seen + 1] = tostring(k) .. "=" .. tostring(v) end
    for _, text in ipairs(seen) do
      for _, secret in ipairs { SECRET, jwt, token } do
        assert.is_nil(text:find(secret, 1, true), "leaked into: " .. text)
      end
    end
  end)
end)

describe("parse_http_date", function()
  it("reads IMF-fixdate", function()
    local auth = require "qbench.auth"
    assert.equal(784111777, auth.parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"))
    assert.equal(951782400, auth.parse_http_date("Tue, 29 Feb 2000 00:00:00 GMT"))
    assert.equal(0, auth.parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"))
    assert.is_nil(auth.parse_http_date("yesterday"))
  end)
end)
