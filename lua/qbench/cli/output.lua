--- Standard output of the `qbench` command, where every write is checked:
-- the first one that fails (a full disk, a closed pipe or descriptor) raises
-- an output error, which stops the command before it fetches anything more.
-- @module qbench.cli.output
-- @local

local errors = require "qbench.cli.errors"

local M = {}
local methods = {}
local mt = { __name = "qbench.cli.Output", __index = methods }

local EBADF = 9

--- Wraps `file`; `terminal` says whether it is a terminal (escapes then matter).
function M.new(file, terminal)
  return setmetatable({ file = file, terminal = terminal == true }, mt)
end

--- Raises an output error when `file` is a closed descriptor. Checked before any
-- connection is made: a socket opened later would take descriptor 1, and the
-- output would go to the server.
function M.check_open(file)
  local ok, why, code = file:seek("cur")
  if not ok and code == EBADF then errors.output(why) end
end

--- Is our standard output a terminal? The shell's test sees the descriptor we pass on.
function M.stdout_is_terminal()
  return os.execute("[ -t 1 ]") == true
end

function methods:write(...)
  local ok, why = self.file:write(...)
  if not ok then errors.output(why) end
end

function methods:flush()
  local ok, why = self.file:flush()
  if not ok then errors.output(why) end
end

return M
