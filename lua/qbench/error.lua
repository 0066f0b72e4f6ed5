--- Structured errors returned as the second value of a failed call.
-- `tostring(err)` is one readable line, e.g.
-- `qbench: GET /qbench/api/v1/customer/9 HTTP 404 (http): customer 9 not found`;
-- it never holds a token or a secret.
-- @module qbench.error
-- @field kind "http", "auth" (401, 403), "rate_limit" (429), "network", "timeout", "tls" or "decode"
-- @field status the HTTP status, or nil when there was no answer
-- @field message the server's message, an HTML page's title, or libcurl's reason
-- @field method the HTTP method asked
-- @field path the path asked, with its query
-- @field url the whole URL asked
-- @field body the decoded error body, or the raw text when it is not JSON
-- @field headers the answer's headers, lower-case names
-- @field attempts how many tries were made

local M = {}

local mt = { __name = "qbench.Error" }
mt.__index = mt

function mt.__tostring(err)
  local parts = { "qbench:", err.method or "?", err.path or err.url or "?" }
  if err.status then parts[#parts + 1] = "HTTP " .. err.status end
  parts[#parts + 1] = "(" .. err.kind .. ")"
  local line = table.concat(parts, " ")
  if err.message and err.message ~= "" then line = line .. ": " .. err.message end
  return (line:gsub("[\r\n]+", " "))
end

M.mt = mt

--- Is `v` an error made by this module? (`qbench.is_error`)
-- @param v any value
-- @treturn boolean
function M.is(v)
  return getmetatable(v) == mt
end

--- Makes an error object. `fields` must hold kind and message; method, path, url, status, body, headers optional.
function M.new(fields)
  return setmetatable(fields, mt)
end

local function shorten(s, n)
  s = s:gsub("%s+", " ")
  if #s > n then return s:sub(1, n) .. "..." end
  return s
end
M.shorten = shorten

--- The most telling message in an error body of any of QBench's shapes.
function M.message_of(body, status)
  if type(body) == "table" then
    local m = body.error_description or body.message or body.error or body.detail
    if type(m) == "string" and m ~= "" then
      if body.error_description and type(body.error) == "string" then return body.error .. ": " .. m end
      return m
    end
  elseif type(body) == "string" and body ~= "" then
    local title = body:match("<[Tt][Ii][Tt][Ll][Ee]>(.-)</[Tt][Ii][Tt][Ll][Ee]>")
    if title then return "HTML page: " .. shorten(title, 120) end
    return shorten(body, 200)
  end
  return status and ("HTTP status " .. status) or "no details"
end

--- The error kind for a non-2xx status.
function M.kind_of_status(status)
  if status == 401 or status == 403 then return "auth" end
  if status == 429 then return "rate_limit" end
  return "http"
end

return M
