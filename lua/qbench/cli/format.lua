--- Output formats of the `qbench` command: json, ndjson, csv and table.
-- A writer takes records one at a time so that a list streams; only `table`
-- waits for the end, to size its columns. Each record goes out in one write,
-- so that an interrupt between two records leaves whole records behind.
--
-- Whatever the server sent, the output is valid UTF-8 (invalid bytes become
-- U+FFFD) and JSON output is valid JSON (NaN and infinities become null); each
-- writer reports how many values it had to replace through `opts.replaced(n)`.
-- On a terminal, characters that would control it are escaped.
-- @module qbench.cli.format
-- @local

local args = require "qbench.args"
local csv = require "qbench.csv"
local text = require "qbench.text"
local columns_of = require "qbench.cli.columns"
local json = require "qbench.cli.json"

local M = {}

--- The format names, for --format.
M.NAMES = { "json", "ndjson", "csv", "table" }

local TABLE_MAX_WIDTH = 40

-- Only the columns asked for, keyed by their names.
local function projected(record, columns)
  if not columns then return record end
  local out = {}
  for _, c in ipairs(columns) do out[c.name] = columns_of.value(record, c) end
  return out
end

-- A cell's value, fit for output: strings valid UTF-8 (and harmless on a terminal).
local function cell_value(record, column, opts)
  local v, replaced = columns_of.cell(record, column)
  if type(v) == "string" then
    local fixed, n = text.valid_utf8(v)
    v, replaced = fixed, replaced + n
    if opts.terminal then v = text.printable(v) end
  elseif type(v) == "number" and not args.finite(v) then
    replaced = replaced + 1
  end
  if replaced > 0 then opts.replaced(replaced) end
  return v
end

local function json_text(value, opts)
  local s, replaced = json.encode(value, opts.pretty)
  if replaced > 0 then opts.replaced(replaced) end
  if opts.terminal then s = json.for_terminal(s) end
  return s
end

local writers = {}

-- "[" is written when the writer is made, and each record in one write with
-- the separator before it: whichever record an interrupt stops at, finish()
-- leaves valid JSON (n is only a matter of layout).
function writers.json(out, opts)
  local n = 0
  local w = {
    row = function(record)
      local s = json_text(projected(record, opts.columns), opts)
      if opts.pretty then s = "  " .. s:gsub("\n", "\n  ") end
      out:write(n == 0 and "\n" or ",\n", s)
      n = n + 1
    end,
    finish = function() out:write(n == 0 and "]\n" or "\n]\n") end,
  }
  out:write("[")
  return w
end

--- Writes one record alone (`get`): the JSON object itself rather than an array of one.
function M.write_one(out, record, opts)
  out:write(json_text(projected(record, opts.columns), opts), "\n")
end

function writers.ndjson(out, opts)
  return {
    row = function(record) out:write(json_text(projected(record, opts.columns), opts), "\n") end,
    finish = function() end,
  }
end

-- The column names; those of a record's own fields come from the server too.
local function header(columns, opts)
  local names = { n = #columns }
  for i, c in ipairs(columns) do
    local name = text.valid_utf8(c.name)
    names[i] = opts.terminal and text.printable(name) or name
  end
  return names
end

function writers.csv(out, opts)
  local columns = opts.columns
  local csv_opts = { raw = opts.csv_raw }
  if columns then out:write(csv.record(header(columns, opts), csv_opts)) end
  return {
    row = function(record)
      local first = nil
      if not columns then
        columns = (opts.columns_for or columns_of.of_record)(record)
        first = csv.record(header(columns, opts), csv_opts)
      end
      local fields = { n = #columns }
      for i, c in ipairs(columns) do fields[i] = cell_value(record, c, opts) end
      local line = csv.record(fields, csv_opts)
      if first then out:write(first, line) else out:write(line) end
    end,
    finish = function() end,
  }
end

-- Display width of valid UTF-8: characters, not bytes.
local function width(s) return utf8.len(s) or #s end

local function clip(s, n)
  if width(s) <= n then return s end
  return s:sub(1, utf8.offset(s, n) - 1) .. "…"
end

function writers.table(out, opts)
  local columns, rows = opts.columns, {}
  local table_opts = setmetatable({ terminal = true }, { __index = opts }) -- a table is for people
  return {
    row = function(record)
      columns = columns or (opts.columns_for or columns_of.of_record)(record)
      local row = {}
      for i, c in ipairs(columns) do row[i] = clip(csv.text(cell_value(record, c, table_opts)), TABLE_MAX_WIDTH) end
      rows[#rows + 1] = row
    end,
    finish = function()
      if not columns then return end
      table.insert(rows, 1, header(columns, table_opts))
      local widths = {}
      for _, row in ipairs(rows) do
        for i = 1, #columns do widths[i] = math.max(widths[i] or 0, width(row[i])) end
      end
      local lines = {}
      for r, row in ipairs(rows) do
        local parts = {}
        for i = 1, #columns do
          parts[i] = i == #columns and row[i] or row[i] .. string.rep(" ", widths[i] - width(row[i]))
        end
        lines[r] = table.concat(parts, "  "):gsub("%s+$", "")
      end
      out:write(table.concat(lines, "\n"), "\n")
    end,
  }
end

--- A writer for the format `name` on `out` (a qbench.cli.output): `w.row(record)`
-- for each record, then `w.finish()`.
-- `opts`: `columns` (from qbench.cli.columns; nil: the whole record for JSON, the
-- first record's fields for csv and table), `columns_for(first_record)` (the
-- columns csv and table take from the first record when `columns` is nil),
-- `pretty`, `csv_raw`, `terminal` and `replaced(n)`.
function M.writer(name, out, opts)
  local make = writers[name]
  if not make then error("unknown format " .. tostring(name), 2) end
  return make(out, opts)
end

return M
