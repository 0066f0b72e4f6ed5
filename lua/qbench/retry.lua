--- When to try a request again, and how long to wait first.
-- Nothing that may have been carried out is repeated unless repeating it is
-- harmless: QBench documents a 429 as not processed, and GET, PUT and DELETE
-- are idempotent; a POST or PATCH that may have reached the server is final.
-- @module qbench.retry

local M = {}

local IDEMPOTENT = { GET = true, HEAD = true, PUT = true, DELETE = true, OPTIONS = true }
local TRANSIENT_STATUS = { [500] = true, [502] = true, [503] = true, [504] = true }

--- Exponential backoff with full jitter: a uniform wait in [0, min(max, base * 2^(n-1))].
function M.backoff(policy, attempt)
  local ceiling = math.min(policy.max_backoff, policy.backoff * 2 ^ (attempt - 1))
  return math.random() * ceiling
end

-- Seconds the server asked us to wait, from Retry-After or QBench's throttle header.
local function server_wait(headers)
  if not headers then return nil end
  for _, name in ipairs { "retry-after", "x-qbapi-throttle-ttl" } do
    local v = tonumber(headers[name])
    if v and v >= 0 then return v end
  end
  return nil
end

--- Seconds to wait before the next try, or nil when `err` is final.
-- `sent` is false when the request never left (a failed connect).
function M.wait_before_retry(policy, method, err, sent, attempt)
  if attempt > policy.retries then return nil end
  local again
  if err.kind == "rate_limit" then
    return server_wait(err.headers) or M.backoff(policy, attempt)
  elseif err.status == nil and err.kind ~= "decode" and sent == false then
    again = true -- nothing reached the server
  elseif IDEMPOTENT[method] then
    again = TRANSIENT_STATUS[err.status] or (err.status == nil and (err.kind == "timeout" or err.kind == "network"))
  end
  return again and M.backoff(policy, attempt) or nil
end

return M
