--- Text from a server made writable as valid UTF-8, the way the C core's
-- encoder does it for JSON (`invalid_utf8 = "replace"`): each maximal invalid
-- sequence becomes U+FFFD. The count of replacements lets the command warn
-- once per run.
-- @module qbench.cli.repair
-- @local

local core = require "qbench.core"

local M = {}

local REPLACE = { invalid_utf8 = "replace" }

--- `s` as valid UTF-8, and the number of sequences replaced.
function M.string(s)
  if utf8.len(s) then return s, 0 end
  -- The encoder holds the one definition of a replacement; its JSON string decodes back to the text.
  local json, replaced = core.encode(s, REPLACE)
  return core.decode(json), replaced
end

return M
