--- The `qbench(1)` man page, written from the same parser definition as the
-- command's --help and its shell completion: the root's help, then one
-- section per subcommand (every v2 collection and operation included), each
-- its --help text as the command prints it. `make man` writes it to
-- build/qbench.1 (tools/gen_man.lua); only Lua is needed to build it.
-- @module qbench.cli.manpage
-- @local

local parser = require "qbench.cli.parser"

local M = {}

-- Text as roff shows it verbatim: backslashes escaped, and a line that starts
-- with . or ' (a roff request) made plain.
local function roff(text)
  text = text:gsub("\\", "\\e")
  return (text:gsub("\n([.'])", "\n\\&%1"):gsub("^([.'])", "\\&%1"))
end

local function block(text)
  return ".nf\n" .. roff(text) .. "\n.fi\n"
end

-- Depth first: `fn(cmd, words)` for each subcommand of `cmd`, `words` its full command line words.
local function each_command(cmd, words, fn)
  for _, sub in ipairs(parser.subcommands(cmd)) do
    local path = table.move(words, 1, #words, 1, {})
    path[#path + 1] = parser.name(sub)
    fn(sub, path)
    each_command(sub, path, fn)
  end
end

--- The subcommands' full names ("qbench customers list", ...), in the page's order.
function M.commands(p)
  local out = {}
  each_command(p, { "qbench" }, function(_, words) out[#out + 1] = table.concat(words, " ") end)
  return out
end

--- The width of the help in the page: man indents it by 7 columns of 80.
M.WIDTH = 72

--- The man page of the parser `p` (made with `{complete = true, width = M.WIDTH}`), for `version`.
function M.render(p, version, date)
  local parts = {
    string.format('.TH QBENCH 1 "%s" "qbench %s" "User Commands"\n', date or "", version),
    ".SH NAME\nqbench \\- command-line client for the QBench LIMS REST API\n",
    ".SH SYNOPSIS\n.B qbench\n[\\fIoptions\\fR] \\fIcommand\\fR ...\n",
    ".SH DESCRIPTION\n", block(p:get_help()),
    ".SH COMMANDS\nEach command's own help, as \\fBqbench\\fR \\fIcommand\\fR \\fB\\-\\-help\\fR prints it.\n",
  }
  each_command(p, { "qbench" }, function(cmd, words)
    parts[#parts + 1] = string.format('.SS "%s"\n', roff(table.concat(words, " ")))
    parts[#parts + 1] = block(cmd:get_help())
  end)
  parts[#parts + 1] = ".SH SEE ALSO\nThe README of qbench, and doc/v2-operations.md for every v2 operation.\n"
  return table.concat(parts)
end

return M
