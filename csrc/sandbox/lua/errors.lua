-- Error bodies in the shape of the API a request is for: v1 answers
-- {"message": ...} (OAuth-style {"error", "error_description"} for tokens),
-- v2 answers {"error_description", "error_type", "error_token"} plus
-- "errors" (field errors) on a 400.
local native = require "sandbox.native"
local json = require "sandbox.json"
local text = require "sandbox.text"

local encode = json.encode

local M = {}

M.V2_PREFIX = "/qbench/api/v2/"

M.REASONS = {
  [400] = "Bad Request", [401] = "Unauthorized", [403] = "Forbidden", [404] = "Not Found",
  [405] = "Method Not Allowed", [408] = "Request Timeout", [409] = "Conflict", [413] = "Payload Too Large",
  [429] = "Too Many Requests", [500] = "Internal Server Error", [502] = "Bad Gateway",
  [503] = "Service Unavailable", [504] = "Gateway Timeout",
}

function M.is_v2(path) return path:sub(1, #M.V2_PREFIX) == M.V2_PREFIX end

-- "Not Found" -> "NOT_FOUND": v2's error_type names the kind of failure.
local function error_type(status)
  return ((M.REASONS[status] or "Error"):upper():gsub("[^%w]+", "_"))
end

function M.v1(text_) return encode { message = text.printable(text_) } end

-- `fields`: nil, or a list of {field = ..., message = ...} (400 only).
function M.v2(status, description, fields, kind)
  local body = {
    error_description = text.printable(description),
    error_type = kind or error_type(status),
    -- Each answer gets its own token, as a real server's support reference would.
    error_token = native.uuid4(),
  }
  if status == 400 then
    local list = {}
    for i, f in ipairs(fields or {}) do
      list[i] = json.object { field = text.printable(f.field), message = f.message }
    end
    body.errors = json.array(list)
  end
  return encode(body)
end

-- The body for `status` and `description` in the shape of `path`'s API.
function M.for_path(path, status, description, fields)
  if M.is_v2(path) then return M.v2(status, description, fields) end
  return M.v1(description)
end

return M
