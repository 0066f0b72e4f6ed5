--- A `qbench v2` write whose records are already read and checked (see
-- qbench.cli.commands.v2): sent one slice of the client's `max_batch` records
-- at a time, each slice one request, each slice's answer printed as soon as it
-- comes. So a failure, or Ctrl-C, leaves on stdout every record the server
-- returned for the slices written, and stderr says how many records were
-- written, how many are in doubt (the request failed without a clear answer:
-- a 500, a lost answer; or was in flight at Ctrl-C) and how many were never
-- sent, with their record numbers. The server counts records from 0 within
-- one request (`[2].order_id`); messages give record numbers counted from 1
-- in the whole input.
-- @module qbench.cli.commands.v2_write
-- @local

local columns_of = require "qbench.cli.columns"
local listing = require "qbench.cli.listing"
local plan = require "qbench.cli.plan"
local tree = require "qbench.cli.v2_tree"

local M = {}

--- "record N: rest" for a server's field or message that starts with `[k]`
-- (k counted from 0 in a request whose first record is record `first`), or nil.
function M.record_text(text, first)
  if type(text) ~= "string" then return nil end
  local k, rest = text:match("^%[(%d+)%]%.?(.*)$")
  local n = k and math.tointeger(tonumber(k))
  if not n then return nil end
  if rest == "" then return string.format("record %d", first + n) end
  return string.format("record %d: %s", first + n, rest)
end

-- Prints `err` as one line, the server's record numbers translated, then each
-- of v2's per-field errors that line does not already say.
local function report_error(ctx, err, first)
  local shown = err
  local message = M.record_text(err.message, first)
  if message then
    shown = setmetatable({}, getmetatable(err))
    for k, v in pairs(err) do shown[k] = v end
    shown.message = message
  end
  local line = tostring(shown)
  ctx.fail(shown)
  if type(err.errors) ~= "table" then return end
  for _, e in ipairs(err.errors) do
    if type(e) == "table" then
      local where = M.record_text(e.field, first) or (type(e.field) == "string" and e.field) or "?"
      local text = string.format("%s: %s", where, type(e.message) == "string" and e.message or "?")
      if not line:find(text, 1, true) then ctx.report("%s", text) end
    end
  end
end

local function range(from, to)
  if from == to then return string.format("record %d", from) end
  return string.format("records %d-%d", from, to)
end

-- "100 of 200 records written, 50 in doubt (...), 50 not sent (...)".
local function summary(total, written, doubt_from, doubt_to)
  local in_doubt = doubt_from and doubt_to - doubt_from + 1 or 0
  local parts = { string.format("%d of %d records written", written, total) }
  if in_doubt > 0 then
    parts[#parts + 1] = string.format("%d in doubt (%s: the server may have written them; "
      .. "check before sending them again)", in_doubt, range(doubt_from, doubt_to))
  end
  local not_sent = total - written - in_doubt
  if not_sent > 0 then
    parts[#parts + 1] = string.format("%d not sent (%s)", not_sent, range(total - not_sent + 1, total))
  end
  return table.concat(parts, ", ")
end

--- Sends `records` for the write `op` (a bulk body) with the path `ids`, slice by
-- slice, printing what the server returns; returns the exit status.
function M.bulk(ctx, a, op, ids, records)
  local function call(qb, body)
    local node, own = tree.target(qb, op, ids)
    if op.own_id then return node[op.name](node, own, body) end
    return node[op.name](node, body)
  end
  local qb = a.dry_run and ctx.planner() or ctx.client()
  local size, total = qb.max_batch, #records
  if a.dry_run then
    for first = 1, total, size do
      local slice = table.move(records, first, math.min(first + size - 1, total), 1, {})
      plan.print(ctx.out, qb, function(q) return call(q, slice) end)
    end
    return 0
  end

  local printer = listing.printer(ctx, a, listing.columns(a, {}))
  local written, in_flight, answered = 0, nil, false
  -- What a slice's answer holds: its records (a JSON object alone is one); 204 holds none.
  local function print_answer(result)
    if type(result) ~= "table" then return end
    answered = true
    if columns_of.is_record(result) and next(result) ~= nil then
      printer.row(result)
      return
    end
    for _, r in ipairs(result) do printer.row(r) end
  end
  local function close_output()
    if answered then printer.finish() end
  end
  -- Ctrl-C: the slice in flight may or may not have been written (its answer is lost).
  -- Also on an output that cannot be written: the counts first, then the output's close.
  ctx.on_abort = function()
    ctx.note(summary(total, written, in_flight and in_flight[1], in_flight and in_flight[2]))
    close_output()
  end
  for first = 1, total, size do
    local last = math.min(first + size - 1, total)
    local slice = table.move(records, first, last, 1, {})
    in_flight = { first, last }
    local result, err = call(qb, slice)
    if result == nil then
      ctx.on_abort = nil
      -- A library that splits a request itself may have written part of it.
      written = written + (math.tointeger(err.written) or 0)
      print_answer(err.results)
      close_output()
      report_error(ctx, err, first)
      local doubt_from, doubt_to
      if type(err.in_doubt) == "table" and #err.in_doubt > 0 then
        doubt_from, doubt_to = written + 1, written + #err.in_doubt
      elseif err.outcome == "unknown" then
        doubt_from, doubt_to = written + 1, last
      end
      if total > size or doubt_from then ctx.note(summary(total, written, doubt_from, doubt_to)) end
      return 1
    end
    written, in_flight = last, nil
    print_answer(result)
    ctx.out:flush()
  end
  ctx.on_abort = nil
  close_output()
  return 0
end

return M
