--- Structured errors: the second value of a failed call.
-- `tostring(err)` is one readable line, e.g.
-- `qbench: GET /qbench/api/v1/customer/9 HTTP 404 (http): customer 9 not found`;
-- it never holds a token or a secret, and control characters from the server are
-- written as escapes, so printing it cannot drive a terminal.
-- @module qbench.error
-- @field kind `"http"` (a non-2xx status), `"auth"` (401, 403, a refused token request),
-- `"rate_limit"` (429), `"network"` (no answer, or a broken, cut or oversized one), `"timeout"`,
-- `"tls"` or `"decode"` (a 2xx answer that is not the JSON expected)
-- @field status the HTTP status, or nil when there was no answer
-- @field message the server's message, an HTML page's title, or libcurl's reason
-- @field method the HTTP method asked
-- @field path the path asked, with its query
-- @field url the whole URL asked
-- @field body the decoded error body, or the raw text when it is not JSON
-- @field headers the answer's headers, lower-case names
-- @field attempts how many tries were made
-- @field sent whether the request left (fully or in part): false for a failed connect
-- @field outcome `"unknown"` for a POST or PATCH the server may have carried out (the
-- answer was lost or was a gateway error): check before sending it again
-- @field error_type v2's `error_type`, when the body has one
-- @field error_token v2's `error_token`, when the body has one
-- @field errors v2's per-field errors of a 400 (an array, as given)
-- @field retry_after seconds a 429 asked to wait, when that was more than the client would

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

--- Is `v` an error made by this module? (`qbench.is_error`)
-- @param v any value
-- @treturn boolean
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
