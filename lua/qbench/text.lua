--- Text from a server made safe to show: what reaches a terminal or a log line
-- cannot move the cursor, retitle the window, reorder the line (bidi overrides)
-- or carry bytes that are not UTF-8; and made valid UTF-8 to write (the command's
-- output, the mirror's text columns).
-- @module qbench.text
-- @local

local core = require "qbench.core"

local M = {}

local REPLACE = { invalid_utf8 = "replace" }

--- `s` as valid UTF-8, the way the C core's encoder writes text for JSON
-- (`invalid_utf8 = "replace"`): each maximal invalid sequence becomes U+FFFD.
-- @tparam string s
-- @treturn string the text
-- @treturn integer how many sequences were replaced (for one warning per run)
function M.valid_utf8(s)
  if utf8.len(s) then return s, 0 end
  -- The encoder holds the one definition of a replacement; its JSON string decodes back to the text.
  local json, replaced = core.encode(s, REPLACE)
  return core.decode(json), replaced
end

-- Code points that control a terminal or the direction of text, beyond C0 and DEL.
local function is_control(cp)
  return (cp >= 0x80 and cp <= 0x9F)          -- C1: CSI, OSC, ... in 8-bit form
      or cp == 0x061C or cp == 0x200E or cp == 0x200F
      or (cp >= 0x202A and cp <= 0x202E)       -- bidi embeddings and overrides
      or (cp >= 0x2066 and cp <= 0x2069)       -- bidi isolates
      or cp == 0xFEFF
end

--- `s` with control characters, bidi controls and invalid UTF-8 written as escapes
-- (`\x1b`, `\u{202E}`, `\xff`); line breaks and tabs become one space each.
-- @tparam string s
-- @treturn string
function M.printable(s)
  if not s:find("[%c\128-\255]") then return s end
  local out, i, n = {}, 1, #s
  while i <= n do
    local b = s:byte(i)
    if b < 0x80 then
      if b == 10 or b == 13 or b == 9 then
        out[#out + 1] = " "
      elseif b < 0x20 or b == 0x7F then
        out[#out + 1] = string.format("\\x%02x", b)
      else
        out[#out + 1] = string.char(b)
      end
      i = i + 1
    else
      local len = b >= 0xF0 and 4 or b >= 0xE0 and 3 or b >= 0xC2 and 2 or 0
      local seq = len > 0 and s:sub(i, i + len - 1) or ""
      local ok, cp = pcall(utf8.codepoint, seq, 1)
      if len > 0 and #seq == len and ok and utf8.len(seq) == 1 and cp <= 0x10FFFF
          and not (cp >= 0xD800 and cp <= 0xDFFF) then
        out[#out + 1] = is_control(cp) and string.format("\\u{%X}", cp) or seq
        i = i + len
      else
        out[#out + 1] = string.format("\\x%02x", b)
        i = i + 1
      end
    end
  end
  return table.concat(out)
end

return M
