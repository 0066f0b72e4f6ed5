--- Reads to standard output, for v1 and v2 alike: a list streamed page by
-- page (filtered by --where, cut by --limit, shaped by --columns and --format,
-- flushed after each page, with the progress line), and one record. A record
-- that is not a JSON object is the server's mistake: the command stops with
-- a decode error rather than print an empty line for it. A column or a
-- --where field that no record had gets a warning on stderr.
-- @module qbench.cli.listing
-- @local

local Resource = require "qbench.resource"
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

--- The options of a qbench.cli.format writer for the arguments `a` and `columns`:
-- a table of records of unknown shape shows a handful of their fields.
local function writer_options(ctx, a, columns, spec)
  local opts = ctx.writer_options(a, columns)
  if not columns and a.format == "table" and not spec.resource then opts.columns_for = columns_of.summary end
  return opts
end

-- Watches the columns the user named (--columns) and the fields --where tests.
local function watchers(a, columns, conditions)
  local named = a.columns and columns or {}
  local tested = {}
  for i, c in ipairs(conditions) do tested[i] = c.column end
  return { columns_of.watch(named), "--columns" }, { columns_of.watch(tested), "--where" }
end

local function warn_missing(ctx, ...)
  for _, w in ipairs { ... } do
    for _, m in ipairs(w[1].missing()) do
      ctx.note(string.format("warning: no record has the field '%s' (%s)%s", m.column.name, w[2], m.hint))
    end
  end
end

--- Lists every record of the walk `spec.pages(qb, opts)` (an iterator over page
-- tables, as the library's `pages`): `opts` holds page_size, concurrency and
-- `spec.filters`. `spec.noun` names the records on the progress line.
-- `a.limit` stops after that many records have been written.
-- Under --dry-run it prints the first list request instead.
function M.list(ctx, a, spec)
  local columns = M.columns(a, spec)
  local conditions = where.parse_all(a.where, spec.resource, "--where")
  local opts = {}
  for k, v in pairs(spec.filters or {}) do opts[k] = v end
  local limit = a.limit
  -- A small --limit asks for no more than it shows (when nothing is filtered out).
  opts.page_size = a.page_size or (limit and #conditions == 0 and math.min(limit, 50)) or 50
  opts.concurrency = a.concurrency
  local function walk(qb) for _ in spec.pages(qb, opts) do end end
  if a.dry_run then
    plan.print(ctx.out, ctx.planner(), walk)
    return 0
  end

  local qb = ctx.client()
  if limit and #conditions == 0 then
    -- No page fetched ahead that --limit would not show: the pages still needed after the first.
    local ahead = math.max(1, (limit + opts.page_size - 1) // opts.page_size - 1)
    opts.concurrency = math.min(Resource.concurrency(qb, opts.concurrency, 1, "list"), ahead)
  end
  -- Made before any output: a bad option or filter raises here, with stdout still empty.
  local next_page, state, control, closing = spec.pages(qb, opts)
  local progress = Progress.new { enabled = not a.no_progress and Progress.stderr_is_terminal(), noun = spec.noun }
  local shown_columns, tested = watchers(a, columns, conditions)
  local options = writer_options(ctx, a, columns, spec)
  -- Made once the first page is here: a first page that fails leaves stdout empty.
  local writer
  local function started()
    writer = writer or format.writer(a.format, ctx.out, options)
    return writer
  end
  -- On a failure or an interrupt main() closes what was written (a JSON array gets its "]").
  ctx.on_abort = function()
    progress:clear()
    if writer then writer.finish() end
  end
  local pages, items, written, total = 0, 0, 0, nil
  for page in next_page, state, control, closing do
    local data = page.data
    progress:clear()
    started()
    for i = 1, #data do
      local record = data[i]
      tested[1].see(record)
      if where.matches(conditions, record) then
        writer.row(record)
        shown_columns[1].see(record)
        written = written + 1
        if written == limit then break end
      end
    end
    pages, items = pages + 1, items + #data
    total = math.tointeger(page.total_pages) or total
    ctx.out:flush()
    progress:update({ pages_done = pages, total_pages = total, items = items }, pages == 1)
    if written == limit then break end -- the walk's pages still under way are cancelled
  end
  ctx.on_abort = nil
  progress:finish { pages_done = pages, total_pages = total or pages, items = items }
  started().finish()
  warn_missing(ctx, shown_columns, tested)
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
  M.print_records(ctx, a, { record }, columns, true, spec)
  return 0
end

--- A writer of records in the chosen format that `print_records` and the v2
-- writes share: `p.row(record)`, `p.finish()` (also warns about columns no
-- record had), `p.started()`; `alone` prints a single record's JSON as an
-- object rather than an array of one. What is not a JSON object is not
-- printed (a CSV or table row of it would be empty): `finish` counts them in
-- a warning.
function M.printer(ctx, a, columns, alone, spec)
  local opts = writer_options(ctx, a, columns, spec or {})
  local shown = columns_of.watch(a.columns and columns or {})
  local writer, single, odd = nil, nil, 0
  local p = {}
  function p.row(record)
    if not columns_of.is_record(record) then
      odd = odd + 1
      return
    end
    shown.see(record)
    if alone and a.format == "json" then
      single = record
      return
    end
    writer = writer or format.writer(a.format, ctx.out, opts)
    writer.row(record)
  end
  function p.finish()
    if single ~= nil then
      format.write_one(ctx.out, single, opts)
    elseif not (alone and odd > 0 and not writer) then
      writer = writer or format.writer(a.format, ctx.out, opts)
      writer.finish()
    end
    warn_missing(ctx, { shown, "--columns" })
    if odd > 0 then
      ctx.note(string.format("warning: the server's answer held %d value(s) that are not records (JSON objects); "
        .. "they are not printed", odd))
    end
  end
  function p.started() return writer ~= nil or single ~= nil end
  return p
end

--- Prints `records` (an array) in the chosen format; `alone` prints a single
-- record's JSON as an object rather than an array of one.
function M.print_records(ctx, a, records, columns, alone, spec)
  local p = M.printer(ctx, a, columns, alone, spec)
  for _, r in ipairs(records) do p.row(r) end
  p.finish()
end

return M
