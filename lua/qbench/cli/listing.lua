--- Reads to standard output, for v1 and v2 alike: a list streamed page by
-- page (filtered by --where, shaped by --columns and --format, flushed after
-- each page, with the progress line), and one record.
-- @module qbench.cli.listing
-- @local

local columns_of = require "qbench.cli.columns"
local errors = require "qbench.cli.errors"
local format = require "qbench.cli.format"
local plan = require "qbench.cli.plan"
local where = require "qbench.cli.where"
local Progress = require "qbench.cli.progress"

local M = {}

--- The columns of the output: --columns, else the resource's defaults for the format.
-- `spec.resource` (optional) is what qbench.cli.columns knows of the records;
-- `spec.default_columns` (optional) maps a format to field names.
function M.columns(a, spec)
  if a.pretty and a.format ~= "json" then
    errors.usage("--pretty applies to --format json")
  end
  if a.columns then return columns_of.parse(a.columns, spec.resource) end
  local names = spec.default_columns and spec.default_columns[a.format]
  return names and columns_of.of_names(names, spec.resource) or nil
end

--- Lists every record of the walk `spec.pages(qb, opts)` (an iterator over page
-- tables, as the library's `pages`): `opts` holds page_size, concurrency and
-- `spec.filters`. `spec.noun` names the records on the progress line.
-- Under --dry-run it prints the first list request instead.
function M.list(ctx, a, spec)
  local columns = M.columns(a, spec)
  local conditions = where.parse_all(a.where, spec.resource, "--where")
  local opts = {}
  for k, v in pairs(spec.filters or {}) do opts[k] = v end
  opts.page_size, opts.concurrency = a.page_size, a.concurrency
  if a.dry_run then
    plan.print(ctx.out, ctx.planner(), function(qb)
      for _ in spec.pages(qb, opts) do end
    end)
    return 0
  end

  local qb = ctx.client()
  -- Made before any output: a bad option or filter raises here, with stdout still empty.
  local next_page, state, control, closing = spec.pages(qb, opts)
  local progress = Progress.new { enabled = not a.no_progress and Progress.stderr_is_terminal(), noun = spec.noun }
  local writer_options = ctx.writer_options(a, columns)
  -- Made once the first page is here: a first page that fails leaves stdout empty.
  local writer
  local function started()
    writer = writer or format.writer(a.format, ctx.out, writer_options)
    return writer
  end
  -- On a failure or an interrupt main() closes what was written (a JSON array gets its "]").
  ctx.on_abort = function()
    progress:clear()
    if writer then writer.finish() end
  end
  local pages, items, total = 0, 0, nil
  for page in next_page, state, control, closing do
    local data = page.data
    progress:clear()
    started()
    for i = 1, #data do
      if where.matches(conditions, data[i]) then writer.row(data[i]) end
    end
    pages, items = pages + 1, items + #data
    total = math.tointeger(page.total_pages) or total
    ctx.out:flush()
    progress:update({ pages_done = pages, total_pages = total, items = items }, pages == 1)
  end
  ctx.on_abort = nil
  progress:finish { pages_done = pages, total_pages = total or pages, items = items }
  started().finish()
  return 0
end

--- Prints one record: `spec.get(qb)` returns it, or nil and an error object.
-- Under --dry-run it prints the request instead.
function M.one(ctx, a, spec)
  local columns = M.columns(a, spec)
  if a.dry_run then
    plan.print(ctx.out, ctx.planner(), spec.get)
    return 0
  end
  local record, err = spec.get(ctx.client())
  if record == nil then return ctx.fail(err) end
  M.print_records(ctx, a, { record }, columns, true)
  return 0
end

--- Prints `records` (an array) in the chosen format; `alone` prints a single
-- record's JSON as an object rather than an array of one.
function M.print_records(ctx, a, records, columns, alone)
  local opts = ctx.writer_options(a, columns)
  if alone and a.format == "json" then
    format.write_one(ctx.out, records[1], opts)
    return
  end
  local writer = format.writer(a.format, ctx.out, opts)
  for _, r in ipairs(records) do writer.row(r) end
  writer.finish()
end

return M
