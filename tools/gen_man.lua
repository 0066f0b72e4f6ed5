-- Writes the qbench(1) man page to stdout, from the command's own parser
-- (lua/qbench/cli/manpage.lua); `make man` runs it into build/qbench.1.
-- Usage: [BUILD=build] lua5.4 tools/gen_man.lua [DATE] > qbench.1 (from the repository's root).
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = (os.getenv("BUILD") or "build") .. "/?.so;" .. package.cpath

local qbench = require "qbench"
local manpage = require "qbench.cli.manpage"
local parser = require "qbench.cli.parser"

local p = parser.new({}, "", { complete = true, width = manpage.WIDTH })
io.stdout:write(manpage.render(p, qbench._VERSION, arg[1] or os.date("!%Y-%m-%d")))
