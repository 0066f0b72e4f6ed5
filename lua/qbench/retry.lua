--- Every rule about failed attempts, in one place: when to try a request
-- again and how long to wait first, when a failure means the server may have
-- acted anyway, when a retry's failure means an earlier try already did the
-- work, and when a token was refused.
--
-- Nothing that may have been carried out is repeated unless repeating it is
-- harmless: QBench documents a 429 as not processed, and GET, PUT and DELETE
-- are idempotent; a POST or PATCH that may have reached the server is final.
-- Nothing that cannot come out differently is repeated either: a certificate
-- that failed verification, an answer over max_response_bytes (the C core's
-- `final`). The rules are data (M.rules); M.decide applies them.
-- @module qbench.retry
-- @local

local http_date = require("qbench.auth").parse_http_date

local M = {}

M.rules = {
  -- Methods whose repetition is harmless: retried after transient failures.
  idempotent = { GET = true, HEAD = true, PUT = true, DELETE = true, OPTIONS = true },
  -- Statuses worth another try of an idempotent request.
  transient_status = { [500] = true, [502] = true, [503] = true, [504] = true },
  -- Statuses after which the server may have acted: a gateway's error after the
  -- request went through (503 says the service did not take it).
  unknown_outcome_status = { [500] = true, [502] = true, [504] = true },
  -- Methods whose effect repeats when sent twice: an unknown outcome is reported, never retried.
  unrepeatable = { POST = true, PATCH = true },
  -- What a retry answers when an earlier try may already have done the work, per method
  -- (a request can bring its own rule as req.already_done: a discount delete's "has no discount").
  already_done = { DELETE = function(err) return err.status == 404 end },
  -- Error texts of QBench instances that answer a bad token with 400 instead of 401.
  token_rejected_400 = { error = "invalid_grant", message = "Invalid Authorization header format" },
}
local rules = M.rules

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

--- Did the server refuse the token? 401, or some instances' 400 (rules.token_rejected_400).
function M.token_rejected(err)
  if err.status == 401 then return true end
  if err.status ~= 400 then return false end
  local b, marks = err.body, rules.token_rejected_400
  if type(b) == "table" then
    return b.error == marks.error
        or tostring(b.error_description or b.message or ""):find(marks.message, 1, true) ~= nil
  end
  return type(b) == "string" and b:find(marks.message, 1, true) ~= nil
end

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
  elseif rules.idempotent[method] then
    again = rules.transient_status[err.status] or (err.status == nil and (err.kind == "timeout" or err.kind == "network"))
  end
  return again and M.backoff(policy, attempt) or nil
end

--- The verdict on a failed attempt of `req` (its method, attempt number and what
-- earlier attempts left in it): "done" (an earlier try did the work), "reauth" (a
-- new token, then the same request once more), "again", seconds to wait first, or
-- "failed". Fills err.sent and, where the server may have acted on a request that
-- must not be repeated, err.outcome = "unknown".
-- `refreshable`: the client can fetch a new token.
function M.decide(policy, req, err, sent, final, refreshable)
  err.sent = err.status ~= nil or sent == true
  local unknown = err.sent and (err.status == nil or rules.unknown_outcome_status[err.status] == true)
  local done = req.already_done or rules.already_done[req.method]
  if req.maybe_done and done and done(err) then return "done" end
  req.maybe_done = req.maybe_done or unknown
  if unknown and rules.unrepeatable[req.method] then err.outcome = "unknown" end
  if refreshable and not req.reauthenticated and M.token_rejected(err) then
    req.reauthenticated = true
    return "reauth"
  end
  local wait = M.wait_before_retry(policy, req.method, err, sent, req.attempt, final)
  if not wait then return "failed" end
  return "again", wait
end

return M
