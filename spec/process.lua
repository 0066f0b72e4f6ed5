-- Runs a command for the specs of the `qbench` command and the examples:
-- its stdout, stderr and exit status, with the QBENCH_* variables of the
-- runner's environment removed so that only what a spec gives is seen.
local helper = require "helper"

local M = {}

local q = helper.shell_quote

local CLEARED = { "QBENCH_URL", "QBENCH_TOKEN", "QBENCH_CLIENT_ID", "QBENCH_CLIENT_SECRET" }

--- argv: an array of words; opts.env: {NAME = value}; opts.stdin: text for standard input.
-- Returns {out =, err =, status =}.
function M.run(argv, opts)
  opts = opts or {}
  local words = { "env" }
  for _, name in ipairs(CLEARED) do words[#words + 1] = "-u " .. name end
  local names = {}
  for k in pairs(opts.env or {}) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do words[#words + 1] = q(k .. "=" .. opts.env[k]) end
  for _, w in ipairs(argv) do words[#words + 1] = q(w) end
  local err_file = os.tmpname()
  local in_file
  local cmd = table.concat(words, " ") .. " 2>" .. q(err_file)
  if opts.stdin then
    in_file = os.tmpname()
    local f = assert(io.open(in_file, "wb"))
    f:write(opts.stdin)
    f:close()
    cmd = cmd .. " <" .. q(in_file)
  else
    cmd = cmd .. " </dev/null"
  end
  local p = assert(io.popen(cmd, "r"))
  local out = p:read("a")
  local _, how, code = p:close()
  local f = assert(io.open(err_file, "rb"))
  local err = f:read("a")
  f:close()
  os.remove(err_file)
  if in_file then os.remove(in_file) end
  return { out = out, err = err, status = how == "exit" and code or 128 + code }
end

--- A file holding `text`, removed by the caller (os.remove).
function M.temp_file(text)
  local name = os.tmpname()
  local f = assert(io.open(name, "wb"))
  f:write(text)
  f:close()
  return name
end

--- A strict RFC 4180 reader, written apart from qbench.cli.csv so that the
-- specs never check that module's output with that module: records end
-- with CRLF, a bare LF is only allowed inside quotes. Returns the records.
function M.parse_csv(text)
  local rows, row, buf = {}, {}, {}
  local i, n, quoted = 1, #text, false
  while i <= n do
    local ch = text:sub(i, i)
    if quoted then
      if ch == '"' and text:sub(i + 1, i + 1) == '"' then
        buf[#buf + 1] = '"'
        i = i + 1
      elseif ch == '"' then
        quoted = false
      else
        buf[#buf + 1] = ch
      end
    elseif ch == '"' then
      assert(#buf == 0, "a quote inside an unquoted field at byte " .. i)
      quoted = true
    elseif ch == "," then
      row[#row + 1] = table.concat(buf)
      buf = {}
    elseif ch == "\r" and text:sub(i + 1, i + 1) == "\n" then
      row[#row + 1] = table.concat(buf)
      rows[#rows + 1], row, buf = row, {}, {}
      i = i + 1
    else
      assert(ch ~= "\r" and ch ~= "\n", "a bare line break outside quotes at byte " .. i)
      buf[#buf + 1] = ch
    end
    i = i + 1
  end
  assert(not quoted and #buf == 0 and #row == 0, "the CSV must end with CRLF")
  return rows
end

return M
