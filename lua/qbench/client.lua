--- A client for one QBench instance, made by @{qbench.new}.
-- It keeps its connections alive across calls; `tostring(qb)` shows the URL, never the
-- token. Its `qb.customer` and `qb.v2` are made on first use. Close it with `qb:close()`,
-- or let a `local qb <close> = qbench.new{...}` scope (or the garbage collector) do it.
--
-- **Retries.** A call is tried up to `1 + retries` times, waiting a random time between
-- tries (exponential backoff with full jitter, see @{options}). Every method is tried
-- again after a failed connect (nothing was sent) and after a 429, which QBench documents
-- as not processed (waiting what `Retry-After` or `X-QBAPI-Throttle-TTL` asks, when they
-- do). GET, PUT and DELETE are also tried again after a 500, 502, 503 or 504, a timeout
-- or a connection that broke mid-answer. A POST or PATCH that may have reached the server
-- is never sent twice: the error says so with `err.outcome == "unknown"`.
--
-- **Authentication.** With a `token`, every request carries it. With `client_id` and
-- `client_secret` (a QBench API client of type Server-Side Web Application) the client
-- signs a JWT with the secret, exchanges it for an access token, and fetches a new one
-- before it runs out; on a 401, or a 400 saying the token is bad, it fetches a new token
-- once and repeats the request once. A refused exchange is an error of kind `"auth"`.
-- Neither the secret nor a token ever appears in an error, a trace or a `tostring`.
--
-- **Tracing.** `QBENCH_DEBUG=1` in the environment prints one line per attempt on
-- standard error: `qbench: GET /qbench/api/v1/customer/2 -> 503 in 0.001 s (attempt 1), http`.
-- The option `on_request` gets the same as a table.
-- @classmod qbench.Client
-- @usage
-- local qb <close> = qbench.new{url = "https://lab.qbench.net", token = os.getenv "QBENCH_TOKEN"}
-- print(qb)   --> qbench.Client (https://lab.qbench.net)
-- local c = assert(qb.customer:get(7))
-- local s = assert(qb.v2.samples:get(12))
-- local page = assert(qb:request("GET", "customer", {query = {page_size = 5}}))

--- The options of @{qbench.new}: `url` and a way to authenticate, and any of the others.
--
-- | option | type | default | meaning |
-- |---|---|---|---|
-- | `url` | string | required | the instance, such as `https://lab.qbench.net`; `/qbench/api/v1/` is added, a trailing `/` is fine |
-- | `token` | string | | a bearer token; or give `client_id` and `client_secret` instead |
-- | `client_id`, `client_secret` | string | | a QBench API client: the client gets and renews its tokens itself (OAuth JWT-bearer) |
-- | `timeout` | number | 60 | seconds one attempt may take, connecting included |
-- | `connect_timeout` | number | 10 | seconds to connect |
-- | `deadline` | number | none | seconds the whole call may take, retries and waits included; an attempt gets what is left |
-- | `user_agent` | string | `lua-qbench/...` | the `User-Agent` header; by default `lua-qbench/<version> libcurl/<version> Lua 5.4` |
-- | `ca_file` | string | none | a CA bundle (PEM) to trust besides the system's CAs |
-- | `insecure` | boolean | `false` | `true` turns TLS verification off: for throwaway test servers only |
-- | `proxy` | string or `false` | nil | nil: the environment's (`https_proxy`, `no_proxy`, ...), loopback never proxied; `false`: none; a URL: that proxy |
-- | `max_response_bytes` | integer | 32 MiB | a larger answer is refused: an error of kind `"network"` |
-- | `retries` | integer | 3 | tries after the first (0 to 100), for what is safe to repeat (see Retries above) |
-- | `backoff` | number | 0.5 | the wait before try `n + 1` is random in `[0, min(max_backoff, backoff * 2^(n-1))]` seconds |
-- | `max_backoff` | number | 30 | the longest wait between tries; a 429 asking for more fails at once, with `err.retry_after` |
-- | `max_concurrency` | integer | 10 | transfers this client runs at once, all walks and coroutines together (1 to 100; QBench allows 10) |
-- | `rate_limit` | table | none | `{requests = 300, per = 60}`: no `per` seconds hold more than `requests` requests; pacing waits, it never fails a call |
-- | `on_request` | function | none | called after every attempt with `{method =, path =, status =, elapsed =, attempt =, error_kind =}` |
-- | `sleep` | function | `core.sleep` | `sleep(seconds)`: how the client waits (tests replace it) |
-- | `clock` | function | `core.time` | `clock()`: the time in seconds (tests replace it) |
-- | `validate` | boolean | `true` | v2 write bodies are checked against QBench's schema before they are sent; `false` sends them as given |
-- | `max_batch` | integer | 50 | records per request of a v2 bulk write (1 to 10000); a longer array goes as several requests, in order |
-- | `loop` | table | none | an event-loop adapter, such as `require "qbench.loop.cqueues"`: see "Event loops" in @{qbench} |
--
-- In `on_request`'s table, `status` is nil without an answer, `elapsed` is in seconds and
-- `error_kind` is nil on success; token requests are reported too.
-- @table options
-- @usage
-- local qb <close> = qbench.new{
--   url = "https://lab.qbench.net", token = os.getenv "QBENCH_TOKEN",
--   timeout = 30, deadline = 120, rate_limit = {requests = 300, per = 60},
-- }

--- The instance's URL, as given to @{qbench.new} but without a trailing `/`.
-- @class field
-- @name url
-- @usage print(qb.url)   --> https://lab.qbench.net

--- The v1 Customers calls (@{qbench.customer}), made on first use.
-- @class field
-- @name customer
-- @usage
-- local customers = qb.customer
-- print(assert(customers:get(7)).customer_name)

--- Every operation of QBench's API v2 (@{qbench.v2}), made on first use.
-- @class field
-- @name v2
-- @usage
-- local v2 = qb.v2
-- for s in v2.samples:list{order_ids = {1}} do print(s.id, s.sample_type) end

--- How many transfers this client runs at once (the option `max_concurrency`).
-- @class field
-- @name max_concurrency
-- @usage print(qb.max_concurrency)   --> 10, unless the option said otherwise

local core = require "qbench.core"
local args = require "qbench.args"
local qerror = require "qbench.error"
local url_codec = require "qbench.url"
local auth = require "qbench.auth"
local retry = require "qbench.retry"
local suggest = require "qbench.suggest"
local Pacer = require "qbench.pacer"
local Batch = require "qbench.batch"
local Loop = require "qbench.loop"
local Transport = require "qbench.transport"
local registry = require "qbench.registry"

local encode, decode, null, parse_headers = core.encode, core.decode, core.null, core.parse_headers

-- Request header lists, shared by every call (the C core only reads them).
local ACCEPT_JSON = { "Accept: application/json" }
local ACCEPT_AND_SEND_JSON = { "Accept: application/json", "Content-Type: application/json" }

local M = {}
local methods = {}
local mt = { __name = "qbench.Client" }

--- Where v1 paths live: a path that does not start with "/" is under it.
-- @local
M.API_ROOT = "/qbench/api/v1/"
local API_ROOT = M.API_ROOT
local SORTED = { sort_keys = true }

local OPTIONS = {
  url = "string", token = "string", client_id = "string", client_secret = "string",
  timeout = "number", connect_timeout = "number", deadline = "number", user_agent = "string", ca_file = "string",
  insecure = "boolean", max_response_bytes = "number", proxy = { string = true, boolean = true },
  retries = "number", backoff = "number", max_backoff = "number", max_concurrency = "number",
  rate_limit = "table", on_request = "function", sleep = "function", clock = "function",
  validate = "boolean", max_batch = "number", loop = "table",
}
local OPTION_NAMES = {}
for name in pairs(OPTIONS) do OPTION_NAMES[#OPTION_NAMES + 1] = name end
table.sort(OPTION_NAMES)

local function option_error(fmt, ...)
  args.error(1, "new", string.format(fmt, ...))
end

local function check_number(opts, name, lo, hi, integer)
  local v = opts[name]
  if v == nil then return end
  if (integer and not math.tointeger(v)) or not (v >= lo and v <= hi) then
    option_error("option %s must be %s from %s to %s, got %s", name, integer and "an integer" or "a number",
      lo, hi, args.describe(v))
  end
end

local function check_options(opts)
  args.table(opts, 1, "new", "options")
  for k, v in pairs(opts) do
    local want = OPTIONS[k]
    if not want then
      option_error("unknown option %s%s", args.describe(k), type(k) == "string" and suggest.hint(k, OPTION_NAMES) or "")
    end
    local ok = type(want) == "table" and want[type(v)] or type(v) == want
    if not ok then
      option_error("option %s must be a %s, got %s", k, type(want) == "table" and "string or false" or want, args.describe(v))
    end
  end
  if opts.url == nil then option_error("option url must be an http:// or https:// URL, got nil") end
  local base, why = url_codec.check_base(opts.url)
  if why then option_error("option url %s, got %s", why, args.describe(opts.url)) end
  -- Strings that end up in a request header: a line break there would inject headers.
  for _, name in ipairs { "token", "client_id", "client_secret", "user_agent" } do
    local v = opts[name]
    if v ~= nil and (v == "" or v:find("%c")) then
      option_error("option %s must be a non-empty string without control characters (CR, LF, NUL, ...)", name)
    end
  end
  if opts.token then
    if opts.client_id or opts.client_secret then option_error("give either token or client_id and client_secret, not both") end
  elseif not (opts.client_id and opts.client_secret) then
    option_error("option token must be a non-empty string (or give client_id and client_secret)")
  end
  if opts.proxy == true then option_error("option proxy must be a proxy URL, or false for none") end
  if type(opts.proxy) == "string" and not opts.proxy:match("^%a[%w+.-]*://[^%s%c]+$") then
    option_error("option proxy must be a URL such as http://proxy:3128, got %s", args.describe(opts.proxy))
  end
  check_number(opts, "timeout", 0.001, 1000000)
  check_number(opts, "connect_timeout", 0.001, 1000000)
  check_number(opts, "deadline", 0.001, 1000000)
  check_number(opts, "max_response_bytes", 1, math.maxinteger, true)
  check_number(opts, "retries", 0, 100, true)
  check_number(opts, "backoff", 0, 3600)
  check_number(opts, "max_backoff", 0, 86400)
  check_number(opts, "max_concurrency", 1, 100, true)
  check_number(opts, "max_batch", 1, 10000, true)
  if opts.loop then
    local missing = Loop.missing(opts.loop)
    if #missing > 0 then option_error("option loop is not a loop adapter: it lacks %s", table.concat(missing, ", ")) end
  end
  local rl = opts.rate_limit
  if rl then
    for k in pairs(rl) do
      if k ~= "requests" and k ~= "per" then option_error("rate_limit: unknown field %s", args.describe(k)) end
    end
    if not (math.tointeger(rl.requests) and rl.requests >= 1) or type(rl.per) ~= "number" or not (rl.per > 0) then
      option_error("option rate_limit must be {requests = positive integer, per = positive seconds}")
    end
  end
  return base
end

local function default_user_agent(version)
  return string.format("lua-qbench/%s libcurl/%s Lua 5.4", version, core.curl_version)
end

-- One line per attempt on stderr, for QBENCH_DEBUG=1.
local function debug_line(info)
  io.stderr:write(string.format("qbench: %s %s -> %s in %.3f s (attempt %d)%s\n", info.method, info.path,
    info.status or "no answer", info.elapsed, info.attempt, info.error_kind and (", " .. info.error_kind) or ""))
end

--- Creates a client. See the README for the options.
-- qbench.new is the public constructor.
-- @local
function M.new(opts, version)
  local base_url = check_options(opts) -- the instance URL, checked, without trailing slashes
  local timeout = opts.timeout or 60
  local handle = core.new {
    raw_headers = true,
    timeout = timeout,
    connect_timeout = opts.connect_timeout or 10,
    user_agent = opts.user_agent or default_user_agent(version),
    ca_file = opts.ca_file,
    insecure = opts.insecure,
    max_response_bytes = opts.max_response_bytes,
    proxy = opts.proxy,
  }
  local clock = opts.clock or core.time
  local max_concurrency = opts.max_concurrency or 10
  local transport = Transport.new(handle, opts.loop, max_concurrency)
  local self = setmetatable({
    url = base_url,
    max_concurrency = max_concurrency,
    max_batch = opts.max_batch or 50,
    validate = opts.validate ~= false,
    _transport = transport,
    _clock = clock,
    _sleep = opts.sleep or core.sleep,
    _timeout = timeout,
    _deadline = opts.deadline,
    _retry = { retries = opts.retries or 3, backoff = opts.backoff or 0.5, max_backoff = opts.max_backoff or 30 },
    _on_request = opts.on_request,
    _debug = os.getenv("QBENCH_DEBUG") == "1",
    _plans = setmetatable({}, { __mode = "k" }), -- coroutine -> its requests, while it plans
  }, mt)
  self._tracing = self._on_request ~= nil or self._debug
  if opts.rate_limit then
    self._pacer = Pacer.new(opts.rate_limit.requests, opts.rate_limit.per, clock, function(s) self:_wait(s) end)
  end
  if opts.token then
    self._auth = auth.static(handle, opts.token) -- the token is kept in C only
  else
    self._auth = auth.jwt_bearer {
      transport = transport, base_url = self.url, clock = clock, timeout = timeout,
      client_id = opts.client_id, client_secret = opts.client_secret,
    }
  end
  self._tracer = function(...) return self:_trace(...) end
  return self
end

-- Methods first; then the resources of the registry, made on first use.
function mt.__index(self, key)
  local m = methods[key]
  if m ~= nil then return m end
  local module = registry[key]
  if module then
    local resource = require(module).new(self)
    rawset(self, key, resource)
    return resource
  end
  return nil
end

--- Raises the closed-client error when the client was closed.
-- @local
function methods:_check_open()
  self._transport:check_open()
end

--- Waits `seconds` (retries, pacing); the one place a client sleeps. In an event
-- loop the calling coroutine yields to it instead of blocking the host, and
-- closing the client ends the wait (with the closed-client error).
-- @local
function methods:_wait(seconds)
  if seconds <= 0 then return end
  local transport = self._transport
  if self._sleep == core.sleep and transport:in_loop() then return transport:sleep(seconds) end
  self._sleep(seconds)
  transport:check_open()
end

--- Builds a request: {method =, path =, url =, headers =, payload =}, for _perform or a Batch.
-- `path` is under /qbench/api/v1/ unless it starts with "/"; a table body is encoded here,
-- so what JSON cannot hold raises as argument `body_argn` of `fname` before anything is sent.
-- `content_type` (optional) is the type of a string body other than JSON.
-- @local
function methods:_prepare(method, path, query, body, fname, body_argn, content_type)
  self:_check_open()
  local full_path = path:sub(1, 1) == "/" and path or API_ROOT .. path
  if query and next(query) ~= nil then full_path = full_path .. "?" .. url_codec.query(query, fname or "request", body_argn or 3) end
  local payload, headers = nil, ACCEPT_JSON
  if type(body) == "table" then
    local ok, text = pcall(encode, body, SORTED) -- the same body always goes out as the same bytes
    if not ok then args.error(body_argn, fname, "cannot send it as JSON: " .. tostring(text)) end
    payload, headers = text, ACCEPT_AND_SEND_JSON
  elseif body ~= nil then
    payload = body
    headers = content_type and { "Accept: application/json", "Content-Type: " .. content_type } or ACCEPT_AND_SEND_JSON
  end
  return { method = method, path = full_path, url = self.url .. full_path, headers = headers, payload = payload }
end

--- Marks `req` (from _prepare) as one that carries no token, as QBench's token
-- endpoints want: no token is fetched for it, and the C core adds no Authorization header.
-- @local
function methods._anonymous(_, req)
  local headers = table.move(req.headers, 1, #req.headers, 1, {})
  headers[#headers + 1] = "Authorization:" -- an empty one: the C core then adds none
  req.headers, req.no_auth = headers, true
  return req
end

--- Builds the request, sends it and interprets the answer.
-- Returns decoded, status, headers; or nil, err.
-- @local
function methods:_send(method, path, query, body, fname, body_argn)
  return self:_perform(self:_prepare(method, path, query, body, fname, body_argn))
end

-- What one answer means: decoded, status, raw headers on success, or nil, err.
-- Headers come as libcurl's raw block and are parsed only where they are used:
-- most calls never look at them.
local function interpret(req, status, headers, text, code)
  local method, path, url = req.method, req.path, req.url
  if not status then
    return nil, qerror.new { kind = headers, message = text, curl_code = code, method = method, path = path, url = url }
  end
  local decoded, why
  if text == "" then
    decoded = null
  else
    decoded, why = decode(text)
  end
  if status >= 200 and status < 300 then
    if decoded == nil then
      return nil, qerror.new {
        kind = "decode", status = status, method = method, path = path, url = url,
        message = string.format("invalid JSON in answer (%s): %s", why, qerror.shorten(text, 80)),
        body = text, headers = parse_headers(headers),
      }
    end
    return decoded, status, headers
  end
  local body = decoded ~= nil and decoded ~= null and decoded or text
  return nil, qerror.new {
    kind = qerror.kind_of_status(status), status = status, method = method, path = path, url = url,
    message = qerror.message_of(body, status), body = body, headers = parse_headers(headers),
  }
end

function methods:_trace(method, path, status, elapsed, attempt, error_kind)
  if not self._tracing then return end
  local info = { method = method, path = path, status = status, elapsed = elapsed, attempt = attempt, error_kind = error_kind }
  if self._debug then debug_line(info) end
  if self._on_request then self._on_request(info) end
end

--- When the call of `req` must end (a clock time), or nil without a deadline. Set at its first use.
-- @local
function methods:_deadline_at(req)
  if self._deadline and not req.deadline_at then req.deadline_at = self._clock() + self._deadline end
  return req.deadline_at
end

--- The error of a call that ran out of time: its last error, saying so, or a timeout.
-- @local
function methods._deadline_error(_, req)
  local last = req.last_error
  local err = last or qerror.new { kind = "timeout", method = req.method, path = req.path, url = req.url }
  err.message = (err.message and err.message ~= "" and err.message .. "; " or "")
    .. "no time left before the call's deadline"
  err.attempts = req.attempt or 0
  return err
end

--- Prepares one attempt of `req`: a valid token, room under the rate limit, and the
-- attempt's timeout within the call's deadline. Returns true, or nil, err.
-- @local
function methods:_begin(req)
  local deadline_at = self:_deadline_at(req)
  req.attempt = (req.attempt or 0) + 1
  local ok, err = true, nil
  if not req.no_auth then ok, err = self._auth.ensure(self._tracer, deadline_at) end
  if not ok then
    err.attempts = req.attempt
    if deadline_at and self._clock() >= deadline_at then return nil, self:_deadline_error(req) end
    return nil, err
  end
  if self._pacer then
    local left = deadline_at and deadline_at - self._clock()
    req.pace_slot = self._pacer:wait(left)
    if not req.pace_slot then return nil, self:_deadline_error(req) end
  end
  if deadline_at then
    local left = deadline_at - self._clock()
    if left <= 0 then return nil, self:_deadline_error(req) end
    req.attempt_timeout = math.min(self._timeout, left)
  end
  if self._tracing then req.started = self._clock() end
  return true
end

--- Judges the answer to one attempt of `req` (what the C core's request returned).
-- Returns "done", decoded, status, headers | "failed", err | "again", seconds to wait first.
-- @local
function methods:_finish(req, status, resp_headers, text, code, sent, final)
  local decoded, status_or_err, final_headers = interpret(req, status, resp_headers, text, code)
  local err = decoded == nil and status_or_err or nil
  if req.pace_slot then self._pacer:done(req.pace_slot) end
  if self._tracing then
    self:_trace(req.method, req.path, status, self._clock() - req.started, req.attempt, err and err.kind)
  end
  if decoded ~= nil then return "done", decoded, status_or_err, final_headers end
  err.attempts = req.attempt
  req.last_error = err
  local verdict, wait = retry.decide(self._retry, req, err, sent, final, self._auth.refreshable and not req.no_auth)
  if verdict == "done" then return "done", null, status, resp_headers end
  if verdict == "reauth" then
    self._auth.invalidate()
    return "again", 0
  end
  if verdict == "failed" then return "failed", err end
  if req.deadline_at and self._clock() + wait >= req.deadline_at then return "failed", self:_deadline_error(req) end
  return "again", wait
end

-- Plan mode (qb:plan): a request is recorded instead of sent, and answered with a
-- page that ends any walk and satisfies any write.
local function planned_answer()
  return { data = {}, total_pages = 1, total_count = 0, page_number = 1, id = 0, message = "OK" }
end

--- Records `req` when the running coroutine is planning; returns the canned answer, or nil.
-- @local
function methods:_record(req)
  local plan = self._plans[coroutine.running()]
  if not plan then return nil end
  local content_type = req.headers[2] and req.headers[2]:match("^Content%-Type: (.*)$")
  plan[#plan + 1] = { method = req.method, path = req.path, url = req.url, body = req.payload, content_type = content_type }
  return planned_answer()
end

--- Takes a slot under max_concurrency for one attempt of `req`, then prepares the
-- attempt (_begin). Returns true with the slot held, or nil and the error with none held
-- (what the caller's start or blocking attempt does with either).
-- @local
function methods:_claim(req)
  local transport = self._transport
  if not transport:acquire(self._clock, self:_deadline_at(req)) then return nil, self:_deadline_error(req) end
  local ok, began, err = pcall(self._begin, self, req)
  if ok and began then return true end
  transport:release()
  if not ok then error(began, 0) end
  return nil, err
end

-- One blocking attempt: a slot under max_concurrency, then the C core's request.
local function attempt(self, req)
  local transport = self._transport
  local claimed, err = self:_claim(req)
  if not claimed then return "failed", err end
  local results = table.pack(pcall(transport.request, transport, req.method, req.url, req.headers, req.payload,
    req.attempt_timeout))
  transport:release()
  if not results[1] then error(results[2], 0) end
  return self:_finish(req, table.unpack(results, 2, results.n))
end

--- Sends one request with pacing, authentication, retries and the deadline.
-- @local
function methods:_perform(req)
  local planned = self:_record(req)
  if planned then return planned, 200, "" end
  if self._transport:in_loop() then
    -- Through the multi handle, so that the wait yields to the loop.
    local batch <close> = Batch.new(self)
    batch:submit(1, req)
    local _, outcome, a, b, c = batch:next()
    if outcome == "done" then return a, b, c end
    return nil, a
  end
  while true do
    local outcome, a, b, c = attempt(self, req)
    if outcome == "done" then return a, b, c end
    if outcome == "failed" then return nil, a end
    self:_wait(a)
  end
end

--- Any endpoint: `path` is under `/qbench/api/v1/` unless it starts with `/`.
-- A table body is sent as JSON (what JSON cannot hold raises before anything is sent), a
-- string body as it is. An empty 2xx answer decodes to @{qbench.null}.
-- @function request
-- @tparam string method `"GET"`, `"POST"`, `"PUT"`, `"PATCH"`, `"DELETE"`, ...
-- @tparam string path such as `"sample/12"`, or `"/qbench/api/v2/customers"` from the instance root
-- @tparam[opt] table opts `query` (values percent-encoded, keys sorted, an array repeats its key)
-- and `body` (a table is sent as JSON, a string as is)
-- @return the decoded answer, the status and the headers (lower-case names);
-- or nil and an error object (@{qbench.error})
-- @usage
-- local page, status = qb:request("GET", "customer", {query = {page_num = 2, page_size = 10}})
-- assert(qb:request("POST", "customer", {body = {customer_name = "ACME"}}))
-- local sample = assert(qb:request("GET", "/qbench/api/v2/samples/12")).data
function methods:request(method, path, opts)
  if type(method) ~= "string" or not method:match("^%a+$") then
    args.error(1, "request", "method must be an HTTP method name, got " .. args.describe(method))
  end
  if type(path) ~= "string" or path == "" or path:find("[%s%c]") then
    args.error(2, "request", "path must be a non-empty string without spaces, got " .. args.describe(path))
  end
  opts = args.opt_table(opts, 3, "request", "options")
  for k in pairs(opts) do
    if k ~= "query" and k ~= "body" then args.error(3, "request", "unknown option " .. args.describe(k)) end
  end
  if opts.query ~= nil then args.table(opts.query, 3, "request", "query") end
  local b = opts.body
  if b ~= nil and type(b) ~= "table" and type(b) ~= "string" then
    args.error(3, "request", "body must be a table or a string, got " .. args.describe(b))
  end
  local decoded, status, headers = self:_send(method:upper(), path, opts.query, b, "request", 3)
  if decoded == nil then return nil, status end
  return decoded, status, parse_headers(headers)
end

--- The requests `fn(qb, ...)` would send, without sending anything.
-- Inside `fn` every call of this client is recorded instead of sent, and answered as
-- if it worked with nothing in it (an empty page ends a walk). Argument checks still
-- raise. Nothing needs a token: no token is fetched. Plan mode belongs to the running
-- coroutine: other coroutines using the client meanwhile (in an event loop) send for real.
-- @function plan
-- @tparam function fn called as `fn(qb, ...)`
-- @param ... passed on to `fn`
-- @return an array of `{method =, path =, url =, body =, content_type =}` (`body`: the text
-- that would be sent, or nil)
-- @usage
-- local reqs = qb:plan(function(qb) qb.customer:update(7, {phone = "555"}) end)
-- print(reqs[1].method, reqs[1].path, reqs[1].body)
-- --> PUT /qbench/api/v1/customer/7 {"phone":"555"}
function methods:plan(fn, ...)
  self:_check_open()
  if type(fn) ~= "function" then args.error(1, "plan", "fn must be a function, got " .. args.describe(fn)) end
  local co = coroutine.running()
  local outer = self._plans[co]
  local recorded = {}
  self._plans[co] = recorded
  local ok, err = pcall(fn, self, ...)
  self._plans[co] = outer
  if not ok then error(err, 0) end
  return recorded
end

--- Closes the connection; later calls raise. Closing twice is fine.
-- A `local qb <close> = qbench.new{...}` scope, or the garbage collector, closes it too.
-- Coroutines still waiting in the client (in an event loop) are woken and get the
-- closed-client error.
-- @function close
-- @usage
-- local qb = qbench.new{url = "https://lab.qbench.net", token = os.getenv "QBENCH_TOKEN"}
-- local c = assert(qb.customer:get(7))
-- qb:close()   -- qb.customer:get(8) would now raise
function methods:close()
  self._transport:close()
end

mt.__close = methods.close
-- A finalizer must not touch a host loop that may be gone: see Transport.finalize.
function mt.__gc(self)
  self._transport:finalize()
end

function mt.__tostring(self)
  return string.format("qbench.Client (%s)", self._transport:is_open() and self.url or "closed")
end

M.mt = mt
M.methods = methods
return M
