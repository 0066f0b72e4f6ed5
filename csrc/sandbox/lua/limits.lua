-- QBench's two 429 limits: requests in flight at once, and requests per
-- fixed window (with the X-QBAPI-Throttle-* headers on every answer).
-- A window of whole seconds (QBench's own) gives whole seconds everywhere;
-- a fractional one (--rate-limit 5/0.2, for quick specs) gives the seconds
-- left rounded up to the millisecond ("0.137").
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

-- The seconds left in a window of `span` seconds, as text.
local function seconds_left(span, left)
  if math.type(span) == "integer" then return tostring(math.max(1, math.ceil(left))) end
  -- Up to the millisecond, but never past the window: 0.2 * 1000 is 200.00000000000003.
  local ms = math.max(1, math.min(math.ceil(left * 1000 - 1e-6), math.floor(span * 1000 + 0.5)))
  return (string.format("%d.%03d", ms // 1000, ms % 1000):gsub("%.?0+$", ""))
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
  local ttl = seconds_left(span, self.window_start + span - now)
  local headers = { "X-QBAPI-Throttle-Request-Count", tostring(count), "X-QBAPI-Throttle-TTL", ttl }
  if count > n then
    return headers, string.format("ratelimit exceeded %d per %s seconds [current count: %d. Retry in %s seconds]",
      n, math.type(span) == "integer" and tostring(span) or string.format("%g", span), count, ttl)
  end
  return headers
end

return Limits
