--- The JSON the `qbench` command prints: keys sorted (the same record always
-- gives the same bytes), always valid UTF-8 and valid JSON whatever the server
-- sent (invalid UTF-8 becomes U+FFFD, NaN and infinities null), and, for a
-- terminal, free of characters that would control it.
-- @module qbench.cli.json
-- @local

local qbench = require "qbench"
local text = require "qbench.text"

local encode = qbench.encode

local M = {}

local COMPACT = { sort_keys = true, invalid_utf8 = "replace", nonfinite = "null" }
local PRETTY = { sort_keys = true, invalid_utf8 = "replace", nonfinite = "null", indent = 2 }

--- The JSON text of `value` (indented with `pretty`), and the number of values
-- replaced to make it valid.
function M.encode(value, pretty)
  return encode(value, pretty and PRETTY or COMPACT)
end

-- A JSON string escape for one character that would control a terminal.
local function escaped(ch)
  local printable = text.printable(ch)
  if printable == ch then return nil end
  if not utf8.len(ch) then return printable end -- bytes that are not UTF-8 (a raw --data body): \xNN
  local out = {}
  for _, cp in utf8.codes(ch) do out[#out + 1] = string.format("\\u%04x", cp) end
  return table.concat(out)
end

--- `json` with the characters that control a terminal which JSON
-- does not escape itself (DEL, C1, bidi controls) written as \u escapes: the
-- same data, harmless on a screen.
function M.for_terminal(json)
  return (json:gsub("[\127-\255][\128-\191]*", escaped))
end

return M
