-- The bearer-token check of every API request: the static --token, or an
-- access token issued by a token endpoint and not yet expired.
local tokens = require "sandbox.tokens"

local M = {}

-- `static` is "Bearer <--token>", the common case compared in one go.
-- Returns true, or false and why (OAuth's error_description wording).
function M.check(headers, static, static_token)
  local auth = headers.authorization
  if auth == nil then return false, "Authorization header is missing" end
  if auth == static then return true end
  local scheme, token = auth:match("^(%S+)%s+(%S+)%s*$")
  if not scheme or scheme:lower() ~= "bearer" then
    return false, "Invalid Authorization header format (expected 'Bearer <token>')"
  end
  if token == static_token then return true end
  local left, why = tokens.check(token)
  if not left then return false, why end
  return true
end

-- The token a request carries (for /auth/token/info), or nil.
function M.bearer(headers)
  local auth = headers.authorization
  return auth and auth:match("^%S+%s+(%S+)%s*$")
end

return M
