--- `--dry-run`: the requests a library call would send, asked of the client
-- itself (qb:plan records them instead of sending), printed one pair per
-- request: `METHOD /path?query`, then the body on the next line when there is one.
-- @module qbench.cli.plan
-- @local

local text = require "qbench.text"
local json = require "qbench.cli.json"

local M = {}

-- A body as printed: exact, except on a terminal, where what would control it is escaped.
local function shown(body, content_type, terminal)
  if not terminal then return body end
  if content_type == nil or content_type == "application/json" then return json.for_terminal(body) end
  return text.printable(body)
end

--- The requests `fn(qb)` would send (qb:plan's records), and what `fn` returned, packed.
function M.requests(qb, fn)
  local results
  local requests = qb:plan(function(q) results = table.pack(fn(q)) end)
  return requests, results
end

--- Runs `fn(qb)` in plan mode on `qb` and prints its requests on `out` (a
-- qbench.cli.output). Returns what `fn` returned.
function M.print(out, qb, fn)
  local requests, results = M.requests(qb, fn)
  for _, r in ipairs(requests) do
    out:write(r.method, " ", r.path, "\n")
    if r.body ~= nil then out:write(shown(r.body, r.content_type, out.terminal), "\n") end
  end
  return table.unpack(results, 1, results.n)
end

return M
