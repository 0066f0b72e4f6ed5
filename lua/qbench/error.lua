--- Structured errors: the second value of a failed call.
-- A call that fails returns `nil, err`; `list` and `pages`, which a generic `for` drives,
-- raise `err` instead. `tostring(err)` is one readable line, such as
-- `qbench: GET /qbench/api/v1/customer/9 HTTP 404 (http): customer 9 not found`.
-- It never holds a token or a secret, and control characters from the server are written as
-- escapes, so printing it cannot drive a terminal. @{qbench.is_error} tells an error
-- object apart. Its fields:
--
-- | field | meaning |
-- |---|---|
-- | `kind` | what failed, one of the kinds below |
-- | `status` | the HTTP status, or nil when there was no answer |
-- | `message` | the server's message (`error_description`, `message` or `error` of the body), an HTML page's title, or libcurl's reason |
-- | `method`, `path`, `url` | what was asked: the method, the path with its query, the whole URL |
-- | `body` | the decoded error body, or the raw text when it is not JSON |
-- | `headers` | the answer's headers, by lower-case name |
-- | `attempts` | how many tries were made |
-- | `sent` | whether the request left, in full or in part: `false` for a failed connect |
-- | `outcome` | `"unknown"` for a POST or PATCH the server may have carried out (the answer was lost, or was a gateway's 500, 502 or 504): check before sending it again |
-- | `error_type`, `error_token` | v2's `error_type` and `error_token`, when the body has them |
-- | `errors` | v2's per-field errors of a 400 (an array, as given) |
-- | `retry_after` | the seconds a 429 asked to wait, when that was more than `max_backoff`: the call failed at once instead of waiting |
-- | `written` | a v2 bulk write sent as several requests (over `max_batch` records): how many records are known written |
-- | `results` | with `written`: the records the answers of the written requests returned, in order |
-- | `records` | with `written`: the records known not written (never sent, or refused) |
-- | `in_doubt` | with `written`: the failed request's records when its outcome is unknown (`outcome`, or a 2xx answer that could not be used) |
-- | `curl_code` | libcurl's error number, when there was no answer |
-- | `code` | with kind `"database"`: `"busy"` (locked by another process), `"held"` (another mirror writes to it), `"driver"` (a C module missing), or the database's own code |
--
-- Fields that do not apply are nil. The kinds:
--
-- | kind | what failed |
-- |---|---|
-- | `"http"` | the server answered with a status other than 2xx, 401, 403 and 429 |
-- | `"auth"` | a 401 or 403, or a refused token request (`client_id` and `client_secret`) |
-- | `"rate_limit"` | a 429 that retries did not get past |
-- | `"network"` | no answer (a refused or broken connection), or a cut or oversized one |
-- | `"timeout"` | no answer in time: `timeout`, `connect_timeout` or `deadline` |
-- | `"tls"` | TLS failed: a certificate that does not verify, another host name, ... |
-- | `"decode"` | a 2xx answer that is not the JSON expected |
-- | `"database"` | `qbench.mirror`: the database failed (`code` says how) |
-- @module qbench.error
-- @usage
-- local c, err = qb.customer:get(999)
-- if not c and err.status == 404 then
--   print("no customer 999")
-- elseif not c then
--   error(tostring(err))   -- qbench: GET /qbench/api/v1/customer/999 (timeout): ...
-- end

local text = require "qbench.text"

local M = {}

local mt = { __name = "qbench.Error" }
mt.__index = mt

function mt.__tostring(err)
  local parts = { "qbench:", err.method or "?", err.path or err.url or "?" }
  if err.status then parts[#parts + 1] = "HTTP " .. err.status end
  parts[#parts + 1] = "(" .. tostring(err.kind) .. ")"
  local line = table.concat(parts, " ")
  if err.message and err.message ~= "" then line = line .. ": " .. tostring(err.message) end
  return text.printable(line)
end

M.mt = mt

--- Is `v` an error object? The same function as @{qbench.is_error}.
-- @param v any value
-- @treturn boolean
-- @usage
-- local errors = require "qbench.error"
-- local c, err = qb.customer:get(999)
-- print(c, errors.is(err), err.status)   --> nil true 404
function M.is(v)
  return getmetatable(v) == mt
end

--- Makes an error object from `fields` (kind and message; the rest optional).
-- A body in v2's error shape also fills error_type, error_token and errors.
-- @local
function M.new(fields)
  local b = fields.body
  if type(b) == "table" then
    if type(b.error_type) == "string" then fields.error_type = b.error_type end
    if type(b.error_token) == "string" then fields.error_token = b.error_token end
    if type(b.errors) == "table" then fields.errors = b.errors end
  end
  return setmetatable(fields, mt)
end

--- `s` on one line, cut to `n` bytes (on a UTF-8 boundary) with "..." when longer.
-- @local
function M.shorten(s, n)
  s = s:gsub("%s+", " ")
  if #s > n then
    local cut = n
    while cut > 0 and (s:byte(cut + 1) or 0) >= 0x80 and (s:byte(cut + 1) or 0) < 0xC0 do cut = cut - 1 end
    return s:sub(1, cut) .. "..."
  end
  return s
end

--- The most telling message in an error body of any of QBench's shapes.
-- @local
function M.message_of(body, status)
  if type(body) == "table" then
    local m = body.error_description or body.message or body.error or body.detail
    if type(m) == "string" and m ~= "" then
      if body.error_description and type(body.error) == "string" then m = body.error .. ": " .. m end
      return M.shorten(m, 500)
    end
  elseif type(body) == "string" and body ~= "" then
    local title = body:match("<[Tt][Ii][Tt][Ll][Ee]>(.-)</[Tt][Ii][Tt][Ll][Ee]>")
    if title then return "HTML page: " .. M.shorten(title, 120) end
    return M.shorten(body, 200)
  end
  return status and ("HTTP status " .. status) or "no details"
end

--- The error kind for a non-2xx status.
-- @local
function M.kind_of_status(status)
  if status == 401 or status == 403 then return "auth" end
  if status == 429 then return "rate_limit" end
  return "http"
end

return M
