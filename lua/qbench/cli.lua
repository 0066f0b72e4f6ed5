--- The `qbench` command: shell automation of the QBench API without writing Lua.
-- `bin/qbench` calls `main(arg)` and exits with what it returns: 0 success,
-- 1 API or network failure (or output that cannot be written), 2 usage error,
-- 130 interrupted. Output goes to stdout only; errors, reports and the
-- progress line go to stderr.
-- @module qbench.cli

local qbench = require "qbench"
local core = require "qbench.core"
local text = require "qbench.text"
local commands = require "qbench.cli.commands"
local context = require "qbench.cli.context"
local errors = require "qbench.cli.errors"
local Output = require "qbench.cli.output"
local parser = require "qbench.cli.parser"

local M = {}

local EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130

local parse_mt = { __name = "qbench.cli.ParseError" }

local function version_text()
  return string.format("qbench %s (libcurl %s, %s)", qbench._VERSION, core.curl_version, _VERSION)
end

local function usage_line(err_out, message, path)
  err_out:write("qbench: ", text.printable(message), "; see '", path or "qbench", " --help'\n")
  return EXIT_USAGE
end

local function cannot_write(err_out, reason)
  err_out:write("qbench: cannot write the output: ", tostring(reason), "\n")
  return EXIT_FAILURE
end

-- Runs `fn` with the output checked; returns nil, or the reason a write failed.
local function output_failure(fn)
  local ok, e = pcall(fn)
  if ok then return nil end
  if errors.is_output(e) then return e.message end
  error(e, 0)
end

-- What an error raised by a command means for the user, and the exit status.
local function ended_by(ctx, e, err_out, a)
  if errors.is_output(e) then
    -- What the command has to say on stderr (a write's counts) still goes out;
    -- what it would write to the broken output fails again, quietly.
    if ctx.on_abort then pcall(ctx.on_abort) end
    return cannot_write(err_out, e.message)
  end
  if errors.is_usage(e) then return usage_line(err_out, e.message, "qbench " .. tostring(a._path)) end
  if errors.is_input(e) then
    err_out:write("qbench: ", text.printable(e.message), "\n")
    return EXIT_FAILURE
  end
  local reason = errors.bad_argument(e)
  if reason then return usage_line(err_out, reason, "qbench " .. tostring(a._path)) end
  local interrupted, api = errors.is_interrupt(e), qbench.is_error(e)
  if interrupted or api then
    -- Close what was written: a JSON array gets its "]", a table is printed.
    local failed = output_failure(function()
      if ctx.on_abort then ctx.on_abort() end
      ctx.out:flush()
    end)
    if api then ctx.fail(e) end
    if failed then return cannot_write(err_out, failed) end
    if interrupted then
      err_out:write("qbench: interrupted\n")
      return EXIT_INTERRUPTED
    end
    return EXIT_FAILURE
  end
  err_out:write("qbench: internal error: ", text.printable(tostring(e)), "\n")
  return EXIT_FAILURE
end

--- Runs the command line `argv` (an array of strings, as `arg`).
-- @tparam {string,...} argv the arguments
-- @tparam[opt] table io_ `{out = file, err = file, getenv = function, terminal = boolean}`, for
-- embedding; defaults to the process's (terminal: whether stdout is one)
-- @treturn integer the exit status
function M.main(argv, io_)
  io_ = io_ or {}
  local out_file, err_out, getenv = io_.out or io.stdout, io_.err or io.stderr, io_.getenv or os.getenv
  local args = {}
  for i = 1, #argv do args[i] = argv[i] end

  local p = parser.new(args, version_text())
  -- argparse's own handler prints the usage block and exits 1; here it is one line and 2.
  p.error = function(current, msg)
    local path = current._get_fullname and current:_get_fullname() or "qbench"
    error(setmetatable({ message = parser.one_line(current, msg), path = path }, parse_mt), 0)
  end
  local parsed, a = pcall(p.parse, p, args)
  if not parsed then
    if getmetatable(a) == parse_mt then return usage_line(err_out, a.message, a.path) end
    if getmetatable(a) ~= parser.shown_mt then error(a, 0) end
    local failed = output_failure(function()
      local out = Output.new(out_file)
      out:write(a.text, "\n")
      out:flush()
    end)
    if failed then return cannot_write(err_out, failed) end
    return 0
  end

  -- -o FILE: through FILE.tmp, renamed at success. Else stdout, checked before
  -- any connection exists: a socket could otherwise become descriptor 1.
  local target, out
  local opened = output_failure(function()
    if a.output and a.output ~= "-" then
      target = Output.to_file(a.output)
      out = target.output
    else
      Output.check_open(out_file)
      local terminal = io_.terminal
      if terminal == nil then terminal = io_.out == nil and Output.stdout_is_terminal() end
      out = Output.new(out_file, terminal)
    end
  end)
  if opened then return cannot_write(err_out, opened) end
  local ctx = context.new(a, { out = out, err = err_out, getenv = getenv })

  local ran, status = pcall(commands.handler(a), ctx, a)
  if ran then
    local failed = output_failure(function() ctx.out:flush() end)
    if failed then status = cannot_write(err_out, failed) end
  else
    status = ended_by(ctx, status, err_out, a)
  end
  ctx.close()
  if target then
    local note
    local failed = output_failure(function() note = target.finish(status == 0) end)
    if failed then status = cannot_write(err_out, failed) end
    if note then err_out:write("qbench: ", text.printable(note), "\n") end
  end
  if ctx.replaced > 0 then
    err_out:write(string.format("qbench: warning: %d value(s) from the server could not be written as sent: "
      .. "text that is not UTF-8 was written with U+FFFD, numbers JSON cannot hold (NaN, infinities) as null\n",
      ctx.replaced))
  end
  return status
end

return M
