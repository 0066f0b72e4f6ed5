--- The command line of `qbench`, declared with argparse: the global options,
-- then every top-level command of qbench.cli.commands, each declared by its
-- own module. Help is wrapped at 80 columns. The parser's own error
-- messages are turned into one line with our own "did you mean" (argparse's
-- goes on a second line of its own).
-- @module qbench.cli.parser
-- @local

local argparse = require "argparse"
local suggest = require "qbench.suggest"
local commands = require "qbench.cli.commands"
local options = require "qbench.cli.options"

local M = {}

--- Raised (as a table) by --help and --version: what main() prints, exit 0.
M.shown_mt = options.shown_mt

--- Help text is wrapped to this many columns.
M.WIDTH = 80

local show, integer_in = options.show, options.integer_in

-- Global options that take a value, to find the command word in argv.
local GLOBAL_VALUES = { ["--url"] = true, ["--token"] = true, ["--timeout"] = true, ["--retries"] = true,
  ["--profile"] = true }

--- The words of argv after the global options: the command, then what follows.
function M.command_words(argv)
  local i = 1
  while argv[i] and argv[i]:sub(1, 1) == "-" do
    local name = argv[i]:match("^([^=]+)=") or argv[i]
    i = i + ((GLOBAL_VALUES[name] and not argv[i]:find("=", 1, true)) and 2 or 1)
  end
  return table.move(argv, i, #argv, 1, {})
end

local EPILOG = [[
Configuration: --url and --token, else the environment (QBENCH_URL,
QBENCH_TOKEN, or QBENCH_CLIENT_ID and QBENCH_CLIENT_SECRET for OAuth), else the
profile named by --profile or QBENCH_PROFILE in ~/.config/qbench/config.ini
(QBENCH_CONFIG names another file). Prefer the environment or a profile for
secrets: a command line is visible to other users. Secrets are never printed.

Exit status: 0 success, 1 API or network failure (one line on stderr), or a
file that cannot be read or written, 2 usage error, 130 interrupted (Ctrl-C;
what was written is closed first: a JSON array gets its "]").]]

--- Builds the parser for the command line `argv`. The root's error handler is replaced by the caller.
-- `opts.complete`: every command in full, every subcommand of every v2 collection,
-- and no hidden alternative names (for shell completion and the man page);
-- otherwise only the command (and v2 collection) named in `argv` is declared in
-- full, which keeps start-up fast.
-- `opts.width`: help wrapped to fewer columns than 80.
-- @tparam {string,...} argv the arguments
-- @tparam string version_text what --version prints
-- @tparam[opt] table opts `complete`, `width`
-- @treturn table the argparse parser
function M.new(argv, version_text, opts)
  options.width = opts and opts.width or M.WIDTH
  local p = argparse("qbench", "Command-line client for the QBench LIMS REST API.")
    :epilog(EPILOG)
    :help_max_width(options.width)
  p:add_help { action = function() show(p:get_help()) end }
  p:flag("--version", "Print the versions of qbench, libcurl and Lua, and exit.")
    :action(function() show(version_text) end)
  p:option("--url", "The QBench instance, e.g. https://lab.qbench.net (default $QBENCH_URL).")
  p:option("--token", "A bearer token (default $QBENCH_TOKEN).")
  p:option("--profile", "Use the instance and credentials of profile NAME of the config file "
    .. "(default $QBENCH_PROFILE); flags and the environment still win.")
    :argname("NAME")
  p:option("--timeout", "Seconds allowed for each call (default 60).")
    :convert(integer_in("--timeout", 1, 86400))
  p:option("--retries", "Tries after a transient failure, 0 to 10 (default: the library's, 3).")
    :convert(integer_in("--retries", 0, 10))
  p:command_target("command")
  p:require_command(true)
  local words, complete = M.command_words(argv), opts and opts.complete or false
  -- A help lists each subcommand by its description alone: a command's own
  -- subcommands and options are declared when it is the one named (start-up cost).
  local context = { words = words, complete = complete }
  -- The words of the command line below the command `name` (or `alias`), when
  -- `rest`, the words below its parent, name it; {} with `complete`; else nil.
  function context.below(rest, name, alias)
    if complete then return {} end
    if rest and (rest[1] == name or (alias and rest[1] == alias)) then
      return M.command_words(table.move(rest, 2, #rest, 1, {}))
    end
    return nil
  end
  function context.full(name) return context.below(words, name) ~= nil end
  for _, entry in ipairs(commands.LIST) do entry.declare(p, context) end
  return p
end

--- The subcommands of the argparse command `cmd` (argparse keeps them in `_commands`).
function M.subcommands(cmd)
  return cmd._commands
end

--- The name of the argparse command `cmd` (the first of its names).
function M.name(cmd)
  return cmd._name
end

-- The names an "unknown command/option" message could have meant at `current`.
local function known_names(current, kind)
  local out = {}
  if kind == "command" then
    for _, c in ipairs(current._commands) do out[#out + 1] = c._name end
  else
    local level = current
    while level do
      for _, o in ipairs(level._options) do
        for _, alias in ipairs(o._aliases) do
          if alias:sub(1, 2) == "--" then out[#out + 1] = alias end
        end
      end
      level = level._parent
    end
  end
  return out
end

--- argparse's message `msg` (raised at the command `current`) as one line:
-- its own "Did you mean" (a second line) replaced by ours, from the names
-- `current` has.
function M.one_line(current, msg)
  local line = msg:match("^[^\n]*")
  local kind, name = line:match("^unknown (%a+) '(.*)'$")
  if kind == "command" or kind == "option" then
    local candidates = known_names(current, kind)
    local best = #candidates > 0 and suggest.closest(name, candidates)
    if best then line = string.format("%s (did you mean '%s'?)", line, best) end
  end
  return line
end

return M
