-- Writes the topics `make doc` adds to the HTML reference, made at build time so
-- that their text lives in one place only (config.ld lists the directory):
--
--   [BUILD=build] lua5.4 tools/doc_topics.lua README.md DIR   (from the repository's root)
--
-- * Sections of README.md (SECTIONS below), each a page: the section is its
--   heading and what follows, up to the next heading of the same or a higher
--   level (`#` lines inside fenced code are not headings); headings are raised
--   so that the section's own becomes the page's title. A link to a Markdown
--   file of doc/ becomes an LDoc reference to that topic; any other relative
--   link, or a heading found other than exactly once, fails the run, so that
--   nothing reaches the reference broken or silently missing.
-- * command_help.md: what `qbench --help` and `qbench COMMAND --help` print, from
--   the command's parser (the definition --help, completion and the man page
--   share), for every command but the v2 collections' (doc/v2-operations.md).
--
-- Code other than Lua is written as LDoc's `@plain` blocks: shown as it is,
-- where LDoc would colour any other block as Lua. The lines of a paragraph or a
-- list item are joined into one: Markdown reads such a line break as a space,
-- but markdown.lua ends a code span (`...`) at the end of a line.
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = (os.getenv("BUILD") or "build") .. "/?.so;" .. package.cpath

local SECTIONS = {
  { file = "command.md", heading = "The `qbench` command" },
  { file = "sandbox.md", heading = "The sandbox: `qbench-sandbox`" },
  { file = "errors.md", heading = "Errors" },
}

local function fail(fmt, ...)
  io.stderr:write("doc_topics: ", string.format(fmt, ...), "\n")
  os.exit(1)
end

-- `code` as a block LDoc passes to Markdown untouched.
local function plain_block(code)
  return "    @plain\n" .. code:gsub("\n+$", ""):gsub("[^\n]+", "    %0") .. "\n"
end

-- ---------------------------------------------------------------- README sections

-- The lines of `text`: {text =, level = its heading level, 0 for other lines, fence = the
-- language of a fenced block's opening line (or ""), code = the line is inside a fenced
-- block, closes = the line closes one}.
local function lines_of(text)
  local out, open = {}, false
  for line in (text:gsub("\r\n", "\n"):gsub("([^\n])$", "%1\n")):gmatch("([^\n]*)\n") do
    local l = { text = line, level = 0 }
    local fence = line:match("^```%s*([%w_+-]*)%s*$")
    if open then
      l.code = true
      if line:match("^```%s*$") then open, l.closes = false, true end
    elseif fence then
      open, l.fence = true, fence
    else
      local hashes = line:match("^(#+)%s")
      if hashes then l.level = #hashes end
    end
    out[#out + 1] = l
  end
  return out
end

-- Links as the reference can follow them.
local function relinked(line, heading)
  return (line:gsub("(%b[])(%b())", function(label, target)
    local url = target:sub(2, -2)
    if url:match("^%a[%w+.-]*:") or url:match("^#") then return nil end
    local topic = url:match("^doc/([^/]+%.md)$")
    if not topic then fail("the section %q links to %s, which the reference does not have", heading, url) end
    return "@{" .. topic .. "|" .. label:sub(2, -2) .. "}"
  end))
end

-- Does a line start a block of its own (a list item, a heading, a table row, HTML)
-- rather than continue the paragraph before it?
local function starts_block(line)
  return line:match("^%s*[-*+]%s") or line:match("^%s*%d+[.)]%s") or line:match("^#")
    or line:match("^%s*|") or line:match("^%s*<")
end

-- The page of the section under `heading` (its text without the #s).
local function section(lines, heading)
  local first
  for i, l in ipairs(lines) do
    if l.level > 0 and l.text:match("^#+%s+(.-)%s*$") == heading then
      if first then fail("the heading %q is in the README twice", heading) end
      first = i
    end
  end
  if not first then fail("the README has no heading %q", heading) end
  local level, out, code = lines[first].level, {}, nil
  local prose = false -- the last line of `out` is a paragraph's or a list item's
  for i = first, #lines do
    local l = lines[i]
    if i > first and l.level > 0 and l.level <= level then break end
    local was_prose = prose
    prose = false
    if code then
      if l.closes then
        out[#out + 1] = plain_block(table.concat(code, "\n"))
        code = nil
      else
        code[#code + 1] = l.text
      end
    elseif l.fence and l.fence ~= "lua" then
      code = {}
    elseif l.level > 0 then
      out[#out + 1] = l.text:sub(level)
    elseif l.fence or l.code then
      out[#out + 1] = l.text
    elseif l.text:match("%S") then
      local text = relinked(l.text, heading)
      if was_prose and not starts_block(text) then
        out[#out] = out[#out] .. " " .. text:gsub("^%s+", "")
      else
        out[#out + 1] = text
      end
      prose = not text:match("^%s*|")
    else
      out[#out + 1] = l.text
    end
  end
  if code then fail("the section %q ends inside a fenced block", heading) end
  while out[#out] == "" do out[#out] = nil end
  return table.concat(out, "\n") .. "\n"
end

-- ---------------------------------------------------------------- the command's help

local function command_help()
  local parser = require "qbench.cli.parser"
  local out = {
    "# The command's help",
    "",
    "What `qbench --help` and `qbench COMMAND --help` print, for every command but the v2 "
      .. "collections (`qbench v2 COLLECTION VERB --help`; @{v2-operations.md} lists their "
      .. "operations, filters and fields). @{command.md} describes the command.",
  }
  local function walk(cmd, words)
    out[#out + 1] = ""
    out[#out + 1] = "## " .. table.concat(words, " ")
    out[#out + 1] = ""
    out[#out + 1] = plain_block(cmd:get_help())
    if words[2] == "v2" then return end
    for _, sub in ipairs(parser.subcommands(cmd)) do
      local path = table.move(words, 1, #words, 1, {})
      path[#path + 1] = parser.name(sub)
      walk(sub, path)
    end
  end
  walk(parser.new({}, "", { complete = true, width = parser.WIDTH }), { "qbench" })
  return table.concat(out, "\n")
end

-- ---------------------------------------------------------------- main

local readme_path, dir = arg[1], arg[2]
if not readme_path or not dir then
  io.stderr:write("usage: lua5.4 tools/doc_topics.lua README.md DIR\n")
  os.exit(2)
end

local function write(name, text)
  local f = assert(io.open(dir .. "/" .. name, "wb"))
  f:write(text)
  assert(f:close())
end

local f = assert(io.open(readme_path, "rb"))
local lines = lines_of(f:read("a"))
f:close()
assert(os.execute("mkdir -p '" .. dir:gsub("'", "'\\''") .. "'"))
for _, s in ipairs(SECTIONS) do write(s.file, section(lines, s.heading)) end
write("command_help.md", command_help())
