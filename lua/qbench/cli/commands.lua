--- The top-level commands of `qbench`, in the order --help lists them. Each
-- is one entry: `declare(parser, context)` adds the command to the argparse
-- parser, and its subcommands and options when `context.full(name)`: the
-- command is named on the command line, or every command is wanted (for
-- completion and the man page). `context.words`: the words of the command line
-- after the global options; `context.below(rest, name)`: the words below the
-- subcommand `name` when `rest` names it (the same rule one level down);
-- `context.complete`: declare everything. `handler(a)` returns the
-- function(ctx, a) that runs a parsed command line and returns the exit
-- status (see qbench.cli.context for ctx). Modules load only when used.
-- A new command is one more entry here.
-- @module qbench.cli.commands
-- @local

local M = {}

M.LIST = {
  {
    name = "customers",
    declare = function(p, context) require("qbench.cli.customers_parser").declare(p, context) end,
    handler = function(a) return require("qbench.cli.commands.customers").handler(a) end,
  },
  {
    name = "request",
    declare = function(p, context) require("qbench.cli.commands.request").declare(p, context) end,
    handler = function() return require("qbench.cli.commands.request").request end,
  },
  {
    name = "v2",
    declare = function(p, context) require("qbench.cli.v2_parser").declare(p, context) end,
    handler = function() return require("qbench.cli.commands.v2").run end,
  },
  {
    name = "mirror",
    declare = function(p, context) require("qbench.cli.commands.mirror").add(p, context) end,
    handler = function() return require("qbench.cli.commands.mirror").run end,
  },
  {
    name = "completion",
    declare = function(p, context) require("qbench.cli.commands.completion").declare(p, context) end,
    handler = function() return require("qbench.cli.commands.completion").run end,
  },
}

--- The handler for parsed arguments `a`.
-- @tparam table a argparse's result
-- @treturn function
function M.handler(a)
  for _, entry in ipairs(M.LIST) do
    if entry.name == a.command then return entry.handler(a) end
  end
  error("qbench: no handler for the command " .. tostring(a.command))
end

return M
