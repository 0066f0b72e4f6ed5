-- QBench's two 429 limits: requests in flight at once, and requests per
-- fixed window (with the X-QBAPI-Throttle-* headers on every answer).
local native = require "sandbox.native"

local Limits = {}
Limits.__index = Limits

function Limits.new(concurrency, rate_n, rate_s)
  return setmetatable({ concurrency = concurrency, rate_n = rate_n, rate_s = rate_s,
    window_start = -math.huge, window_count = 0 }, Limits)
end

function Limits:reset() self.window_start, self.window_count = -math.huge, 0 end

-- Returns nil or the concurrency error text (the request must not run).
function Limits:over_concurrency(inflight)
  local limit = self.concurrency
  if limit > 0 and inflight >= limit then
    return "exceeded concurrent request limit of " .. limit
  end
  return nil
end

-- Counts the request in the window. Returns the throttle headers (nil when
-- the limit is off) and, past the limit, the error text.
function Limits:count()
  local n = self.rate_n
  if n <= 0 then return nil end
  local span = self.rate_s
  local now = native.monotonic()
  if now >= self.window_start + span then self.window_start, self.window_count = now, 0 end
  local count = self.window_count + 1
  self.window_count = count
  local ttl = math.max(1, math.ceil(self.window_start + span - now))
  local headers = { "X-QBAPI-Throttle-Request-Count", tostring(count), "X-QBAPI-Throttle-TTL", tostring(ttl) }
  if count > n then
    return headers, string.format("ratelimit exceeded %d per %d seconds [current count: %d. Retry in %d seconds]",
      n, span, count, ttl)
  end
  return headers
end

return Limits
