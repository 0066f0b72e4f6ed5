--- `qbench v2 ...`: one operation of QBench's API v2 (chosen by the words, see
-- qbench.cli.v2_tree), called through qb.v2. Reads stream like `customers
-- list`; writes take their records from --data, --file or --csv, check every
-- record against the operation's schema first (all bad records are reported,
-- `record 3: samples.order_id: expected integer, got "x"`, and then nothing is
-- sent) and print what the server gives back.
-- @module qbench.cli.commands.v2
-- @local

local qargs = require "qbench.args"
local errors = require "qbench.cli.errors"
local listing = require "qbench.cli.listing"
local plan = require "qbench.cli.plan"
local records_in = require "qbench.cli.records"
local tree = require "qbench.cli.v2_tree"
local v2_write = require "qbench.cli.commands.v2_write"

local M = {}

local function typed(t, text)
  if t == "integer" then
    return text:match("^[+-]?%d+$") and math.tointeger(tonumber(text)) or text
  elseif t == "number" then
    local n = text:match("^[+-]?[%d.]+[eE]?[+-]?%d*$") and tonumber(text)
    return n or text
  elseif t == "boolean" then
    if text == "true" then return true elseif text == "false" then return false end
  end
  return text
end

--- The filters of `--filter NAME=VALUE` options, typed by the operation's
-- parameters `query` (a name it does not have stays text, for the library to
-- name). Arrays take comma-separated values or the option repeated.
function M.filters(pairs_, query)
  local out = {}
  for _, p in ipairs(pairs_ or {}) do
    local def = query and query[p.key]
    if p.key == "page_size" then errors.usage("use --page-size, not --filter page_size") end
    if def and def.type == "array" then
      local list = out[p.key] or {}
      for part in (p.value .. ","):gmatch("([^,]*),") do list[#list + 1] = typed(def.items, part) end
      out[p.key] = list
    else
      if out[p.key] ~= nil then errors.usage("--filter %s is given twice", p.key) end
      out[p.key] = typed(def and def.type, p.value)
    end
  end
  return out
end

local function ids_of(a, op)
  local ids = {}
  for i, id in ipairs(op.ids) do ids[i] = a[id.name] end
  return ids
end

local function is_list(v)
  return type(v) == "table" and qargs.sequence_length(v) ~= nil
end

local function write(ctx, a, op, ids)
  local entry = op.entry
  local body
  if entry.body then
    local records, bulk, item = records_in.read(a, entry.body)
    local bad = records_in.check(records, item, table.concat(op.path, ".", 2, #op.path - 1))
    for _, b in ipairs(bad) do ctx.report("record %d: %s", b.index, b.message) end
    if #bad > 0 then
      ctx.note(string.format("%d of %d records are invalid; nothing was sent", #bad, #records))
      return 1
    end
    if bulk then return v2_write.bulk(ctx, a, op, ids, records) end
    body = records[1]
  end
  local function send(qb)
    local node, own = tree.target(qb, op, ids)
    local args = {}
    if op.own_id then args[1] = own end
    if body then args[#args + 1] = body end
    return node[op.name](node, table.unpack(args, 1, #args))
  end
  if a.dry_run then
    plan.print(ctx.out, ctx.planner(), send)
    return 0
  end
  local result, err = send(ctx.client())
  if result == nil then return ctx.fail(err) end
  if result == true then return 0 end
  local columns = listing.columns(a, {})
  if is_list(result) then
    listing.print_records(ctx, a, result, columns)
  else
    listing.print_records(ctx, a, { result }, columns, true)
  end
  return 0
end

function M.run(ctx, a)
  local op = a._v2_operation
  local ids = ids_of(a, op)
  if op.kind == "list" then
    return listing.list(ctx, a, {
      noun = "records", filters = M.filters(a.filter, op.entry.query),
      pages = function(qb, opts) return tree.target(qb, op, ids):pages(opts) end,
    })
  elseif op.kind == "get" then
    local filters = M.filters(a.filter, op.entry.query)
    return listing.one(ctx, a, {
      get = function(qb)
        local node, own = tree.target(qb, op, ids)
        if op.own_id then return node:get(own, filters) end
        return node:get(filters)
      end,
    })
  end
  return write(ctx, a, op, ids)
end

return M
