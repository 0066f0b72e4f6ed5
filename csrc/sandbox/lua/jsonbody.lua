-- The JSON body of a write: its Content-Type, its syntax and the shape of
-- its top level, checked before any endpoint sees it.
local json = require "sandbox.json"
local jsontype = require "sandbox.jsontype"

local M = {}

function M.is_json_type(headers)
  local ctype = headers["content-type"]
  return ctype ~= nil and ctype:lower():match("^application/json%s*;?") ~= nil
end

-- Returns the decoded body, or nil and the reason it is refused.
-- `shape` is "object" or "array", or nil for either.
function M.parse(headers, body, shape)
  if not M.is_json_type(headers) then return nil, "Content-Type must be application/json" end
  local v, err = json.decode(body)
  if v == nil then return nil, "request body is not valid JSON: " .. tostring(err) end
  if shape == "object" and not jsontype.is_object(v) then return nil, "request body must be a JSON object" end
  if shape == "array" and not jsontype.is_array(v) then return nil, "request body must be a JSON array" end
  return v
end

return M
