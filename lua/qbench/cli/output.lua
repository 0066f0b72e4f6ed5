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

--- An output to the file `path` (`-o FILE`) that never leaves FILE half
-- written: it goes to `path .. ".tmp"`, which `finish(true)` renames to `path`
-- (replacing it). `finish(false)`, after a failure, leaves FILE as it was and
-- keeps the temporary file when something was written to it (returning a
-- note for stderr that says so), or removes it when it is empty.
-- Raises an output error when the temporary file cannot be made.
function M.to_file(path)
  local tmp = path .. ".tmp"
  local file, why = io.open(tmp, "wb")
  if not file then errors.output(why) end
  local out = M.new(file, false)
  local target = { output = out, path = path, tmp = tmp }
  --- Closes the file and renames it (success), or keeps or removes it.
  -- Returns nil, or a note on what was done with the output; raises an
  -- output error when the file cannot be completed.
  function target.finish(success)
    local size = file:seek("end")
    local closed, close_why = file:close()
    if success then
      if not closed then
        os.remove(tmp)
        errors.output(close_why)
      end
      local renamed, rename_why = os.rename(tmp, path)
      if not renamed then errors.output(rename_why) end
      return nil
    end
    if size and size > 0 then
      return string.format("%s was not changed; what was written is in %s (incomplete)", path, tmp)
    end
    os.remove(tmp)
    return nil
  end
  return target
end

local terminals = {} -- by descriptor, once asked: a process's descriptors 1 and 2 stay what they are

--- Is `file`, the process's descriptor `fd` (io.stdout 1, io.stderr 2), a terminal?
-- A descriptor that can seek is a file, never a terminal; only for a pipe or a
-- device is a shell started, whose test sees the descriptor it inherits.
-- @tparam file file io.stdout or io.stderr
-- @tparam integer fd its descriptor
-- @treturn boolean
function M.is_terminal(file, fd)
  if terminals[fd] == nil then
    terminals[fd] = not file:seek("cur") and os.execute(string.format("[ -t %d ]", fd)) == true
  end
  return terminals[fd]
end

--- Is our standard output a terminal?
function M.stdout_is_terminal()
  return M.is_terminal(io.stdout, 1)
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
