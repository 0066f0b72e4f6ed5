--- `qbench request METHOD PATH`: any endpoint through qb:request; prints the
-- JSON answer.
-- @module qbench.cli.commands.request
-- @local

local qbench = require "qbench"
local errors = require "qbench.cli.errors"
local files = require "qbench.cli.files"
local format = require "qbench.cli.format"
local plan = require "qbench.cli.plan"

local M = {}

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
