--- What the `qbench` command's declarations share: the converters that turn
-- a word into a checked value (a bad one is a usage error), the output, paging
-- and --dry-run options, and the command maker that records a command's words
-- in `_path` (for "see 'qbench ... --help'") and raises its --help text
-- instead of printing it, so that main() writes it through the checked output.
-- @module qbench.cli.options
-- @local

local args = require "qbench.args"
local format = require "qbench.cli.format"

local M = {}

--- The width help text is wrapped to (the man page asks for less, as man indents it).
M.width = 80

--- Raised (as a table) by --help and --version: what main() prints, exit 0.
M.shown_mt = { __name = "qbench.cli.Shown" }
--- Raises `text` to be shown (--help, --version).
function M.show(text) error(setmetatable({ text = text }, M.shown_mt), 0) end

-- Converters for argparse: function(word) -> value | nil, message.

function M.positive_integer(what)
  return function(s)
    local n = s:match("^%d+$") and math.tointeger(tonumber(s))
    if not n or n < 1 then return nil, string.format("%s must be a positive integer, got '%s'", what, s) end
    return n
  end
end

function M.integer_in(what, lo, hi)
  return function(s)
    local n = s:match("^%d+$") and math.tointeger(tonumber(s))
    if not n or n < lo or n > hi then
      return nil, string.format("%s must be an integer from %d to %d, got '%s'", what, lo, hi, s)
    end
    return n
  end
end

function M.non_empty(what)
  return function(s)
    if s == "" then return nil, what .. " must not be empty" end
    return s
  end
end

function M.finite_number(s)
  local n = tonumber(s)
  if not args.finite(n) or not s:match("^[%d.+-][%deE.+-]*$") then return nil end
  return math.tointeger(n) or n
end

--- A CSV cell as an integer (spaces around allowed), or nil.
function M.cell_integer(cell)
  return cell:match("^%s*[+-]?%d+%s*$") and math.tointeger(tonumber(cell)) or nil
end

--- A CSV cell as a finite decimal number (spaces around allowed), or nil.
function M.cell_number(cell)
  local n = cell:match("^%s*[+-]?[%d.]+[eE]?[+-]?%d*%s*$") and tonumber(cell)
  return args.finite(n) and n or nil
end

function M.pair(option, shape)
  return function(s)
    local k, v = s:match("^([^=]+)=(.*)$")
    if not k then return nil, string.format("%s wants %s, got '%s'", option, shape, s) end
    return { key = k, value = v }
  end
end

--- A command whose --help is raised, and which records its words in _path (the
-- deepest command's action runs first). `chosen(result)`, if given, runs too.
function M.command(parent, name, description, path, chosen)
  local cmd = parent:command(name, description)
  -- argparse marks a chosen command as result[name] = true: not under its name,
  -- where it would hide an option's value (--token, --data).
  cmd:target("_chosen " .. table.concat(path, " "))
  cmd:add_help { action = function() M.show(cmd:get_help()) end }
  cmd:action(function(result)
    result._path = result._path or table.concat(path, " ")
    if chosen then chosen(result) end
  end)
  return cmd
end

function M.add_dry_run(cmd, what)
  cmd:flag("--dry-run", what or "Print the requests (METHOD /path?query, then the JSON body) instead of sending them.")
end

--- Output options: --format, --columns, --pretty, --csv-raw, -o, and --where for lists.
function M.add_output(cmd, opts)
  cmd:option("--format", "Output format: " .. table.concat(format.NAMES, ", ") .. ".", "json")
    :choices(format.NAMES)
  cmd:option("--columns", "Comma-separated fields to output (a.b for a nested field, a.1 for an array's "
    .. "first item), in order; for csv and table, and the only fields of json and ndjson objects.")
  cmd:flag("--pretty", "Indent JSON (--format json).")
  cmd:flag("--csv-raw", "CSV cells as they are: no ' before text starting with =, +, -, @, TAB or CR"
    .. (opts and opts.csv_input and " (and none removed from --csv cells)." or "."))
  cmd:option("-o --output", "Write to FILE instead of stdout: to FILE.tmp, renamed to FILE once the command "
    .. "has succeeded (FILE is never left half-written; after a failure FILE.tmp keeps what was written).")
    :argname("FILE")
  if opts and opts.where then
    cmd:option("--where", "FIELD~LUA_PATTERN (the pattern is found in the field's text) or FIELD=VALUE "
      .. "(the text exactly); repeatable, every one must hold. Applied to the records listed.")
      :count("*")
  end
end

--- Paging options of a list: --page-size, --concurrency, --no-progress; and
-- --limit with `opts.limit`.
function M.add_paging(cmd, noun, opts)
  cmd:option("--page-size", noun .. " per request, 1 to 50 (default 50).")
    :convert(M.integer_in("--page-size", 1, 50))
  cmd:option("--concurrency", "Pages fetched at once, 1 to 10 (default: the library's, 4).")
    :convert(M.integer_in("--concurrency", 1, 10))
  cmd:flag("--no-progress", "No progress line, even on a terminal.")
  if opts and opts.limit then
    cmd:option("--limit", "Stop after N records (after --where); no more pages are read.")
      :argname("N"):convert(M.positive_integer("--limit"))
  end
end

--- `text`'s words after `lead` (a string), wrapped to `width` columns
-- (default M.width), continuation lines indented by `indent` spaces (default #lead).
function M.wrap(lead, text, width, indent)
  width, indent = width or M.width, indent or #lead
  local lines, line, empty = {}, lead, true
  for word in text:gmatch("%S+") do
    if not empty and #line + 1 + #word > width then
      lines[#lines + 1] = line
      line = string.rep(" ", indent) .. word
    else
      line = line .. (empty and "" or " ") .. word
    end
    empty = false
  end
  lines[#lines + 1] = line
  return table.concat(lines, "\n")
end

--- `entries` ({name, description} pairs) as an aligned list under `title`,
-- wrapped to M.width columns (for epilogs: filters, fields): each line
-- "   NAME  description", a description's continuation lines under its first.
function M.listing(title, entries)
  local name_width = 0
  for _, e in ipairs(entries) do name_width = math.max(name_width, #e[1]) end
  name_width = math.min(name_width, 30)
  local column = 3 + name_width + 2
  local lines = { title }
  for _, e in ipairs(entries) do
    local lead = "   " .. e[1]
    if #e[1] > name_width then
      lines[#lines + 1] = lead
      lead = ""
    end
    lines[#lines + 1] = M.wrap(lead .. string.rep(" ", column - #lead), e[2], M.width, column)
  end
  return table.concat(lines, "\n")
end

return M
