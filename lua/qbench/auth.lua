--- Access tokens: a static bearer token, or QBench's OAuth JWT-bearer flow.
-- The client id's secret signs a short HS256 JWT that is exchanged at
-- /qbench/oauth2/v1/token for an access token; the token is cached until
-- shortly before it expires. Neither the secret, the JWT nor the token is
-- kept anywhere a tostring, an error or a trace could reach.
-- @module qbench.auth

local core = require "qbench.core"
local qerror = require "qbench.error"
local url = require "qbench.url"

local M = {}

local TOKEN_PATH = "/qbench/oauth2/v1/token"
local GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
local JWT_HEADER = core.b64url_encode('{"alg":"HS256","typ":"JWT"}')
local ASSERTION_LIFETIME = 300 -- QBench accepts at most 3600
local MAX_CLOCK_SKEW = 60

local MONTHS = { Jan = 1, Feb = 2, Mar = 3, Apr = 4, May = 5, Jun = 6, Jul = 7, Aug = 8, Sep = 9, Oct = 10, Nov = 11, Dec = 12 }

-- Seconds since the epoch of an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), or nil.
function M.parse_http_date(s)
  local d, mon, y, hh, mm, ss = tostring(s):match("^%a+, (%d%d) (%a%a%a) (%d%d%d%d) (%d%d):(%d%d):(%d%d) GMT$")
  local m = MONTHS[mon]
  if not m then return nil end
  y, m, d = tonumber(y), m, tonumber(d)
  -- Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar.
  if m <= 2 then y = y - 1 end
  local era = y // 400
  local yoe = y - era * 400
  local doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  local days = era * 146097 + doe - 719468
  return days * 86400 + tonumber(hh) * 3600 + tonumber(mm) * 60 + tonumber(ss)
end

-- `v` with every occurrence of the JWT `jwt` (or of its signature) replaced.
local function redact(v, jwt)
  local signature = jwt:match("[^.]+$")
  local function clean(s)
    local start = s:find(jwt, 1, true)
    while start do
      s = s:sub(1, start - 1) .. "[redacted JWT]" .. s:sub(start + #jwt)
      start = s:find(jwt, 1, true)
    end
    start = s:find(signature, 1, true)
    while start do
      s = s:sub(1, start - 1) .. "[redacted]" .. s:sub(start + #signature)
      start = s:find(signature, 1, true)
    end
    return s
  end
  if type(v) == "string" then return clean(v) end
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = redact(x, jwt) end
  return out
end

--- A fixed token: set once, never refreshed.
function M.static(handle, token)
  handle:set_token(token)
  return {
    refreshable = false,
    ensure = function() return true end,
    invalidate = function() end,
  }
end

-- The token request's headers. The empty Authorization line keeps the C core from
-- adding the current token: the endpoint wants the assertion alone.
local TOKEN_HEADERS = { "Accept: application/json", "Content-Type: application/x-www-form-urlencoded", "Authorization:" }

--- The JWT-bearer flow over `opts.transport` (qbench.transport, or anything with
-- its `in_loop`, `request`, `start`, `await` and `set_token`).
--
-- One token request serves every caller that needs a token while it is under
-- way. In an event loop it is a transfer of its own whose answer the loop files
-- with the shared fetch, not with the coroutine that started it: every waiter
-- is woken by the answer itself, and the first to run reads it. A coroutine
-- that started the request and was abandoned (never resumed, or closed) holds
-- nobody up. Each caller waits no longer than its own deadline.
function M.jwt_bearer(opts)
  local transport, client_id, secret = opts.transport, opts.client_id, opts.client_secret
  local clock, token_url, timeout = opts.clock, opts.base_url .. TOKEN_PATH, opts.timeout or 60
  local expires_at, skew = nil, 0
  local current -- the fetch under way: {jwt =, attempt =, started =, answer =, result =, err =, waiters =}

  local function assertion()
    local now = math.floor(clock() + skew)
    local claims = core.encode { sub = client_id, iat = now, exp = now + ASSERTION_LIFETIME }
    local signing_input = JWT_HEADER .. "." .. core.b64url_encode(claims)
    return signing_input .. "." .. core.b64url_encode(core.hmac_sha256(secret, signing_input))
  end

  -- What one answer of the token endpoint means: true (the token is set) or nil, err.
  local function judge(fetch, trace, status, headers, text, code)
    local jwt = fetch.jwt
    local fields = { method = "POST", path = TOKEN_PATH, url = token_url }
    local err
    if not status then
      fields.kind, fields.message, fields.curl_code = headers, text, code
      err = qerror.new(fields)
    else
      local decoded = core.decode(text)
      fields.status, fields.headers = status, core.parse_headers(headers) -- the client's handle gives them raw
      -- A server may echo the assertion back (in error_description, say): it is a live
      -- credential for its lifetime and never reaches an error.
      fields.body = redact(decoded ~= nil and decoded ~= core.null and decoded or text, jwt)
      local token = type(decoded) == "table" and decoded.access_token
      if status >= 200 and status < 300 and type(token) == "string" and token ~= "" and not token:find("%c") then
        transport:set_token(token)
        local ttl = tonumber(decoded.expires_in)
        if not ttl or ttl ~= ttl then ttl = 3600 end
        ttl = math.max(1, math.min(ttl, 30 * 86400)) -- a hostile expires_in cannot pin a token forever
        expires_at = clock() + ttl - math.min(60, ttl / 10) -- renew a little early
        trace("POST", TOKEN_PATH, status, clock() - fetch.started, fetch.attempt)
        return true
      end
      fields.kind = "auth"
      if status >= 200 and status < 300 then
        fields.body = nil -- it would hold whatever token the server sent
        fields.message = "the token endpoint answered without a usable access_token (a non-empty single-line string)"
      else
        fields.message = "token request refused: " .. qerror.message_of(fields.body, status)
      end
      err = qerror.new(fields)
    end
    trace("POST", TOKEN_PATH, status, clock() - fetch.started, fetch.attempt, err.kind)
    return nil, err
  end

  -- A fetch's answer arrives (filed by whoever collected it): every waiter wakes.
  local fetch_mt = { __index = {} }
  function fetch_mt.__index:receive(answer)
    self.answer = answer
    local waiters = self.waiters
    self.waiters = {}
    for _, ev in ipairs(waiters) do ev:set() end
  end

  -- Starts a token request (attempt 1, or 2 after a clock-skew refusal), with
  -- `limit` seconds at most. In a loop it runs as a transfer of its own; outside,
  -- it is done when this returns.
  local function begin(attempt, limit)
    local fetch = setmetatable({ jwt = assertion(), attempt = attempt, started = clock(), waiters = {} }, fetch_mt)
    local body = url.form { { "grant_type", GRANT_TYPE }, { "assertion", fetch.jwt } }
    local attempt_timeout = math.min(timeout, limit or timeout)
    current = fetch
    if transport:in_loop() then
      fetch.tag = transport:start(fetch, { method = "POST", url = token_url, headers = TOKEN_HEADERS, payload = body },
        attempt_timeout, false)
    else
      fetch.answer = table.pack(0, transport:request("POST", token_url, TOKEN_HEADERS, body, attempt_timeout))
    end
    return fetch
  end

  -- The answer of `fetch` is in: judge it once, for every waiter.
  local function settle(fetch, trace, limit)
    local a = fetch.answer
    local ok, err = judge(fetch, trace, table.unpack(a, 2, a.n))
    if not ok and fetch.attempt == 1 then
      -- A 400 from a server whose clock disagrees with ours: sign against its time once.
      local server_time = err.status == 400 and err.headers and M.parse_http_date(err.headers.date)
      if server_time and math.abs(server_time - (clock() + skew)) > MAX_CLOCK_SKEW then
        skew = server_time - clock()
        fetch.next = begin(2, limit)
        return
      end
    end
    fetch.result, fetch.err = ok == true, err
    if current == fetch then current = nil end
  end

  local self = { refreshable = true }

  local function timed_out()
    return nil, qerror.new { kind = "timeout", method = "POST", path = TOKEN_PATH, url = token_url,
                             message = "no time left before the call's deadline for the token request" }
  end

  --- Makes sure a fresh token is set; returns true or nil, err. `deadline_at` (a
  -- clock time, optional) bounds the token request and any wait for another's.
  function self.ensure(trace, deadline_at)
    local fetch
    while true do
      if not fetch then
        if expires_at and clock() < expires_at then return true end
        local limit = deadline_at and deadline_at - clock()
        if limit and limit <= 0 then return timed_out() end
        expires_at = nil
        fetch = current or begin(1, limit)
      end
      if fetch.answer and fetch.result == nil and not fetch.next then
        settle(fetch, trace, deadline_at and deadline_at - clock())
      end
      if fetch.next then
        fetch = fetch.next
      elseif fetch.result ~= nil then
        if fetch.result then return true end
        -- Another caller's request ran out of its own time: with time left, ask anew.
        if fetch.err.kind ~= "timeout" or (deadline_at and clock() >= deadline_at) then return nil, fetch.err end
        fetch = nil
      else
        local left = deadline_at and deadline_at - clock()
        if left and left <= 0 then return timed_out() end
        transport:await(function(ev) fetch.waiters[#fetch.waiters + 1] = ev end, left)
      end
    end
  end

  function self.invalidate()
    expires_at = nil
  end

  return self
end

return M
