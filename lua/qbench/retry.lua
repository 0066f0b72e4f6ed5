--- When to try a request again, and how long to wait first.
-- Nothing that may have been carried out is repeated unless repeating it is
-- harmless: QBench documents a 429 as not processed, and GET, PUT and DELETE
-- are idempotent; a POST or PATCH that may have reached the server is final.
-- Nothing that cannot come out differently is repeated either: a certificate
-- that failed verification, an answer over max_response_bytes.
-- @module qbench.retry
-- @local

local http_date = require("qbench.auth").parse_http_date

local M = {}

local IDEMPOTENT = { GET = true, HEAD = true, PUT = true, DELETE = true, OPTIONS = true }
local TRANSIENT_STATUS = { [500] = true, [502] = true, [503] = true, [504] = true }

--- Exponential backoff with full jitter: a uniform wait in [0, min(max, base * 2^(n-1))].
function M.backoff(policy, attempt)
  local ceiling = math.min(policy.max_backoff, policy.backoff * 2 ^ (attempt - 1))
  return math.random() * ceiling
end

-- Seconds the server asked us to wait: Retry-After (seconds or an HTTP date), else
-- QBench's X-QBAPI-Throttle-TTL. A value that is not a finite, non-negative number
-- of seconds is ignored; a huge one is returned as it is, for the caller to refuse.
local function server_wait(headers)
  if not headers then return nil end
  local ra = headers["retry-after"]
  if ra then
    local v = tonumber(ra)
    if not v then
      local at = http_date(ra)
      if at then v = math.max(0, at - os.time()) end
    end
    if v and v == v and v >= 0 then return v end
  end
  local ttl = headers["x-qbapi-throttle-ttl"]
  local v = ttl and tonumber(ttl)
  if v and v == v and v >= 0 then return v end
  return nil
end
M.server_wait = server_wait

--- Seconds to wait before the next try, or nil when `err` is final.
-- `sent` is false when the request never left (a failed connect); `final` is the C
-- core's word that trying again cannot help.
function M.wait_before_retry(policy, method, err, sent, attempt, final)
  if attempt > policy.retries or final then return nil end
  if err.kind == "rate_limit" then
    local asked = server_wait(err.headers)
    if asked and asked > policy.max_backoff then
      -- Sleeping that long would freeze the caller; saying so lets it decide.
      err.retry_after = asked
      err.message = string.format("%s (the server asks to wait %.0f s, more than max_backoff)", err.message, asked)
      return nil
    end
    return asked or M.backoff(policy, attempt)
  end
  local again
  if err.status == nil and err.kind ~= "decode" and sent == false then
    again = true -- nothing reached the server
  elseif IDEMPOTENT[method] then
    again = TRANSIENT_STATUS[err.status] or (err.status == nil and (err.kind == "timeout" or err.kind == "network"))
  end
  return again and M.backoff(policy, attempt) or nil
end

return M
