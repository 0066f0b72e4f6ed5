--- Input files named on the command line: a path, or - for standard input.
-- One that cannot be read ends the command with exit status 1, naming it.
-- @module qbench.cli.files
-- @local

local errors = require "qbench.cli.errors"

local M = {}

--- The whole content of `name` ("-" is stdin); `option` names it in messages.
function M.read(name, option)
  local f, why = io.stdin, nil
  if name ~= "-" then f, why = io.open(name, "rb") end
  -- io.open's reason starts with the name: "new.csv: No such file or directory".
  if not f then errors.input("%s: cannot read %s", option, tostring(why)) end
  local content, err = f:read("a")
  if f ~= io.stdin then f:close() end
  if not content then errors.input("%s: cannot read %s: %s", option, name == "-" and "stdin" or name, tostring(err)) end
  return content
end

return M
