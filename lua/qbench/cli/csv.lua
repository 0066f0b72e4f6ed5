--- RFC 4180 CSV: writing rows for `qbench customers list --format csv`, and
-- reading them back (examples/sync_from_csv.lua).
-- @module qbench.cli.csv

local M = {}

--- One field: quoted when it holds a comma, a quote, CR or LF, with quotes doubled.
-- @tparam string s the field's text
-- @treturn string the field as it goes in a record
function M.field(s)
  if s:find('[,"\r\n]') then return '"' .. s:gsub('"', '""') .. '"' end
  return s
end

--- One record, CRLF-terminated as RFC 4180 asks.
-- @tparam {string,...} fields the record's fields
-- @treturn string the record's line
function M.record(fields)
  local out = {}
  for i, f in ipairs(fields) do out[i] = M.field(f) end
  return table.concat(out, ",") .. "\r\n"
end

--- Parses a whole CSV text into an array of records (arrays of strings).
-- Accepts CRLF or LF line ends and quoted fields spanning lines; a final line
-- end is optional. Returns nil, message on a malformed quote.
-- @tparam string text the CSV document
-- @treturn {{string,...},...} the records, or nil and a message
function M.parse(text)
  local records, record, pos, len = {}, {}, 1, #text
  if text:sub(1, 3) == "\239\187\191" then pos = 4 end -- a UTF-8 BOM from a spreadsheet
  local line = 1
  while pos <= len do
    local field
    if text:sub(pos, pos) == '"' then
      local parts, i = {}, pos + 1
      while true do
        local q = text:find('"', i, true)
        if not q then return nil, string.format("line %d: unterminated quoted field", line) end
        parts[#parts + 1] = text:sub(i, q - 1)
        if text:sub(q + 1, q + 1) == '"' then
          parts[#parts + 1] = '"'
          i = q + 2
        else
          pos = q + 1
          break
        end
      end
      field = table.concat(parts)
      local _, newlines = field:gsub("\n", "")
      line = line + newlines
      local after = text:sub(pos, pos)
      if after ~= "" and after ~= "," and after ~= "\r" and after ~= "\n" then
        return nil, string.format("line %d: text after a closing quote", line)
      end
    else
      local stop = text:find('[,\r\n]', pos) or len + 1
      field = text:sub(pos, stop - 1)
      if field:find('"', 1, true) then
        return nil, string.format("line %d: a quote inside an unquoted field", line)
      end
      pos = stop
    end
    record[#record + 1] = field
    local sep = text:sub(pos, pos)
    if sep == "," then
      pos = pos + 1
      if pos > len then record[#record + 1] = "" end
    else
      if sep == "\r" and text:sub(pos + 1, pos + 1) == "\n" then pos = pos + 1 end
      pos = pos + 1
      records[#records + 1] = record
      record = {}
      line = line + 1
    end
  end
  return records
end

return M
