--- RFC 4180 CSV: a reader for the files people edit in spreadsheets, and a
-- writer whose output a spreadsheet can open safely.
--
-- The writer quotes a field that holds a comma, a double quote, CR or LF
-- (doubling its quotes), ends records with CRLF, writes numbers exactly, and
-- by default defuses formulas (CWE-1236): a *string* cell that starts with
-- `=`, `+`, `-`, `@`, TAB or CR gets a `'` in front, as OWASP advises, so that
-- a spreadsheet shows it as text instead of running it. So does a string that
-- starts with apostrophes followed by one of those (`'=x` is written `''=x`),
-- so that @{unguard} can always tell the `'` the writer added from one the
-- text had. Numbers are never changed (`-5` stays `-5`). `{raw = true}` writes
-- strings as they are.
--
-- The reader takes what spreadsheets write: quoted fields with commas, doubled
-- quotes and line breaks, CRLF, LF or CR line ends, a UTF-8 byte order mark,
-- no final line end. It returns the bytes of each field as they are (it does
-- not check UTF-8), or, with `{unguard = true}`, without the `'` the writer
-- added: what the writer was given comes back exactly.
-- @module qbench.csv
-- @usage
-- local csv = require "qbench.csv"
-- local w = csv.writer(io.stdout)
-- assert(w:write{"id", "customer_name"})
-- assert(w:write{7, "=SUM(A1:A9)"})       --> 7,'=SUM(A1:A9)
-- local records = assert(csv.parse('id,name\r\n7,"Smith, Jr"\r\n'))
-- print(records[2][2])                     --> Smith, Jr
-- print(csv.parse("'=1+1", {unguard = true})[1][1])   --> =1+1

local null = require("qbench.core").null
local args = require "qbench.args"

local M = {}

-- A string the writer guards: one that starts like a formula (=, +, -, @, TAB,
-- CR), after any number of apostrophes. With the apostrophes counted in, a
-- guarded cell is exactly one that starts with ' and then matches again, so
-- the guard can be undone without a doubt.
local GUARDED = "^'*[=+%-@\t\r]"
local GUARD_ADDED = "^'+[=+%-@\t\r]"

-- The shortest decimal text that reads back as the same double.
local function float_text(n)
  for _, fmt in ipairs { "%.15g", "%.16g" } do
    local s = string.format(fmt, n)
    if tonumber(s) == n then return s end
  end
  return string.format("%.17g", n)
end

--- The text a value is written as in a cell, before quoting.
-- Strings are as they are; integers in decimal; other numbers in the shortest
-- form that reads back as the same number (`0.30000000000000004`, `1e+300`);
-- booleans `true` or `false`; nil, `qbench.null`, NaN and the infinities
-- are empty (CSV has no null).
-- @tparam string|number|boolean|nil value a value; tables raise
-- @treturn string the text
-- @usage
-- print(csv.text(0.1 + 0.2), csv.text(12), csv.text(qbench.null) == "")   --> 0.30000000000000004 12 true
function M.text(value)
  local t = type(value)
  if t == "string" then return value end
  if t == "number" then
    if math.type(value) == "integer" then return string.format("%d", value) end
    if not args.finite(value) then return "" end
    return float_text(value)
  end
  if t == "boolean" then return value and "true" or "false" end
  if value == nil or value == null then return "" end
  error("qbench.csv: a field must be a string, number, boolean, nil or qbench.null, got " .. t, 2)
end

--- One field as it goes in a record: its text (see @{text}), with `'` before a
-- string that starts like a formula, even after apostrophes (unless
-- `opts.raw`), quoted when it holds a comma, a double quote, CR or LF, quotes doubled.
-- @tparam string|number|boolean|nil value the field's value
-- @tparam[opt] table opts `raw = true`: no `'` before formula-like strings
-- @treturn string the field
-- @usage
-- print(csv.field('Smith, "Jr"'))           --> "Smith, ""Jr"""
-- print(csv.field("=1+1"))                  --> '=1+1
-- print(csv.field("=1+1", {raw = true}))    --> =1+1
function M.field(value, opts)
  local s = M.text(value)
  if type(value) == "string" and not (opts and opts.raw) and s:find(GUARDED) then s = "'" .. s end
  if s:find('[,"\r\n]') then return '"' .. s:gsub('"', '""') .. '"' end
  return s
end

--- One record: its fields joined with commas, ending with CRLF.
-- @tparam table fields the values of fields `1..fields.n` (or `1..#fields`); use `""` or
-- `qbench.null` for an empty one
-- @tparam[opt] table opts as for @{field}
-- @treturn string the record's line
-- @usage
-- io.write(csv.record{7, "Falcon Naturals", "Retail;Water"})   --> 7,Falcon Naturals,Retail;Water (and CRLF)
-- io.write(csv.record{n = 3, 8, nil, "x"})                      --> 8,,x
function M.record(fields, opts)
  if type(fields) ~= "table" then error("qbench.csv: fields must be a table, got " .. type(fields), 2) end
  local out = {}
  for i = 1, fields.n or #fields do out[i] = M.field(fields[i], opts) end
  return table.concat(out, ",") .. "\r\n"
end

local Writer = {}
Writer.__index = Writer
Writer.__name = "qbench.csv.Writer"

--- A writer of records on `file` (anything with `write(self, text)`, such as
-- `io.stdout` or a file from `io.open(path, "wb")`).
-- @tparam file file where records go
-- @tparam[opt] table opts as for @{field}
-- @treturn Writer the writer, with `w:write(fields)`
-- @usage
-- local f = assert(io.open("customers.csv", "wb"))
-- local w = csv.writer(f)
-- assert(w:write{"id", "customer_name"})
-- for c in qb.customer:list() do assert(w:write{c.id, c.customer_name}) end
-- assert(f:close())
function M.writer(file, opts)
  if type(file) ~= "userdata" and type(file) ~= "table" then
    error("qbench.csv: writer needs a file, got " .. type(file), 2)
  end
  return setmetatable({ file = file, opts = opts }, Writer)
end

--- Writes one record (see @{record}).
-- @function Writer:write
-- @tparam table fields the record's values
-- @return true, or nil and the file's error message when the write failed (a full disk, a closed pipe)
-- @usage
-- local w = csv.writer(io.stdout)
-- local ok, err = w:write{7, "Falcon Naturals"}
-- if not ok then io.stderr:write("cannot write: ", err, "\n") os.exit(1) end
function Writer:write(fields)
  local ok, err = self.file:write(M.record(fields, self.opts))
  if not ok then return nil, err end
  return true
end

--- The text of a cell the writer guarded, as it was given to the writer: the
-- `'` put before a string that starts like a formula (after any apostrophes
-- of its own) is removed; any other text is returned as it is. For every
-- string `s`, `unguard` of its guarded cell is `s` again.
-- @tparam string cell a cell's text, as @{parse} returns it
-- @treturn string the text without the writer's `'`
-- @usage
-- csv.unguard("'=1+1")    --> =1+1
-- csv.unguard("''=1+1")   --> '=1+1 (the text began with ')
-- csv.unguard("'quoted")  --> 'quoted (never guarded)
function M.unguard(cell)
  if type(cell) ~= "string" then error("qbench.csv: unguard needs a string, got " .. type(cell), 2) end
  if cell:find(GUARD_ADDED) then return cell:sub(2) end
  return cell
end

--- Parses a whole CSV text into its records, each an array of strings.
-- Line ends may be CRLF, LF or CR, a final one is optional, and a UTF-8 byte
-- order mark at the start is skipped. An empty line is a record of one empty field.
-- @tparam string text the CSV document
-- @tparam[opt] table opts `unguard = true`: each field through @{unguard}, for a
-- file written by this module's writer (or typed in a spreadsheet)
-- @return an array of records; or nil and a message naming the line
-- (`line 4: unterminated quoted field`)
-- @usage
-- local f = assert(io.open("customers.csv", "rb"))
-- local records = assert(csv.parse(f:read("a"), {unguard = true}))
-- f:close()
-- local header = records[1]   -- {"id", "customer_name", ...}
-- for i = 2, #records do print(records[i][1], records[i][2]) end
function M.parse(text, opts)
  if type(text) ~= "string" then error("qbench.csv: parse needs a string, got " .. type(text), 2) end
  local unguard = opts and opts.unguard
  local records, record = {}, {}
  local pos, len, line = 1, #text, 1
  if text:sub(1, 3) == "\239\187\191" then pos = 4 end
  local function line_ends(s)
    local _, crlf = s:gsub("\r\n", "")
    local _, lf = s:gsub("\n", "")
    local _, cr = s:gsub("\r", "")
    return lf + cr - crlf
  end
  while pos <= len do
    local field
    if text:byte(pos) == 34 then -- a quoted field
      local parts, i, started = {}, pos + 1, line
      while true do
        local q = text:find('"', i, true)
        if not q then return nil, string.format("line %d: unterminated quoted field", started) end
        parts[#parts + 1] = text:sub(i, q - 1)
        if text:byte(q + 1) == 34 then
          parts[#parts + 1] = '"'
          i = q + 2
        else
          pos = q + 1
          break
        end
      end
      field = table.concat(parts)
      line = line + line_ends(field)
      local after = text:byte(pos)
      if after and after ~= 44 and after ~= 13 and after ~= 10 then
        return nil, string.format("line %d: text after a closing quote", line)
      end
    else
      local stop = text:find("[,\r\n]", pos) or len + 1
      field = text:sub(pos, stop - 1)
      if field:find('"', 1, true) then
        return nil, string.format("line %d: a quote inside an unquoted field (quote the whole field)", line)
      end
      pos = stop
    end
    record[#record + 1] = unguard and M.unguard(field) or field
    local sep = text:byte(pos)
    if sep == 44 then
      pos = pos + 1
      if pos > len then record[#record + 1] = "" end -- "a,b," ends with an empty field
    else
      if sep == 13 and text:byte(pos + 1) == 10 then pos = pos + 1 end
      pos = pos + 1
      records[#records + 1] = record
      record = {}
      line = line + 1
    end
  end
  if #record > 0 then records[#records + 1] = record end
  return records
end

return M
