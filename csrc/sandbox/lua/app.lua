-- The sandbox's request pipeline. The C host calls the handler returned by
-- init() once per complete request, under a lock:
--   handler(method, path, query, headers, body, inflight, remote_port)
--     -> status, body, content_type, headers ({name, value, ...} or nil),
--        action (nil | "drop" | "truncate" | "big:N"), delay_ms
-- `headers` has lower-case names; `inflight` counts the other API requests
-- being answered right now; `remote_port` is the client's TCP port.
--
-- An API request (anything outside /_sandbox/) goes through:
--   log it -> fault (if a rule matches) -> concurrency limit -> rate limit
--   -> route (404 / 405) -> bearer token (401) -> JSON body (400)
--   -> the endpoint (its own 400 / 404 ...).
-- Faulted requests are logged but do not count against the limits. Errors
-- raised by the pipeline take the shape of the path's API version.
local json = require "sandbox.json"
local errors = require "sandbox.errors"
local text = require "sandbox.text"
local auth = require "sandbox.auth"
local oauth = require "sandbox.oauth"
local jsonbody = require "sandbox.jsonbody"
local control = require "sandbox.control"
local Router = require "sandbox.routes"
local Faults = require "sandbox.faults"
local Limits = require "sandbox.limits"
local Log = require "sandbox.requestlog"
local customers_v1 = require "sandbox.resources.customers_v1"
local lims = require "sandbox.lims.api"

local JSON = "application/json"

local M = {}

local cfg            -- the command line, from C
local router         -- v1 and the OAuth token endpoint
-- The v2 routes, built at the first request that v1's do not know: the v2
-- side loads then (lims/api). No path can match routes of both, so asking
-- one and then the other answers as one router would.
local v2_router
local sandbox        -- what the control endpoints act on: log, faults, reset
local limits
local static_auth    -- "Bearer <token>", the common case compared in one go

local function error_answer(path, status, description, headers)
  return status, errors.for_path(path, status, description), headers
end

local UNAUTHORIZED_HEADERS = { "WWW-Authenticate", 'Bearer error="invalid_token"' }

local function unauthorized(path, why)
  if errors.is_v2(path) then return 401, errors.v2(401, why, nil, "INVALID_TOKEN"), UNAUTHORIZED_HEADERS end
  return 401, json.encode { error = "invalid_token", error_description = why }, UNAUTHORIZED_HEADERS
end

-- The JSON body step: route.body is "object" (v1: the body must be an
-- object of valid UTF-8) or "json" (v2: any JSON; the endpoint checks it
-- against its schema and names the fields at fault).
local function read_body(route, path, headers, body)
  local shape = route.body == "object" and "object" or nil
  local v, why = jsonbody.parse(headers, body, shape)
  if v == nil then
    if errors.is_v2(path) then
      return nil, 400, errors.v2(400, why, { { field = "(body)", message = why } })
    end
    return nil, 400, errors.v1(why)
  end
  if route.body == "object" then
    local bad = text.first_invalid(v)
    if bad then return nil, 400, errors.v1("request body has invalid UTF-8 in " .. bad) end
  end
  return v
end

-- The API proper, after faults and limits: status, body, headers.
local function match(method, path)
  local route, params = router:match(method, path)
  if route or params then return route, params end
  if not v2_router then v2_router = Router.new(lims.routes()) end
  return v2_router:match(method, path)
end

local function api(method, path, query, headers, body)
  local route, params = match(method, path)
  if not route then
    if params then
      return error_answer(path, 405, "method " .. method .. " is not allowed on " .. path, { "Allow", params })
    end
    return error_answer(path, 404, "no such endpoint: " .. path)
  end
  if route.auth ~= false then
    local ok, why = auth.check(headers, static_auth, cfg.token)
    if not ok then return unauthorized(path, why) end
  end
  local decoded
  if route.body then
    local status, err_body
    decoded, status, err_body = read_body(route, path, headers, body)
    if decoded == nil then return status, err_body end
  end
  return route.handler { method = method, path = path, query = query, headers = headers, body = body,
    json = decoded, params = params, route = route }
end

local function handle(method, path, query, headers, body, inflight, remote_port)
  if path:sub(1, 10) == "/_sandbox/" then
    local s, b, h = control.handle(sandbox, method, path, body)
    return s, b, JSON, h, nil, 0
  end
  sandbox.log:add(method, path, query, headers, body, remote_port)
  local delay = cfg.latency_ms
  local action

  if sandbox.faults:any() then
    local f = sandbox.faults:next(method, path, query)
    if f and f ~= "ok" then
      if f == "drop" then return 0, "", nil, nil, "drop", delay end
      if f:sub(1, 4) == "big:" then return 200, "", JSON, nil, f, delay end
      -- Proves that a bug in the app becomes a 500, not a dead sandbox.
      if f == "lua-error" then error("sandbox fault: lua-error") end
      if f == "truncate" then
        action = "truncate"
      elseif f:sub(1, 6) == "stall:" then
        delay = delay + math.tointeger(tonumber(f:sub(7)))
      else
        local s, b, ct, h = Faults.answer(f, path)
        return s, b, ct, h, nil, delay
      end
    end
  end

  local over = limits:over_concurrency(inflight)
  if over then
    local b = errors.is_v2(path) and errors.v2(429, over) or json.encode { error = over }
    return 429, b, JSON, nil, nil, delay
  end
  local rate_headers, over_rate = limits:count()
  if over_rate then
    local b = errors.is_v2(path) and errors.v2(429, over_rate) or json.encode { error = over_rate }
    return 429, b, JSON, rate_headers, nil, delay
  end

  local status, out, extra = api(method, path, query, headers, body)
  if rate_headers then
    if extra then
      for _, v in ipairs(extra) do rate_headers[#rate_headers + 1] = v end
    end
    extra = rate_headers
  end
  -- A 204 carries no body, so no Content-Type either.
  return status, out, status ~= 204 and JSON or nil, extra, action, delay
end

local function reset(opts)
  customers_v1.reset(opts.customers or cfg.customers, opts.seed or cfg.seed, opts.total_pages)
  lims.reset(opts.v2, opts.seed or cfg.seed, opts.strict_schema)
  sandbox.log = Log.new(cfg.log_limit)
  sandbox.faults:clear()
  limits:reset()
end

local function build_routes()
  local entries = {}
  for _, r in ipairs(customers_v1.routes) do entries[#entries + 1] = r end
  if cfg.client_id then
    entries[#entries + 1] = { method = "POST", path = "/qbench/oauth2/v1/token", auth = false,
      handler = function(req) return oauth.token(cfg, req.headers, req.body) end }
  end
  return Router.new(entries)
end

-- Returns the handler, or nil and why the command line is refused.
function M.init(config)
  cfg = config
  static_auth = "Bearer " .. cfg.token
  local ok, why = lims.configure(cfg)
  if not ok then return nil, why end
  router = build_routes()
  limits = Limits.new(cfg.concurrency_limit, cfg.rate_limit_n, cfg.rate_limit_s)
  sandbox = { log = Log.new(cfg.log_limit), faults = Faults.new(), reset = reset }
  reset {}
  return handle
end

return M
