-- QBench's JWT-bearer grant. The client signs {"sub": client_id, "iat",
-- "exp"} with HS256 and its secret; we check it as the real server does and
-- hand out an opaque token. v1 takes the form url-encoded at
-- /qbench/oauth2/v1/token; v2 (lims/auth_endpoints) takes it as multipart.
local native = require "sandbox.native"
local json = require "sandbox.json"
local jsontype = require "sandbox.jsontype"
local query = require "sandbox.query"
local tokens = require "sandbox.tokens"

local M = {}

M.GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
-- QBench refuses assertions valid for longer than an hour.
local MAX_LIFETIME = 3600
-- Tolerated clock difference for an "iat" slightly ahead of ours.
local CLOCK_SKEW = 30

local function parse_form(body)
  local out = {}
  for pair in body:gmatch("[^&]+") do
    local k, v = pair:match("^([^=]*)=?(.*)$")
    k = query.urldecode(k)
    if out[k] == nil then out[k] = query.urldecode(v) end
  end
  return out
end

local function decode_part(part)
  local raw = native.b64url_decode(part)
  if not raw then return nil end
  local v = json.decode(raw)
  if not jsontype.is_object(v) then return nil end
  return v
end

-- Checks a grant's grant_type and assertion; nil when good, else why not.
function M.check_grant(cfg, grant_type, assertion)
  if grant_type ~= M.GRANT_TYPE then return "grant_type must be " .. M.GRANT_TYPE end
  if not assertion or assertion == "" then return "assertion is missing" end
  local h64, p64, s64 = assertion:match("^([%w_%-]+)%.([%w_%-]+)%.([%w_%-]+)$")
  if not h64 then return "assertion is not a JWT (header.payload.signature)" end
  local header = decode_part(h64)
  if not header then return "JWT header is not base64url JSON" end
  if header.alg ~= "HS256" then return "JWT alg must be HS256" end
  local sig = native.b64url_decode(s64)
  if not sig or not native.equal(sig, native.hmac_sha256(cfg.client_secret, h64 .. "." .. p64)) then
    return "JWT signature is invalid"
  end
  local claims = decode_part(p64)
  if not claims then return "JWT payload is not base64url JSON" end
  if claims.sub ~= cfg.client_id then return "JWT sub is not a known client id" end
  local now = math.floor(native.now())
  local exp, iat = claims.exp, claims.iat
  if type(exp) ~= "number" then return "JWT exp is missing" end
  if iat ~= nil and type(iat) ~= "number" then return "JWT iat must be a number" end
  if exp <= now then return "JWT has expired" end
  if iat and iat > now + CLOCK_SKEW then return "JWT iat is in the future" end
  if exp - (iat or now) > MAX_LIFETIME or exp - now > MAX_LIFETIME then
    return "JWT exp is more than 3600 seconds after iat"
  end
  return nil
end

local function fail(description)
  return 400, json.encode { error = "invalid_grant", error_description = description }
end

-- POST /qbench/oauth2/v1/token -> status, body.
function M.token(cfg, headers, body)
  local ctype = (headers["content-type"] or ""):lower()
  if not ctype:match("^application/x%-www%-form%-urlencoded%s*;?") then
    return fail("Content-Type must be application/x-www-form-urlencoded")
  end
  local form = parse_form(body)
  local why = M.check_grant(cfg, form.grant_type, form.assertion)
  if why then return fail(why) end
  return 200, json.encode { access_token = tokens.issue(cfg.token_ttl), expires_in = cfg.token_ttl,
    token_type = "Bearer" }
end

return M
