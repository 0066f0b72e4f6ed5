--- `qbench mirror DB [COLLECTION ...]`: keeps a SQLite file (or a PostgreSQL
-- database) a copy of QBench's v2 collections through qbench.mirror: a progress
-- line per collection on stderr, a summary table on stdout (new, updated,
-- deleted, unchanged per collection), exit 1 when a collection failed (the
-- others still done).
-- @module qbench.cli.commands.mirror
-- @local

local format = require "qbench.cli.format"
local options = require "qbench.cli.options"
local Progress = require "qbench.cli.progress"
local columns_of = require "qbench.cli.columns"

local M = {}

local SUMMARY = { "collection", "mode", "new", "updated", "deleted", "unchanged", "skipped", "pages", "seconds", "result" }

local function seconds(s)
  local n = tonumber(s)
  if not n or n ~= n or n < 0 or n > 86400 * 365 or not s:match("^[%d.]+$") then
    return nil, string.format("expected a number of seconds, got '%s'", s)
  end
  return n
end

--- Declares the command on the root parser `p` (its arguments and options when `context.full("mirror")`).
function M.add(p, context)
  local cmd = options.command(p, "mirror", "Copy v2 collections into a SQLite file (or a PostgreSQL database) and keep "
    .. "it current: the first run walks each collection in full, later runs fetch what changed since (last_updated) "
    .. "and what was deleted (kept, marked _deleted = 1). Killed at any moment, a rerun goes on where it stopped.",
    { "mirror" })
  if not context.full("mirror") then return end
  -- qbench.mirror (its schema and stores) loads only for the mirror command.
  local mirror = require "qbench.mirror"
  cmd:argument("db", "A SQLite file (made when missing), or a postgresql:// URL.")
  cmd:argument("collections", "v2 collections (default: " .. table.concat(mirror.DEFAULT_COLLECTIONS, " ")
    .. "; any of: " .. table.concat(mirror.collections(), " ") .. ")."):args("*")
  cmd:flag("--full", "Walk every collection in full again, as on a first run.")
  cmd:option("--concurrency", "Pages fetched at once, 1 to 10 (default: the library's, 4).")
    :convert(options.integer_in("--concurrency", 1, 10))
  cmd:option("--overlap", "Seconds of changes read again before the last window's end, against clock skew (default "
    .. mirror.DEFAULT_OVERLAP .. ").")
    :convert(seconds)
  cmd:option("--lock-timeout", "Seconds to wait for a SQLite file another process has locked (default 5)."):convert(seconds)
  cmd:option("--format", "Format of the summary: " .. table.concat(format.NAMES, ", ") .. ".", "table")
    :choices(format.NAMES)
  cmd:flag("--no-progress", "No progress line, even on a terminal.")
end

-- The progress of each collection on stderr: redrawn in place on a terminal;
-- elsewhere one plain line per collection when it ends.
local function progress_of(ctx, a)
  local on_terminal = not a.no_progress and Progress.stderr_is_terminal()
  local lines = {}
  local function line(info)
    local p = lines[info.collection]
    if not p then
      p = Progress.new { enabled = on_terminal, out = ctx.err, noun = info.collection }
      lines[info.collection] = p
    end
    return p
  end
  local function finish(entry)
    local p = lines[entry.collection]
    if p and on_terminal then
      p:finish { items = entry.records or 0 }
    elseif not a.no_progress and not entry.error then
      local s = entry.seconds or 0
      ctx.report("%s: %d pages, %d records in %.1f s (%d records/s)", entry.collection, entry.pages or 0,
        entry.records or 0, s, math.floor((entry.records or 0) / math.max(s, 1e-3) + 0.5))
    end
  end
  return function(info)
    if info.done then return finish(info.report) end
    line(info):update { pages_done = info.pages_done, total_pages = info.total_pages, items = info.records }
  end
end

local function result_of(entry)
  if entry.error then return "failed" end
  return entry.resumed and "ok (resumed)" or "ok"
end

function M.run(ctx, a)
  local mirror = require "qbench.mirror"
  local collections = #a.collections > 0 and a.collections or nil
  local progress = progress_of(ctx, a)
  local report, err = mirror.run {
    client = ctx.client(), db = a.db, collections = collections, full = a.full, concurrency = a.concurrency,
    overlap = a.overlap, lock_timeout = a.lock_timeout, progress = progress,
    warn = function(_, message) ctx.note(message) end,
  }
  if not report then return ctx.fail(err) end
  local rows = {}
  for _, entry in ipairs(report.collections) do
    if entry.error then ctx.fail(entry.error) end
    rows[#rows + 1] = {
      collection = entry.collection, mode = entry.mode or "", new = entry.new, updated = entry.updated,
      deleted = entry.deleted, unchanged = entry.unchanged, skipped = entry.skipped, pages = entry.pages,
      seconds = entry.seconds and math.floor(entry.seconds * 10 + 0.5) / 10, result = result_of(entry),
    }
  end
  local w = format.writer(a.format, ctx.out, ctx.writer_options(a, columns_of.of_names(SUMMARY)))
  for _, r in ipairs(rows) do w.row(r) end
  w.finish()
  return report.ok and 0 or 1
end

return M
