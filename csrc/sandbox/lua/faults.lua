-- Planned faults: rules set through POST /_sandbox/faults that make the next
-- matching API requests fail in a chosen way, and the answers they give.
-- "drop", "garbage", "html", "NNN" and the 429 and 400 faults answer instead
-- of the endpoint (nothing is carried out); "stall:MS" and "truncate" carry
-- the request out, then answer late or cut short; "ok" answers normally;
-- "lua-error" raises an error in the app (the host answers 500).
local json = require "sandbox.json"
local errors = require "sandbox.errors"

local encode = json.encode
local JSON = "application/json"

local Faults = {}
Faults.__index = Faults

function Faults.new() return setmetatable({ rules = {} }, Faults) end

function Faults:clear() self.rules = {} end

function Faults:any() return self.rules[1] ~= nil end

-- Hostile 200 answers for the client's hardening specs ("json:NAME"); "big:N"
-- (N bytes of a JSON array, streamed by the host) and "deep:N" (arrays
-- nested N deep) are sized in the fault itself.
local HOSTILE = {
  ["json:bad-utf8"] = '{"id": 1, "customer_name": "\xff\xfe bad \xc0\xaf utf-8 \xed\xa0\x80"}',
  ["json:nul"] = '{"id": 1, "customer_name": "a\\u0000b", "comments": "c\0d"}',
  ["json:huge-numbers"] = '{"id": 1, "big": 123456789012345678901234567890, "huge": 1e400, '
    .. '"tiny": 1e-400, "past53": 9007199254740993, "minint": -9223372036854775808, "negzero": -0}',
  ["json:duplicate-keys"] = '{"id": 1, "id": 2, "customer_name": "first", "customer_name": "second"}',
}
local HOSTILE_NAMES = "bad-utf8, nul, huge-numbers, duplicate-keys"
local SIMPLE = { ok = true, drop = true, truncate = true, garbage = true, html = true, ["lua-error"] = true,
  ["400:invalid_grant"] = true, ["400:header_format"] = true }
local KNOWN = "ok, drop, truncate, garbage, html, stall:MS, NNN, 429:SECONDS, 429-retry-after:SECONDS, "
  .. "429-ttl:SECONDS, 400:invalid_grant, 400:header_format, big:BYTES, deep:LEVELS, json:" .. HOSTILE_NAMES

-- Validates one sequence entry; returns nil or an error text.
function Faults.check(entry)
  if type(entry) ~= "string" then return "sequence entries must be strings" end
  if SIMPLE[entry] or HOSTILE[entry] then return nil end
  if entry:match("^stall:%d+$") or entry:match("^429:%d+$") or entry:match("^429%-retry%-after:%d+$")
    or entry:match("^429%-ttl:%d+$") then
    return nil
  end
  local n = tonumber(entry:match("^big:(%d+)$") or entry:match("^deep:(%d+)$"))
  if n then
    if entry:sub(1, 4) == "big:" and n <= 1 << 40 then return nil end
    if entry:sub(1, 5) == "deep:" and n <= 10000000 then return nil end
    return "fault '" .. entry .. "' is too large (big: up to 2^40 bytes, deep: up to 10000000 levels)"
  end
  local code = tonumber(entry:match("^(%d%d%d)$"))
  if code and code >= 200 and code <= 599 then return nil end
  return "unknown fault '" .. entry .. "' (" .. KNOWN .. ")"
end

local function glob(p)
  return "^" .. p:gsub("[%^%$%(%)%%%.%[%]%+%-%?]", "%%%0"):gsub("%*", ".*") .. "$"
end

-- `match` is "METHOD PATH" (checked by the caller), `sequence` checked entries.
function Faults:add(method, pattern, sequence)
  local seq = {}
  for i, e in ipairs(sequence) do seq[i] = e end
  self.rules[#self.rules + 1] = { method = method:upper(), pattern = glob(pattern),
    with_query = pattern:find("?", 1, true) ~= nil, seq = seq, pos = 1 }
end

-- The fault for this request, consuming it from its rule; nil when none matches.
function Faults:next(method, path, query)
  for i, f in ipairs(self.rules) do
    if f.method == "*" or f.method == method then
      local subject = path
      if f.with_query and query ~= "" then subject = path .. "?" .. query end
      if subject:match(f.pattern) then
        local entry = f.seq[f.pos]
        f.pos = f.pos + 1
        if f.pos > #f.seq then table.remove(self.rules, i) end
        return entry
      end
    end
  end
  return nil
end

local GARBAGE = '{"total_count": 75, "data": [{"id": 1, "customer_name": "Exa<<garbage>>'
local HTML_502 = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
  .. "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"

-- A 429 or other error body: v1's historical shapes, or v2's on v2 paths.
local function error_body(path, status, v1_body, description)
  if errors.is_v2(path) then return errors.v2(status, description) end
  return encode(v1_body)
end

local function rate_text(secs)
  return string.format("ratelimit exceeded 300 per 60 seconds [current count: 301. Retry in %s seconds]", secs)
end

-- The answer of a fault that answers instead of the endpoint:
-- status, body, content type, headers.
function Faults.answer(f, path)
  if f == "garbage" then return 200, GARBAGE, JSON end
  if HOSTILE[f] then return 200, HOSTILE[f], JSON end
  local levels = math.tointeger(tonumber(f:match("^deep:(%d+)$")))
  if levels then return 200, string.rep("[", levels) .. string.rep("]", levels), JSON end
  if f == "html" then return 502, HTML_502, "text/html" end
  local kind, secs = f:match("^429([%-%a]*):(%d+)$")
  if secs then
    local body = error_body(path, 429, { error = rate_text(secs) }, rate_text(secs))
    -- The lone-header variants let clients be tested on each header alone.
    if kind == "-retry-after" then return 429, body, JSON, { "Retry-After", secs } end
    if kind == "-ttl" then return 429, body, JSON, { "X-QBAPI-Throttle-TTL", secs } end
    return 429, body, JSON, { "Retry-After", secs, "X-QBAPI-Throttle-Request-Count", "301", "X-QBAPI-Throttle-TTL", secs }
  end
  -- The two ways some QBench instances reject an expired or malformed token:
  -- server-wide shapes, the same on every path.
  if f == "400:invalid_grant" then
    return 400, encode { error = "invalid_grant", error_description = "Token is expired (sandbox fault)" }, JSON
  end
  if f == "400:header_format" then
    return 400, encode { message = "Invalid Authorization header format (sandbox fault)" }, JSON
  end
  local code = math.tointeger(tonumber(f))
  if code == 429 then
    local text_ = "exceeded concurrent request limit of 10"
    return 429, error_body(path, 429, { error = text_ }, text_), JSON
  end
  local text_ = (errors.REASONS[code] or "Error") .. " (sandbox fault)"
  return code, error_body(path, code, { message = text_ }, text_), JSON
end

return Faults
