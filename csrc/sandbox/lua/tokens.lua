-- Access and refresh tokens issued by the token endpoints, with their
-- monotonic expiry. They outlive /_sandbox/reset, as a real server's would.
local native = require "sandbox.native"

local M = {}

local access = {}   -- token -> expiry
local refresh = {}  -- refresh token -> expiry

-- Forget expired tokens now and then so a long benchmark does not grow.
local function sweep(set, now)
  for t, expiry in pairs(set) do
    if expiry <= now then set[t] = nil end
  end
end

function M.issue(ttl)
  local now = native.monotonic()
  sweep(access, now)
  local token = native.uuid4()
  access[token] = now + ttl
  return token
end

-- A refresh token lives as long as a few access tokens.
function M.issue_refresh(ttl)
  local now = native.monotonic()
  sweep(refresh, now)
  local token = native.uuid4()
  refresh[token] = now + 4 * ttl
  return token
end

-- Returns the seconds left, or nil and why the token is refused.
local function check(set, token)
  local expiry = set[token]
  if expiry == nil then return nil, "The access token is invalid" end
  local left = expiry - native.monotonic()
  if left <= 0 then
    set[token] = nil
    return nil, "The access token has expired"
  end
  return left
end

function M.check(token) return check(access, token) end

-- A refresh token is used up by the exchange.
function M.redeem_refresh(token)
  local left, why = check(refresh, token)
  if left then refresh[token] = nil end
  return left, why
end

return M
