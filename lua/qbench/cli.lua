--- The `qbench` command: shell automation of the QBench API without writing Lua.
-- `bin/qbench` calls `main(arg)` and exits with what it returns: 0 success,
-- 1 API or network failure, 2 usage error. Output goes to stdout only;
-- errors and the progress line go to stderr.
-- @module qbench.cli

local qbench = require "qbench"
local parser = require "qbench.cli.parser"
local commands = require "qbench.cli.commands"

local M = {}

local EXIT_FAILURE, EXIT_USAGE = 1, 2

local usage_mt = { __name = "qbench.cli.ParseError" }

local function nonempty(s)
  if s == nil or s == "" then return nil end
  return s
end

-- Client options from the command line, then the environment. As for the
-- module-level client, a token wins; the OAuth client id and secret are used
-- only without one (the library refuses both at once).
local function client_options(a, getenv)
  local opts = {
    url = nonempty(a.url) or nonempty(getenv "QBENCH_URL"),
    token = nonempty(a.token) or nonempty(getenv "QBENCH_TOKEN"),
    timeout = a.timeout,
    retries = a.retries,
  }
  if not opts.url then return nil, "no QBench instance: give --url or set QBENCH_URL" end
  if not opts.token then
    opts.client_id, opts.client_secret = nonempty(getenv "QBENCH_CLIENT_ID"), nonempty(getenv "QBENCH_CLIENT_SECRET")
    if not (opts.client_id and opts.client_secret) then
      return nil, "no credentials: set QBENCH_TOKEN (or QBENCH_CLIENT_ID and QBENCH_CLIENT_SECRET), or give --token"
    end
  end
  return opts
end

-- "bad argument #1 to 'new' (option url must be ...)" without the position prefix.
local function raised_message(e)
  return (tostring(e):gsub("^[^\n]-:%d+: ", ""))
end

--- Runs the command line `argv` (an array of strings, as `arg`).
-- @tparam {string,...} argv the arguments
-- @tparam[opt] table io_ `{out = file, err = file, getenv = function}`, for embedding; defaults to the process's
-- @treturn integer the exit status
function M.main(argv, io_)
  io_ = io_ or {}
  local out, err_out, getenv = io_.out or io.stdout, io_.err or io.stderr, io_.getenv or os.getenv

  local p = parser.new()
  -- argparse's own handler exits with status 1; a usage error here is 2.
  p.error = function(current, msg)
    error(setmetatable({ usage = current:get_usage(), message = msg }, usage_mt), 0)
  end
  local args = {}
  for i = 1, #argv do args[i] = argv[i] end
  local ok, a = pcall(p.parse, p, args)
  if not ok then
    if getmetatable(a) ~= usage_mt then error(a, 0) end
    err_out:write(a.usage, "\n\nError: ", a.message, "\n")
    return EXIT_USAGE
  end

  local client
  local ctx = { out = out }
  function ctx.fail(e)
    err_out:write(tostring(e):gsub("[\r\n]+", " "), "\n")
    return EXIT_FAILURE
  end
  function ctx.note(msg) err_out:write("qbench: ", msg, "\n") end
  function ctx.client()
    if not client then
      local opts, why = client_options(a, getenv)
      if not opts then
        error(setmetatable({ message = why }, commands.usage_error_mt), 0)
      end
      client = qbench.new(opts)
    end
    return client
  end

  local handler = commands.handler(a)
  local ran, status = pcall(handler, ctx, a)
  if client then client:close() end
  if not ran then
    local e = status
    if getmetatable(e) == commands.usage_error_mt then
      err_out:write("qbench: ", e.message, "\n")
      return EXIT_USAGE
    elseif qbench.is_error(e) then
      return ctx.fail(e)
    elseif tostring(e):find("bad argument", 1, true) then
      -- The library refused a value that came from the command line.
      err_out:write("qbench: ", raised_message(e), "\n")
      return EXIT_USAGE
    end
    err_out:write("qbench: internal error: ", tostring(e), "\n")
    return EXIT_FAILURE
  end
  local flushed, why = out:flush()
  if not flushed then
    err_out:write("qbench: cannot write the output: ", tostring(why), "\n")
    return EXIT_FAILURE
  end
  return status
end

return M
