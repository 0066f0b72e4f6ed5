-- Test helper: runs qbench-sandbox for the specs.
--
-- Busted loads this file as its helper and specs `require "helper"`; both
-- must see one module (one shared sandbox per run), so the module registers
-- itself in package.loaded before anything else can load a second copy.
if package.loaded.helper then return package.loaded.helper end

local core = require "qbench.core"

local M = {}
package.loaded.helper = M

M.binary = os.getenv("QBENCH_SANDBOX") or "build/qbench-sandbox"
M.token = "test-token"

local function shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
M.shell_quote = shell_quote

--- Raw HTTP for sandbox specs: status, headers, body (or nil, kind, message).
-- A fresh connection per call: libcurl silently retries a request whose reused
-- connection died, which would swallow "drop" faults.
function M.http(method, url, headers, body)
  local c = core.new { timeout = 10 }
  local status, h, b, code = c:request(method, url, headers or {}, body)
  c:close()
  return status, h, b, code
end

-- Control calls (reset, faults, the request log) go over one kept-alive connection
-- per sandbox: a fresh one each time cost both processes a connection and the sandbox
-- a thread, thousands of times a run. API calls keep M.http's fresh connections.
local control_clients = {}

local function control_client(url)
  local c = control_clients[url]
  if not c then
    c = core.new { timeout = 10 }
    control_clients[url] = c
  end
  return c
end

local function forget_control_client(url)
  local c = control_clients[url]
  if c then
    control_clients[url] = nil
    c:close()
  end
end

--- Starts a separate sandbox with extra command-line flags.
-- Returns {url=, port=, pid=, stop=function}; stopped at the latest when the
-- runner exits (--die-with-parent covers a runner that dies).
-- opts.stderr (optional): a file for the sandbox's standard error.
function M.start(args, opts)
  local cmd = { "echo $$; exec", shell_quote(M.binary) }
  for _, a in ipairs(args or {}) do cmd[#cmd + 1] = shell_quote(a) end
  if opts and opts.stderr then cmd[#cmd + 1] = "2>" .. shell_quote(opts.stderr) end
  cmd = table.concat(cmd, " ")
  local f = assert(io.popen(cmd, "r"))
  local pid = tonumber(f:read("l"))
  local line = f:read("l")
  local url, port = (line or ""):match("^qbench%-sandbox listening on (https?://127%.0%.0%.1:(%d+))$")
  if not url then
    f:close()
    error("qbench-sandbox did not start (" .. cmd .. "): got " .. tostring(line), 2)
  end
  local sb = { url = url, port = tonumber(port), pid = pid }
  local stopped = false
  function sb.stop()
    if stopped then return end
    stopped = true
    forget_control_client(url)
    os.execute("kill " .. pid .. " 2>/dev/null")
    f:close() -- waits for the process, so no zombie and no sandbox left behind
  end
  -- Created after the pipe, so collected before it when Lua closes: the kill
  -- must come before the pipe's own close, which would wait forever.
  sb._guard = setmetatable({}, { __gc = function() sb.stop() end })
  return sb
end

local shared

--- The one sandbox shared by every spec of this busted run.
function M.sandbox()
  if not shared then
    local sb = M.start { "--port", "0", "--customers", "75", "--token", M.token, "--seed", "1",
      "--die-with-parent", "--quiet" }
    shared = { url = sb.url, token = M.token, port = sb.port, _process = sb }
  end
  return shared
end

-- busted loads this module before it insulates each spec file, so the files one busted
-- process runs (tools/run_specs.lua gives quick ones a process together) share the sandbox:
-- each file starts with it reset, as a sandbox of its own would be. (A failed reset shows
-- in that file's first request, not here, in busted's event.)
local loaded_busted, busted = pcall(require, "busted")
if loaded_busted and type(busted) == "table" and busted.subscribe then
  busted.subscribe({ "file", "start" }, function()
    if shared then pcall(M.reset) end
    return nil, true
  end)
end

local function control(method, path, body, target)
  local sb = target or M.sandbox()
  local headers = body and { "Content-Type: application/json" } or {}
  local status, _, out = control_client(sb.url):request(method, sb.url .. path, headers, body)
  if status ~= 200 then
    error(string.format("%s %s failed: %s %s", method, path, tostring(status), tostring(out)), 3)
  end
  return core.decode(out)
end

--- POST /_sandbox/reset; opts = {customers = N, seed = S} (optional).
-- `target` (optional, not in the client specs' API) is a sandbox from start().
function M.reset(opts, target)
  local body
  if opts and next(opts) ~= nil then body = core.encode(opts) end
  control("POST", "/_sandbox/reset", body, target)
end

--- Every API request the sandbox received since the last reset, in order.
function M.requests(target)
  return control("GET", "/_sandbox/requests", nil, target)
end

function M.last_request(target)
  local all = M.requests(target)
  return all[#all]
end

--- The next requests matching `match` ("METHOD /path", * wildcards) get the
-- sequence's faults in turn: "ok", "drop", "truncate", "garbage", "html",
-- "stall:MS", a status such as "503", or "429:SECONDS".
function M.faults(match, sequence, target)
  control("POST", "/_sandbox/faults", core.encode { match = match, sequence = sequence }, target)
end

--- Sandbox specs' shorthand for one API call (not used by the client specs).
-- opts: body (table -> JSON with Content-Type, string -> sent as is),
-- headers (extra "Name: value" lines), token (false = no Authorization,
-- a string = that token), target (a sandbox from start()).
-- Returns status, decoded JSON body (or nil), headers, raw body.
function M.call(method, path, opts)
  opts = opts or {}
  local sb = opts.target or M.sandbox()
  local headers = {}
  local token = opts.token
  if token == nil then token = M.token end
  if token then headers[#headers + 1] = "Authorization: Bearer " .. token end
  local body = opts.body
  if type(body) == "table" then
    body = core.encode(body)
    headers[#headers + 1] = "Content-Type: application/json"
  end
  for _, h in ipairs(opts.headers or {}) do headers[#headers + 1] = h end
  local status, h, raw = M.http(method, sb.url .. path, headers, body)
  if not status then return nil, h, raw end
  return status, core.decode(raw), h, raw
end

-- ---- v2 helpers (appended for the v2 sandbox specs)

M.V2 = "/qbench/api/v2/"

--- The operations of api/qbench-api-v2.json, decoded once.
local digest
function M.v2_digest()
  if not digest then
    local f = assert(io.open("api/qbench-api-v2.json", "rb"))
    digest = core.decode(f:read("a"))
    f:close()
  end
  return digest.operations
end

--- A minimal value of a digest schema: required fields only, each of its
-- type (integers 1, strings "x", arrays of one item, objects {}).
function M.v2_minimal(schema)
  if schema == nil or schema == core.null then return core.null end
  if schema.anyOf then return M.v2_minimal(schema.anyOf[#schema.anyOf]) end
  local t = schema.type
  if t == "integer" or t == "number" then return 1 end
  if t == "string" then return "x" end
  if t == "boolean" then return true end
  if t == "array" then return core.array { M.v2_minimal(schema.items) } end
  local out = core.object {}
  for _, name in ipairs(schema.required or {}) do out[name] = M.v2_minimal(schema.properties[name]) end
  return out
end

--- Error bodies of v2 have exactly these keys (plus "errors" on a 400).
function M.v2_error_keys(body)
  local keys = {}
  for k in pairs(body) do keys[#keys + 1] = k end
  table.sort(keys)
  return table.concat(keys, ",")
end

--- A JWT-bearer assertion for the sandbox's token endpoints (HS256).
function M.jwt(client_id, secret, claims)
  local now = os.time()
  local c = { sub = client_id, iat = now, exp = now + 300 }
  for k, v in pairs(claims or {}) do c[k] = v end
  local h = core.b64url_encode(core.encode { alg = "HS256", typ = "JWT" })
  local p = core.b64url_encode(core.encode(c))
  return h .. "." .. p .. "." .. core.b64url_encode(core.hmac_sha256(secret, h .. "." .. p))
end

--- A multipart/form-data body of text fields (ordered pairs) and its
-- Content-Type header line.
function M.multipart(fields)
  local boundary = "sandbox-spec-boundary-7f3a"
  local parts = {}
  for _, f in ipairs(fields) do
    parts[#parts + 1] = "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. f[1]
      .. "\"\r\n\r\n" .. f[2] .. "\r\n"
  end
  parts[#parts + 1] = "--" .. boundary .. "--\r\n"
  return table.concat(parts), { "Content-Type: multipart/form-data; boundary=" .. boundary }
end

--- The API requests the sandbox received after the first `mark` ones.
function M.requests_since(mark, target)
  local log, out = M.requests(target), {}
  for i = mark + 1, #log do out[#out + 1] = log[i] end
  return out
end

--- The one request received after the first `mark`, its JSON body decoded into `json`
-- (fails the test when there is not exactly one).
function M.only_request_since(mark, target)
  local log = M.requests_since(mark, target)
  assert(#log == 1, string.format("expected exactly one request, got %d", #log))
  local r = log[1]
  if r.body ~= "" then r.json = core.decode(r.body) end
  return r
end

--- How much longer than on a plain build a timed step may take: `make valgrind` sets
-- QBENCH_TIME_SCALE (valgrind runs code many times slower). Upper time bounds are
-- multiplied by it; lower bounds, which prove that something waited, never are.
M.time_scale = tonumber(os.getenv("QBENCH_TIME_SCALE")) or 1

--- The one factor for the timeouts the specs provoke: a client `timeout` of
-- `M.short_timeout` seconds, and `M.stall` (a sandbox fault) that outlasts it three
-- times over. Short enough to keep the suite quick, long enough that an answer that is
-- not stalled comes in time on a loaded machine; scaled with QBENCH_TIME_SCALE.
M.short_timeout = 0.2 * M.time_scale
M.stall = string.format("stall:%d", math.floor(3 * M.short_timeout * 1000))

--- This process's id (the Lua process running the specs, not a shell of io.popen).
function M.pid()
  local f = assert(io.open("/proc/self/stat"))
  local id = f:read("n")
  f:close()
  return id
end

--- What this process's open descriptors point to, one line each, sorted; pipe
-- numbers are left out, as the pipe that reads this list is new every time.
function M.open_descriptors()
  -- One find, not a readlink per descriptor: the specs call this hundreds of times.
  local p = assert(io.popen("find /proc/" .. M.pid() .. "/fd -mindepth 1 -printf '%l\\n'"))
  local lines = {}
  for line in p:lines() do lines[#lines + 1] = (line:gsub("pipe:%[%d+%]", "pipe")) end
  p:close()
  table.sort(lines)
  return #lines > 0 and table.concat(lines, "\n") .. "\n" or ""
end

--- How many sockets this process has open.
function M.open_sockets()
  local n = 0
  for line in M.open_descriptors():gmatch("[^\n]+") do
    if line:match("^socket:") then n = n + 1 end
  end
  return n
end

return M
