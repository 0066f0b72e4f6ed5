--- `qbench request METHOD PATH`: any endpoint through qb:request; prints the
-- JSON answer.
-- @module qbench.cli.commands.request
-- @local

local qbench = require "qbench"
local errors = require "qbench.cli.errors"
local files = require "qbench.cli.files"
local format = require "qbench.cli.format"
local options = require "qbench.cli.options"
local plan = require "qbench.cli.plan"

local M = {}

--- Declares `request` under the parser `p`.
function M.declare(p, context)
  local request = options.command(p, "request", "Any endpoint; prints the JSON answer.", { "request" })
  if not context.full("request") then return end
  request:argument("method", "GET, POST, PUT, PATCH, DELETE, ...")
    :convert(function(s)
      if not s:match("^%a+$") then return nil, "METHOD must be an HTTP method name, got '" .. s .. "'" end
      return s:upper()
    end)
  request:argument("path", "Under /qbench/api/v1/ (e.g. customer/3), or from the instance root when it starts with /.")
  request:option("--query", "KEY=VALUE, percent-encoded for you (repeatable; a repeated key is sent repeated).")
    :count("*"):convert(options.pair("--query", "KEY=VALUE"))
  request:option("--data", "A JSON body, or @FILE to read it from a file (@- for stdin).")
  request:flag("--pretty", "Indent the JSON answer.")
  request:option("-o --output", "Write the answer to FILE (through FILE.tmp, renamed once it is complete).")
    :argname("FILE")
  options.add_dry_run(request)
end

local function body_of(spec)
  if spec:sub(1, 1) ~= "@" then return spec end
  return files.read(spec:sub(2), "--data")
end

function M.request(ctx, a)
  local query
  if #a.query > 0 then
    query = {}
    for _, pair in ipairs(a.query) do
      local have = query[pair.key]
      if have == nil then
        query[pair.key] = pair.value
      elseif type(have) == "table" then
        have[#have + 1] = pair.value
      else
        query[pair.key] = { have, pair.value }
      end
    end
  end
  local body
  if a.data then
    body = body_of(a.data)
    local _, why = qbench.decode(body)
    if why then errors.usage("--data is not JSON: %s", why) end
  end
  local function send(qb) return qb:request(a.method, a.path, { query = query, body = body }) end
  if a.dry_run then
    plan.print(ctx.out, ctx.planner(), send)
    return 0
  end
  local answer, err = send(ctx.client())
  if answer == nil then return ctx.fail(err) end
  format.write_one(ctx.out, answer, ctx.writer_options(a))
  return 0
end

return M
