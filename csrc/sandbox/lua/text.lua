-- UTF-8 checks: the JSON encoder refuses invalid UTF-8, so every string that
-- may be echoed back (stored fields, field names in errors) is checked or
-- made printable first.
local M = {}

local utf8_len = utf8.len

-- Strict: no overlong forms, surrogates or code points past U+10FFFF.
function M.valid(s) return utf8_len(s) ~= nil end

-- The first string in a decoded JSON value (keys included) that is not valid
-- UTF-8, as a path such as "contacts[2].first_name"; nil when all are valid.
function M.first_invalid(v, path)
  path = path or ""
  local t = type(v)
  if t == "string" then
    if utf8_len(v) == nil then return path ~= "" and path or "(body)" end
    return nil
  end
  if t ~= "table" then return nil end
  for k, item in pairs(v) do
    local sub
    if math.type(k) == "integer" then
      sub = string.format("%s[%d]", path, k - 1)
    else
      if type(k) == "string" and utf8_len(k) == nil then return M.printable(path .. "." .. k) end
      sub = path == "" and tostring(k) or path .. "." .. tostring(k)
    end
    local bad = M.first_invalid(item, sub)
    if bad then return bad end
  end
  return nil
end

-- `s` with every byte that is not part of valid UTF-8 replaced by "?".
function M.printable(s)
  if utf8_len(s) then return s end
  local out, i, n = {}, 1, #s
  while i <= n do
    local ok = false
    for len = 1, 4 do
      local piece = s:sub(i, i + len - 1)
      if #piece == len and utf8_len(piece) == 1 then
        out[#out + 1] = piece
        i = i + len
        ok = true
        break
      end
    end
    if not ok then
      out[#out + 1] = "?"
      i = i + 1
    end
  end
  return table.concat(out)
end

return M
