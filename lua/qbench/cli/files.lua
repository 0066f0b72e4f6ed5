--- Input files named on the command line: a path, or - for standard input.
-- One that cannot be read is a usage error.
-- @module qbench.cli.files
-- @local

local errors = require "qbench.cli.errors"

local M = {}

--- The whole content of `name` ("-" is stdin); `option` names it in messages.
function M.read(name, option)
  local f, why = io.stdin, nil
  if name ~= "-" then f, why = io.open(name, "rb") end
  if not f then errors.usage("%s: cannot read %s", option, why) end
  local content, err = f:read("a")
  if f ~= io.stdin then f:close() end
  if not content then errors.usage("%s: cannot read %s: %s", option, name, tostring(err)) end
  return content
end

return M
