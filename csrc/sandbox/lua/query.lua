-- Raw query strings: percent-decoding and the values of repeated keys.
-- Kept raw until asked so that the request log shows exactly what was sent.
local M = {}

function M.urldecode(s)
  s = s:gsub("+", " ")
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end
local urldecode = M.urldecode

-- All values of `key` in a raw query string, in order.
function M.values(query, key)
  local out = {}
  if query == "" then return out end
  for pair in query:gmatch("[^&]+") do
    local k, v = pair:match("^([^=]*)=?(.*)$")
    if urldecode(k) == key then out[#out + 1] = urldecode(v) end
  end
  return out
end

-- Every key with its values, keys in order of first appearance:
-- {names = {k1, k2, ...}, [k1] = {v, ...}, ...}.
function M.parse(query)
  local out = { names = {} }
  if query == "" then return out end
  for pair in query:gmatch("[^&]+") do
    local k, v = pair:match("^([^=]*)=?(.*)$")
    k = urldecode(k)
    local list = out[k]
    if not list then
      list = {}
      out[k] = list
      out.names[#out.names + 1] = k
    end
    list[#list + 1] = urldecode(v)
  end
  return out
end

return M
