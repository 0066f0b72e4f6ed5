-- POST /qbench/oauth2/v1/token: the JWT-bearer grant QBench uses.
-- The client signs {"sub": client_id, "iat", "exp"} with HS256 and its secret;
-- we check it as the real server does and hand out an opaque token.
local native = require "sandbox.native"
local json = require "sandbox.json"

local M = {}

local GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
-- QBench refuses assertions valid for longer than an hour.
local MAX_LIFETIME = 3600
-- Tolerated clock difference for an "iat" slightly ahead of ours.
local CLOCK_SKEW = 30

local function urldecode(s)
  s = s:gsub("+", " ")
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

local function parse_form(body)
  local out = {}
  for pair in body:gmatch("[^&]+") do
    local k, v = pair:match("^([^=]*)=?(.*)$")
    k = urldecode(k)
    if out[k] == nil then out[k] = urldecode(v) end
  end
  return out
end

local function fail(description)
  return 400, json.encode { error = "invalid_grant", error_description = description }
end

local function decode_part(part)
  local raw = native.b64url_decode(part)
  if not raw then return nil end
  local v = json.decode(raw)
  if type(v) ~= "table" or raw:match("^%s*(.)") ~= "{" then return nil end
  return v
end

-- Returns status, body. `tokens` maps issued token -> monotonic expiry.
function M.token(cfg, tokens, headers, body)
  local ctype = (headers["content-type"] or ""):lower()
  if not ctype:match("^application/x%-www%-form%-urlencoded%s*;?") then
    return fail("Content-Type must be application/x-www-form-urlencoded")
  end
  local form = parse_form(body)
  if form.grant_type ~= GRANT_TYPE then
    return fail("grant_type must be " .. GRANT_TYPE)
  end
  local assertion = form.assertion
  if not assertion or assertion == "" then return fail("assertion is missing") end
  local h64, p64, s64 = assertion:match("^([%w_%-]+)%.([%w_%-]+)%.([%w_%-]+)$")
  if not h64 then return fail("assertion is not a JWT (header.payload.signature)") end
  local header = decode_part(h64)
  if not header then return fail("JWT header is not base64url JSON") end
  if header.alg ~= "HS256" then return fail("JWT alg must be HS256") end
  local sig = native.b64url_decode(s64)
  if not sig or not native.equal(sig, native.hmac_sha256(cfg.client_secret, h64 .. "." .. p64)) then
    return fail("JWT signature is invalid")
  end
  local claims = decode_part(p64)
  if not claims then return fail("JWT payload is not base64url JSON") end
  if claims.sub ~= cfg.client_id then return fail("JWT sub is not a known client id") end
  local now = math.floor(native.now())
  local exp, iat = claims.exp, claims.iat
  if type(exp) ~= "number" then return fail("JWT exp is missing") end
  if iat ~= nil and type(iat) ~= "number" then return fail("JWT iat must be a number") end
  if exp <= now then return fail("JWT has expired") end
  if iat and iat > now + CLOCK_SKEW then return fail("JWT iat is in the future") end
  if exp - (iat or now) > MAX_LIFETIME or exp - now > MAX_LIFETIME then
    return fail("JWT exp is more than 3600 seconds after iat")
  end
  local token = native.uuid4()
  local mono = native.monotonic()
  -- Forget expired tokens now and then so a long benchmark does not grow.
  for t, expiry in pairs(tokens) do
    if expiry <= mono then tokens[t] = nil end
  end
  tokens[token] = mono + cfg.token_ttl
  return 200, json.encode { access_token = token, expires_in = cfg.token_ttl, token_type = "Bearer" }
end

return M
