--- The ways a `qbench` command ends early, other than an API failure (a
-- `qbench.error` object): a usage error found after parsing (exit 2), output
-- that cannot be written (exit 1), an input file that cannot be read (exit 1),
-- and an interrupt (Ctrl-C, exit 130).
-- Each is raised as a table with its own metatable so that main() can tell
-- them apart from programming errors.
-- @module qbench.cli.errors
-- @local

local M = {}

local usage_mt = { __name = "qbench.cli.UsageError" }
local output_mt = { __name = "qbench.cli.OutputError" }
local input_mt = { __name = "qbench.cli.InputError" }

--- Raises a usage error: `fmt` and its arguments as for string.format.
function M.usage(fmt, ...)
  error(setmetatable({ message = string.format(fmt, ...) }, usage_mt), 0)
end

function M.is_usage(e) return getmetatable(e) == usage_mt end

--- Raises "cannot write the output" with the file's reason.
function M.output(reason)
  error(setmetatable({ message = tostring(reason) }, output_mt), 0)
end

function M.is_output(e) return getmetatable(e) == output_mt end

--- Raises "cannot read FILE: reason" for a file the command was asked to read
-- (not a usage error: the command line was right, the file is not there).
function M.input(fmt, ...)
  error(setmetatable({ message = string.format(fmt, ...) }, input_mt), 0)
end

function M.is_input(e) return getmetatable(e) == input_mt end

--- Is `e` the error the standalone interpreter raises on SIGINT?
-- lua.c answers Ctrl-C by raising "interrupted!" at the next Lua instruction.
function M.is_interrupt(e)
  return type(e) == "string" and e:find("interrupted!$") ~= nil
end

--- The library's reason inside "bad argument #1 to 'list' (...)", or nil when
-- `e` is not such an error. The library raises these for values that came
-- from the command line, so they are usage errors.
function M.bad_argument(e)
  if type(e) ~= "string" then return nil end
  local at = e:find("bad argument #", 1, true)
  if not at then return nil end
  local text = e:sub(at)
  return text:match("^bad argument #%d+ to '[^']*' %((.*)%)$") or text
end

--- Runs `fn(...)` for one item of a batch whose failures must not stop the
-- others: returns true and fn's results, or false and the library's reason
-- for a bad argument. Anything else (an interrupt, an unwritable output, a
-- programming error) still ends the command.
function M.per_item(fn, ...)
  local r = table.pack(pcall(fn, ...))
  if r[1] then return table.unpack(r, 1, r.n) end
  local reason = M.bad_argument(r[2])
  if reason then return false, reason end
  error(r[2], 0)
end

return M
