-- Runs a command for the specs of the `qbench` command and the examples:
-- its stdout, stderr and exit status, with the QBENCH_* variables of the
-- runner's environment removed so that only what a spec gives is seen.
-- Every run is bounded: a command still running after opts.timeout seconds
-- (default 60) is killed, and its status is then 137.
local helper = require "helper"
local lfs = require "lfs"

local M = {}

local q = helper.shell_quote

local CLEARED = { "QBENCH_URL", "QBENCH_TOKEN", "QBENCH_CLIENT_ID", "QBENCH_CLIENT_SECRET", "QBENCH_PROFILE",
  "QBENCH_CONFIG" }

local function read_file(name)
  local f = io.open(name, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

-- The shell command that runs argv under `timeout`, with the CLEARED variables
-- unset and opts.env set by the shell itself (an `env` process cost as much as
-- the shell); `before` (e.g. "echo $$;") runs first, and with `exec` the shell
-- becomes the command. The shell is the command's own (popen's), so what it
-- unsets is gone for this command only.
-- --foreground: a signal timeout gets is passed on once, to the command only
-- (without it, a second copy goes to the whole group, and a second SIGINT
-- kills a Lua script outright).
local function command_of(argv, opts, before, exec)
  local words = { "unset " .. table.concat(CLEARED, " ") .. ";", before or "" }
  local names = {}
  for k in pairs(opts.env or {}) do
    assert(k:match("^[%a_][%w_]*$"), "not a variable name: " .. k)
    names[#names + 1] = k
  end
  table.sort(names)
  for _, k in ipairs(names) do words[#words + 1] = k .. "=" .. q(opts.env[k]) end
  if exec then words[#words + 1] = "exec" end
  for _, w in ipairs { "timeout", "--foreground", "-s", "KILL", tostring(opts.timeout or 60) } do words[#words + 1] = w end
  for _, w in ipairs(argv) do words[#words + 1] = q(w) end
  return table.concat(words, " ")
end

--- argv: an array of words. opts: env ({NAME = value}), stdin (text for standard
-- input), timeout (seconds), stdout ("closed" to run with descriptor 1 closed,
-- or a file name to write it to; out is then ""), pipe_to (a shell command that
-- reads the output, e.g. "head -c 100"; out is what it prints, status still the
-- command's own) with ignore_sigpipe (start the command with SIGPIPE ignored).
-- Returns {out =, err =, status =}.
function M.run(argv, opts)
  opts = opts or {}
  local err_file = os.tmpname()
  local in_file
  local cmd = command_of(argv, opts) .. " 2>" .. q(err_file)
  if opts.stdin then
    in_file = M.temp_file(opts.stdin)
    cmd = cmd .. " <" .. q(in_file)
  else
    cmd = cmd .. " </dev/null"
  end
  if opts.stdout == "closed" then
    cmd = cmd .. " >&-"
  elseif opts.stdout then
    cmd = cmd .. " >" .. q(opts.stdout)
  end
  local status_file
  if opts.pipe_to then
    status_file = os.tmpname()
    cmd = string.format("bash -c %s", q(string.format("%s%s | %s; echo ${PIPESTATUS[0]} >%s",
      opts.ignore_sigpipe and "trap '' PIPE; " or "", cmd, opts.pipe_to, q(status_file))))
  end
  local p = assert(io.popen(cmd, "r"))
  local out = p:read("a")
  local _, how, code = p:close()
  local err = read_file(err_file)
  os.remove(err_file)
  if in_file then os.remove(in_file) end
  local status = how == "exit" and code or 128 + code
  if status_file then
    status = math.tointeger(tonumber(read_file(status_file):match("%d+")))
    os.remove(status_file)
  end
  return { out = out, err = err, status = status }
end

--- Starts a command in the background with stdout and stderr to files.
-- Returns {pid =, wait = function() -> {out =, err =, status =}}; wait is
-- bounded by opts.timeout as for run.
function M.start(argv, opts)
  opts = opts or {}
  local out_file, err_file = os.tmpname(), os.tmpname()
  -- `exec` keeps the pid printed: signals sent to it reach the command itself.
  local cmd = string.format("%s >%s 2>%s </dev/null", command_of(argv, opts, "echo $$;", true), q(out_file), q(err_file))
  local p = assert(io.popen(cmd, "r"))
  local pid = assert(math.tointeger(tonumber(p:read("l"))))
  local proc = { pid = pid }
  function proc.wait()
    local _, how, code = p:close()
    local r = { out = read_file(out_file), err = read_file(err_file), status = how == "exit" and code or 128 + code }
    os.remove(out_file)
    os.remove(err_file)
    return r
  end
  return proc
end

-- What a process would see of the environment: `env`'s variables, none of the cleared
-- ones, and the rest of this process's.
local function environment(env)
  local cleared = {}
  for _, name in ipairs(CLEARED) do cleared[name] = true end
  return function(name)
    if env[name] ~= nil then return env[name] end
    if cleared[name] then return nil end
    return os.getenv(name)
  end
end

-- The command's main() in this process, with the outputs a process would have; nil when
-- the run needs a process of its own (standard input, a closed or piped stdout).
local function in_process(args, opts)
  if opts.stdin or opts.stdout or opts.pipe_to or opts.process then return nil end
  local cli = require "qbench.cli"
  local out, err = io.tmpfile(), io.tmpfile()
  local status = cli.main(args, { out = out, err = err, getenv = environment(opts.env), terminal = false })
  local r = { status = status }
  for name, f in pairs { out = out, err = err } do
    f:seek("set")
    r[name] = f:read("a")
    f:close()
  end
  return r
end

--- Runs the `qbench` command with `args` (as run does), with the sandbox `sb`'s URL (or
-- opts.url) and token in the environment unless opts.env says otherwise. It runs the
-- command's main() (what bin/qbench runs) in this process, with its own outputs and
-- environment, unless the run needs a process (opts.stdin, opts.stdout, opts.pipe_to,
-- or opts.process = true): starting a Lua process per call cost the suite more CPU than
-- anything else. bin/qbench itself (its exit, its signals) is tested by the runs that do.
function M.qbench(sb, args, opts)
  opts = opts or {}
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  o.env = opts.env or { QBENCH_URL = opts.url or sb.url, QBENCH_TOKEN = sb.token }
  local r = in_process(args, o)
  if r then return r end
  local argv = { "lua5.4", "bin/qbench" }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  return M.run(argv, o)
end

--- The lines of `text`, each ended by "\n" (a last line without one is left out).
function M.lines(text)
  local out = {}
  for line in text:gmatch("([^\n]*)\n") do out[#out + 1] = line end
  return out
end

--- A file holding `text`, removed by the caller (os.remove).
function M.temp_file(text)
  local name = os.tmpname()
  local f = assert(io.open(name, "wb"))
  f:write(text)
  f:close()
  return name
end

-- Directories are made and removed in this process (lfs comes with busted): a
-- mktemp or rm process for each cost some spec files more than their tests.

--- A new empty directory, removed by the caller (process.remove_dir).
function M.temp_dir()
  -- os.tmpname's file reserves a fresh name; the directory takes its place.
  local dir = os.tmpname()
  assert(os.remove(dir))
  assert(lfs.mkdir(dir))
  return dir
end

--- Removes a directory made by temp_dir and everything in it (a link is removed, not followed).
function M.remove_dir(dir)
  for name in lfs.dir(dir) do
    if name ~= "." and name ~= ".." then
      local path = dir .. "/" .. name
      if lfs.symlinkattributes(path, "mode") == "directory" then M.remove_dir(path) else assert(os.remove(path)) end
    end
  end
  assert(os.remove(dir))
end

--- The content of a file.
M.read_file = read_file

--- A strict RFC 4180 reader, written apart from qbench.csv so that the
-- specs never check that module's output with that module: records end
-- with CRLF, a bare LF or CR is only allowed inside quotes. Returns the records.
function M.parse_csv(text)
  local rows, row, buf = {}, {}, {}
  local i, n, quoted = 1, #text, false
  while i <= n do
    local ch = text:sub(i, i)
    if quoted then
      if ch == '"' and text:sub(i + 1, i + 1) == '"' then
        buf[#buf + 1] = '"'
        i = i + 1
      elseif ch == '"' then
        quoted = false
      else
        buf[#buf + 1] = ch
      end
    elseif ch == '"' then
      assert(#buf == 0, "a quote inside an unquoted field at byte " .. i)
      quoted = true
    elseif ch == "," then
      row[#row + 1] = table.concat(buf)
      buf = {}
    elseif ch == "\r" and text:sub(i + 1, i + 1) == "\n" then
      row[#row + 1] = table.concat(buf)
      rows[#rows + 1], row, buf = row, {}, {}
      i = i + 1
    else
      assert(ch ~= "\r" and ch ~= "\n", "a bare line break outside quotes at byte " .. i)
      buf[#buf + 1] = ch
    end
    i = i + 1
  end
  assert(not quoted and #buf == 0 and #row == 0, "the CSV must end with CRLF")
  return rows
end

return M
