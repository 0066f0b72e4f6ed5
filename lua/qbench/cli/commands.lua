--- Which handler runs a parsed `qbench` command line. A handler is
-- function(ctx, a) returning the exit status; see qbench.cli.context for ctx.
-- @module qbench.cli.commands
-- @local

local M = {}

--- The handler for parsed arguments `a`.
-- @tparam table a argparse's result
-- @treturn function
function M.handler(a)
  if a.command == "request" then return require("qbench.cli.commands.request").request end
  if a.command == "v2" then return require("qbench.cli.commands.v2").run end
  if a.command == "mirror" then return require("qbench.cli.commands.mirror").run end
  local customers = require "qbench.cli.commands.customers"
  local action = a.action
  if action == "contacts" then
    return a.contacts_action == "add" and customers.contacts_add or customers.contacts_remove
  end
  if action == "assay-discounts" then return customers.discounts("assay") end
  if action == "panel-discounts" then return customers.discounts("panel") end
  if action == "tag" then return require("qbench.cli.commands.customer_tags").tag end
  if action == "import" then return require("qbench.cli.commands.customer_import").import end
  return customers[action]
end

return M
