-- qbench-sandbox: POST /qbench/oauth2/v1/token (JWT-bearer grant, HS256).
-- The JWTs are signed with the openssl CLI, independently of the sandbox's
-- own HMAC code, so a bug there cannot cancel itself out.
local helper = require "helper"
local core = require "qbench.core"

local CLIENT_ID, SECRET = "sandbox-client", "s3cret-key"
local GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
local TOKEN_PATH = "/qbench/oauth2/v1/token"

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

local function b64url(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local chars = 2 + (b and 1 or 0) + (c and 1 or 0)
    for j = 1, chars do
      local v = (n >> (18 - 6 * (j - 1))) & 63
      out[#out + 1] = B64:sub(v + 1, v + 1)
    end
  end
  return table.concat(out)
end

local function hmac_sha256(key, data)
  local tmp = os.tmpname()
  local f = assert(io.open(tmp, "wb"))
  f:write(data)
  f:close()
  local p = assert(io.popen("openssl dgst -sha256 -hmac " .. helper.shell_quote(key)
    .. " -binary < " .. helper.shell_quote(tmp)))
  local mac = p:read("a")
  p:close()
  os.remove(tmp)
  assert(#mac == 32, "openssl dgst failed")
  return mac
end

local function jwt(claims, opts)
  opts = opts or {}
  local h = b64url(core.encode(opts.header or { alg = "HS256", typ = "JWT" }))
  local p = b64url(core.encode(claims))
  return h .. "." .. p .. "." .. b64url(hmac_sha256(opts.secret or SECRET, h .. "." .. p))
end

local function claims(overrides)
  local now = os.time()
  local c = { sub = CLIENT_ID, iat = now, exp = now + 3600 }
  for k, v in pairs(overrides or {}) do c[k] = v end
  return c
end

local function form_escape(s)
  return (s:gsub("[^%w%-%._~]", function(ch) return string.format("%%%02X", ch:byte()) end))
end

describe("sandbox token endpoint", function()
  local sb

  setup(function()
    sb = helper.start { "--token", "static", "--client-id", CLIENT_ID, "--client-secret", SECRET,
      "--token-ttl", "0.2", "--quiet", "--die-with-parent" }
  end)
  teardown(function() sb.stop() end)

  local function ask(body, content_type)
    local status, headers, raw = helper.http("POST", sb.url .. TOKEN_PATH,
      { "Content-Type: " .. (content_type or "application/x-www-form-urlencoded") }, body)
    return status, core.decode(raw), headers
  end

  local function grant(assertion)
    return ask("grant_type=" .. form_escape(GRANT) .. "&assertion=" .. assertion)
  end

  it("exchanges a good JWT for a bearer token that works until --token-ttl", function()
    local status, body, headers = grant(jwt(claims()))
    assert.equal(200, status)
    assert.equal("Bearer", body.token_type)
    assert.equal(0.2, body.expires_in)
    assert.matches("^%x+%-%x+%-4%x+%-%x+%-%x+$", body.access_token)
    assert.matches("GMT$", headers.date)
    local ok = helper.call("GET", "/qbench/api/v1/customer/1", { target = sb, token = body.access_token })
    assert.equal(200, ok)
    os.execute("sleep 0.3")
    local expired, err = helper.call("GET", "/qbench/api/v1/customer/1", { target = sb, token = body.access_token })
    assert.equal(401, expired)
    assert.same({ error = "invalid_token", error_description = "The access token has expired" }, err)
    assert.equal(200, (helper.call("GET", "/qbench/api/v1/customer/1", { target = sb, token = "static" })))
  end)

  it("issues a new token on every grant", function()
    local _, a = grant(jwt(claims()))
    local _, b = grant(jwt(claims()))
    assert.are_not.equal(a.access_token, b.access_token)
  end)

  for _, case in ipairs {
    { "a bad signature", function() return jwt(claims(), { secret = "other" }) end, "JWT signature is invalid" },
    { "an expired JWT", function()
      return jwt(claims { iat = os.time() - 4000, exp = os.time() - 10 })
    end, "JWT has expired" },
    { "a wrong sub", function() return jwt(claims { sub = "someone-else" }) end, "JWT sub is not a known client id" },
    { "an exp more than an hour after iat", function()
      return jwt(claims { exp = os.time() + 7200 })
    end, "JWT exp is more than 3600 seconds after iat" },
    { "no exp", function() return jwt(claims { exp = core.null }) end, "JWT exp is missing" },
    { "alg none", function()
      return jwt(claims(), { header = { alg = "none", typ = "JWT" } })
    end, "JWT alg must be HS256" },
    { "a tampered payload", function()
      local h, _, s = jwt(claims()):match("^(.-)%.(.-)%.(.*)$")
      return h .. "." .. b64url(core.encode(claims { sub = "x" })) .. "." .. s
    end, "JWT signature is invalid" },
    { "not a JWT", function() return "abc" end, "assertion is not a JWT (header.payload.signature)" },
  } do
    it("refuses " .. case[1] .. " with 400 invalid_grant and a Date header", function()
      local status, body, headers = grant(case[2]())
      assert.equal(400, status)
      assert.same({ error = "invalid_grant", error_description = case[3] }, body)
      assert.matches("GMT$", headers.date)
    end)
  end

  it("refuses a bad grant_type", function()
    local status, body = ask("grant_type=client_credentials&assertion=" .. jwt(claims()))
    assert.equal(400, status)
    assert.same({ error = "invalid_grant", error_description = "grant_type must be " .. GRANT }, body)
  end)

  it("refuses a missing assertion", function()
    local status, body = ask("grant_type=" .. form_escape(GRANT))
    assert.equal(400, status)
    assert.same({ error = "invalid_grant", error_description = "assertion is missing" }, body)
  end)

  it("refuses a body that is not form-encoded", function()
    local status, body = ask(core.encode { grant_type = GRANT, assertion = jwt(claims()) }, "application/json")
    assert.equal(400, status)
    assert.equal("invalid_grant", body.error)
  end)

  it("answers 405 to GET", function()
    local status = helper.http("GET", sb.url .. TOKEN_PATH)
    assert.equal(405, status)
  end)

  it("does not exist without --client-id", function()
    local status = helper.http("POST", helper.sandbox().url .. TOKEN_PATH,
      { "Content-Type: application/x-www-form-urlencoded" }, "grant_type=x")
    assert.equal(404, status)
  end)
end)
