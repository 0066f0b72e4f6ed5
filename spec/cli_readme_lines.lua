-- For spec/cli_readme_spec.lua: runs the README's `qbench` lines (the files
-- named as arguments), in order, in this one process, started from the
-- directory the lines name files in. A line of plain words (quotes allowed,
-- no redirection, pipe, expansion or glob) runs through the command's main()
-- here: a Lua process per line was most of the spec's time. A line that needs
-- a shell runs in one, so it also runs bin/qbench as a process of its own.
-- For each line, prints "STATUS BYTES\n" and then BYTES of its output
-- (stdout, then stderr).
package.path = arg[1] .. "/lua/?.lua;" .. arg[1] .. "/lua/?/init.lua;" .. package.path
package.cpath = arg[1] .. "/build/?.so;" .. package.cpath
local cli = require "qbench.cli"

-- The words of `line` as sh would pass them, or nil when sh would do more than
-- split words and remove quotes. A comment (# at the start of a word) ends it.
local function plain_words(line)
  local words, i, n = {}, 1, #line
  while true do
    i = line:find("[^ \t]", i)
    if not i or line:sub(i, i) == "#" then return words end
    local word = {}
    while i <= n and not line:sub(i, i):find("[ \t]") do
      local ch = line:sub(i, i)
      if ch == "'" then
        local close = line:find("'", i + 1, true)
        if not close then return nil end
        word[#word + 1] = line:sub(i + 1, close - 1)
        i = close + 1
      elseif ch == '"' then
        local close = line:find('"', i + 1, true)
        if not close then return nil end
        local inner = line:sub(i + 1, close - 1)
        if inner:find("[$`\\!]") then return nil end
        word[#word + 1] = inner
        i = close + 1
      elseif ch:find("[|&;<>()$`\\*?%[%]{}!]") or (ch == "~" and #word == 0) then
        return nil
      else
        word[#word + 1] = ch
        i = i + 1
      end
    end
    words[#words + 1] = table.concat(word)
  end
end

local function report(status, output)
  io.stdout:write(string.format("%d %d\n", status, #output), output)
  io.stdout:flush()
end

for k = 2, #arg do
  local line = arg[k]
  local words = plain_words(line)
  if words and words[1] == "qbench" then
    local out, err = io.tmpfile(), io.tmpfile()
    local status = cli.main(table.move(words, 2, #words, 1, {}), { out = out, err = err, terminal = false })
    local text = {}
    for i, f in ipairs { out, err } do
      f:seek("set")
      text[i] = f:read("a")
      f:close()
    end
    report(status, table.concat(text))
  else
    local p = assert(io.popen("exec sh -c '" .. line:gsub("'", "'\\''") .. "' 2>&1", "r"))
    local output = p:read("a")
    local _, how, code = p:close()
    report(how == "exit" and code or 128 + code, output)
  end
end
