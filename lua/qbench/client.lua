--- A connection to one QBench instance.
-- @classmod qbench.Client

local core = require "qbench.core"
local args = require "qbench.args"
local qerror = require "qbench.error"
local Customer = require "qbench.customer"

local encode, decode, null = core.encode, core.decode, core.null

local M = {}
local methods = {}
local mt = { __name = "qbench.Client", __index = methods }

local API_ROOT = "/qbench/api/v1/"

local OPTIONS = {
  url = "string", token = "string", timeout = "number", connect_timeout = "number",
  user_agent = "string", ca_file = "string", insecure = "boolean", max_response_bytes = "number",
}

local function check_options(opts)
  args.table(opts, 1, "new", "options")
  for k, v in pairs(opts) do
    local want = OPTIONS[k]
    if not want then args.error(1, "new", "unknown option " .. args.describe(k)) end
    if type(v) ~= want then
      args.error(1, "new", string.format("option %s must be a %s, got %s", k, want, args.describe(v)))
    end
  end
  if not opts.url or not opts.url:match("^[Hh][Tt][Tt][Pp][Ss]?://[^/%s]+") then
    args.error(1, "new", "option url must be an http:// or https:// URL, got " .. args.describe(opts.url))
  end
  if not opts.token or opts.token == "" or opts.token:find("[\r\n]") then
    args.error(1, "new", "option token must be a non-empty string")
  end
  for _, name in ipairs { "timeout", "connect_timeout" } do
    local v = opts[name]
    if v and not (v > 0 and v < 1e6) then
      args.error(1, "new", string.format("option %s must be a positive number of seconds, got %s", name, v))
    end
  end
  if opts.max_response_bytes and not (math.tointeger(opts.max_response_bytes) and opts.max_response_bytes > 0) then
    args.error(1, "new", "option max_response_bytes must be a positive integer")
  end
end

local function default_user_agent(version)
  return string.format("lua-qbench/%s libcurl/%s Lua 5.4", version, core.curl_version)
end

--- Creates a client. See the README for the options.
function M.new(opts, version)
  check_options(opts)
  local handle = core.new {
    timeout = opts.timeout or 60,
    connect_timeout = opts.connect_timeout or 10,
    user_agent = opts.user_agent or default_user_agent(version),
    ca_file = opts.ca_file,
    insecure = opts.insecure,
    max_response_bytes = opts.max_response_bytes,
  }
  handle:set_token(opts.token) -- kept in C only, so no Lua table of ours holds it
  local self = setmetatable({ url = opts.url:gsub("/+$", ""), _handle = handle }, mt)
  self.customer = Customer.new(self)
  return self
end

local function check_open(self)
  if not self._handle then error("attempt to use a closed qbench client", 3) end
end

local function percent_encode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

local function query_value(v, key)
  if type(v) == "number" then
    local i = math.tointeger(v)
    return i and string.format("%d", i) or string.format("%.17g", v)
  elseif type(v) == "string" then
    return v
  elseif type(v) == "boolean" then
    return tostring(v)
  end
  args.error(3, "request", string.format("query value for %s must be a string, number or boolean", key))
end

-- Sorted keys, so the same query always makes the same URL; array values repeat the key.
local function encode_query(query)
  local keys = {}
  for k in pairs(query) do
    if type(k) ~= "string" then args.error(3, "request", "query keys must be strings") end
    keys[#keys + 1] = k
  end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do
    local v = query[k]
    local values = type(v) == "table" and v or { v }
    if #values == 0 then args.error(3, "request", string.format("query value for %s is an empty table", k)) end
    for _, item in ipairs(values) do
      parts[#parts + 1] = percent_encode(k) .. "=" .. percent_encode(query_value(item, k))
    end
  end
  return table.concat(parts, "&")
end

--- Builds the request, sends it and interprets the answer.
-- Returns decoded, status, headers; or nil, err.
function methods:_send(method, path, query, body, fname, body_argn)
  check_open(self)
  local full_path = path:sub(1, 1) == "/" and path or API_ROOT .. path
  if query and next(query) ~= nil then full_path = full_path .. "?" .. encode_query(query) end
  local headers = { "Accept: application/json" }
  local payload
  if type(body) == "table" then
    local ok, text = pcall(encode, body)
    if not ok then args.error(body_argn, fname, "cannot send it as JSON: " .. tostring(text)) end
    payload = text
  elseif body ~= nil then
    payload = body
  end
  if payload then headers[#headers + 1] = "Content-Type: application/json" end

  local url = self.url .. full_path
  local status, resp_headers, resp_body, code = self._handle:request(method, url, headers, payload)
  if not status then
    return nil, qerror.new {
      kind = resp_headers, message = resp_body, curl_code = code,
      method = method, path = full_path, url = url,
    }
  end
  local decoded, why
  if resp_body == "" then
    decoded = null
  else
    decoded, why = decode(resp_body)
  end
  if status >= 200 and status < 300 then
    if decoded == nil then
      return nil, qerror.new {
        kind = "decode", status = status, method = method, path = full_path, url = url,
        message = string.format("invalid JSON in answer (%s): %s", why, qerror.shorten(resp_body, 80)),
        body = resp_body, headers = resp_headers,
      }
    end
    return decoded, status, resp_headers
  end
  local err_body = decoded ~= nil and decoded ~= null and decoded or resp_body
  return nil, qerror.new {
    kind = qerror.kind_of_status(status), status = status, method = method, path = full_path, url = url,
    message = qerror.message_of(err_body, status), body = err_body, headers = resp_headers,
  }
end

--- Any endpoint: `path` is under /qbench/api/v1/ unless it starts with "/".
-- opts: {query = {...}, body = table|string}. Returns decoded, status, headers or nil, err.
function methods:request(method, path, opts)
  if type(method) ~= "string" or not method:match("^%a+$") then
    args.error(1, "request", "method must be an HTTP method name, got " .. args.describe(method))
  end
  if type(path) ~= "string" or path == "" or path:find("[%s]") then
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
  return self:_send(method:upper(), path, opts.query, b, "request", 3)
end

--- Closes the connection; later calls raise. Closing twice is fine.
function methods:close()
  if self._handle then
    self._handle:close()
    self._handle = nil
  end
end

mt.__close = methods.close
mt.__gc = methods.close

function mt.__tostring(self)
  return string.format("qbench.Client (%s)", self._handle and self.url or "closed")
end

M.mt = mt
return M
