-- The JSON type of a decoded value, as a schema reads it. The sandbox's
-- decoder (csrc/sandbox/json_exact.c) marks an empty [] and {} with the
-- json.array / json.object metatables and keeps numbers as spelt, so that
-- here [] is not an object, {} is not an array and 2.0 is not an integer.
local json = require "sandbox.json"

local ARRAY_MT = getmetatable(json.array {})
local OBJECT_MT = getmetatable(json.object {})

local M = {}

function M.is_array(v)
  if type(v) ~= "table" or getmetatable(v) == OBJECT_MT then return false end
  local n = 0
  for _ in pairs(v) do n = n + 1 end
  return n == #v
end

-- JSON object keys are strings: a non-empty decoded array is the only table with [1].
function M.is_object(v)
  return type(v) == "table" and getmetatable(v) ~= ARRAY_MT and v[1] == nil
end

function M.is_integer(v) return math.type(v) == "integer" end

-- A finite number (integer or not).
function M.is_number(v) return type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge end

function M.is_string(v) return type(v) == "string" end

function M.is_boolean(v) return type(v) == "boolean" end

-- An object's keys in order, so that its errors come out the same every time.
function M.sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

return M
