-- The HTML reference as a new user reads it: `make doc-html` (the Makefile's
-- recipe: the generated topics, then LDoc with config.ld) into a temporary
-- directory, once for the whole file, then the pages checked for the defects
-- readers met: Markdown not rendered (backticks shown as they are), angle
-- brackets read as HTML tags (`<close>` vanishing), broken inline markup,
-- public names missing, internals shown, examples without a description, the
-- client's options and the error fields not laid out; a public function,
-- method, table or field without a usage example, or one that does not run
-- against the sandbox; code blocks in a fixed 700 px box that scrolls; and the
-- pages made from the README (the command, the sandbox, the errors) and from
-- the command's own help missing, with tables left as text, or saying other
-- than their source. The names expected come from the code where they can
-- (the modules' tables, the client's OPTIONS, encode's option names in C) and
-- the entries needing an example from the HTML itself, so that a new public
-- name without documentation fails here.
-- The last tests plant regressions (Markdown off, a @usage removed, a README
-- sentence the page lacks, the CSS rule gone) and expect these checks to
-- catch them; the planted builds run LDoc on one small module only.

local helper = require "helper"
local process = require "process"
local core = require "qbench.core"

local ROOT = "."
local q = helper.shell_quote
-- LDoc as `make doc` runs it (without lua-any's processes), from any directory.
local LDOC = require("lfs").currentdir() .. "/tools/ldoc"

-- The content of a file, or nil when it is missing.
local function read(path)
  local text = process.read_file(path)
  if text == "" then return nil end
  return text
end

local function run(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  local ok = p:close()
  return ok == true, out
end

-- The reference as `make doc` builds it, into a fresh directory.
local function build()
  local dir = process.temp_dir()
  local out = dir .. "/html"
  local ok, output = run("make -s doc-html DOC_DIR=" .. q(out))
  return { dir = dir, out = out, ok = ok, output = output }
end

-- LDoc with the configuration `config` (config.ld's text) over `files` ({path = text}),
-- alone in a fresh directory: the planted regressions' builds.
local function build_planted(config, files)
  local dir = process.temp_dir()
  local src, out = dir .. "/src", dir .. "/html"
  for path, text in pairs(files) do
    local file = src .. "/" .. path
    assert(os.execute("mkdir -p " .. q(file:match("^(.*)/"))))
    local f = assert(io.open(file, "wb"))
    f:write(text)
    f:close()
  end
  local f = assert(io.open(src .. "/config.ld", "wb"))
  f:write(config)
  f:close()
  local ok, output = run("cd " .. q(src) .. " && " .. q(LDOC) .. " --dir " .. q(out) .. " .")
  return { dir = dir, out = out, ok = ok, output = output }
end

-- The planted builds' module files: two small ones (with one, LDoc would make the
-- module's page the index).
local PLANTED_FILES = { "lua/qbench/csv.lua", "lua/qbench/error.lua" }

local function planted_sources(changes)
  local files = {}
  for _, path in ipairs(PLANTED_FILES) do files[path] = changes and changes[path] or assert(read(ROOT .. "/" .. path)) end
  return files
end

-- config.ld's text for the planted builds' files and nothing else (no topics, no examples).
local function planted_config(config)
  config = config or assert(read(ROOT .. "/config.ld"))
  local n1, n2, n3
  config, n1 = config:gsub("\nfile = %b{}", '\nfile = { "' .. table.concat(PLANTED_FILES, '", "') .. '" }', 1)
  config, n2 = config:gsub("\ntopics = %b{}", "\ntopics = {}", 1)
  config, n3 = config:gsub("\nexamples = %b{}", "\nexamples = {}", 1)
  assert(n1 == 1 and n2 == 1 and n3 == 1, "config.ld no longer has file, topics and examples lists")
  return config
end

-- ---------------------------------------------------------------- reading pages

local function decode_entities(s)
  return (s:gsub("&lt;", "<"):gsub("&gt;", ">"):gsub("&quot;", '"'):gsub("&#39;", "'"):gsub("&apos;", "'")
    :gsub("&amp;", "&"))
end

local function text_of(html)
  return decode_entities((html:gsub("<[^>]*>", "")))
end

-- The page without what is not prose: comments, styles, code and preformatted blocks.
local function prose_of(html)
  return (html:gsub("<!%-%-.-%-%->", ""):gsub("<style.-</style>", ""):gsub("<pre.-</pre>", "")
    :gsub("<code>.-</code>", ""))
end

-- The page's own content, without LDoc's navigation and footer.
local function content_of(html)
  return html:match('<div id="content">(.*)</div> <!%-%- id="content" %-%->') or ""
end

-- The names in a page's summary tables: display names without their arguments.
local function listed_names(html)
  local names, sections = {}, {}
  for name in html:gmatch('<td class="name"[^>]*><a href="#[^"]*">(.-)</a></td>') do
    names[text_of(name):gsub("%(.*$", "")] = true
  end
  for section in html:gmatch('<h2><a href="#[^"]*">(.-)</a></h2>') do
    sections[#sections + 1] = text_of(section):gsub("%s+$", "")
  end
  return names, sections
end

-- The first column of the page's tables made from Markdown pipe tables.
local function first_column(html)
  local out = {}
  for tbl in html:gmatch('<table class="markdown">(.-)</table>') do
    for row in tbl:gmatch("<tr>(.-)</tr>") do
      local first = row:match("^%s*<td>(.-)</td>")
      if first then
        for code in first:gmatch("<code>(.-)</code>") do out[text_of(code)] = true end
      end
    end
  end
  return out
end

-- The code of the usage blocks in `html` (a part of a page).
local function usage_blocks(html)
  local out = {}
  for block in html:gmatch("<h3>Usage:</h3>(.-)</ul>") do
    for code in block:gmatch('<pre class="example">(.-)</pre>') do out[#out + 1] = text_of(code) end
  end
  return out
end

-- A module or class page's documented entries, in order: {anchor =, shown =, usages =}.
-- Every function, method, table and field LDoc lists is one `<dt>` of a `<dl class="function">`.
local function entries_of(html)
  local out = {}
  for dl in html:gmatch('<dl class="function">(.-)</dl>') do
    for dt, dd in dl:gmatch("<dt>(.-)</dt>%s*<dd>(.-)</dd>") do
      out[#out + 1] = { anchor = dt:match('<a name = "([^"]*)"') or "?",
        shown = text_of(dt:match("<strong>(.-)</strong>") or dt):gsub("%s+", " "), usages = usage_blocks(dd) }
    end
  end
  return out
end

-- The usage blocks of a module or class page's own description (before its first section).
local function module_usages(html)
  return usage_blocks(content_of(html):match("^(.-)<h2>") or content_of(html))
end

-- What HTML LDoc's template and markdown.lua write. Anything else is text from a doc
-- comment that the browser would take for a tag and hide (`<close>`, `<version>`).
local HTML_TAGS = {}
for t in ([[html head meta title link style body div span br p a strong em b i big code pre
  h1 h2 h3 h4 h5 h6 ul ol li dl dt dd table tr td th blockquote hr img sup sub]]):gmatch("%w+") do
  HTML_TAGS[t] = true
end

-- Inline elements must nest: markdown.lua reads the underscores of `a_b, c_d` in a
-- link's text as emphasis that closes inside the next link (`a<em>b</a>, <a>c</em>d`).
local INLINE = { a = true, em = true, strong = true, code = true }

local function misnested(html)
  local stack = {}
  for slash, tag in html:gsub("<!%-%-.-%-%->", ""):gsub("<pre.-</pre>", ""):gmatch("<(/?)(%w+)[^>]*>") do
    tag = tag:lower()
    if INLINE[tag] then
      if slash == "" then
        stack[#stack + 1] = tag
      elseif stack[#stack] == tag then
        stack[#stack] = nil
      else
        return string.format("</%s> closes <%s>", tag, stack[#stack] or "nothing")
      end
    elseif tag == "p" or tag == "li" or tag == "td" or tag == "th" or tag:match("^h%d$") then
      if #stack > 0 then return string.format("<%s> left open at a <%s%s>", stack[#stack], slash, tag) end
    end
  end
  return nil
end

-- ---------------------------------------------------------------- what must be there

local function public_functions(module)
  local out = {}
  for k, v in pairs(module) do
    if type(k) == "string" and k:sub(1, 1) ~= "_" and type(v) == "function" then out[#out + 1] = k end
  end
  table.sort(out)
  return out
end

-- The client's options: the keys of client.lua's OPTIONS table.
local function client_options()
  local src = assert(read(ROOT .. "/lua/qbench/client.lua"))
  local body = assert(src:match("\nlocal OPTIONS = (%b{})"), "client.lua has no OPTIONS table")
  local out = {}
  for name in body:sub(2, -2):gsub("%b{}", ""):gmatch("([%a_][%w_]*)%s*=") do out[#out + 1] = name end
  assert(#out > 10, "too few options found in client.lua's OPTIONS")
  return out
end

-- encode's options: the names csrc/json_encode.c's read_options accepts.
local function encode_options()
  local src = assert(read(ROOT .. "/csrc/json_encode.c"))
  local fn = assert(src:match("static void read_options(.-)\n}"), "json_encode.c has no read_options")
  local out, seen = {}, {}
  for name in fn:gmatch('strcmp%(k, "([%w_]+)"%)') do
    if not seen[name] then seen[name], out[#out + 1] = true, name end
  end
  assert(#out >= 4, "too few encode options found")
  return out
end

local ERROR_FIELDS = {
  "kind", "status", "message", "method", "path", "url", "body", "headers", "attempts", "sent", "outcome",
  "error_type", "error_token", "errors", "retry_after", "written", "records", "curl_code",
}

-- The pages made from README sections: page -> the README heading it comes from
-- (tools/doc_topics.lua), and the tables it must show.
local README_PAGES = {
  ["topics/command.md.html"] = { heading = "The `qbench` command" },
  ["topics/sandbox.md.html"] = { heading = "The sandbox: `qbench-sandbox`", tables = 1 },
  ["topics/errors.md.html"] = { heading = "Errors", tables = 1 },
}

-- page -> {names = displayed names that must be listed, absent = names that must not,
--          sections = the page's only sections (in order), close = shows `<close>`}
local function expectations()
  local qbench = require "qbench"
  local names = public_functions(qbench)
  for _, v in ipairs { "customer", "v2", "null", "_VERSION" } do names[#names + 1] = v end

  local client = require "qbench.client"
  local client_names, client_absent = { "options", "qb.url", "qb.customer", "qb.v2", "qb.max_concurrency" },
    { "new", "qb.API_ROOT" }
  for k in pairs(client.methods) do
    if k:sub(1, 1) == "_" then client_absent[#client_absent + 1] = "qb:" .. k else client_names[#client_names + 1] = "qb:" .. k end
  end

  local customer_names = {}
  local methods = require("qbench.resources.customer").methods
  local resource = require("qbench.resource").methods
  for _, t in ipairs { methods, resource } do
    for k in pairs(t) do
      if k:sub(1, 1) ~= "_" then customer_names[#customer_names + 1] = "qb.customer:" .. k end
    end
  end

  local error_absent = {}
  for _, k in ipairs(public_functions(require "qbench.error")) do
    if k ~= "is" then error_absent[#error_absent + 1] = k end
  end

  local csv = public_functions(require "qbench.csv")
  csv[#csv + 1] = "Writer:write"

  local progress = public_functions(require "qbench.cli.progress")
  for _, m in ipairs { "text", "update", "clear", "finish" } do progress[#progress + 1] = "progress:" .. m end

  local adapter = { "active", "watch", "timer", "event", "sleep" }
  local pages = {
    ["modules/qbench.html"] = { names = names, sections = { "Clients", "JSON", "Errors", "Fields" }, close = true,
      words = { "curl_global_init", "adapter.watch", "adapter.event" }, codes = encode_options() },
    ["classes/qbench.Client.html"] = { names = client_names, absent = client_absent, close = true,
      sections = { "Methods", "Tables", "Fields" }, column = client_options() },
    ["classes/qbench.customer.html"] = { names = customer_names, absent = { "new" }, sections = { "Methods" } },
    ["modules/qbench.v2.html"] = { names = { "qb.v2:request", "collections", "collection", "collection:list",
      "collection:page", "collection:pages", "collection:all", "collection:get", "collection:get_many",
      "collection:create", "collection:update", "collection:delete", "collection:action" },
      absent = { "new", "node_mt.__call", "namespace_methods:request" } },
    ["modules/qbench.error.html"] = { names = { "is" }, absent = error_absent, column = ERROR_FIELDS },
    ["modules/qbench.csv.html"] = { names = csv },
    ["modules/qbench.cli.progress.html"] = { names = progress },
    ["modules/qbench.loop.cqueues.html"] = { names = adapter, close = true },
    ["modules/qbench.loop.luv.html"] = { names = adapter, close = true },
    ["modules/qbench.mirror.html"] = { names = public_functions(require "qbench.mirror") },
    ["topics/v2-operations.md.html"] = { rows = 100 },
    ["topics/command_help.md.html"] = {},
    ["index.html"] = {},
  }
  for page, from in pairs(README_PAGES) do pages[page] = { tables = from.tables } end
  return pages
end

-- ---------------------------------------------------------------- the checks

local function list_dir(dir, pattern)
  local out = {}
  local p = io.popen("ls " .. q(dir) .. " 2>/dev/null")
  for name in p:lines() do
    if name:match(pattern) then out[#out + 1] = name end
  end
  p:close()
  table.sort(out)
  return out
end

-- The module and class pages of the reference in `out`.
local function api_pages(out)
  local pages = {}
  for _, kind in ipairs { "modules", "classes" } do
    for _, name in ipairs(list_dir(out .. "/" .. kind, "%.html$")) do pages[#pages + 1] = kind .. "/" .. name end
  end
  return pages
end

-- Every entry of the API pages without a usage example, and every page without one of its own.
local function missing_usages(out)
  local problems = {}
  for _, page in ipairs(api_pages(out)) do
    local html = read(out .. "/" .. page) or ""
    if #module_usages(html) == 0 then problems[#problems + 1] = page .. ": the page has no usage example" end
    for _, e in ipairs(entries_of(html)) do
      if #e.usages == 0 then problems[#problems + 1] = page .. ": " .. e.shown .. " has no usage example" end
    end
  end
  return problems
end

-- The style every page must carry after LDoc's stylesheet (so that it wins): code blocks
-- wrap, and the content column is not LDoc's fixed 700px.
local CSS_RULES = {
  { pattern = "pre%s*{[^}]*white%-space:%s*pre%-wrap", says = "pre { white-space: pre-wrap }" },
  { pattern = "#content%s*{[^}]*width:%s*auto", says = "#content { width: auto }" },
}

local function css_problems(page, html)
  local problems = {}
  local sheet = html:find('<link rel="stylesheet"', 1, true)
  local style = html:match("()<style") and html:sub(html:match("()<style")):match("^<style.-</style>") or ""
  for _, rule in ipairs(CSS_RULES) do
    if not style:find(rule.pattern) then
      problems[#problems + 1] = page .. ": no " .. rule.says .. " in its style"
    end
  end
  if style ~= "" and sheet and html:find("<style", 1, true) < sheet then
    problems[#problems + 1] = page .. ": its style comes before LDoc's stylesheet, which overrides it"
  end
  return problems
end

-- The words of a text, in order: letters and digits only, so that Markdown's marks and
-- HTML's tags (`html` true: `text` is HTML) make no difference.
local function words_of(text, html)
  if html then text = decode_entities((text:gsub("<[^>]*>", " "))) end
  local out = {}
  for w in text:gmatch("%w+") do out[#out + 1] = w end
  return out
end

-- The README's section under `heading`: its lines up to the next heading of the same or
-- a higher level, fenced code skipped when looking for headings.
local function readme_section(readme, heading)
  local out, level, fenced = nil, nil, false
  for line in readme:gmatch("([^\n]*)\n") do
    local hashes, title = line:match("^(#+)%s+(.-)%s*$")
    if line:match("^```") then fenced = not fenced end
    if hashes and not fenced then
      if out and #hashes <= level then break end
      if title == heading then out, level = {}, #hashes end
    end
    if out then out[#out + 1] = line end
  end
  return out and table.concat(out, "\n")
end

-- Does the page say what the README's section says, word for word?
local function compare_with_readme(page, html, readme, heading)
  local section = readme_section(readme, heading)
  if not section then return { page .. ": the README has no section " .. heading } end
  -- A link shows its label only; a fence's language is not shown.
  local want = words_of((section:gsub("(%b[])%b()", "%1"):gsub("\n```[^\n]*", "\n")))
  local got = words_of(content_of(html), true)
  for i = 1, math.max(#want, #got) do
    if want[i] ~= got[i] then
      local function around(words) return table.concat(words, " ", math.max(1, i - 6), math.min(#words, i + 6)) end
      return { string.format("%s: word %d differs from the README's section %q:\n  README: ...%s...\n  page:   ...%s...",
        page, i, heading, around(want), around(got)) }
    end
  end
  return {}
end

-- Every problem of the reference in `out`, as lines naming the page.
local function problems_of(out)
  local problems = {}
  local function problem(page, fmt, ...) problems[#problems + 1] = page .. ": " .. string.format(fmt, ...) end
  local expected = expectations()

  -- The public pages and no others: internals have no page of their own.
  local pages = api_pages(out)
  for _, name in ipairs(list_dir(out .. "/topics", "%.html$")) do pages[#pages + 1] = "topics/" .. name end
  for _, page in ipairs(pages) do
    if not expected[page] then problem(page, "a page that is not part of the public API") end
  end

  local examples = list_dir(ROOT .. "/examples", "%.lua$")
  local all = { "index.html" }
  for page in pairs(expected) do if page ~= "index.html" then all[#all + 1] = page end end
  for _, e in ipairs(examples) do all[#all + 1] = "examples/" .. e .. ".html" end

  for _, page in ipairs(all) do
    local html = read(out .. "/" .. page)
    if not html then
      problem(page, "missing")
      goto next_page
    end
    do
      local prose = prose_of(html)
      -- Markdown rendered: no backtick left outside code.
      local backticks, at = 0, prose:find("`", 1, true)
      while at do
        backticks = backticks + 1
        if backticks <= 3 then
          local around = text_of(prose:sub(math.max(1, at - 40), at + 40)):gsub("%s+", " ")
          problem(page, "a literal backtick in prose: ...%s...", around)
        end
        at = prose:find("`", at + 1, true)
      end
      if backticks > 3 then problem(page, "%d literal backticks in prose in all", backticks) end
      -- Underscores of an identifier outside code read as emphasis (QBENCH*URL*).
      for word in prose:gmatch("[%w]<em>[^<]*</em>") do
        problem(page, "an identifier's underscores read as emphasis (write it as code): %s", text_of(word))
      end
      local wrong = misnested(html)
      if wrong then problem(page, "inline markup broken: %s", wrong) end
      -- Pipe tables rendered.
      if prose:find("|%-%-%-") then problem(page, "a Markdown table left as text") end
      -- Angle brackets survive: every tag is one LDoc or markdown.lua writes.
      local unknown = {}
      for tag in html:gsub("<!%-%-.-%-%->", ""):gsub("<!DOCTYPE[^>]*>", ""):gmatch("</?([%w]+)") do
        if not HTML_TAGS[tag:lower()] and not unknown[tag] then
          unknown[tag] = true
          problem(page, "<%s> would be read as an HTML tag (write it as code)", tag)
        end
      end
      -- Internal names from doc comments never show as they are written.
      local shown = listed_names(html)
      for name in pairs(shown) do
        if name:find("methods:", 1, true) or name:find("_mt", 1, true) then problem(page, "internal name shown: %s", name) end
      end
      for _, p in ipairs(css_problems(page, html)) do problems[#problems + 1] = p end
    end
    ::next_page::
  end

  for page, want in pairs(expected) do
    local html = read(out .. "/" .. page)
    if not html then goto next_expected end
    do
      local names, sections = listed_names(html)
      for _, name in ipairs(want.names or {}) do
        if not names[name] then problem(page, "%s is not listed", name) end
      end
      for _, name in ipairs(want.absent or {}) do
        if names[name] then problem(page, "internal %s is listed", name) end
      end
      if want.sections and table.concat(sections, ", ") ~= table.concat(want.sections, ", ") then
        problem(page, "sections %s, expected %s", table.concat(sections, ", "), table.concat(want.sections, ", "))
      end
      if want.close and not html:find("&lt;close&gt;", 1, true) then problem(page, "the usage's <close> is missing") end
      local text = text_of(prose_of(html))
      for _, w in ipairs(want.words or {}) do
        if not text:find(w, 1, true) and not text_of(html):find(w, 1, true) then problem(page, "says nothing of %s", w) end
      end
      local codes = {}
      for c in html:gmatch("<code>(.-)</code>") do codes[text_of(c)] = true end
      for _, c in ipairs(want.codes or {}) do
        local found = false
        for code in pairs(codes) do
          if code:find(c, 1, true) then found = true break end
        end
        if not found then problem(page, "%s is not documented", c) end
      end
      if want.column then
        local column = first_column(html)
        if next(column) == nil then problem(page, "no table of %s", table.concat(want.column, ", ")) end
        for _, c in ipairs(want.column) do
          if next(column) ~= nil and not column[c] then problem(page, "the table has no row for %s", c) end
        end
      end
      if want.rows then
        local tbl, n = html:match('<table class="markdown">(.-)</table>') or "", 0
        for _ in tbl:gmatch("<tr><td>") do n = n + 1 end
        if n < want.rows then problem(page, "a table of %d rows, expected at least %d", n, want.rows) end
      end
      if want.tables then
        local n = 0
        for _ in html:gmatch('<table class="markdown">') do n = n + 1 end
        if n < want.tables then problem(page, "%d tables, expected at least %d", n, want.tables) end
      end
    end
    ::next_expected::
  end

  -- Every example and topic listed on the index with a description.
  local index = read(out .. "/index.html") or ""
  local listed = {}
  for _, e in ipairs(examples) do listed[#listed + 1] = "examples/" .. e .. ".html" end
  for page in pairs(expected) do if page:match("^topics/") then listed[#listed + 1] = page end end
  table.sort(listed)
  for _, page in ipairs(listed) do
    local summary = index:match('<a href="' .. page:gsub("%p", "%%%0") .. '">[^<]*</a></td>%s*<td class="summary">(.-)</td>')
    if not summary then
      problem("index.html", "%s is not listed", page)
    elseif not text_of(summary):find("%a") then
      problem("index.html", "%s has no description", page)
    end
  end
  for _, p in ipairs(missing_usages(out)) do problems[#problems + 1] = p end
  return problems
end

-- Every usage example of the API pages: {name = page#anchor, code =}.
local function all_usages(out)
  local usages = {}
  for _, page in ipairs(api_pages(out)) do
    local html = read(out .. "/" .. page) or ""
    local name = page:match("([^/]+)%.html$")
    for _, code in ipairs(module_usages(html)) do usages[#usages + 1] = { name = name, code = code } end
    for _, e in ipairs(entries_of(html)) do
      for _, code in ipairs(e.usages) do usages[#usages + 1] = { name = name .. "#" .. e.anchor, code = code } end
    end
  end
  return usages
end

-- `code` without its strings and comments (for looking at what is left).
local function code_only(code)
  local out, i = {}, 1
  while i <= #code do
    local c = code:sub(i, i)
    local long = code:match("^%-%-%[(=*)%[", i) or code:match("^%[(=*)%[", i)
    if long then
      local close = code:find("]" .. long .. "]", i, true)
      i = close and close + #long + 2 or #code + 1
    elseif code:sub(i, i + 1) == "--" then
      out[#out + 1] = "\n"
      i = (code:find("\n", i, true) or #code) + 1
    elseif c == '"' or c == "'" then
      local j = i + 1
      while j <= #code and code:sub(j, j) ~= c do j = j + (code:sub(j, j) == "\\" and 2 or 1) end
      out[#out + 1] = '""'
      i = j + 1
    else
      out[#out + 1] = c
      i = i + 1
    end
  end
  return table.concat(out)
end

-- ---------------------------------------------------------------- the specs

describe("the HTML reference (make doc)", function()
  local built, readme

  setup(function()
    readme = assert(read(ROOT .. "/README.md"), "run the specs from the repository's root")
    built = build()
  end)

  teardown(function()
    if built then process.remove_dir(built.dir) end
  end)

  it("builds without a warning", function()
    assert(built.ok, "make doc-html failed:\n" .. built.output)
    assert.is_nil(built.output:match("[^\n]*warning[^\n]*"))
  end)

  it("has no known defect: Markdown rendered, angle brackets kept, every public name listed, no internal one", function()
    local problems = problems_of(built.out)
    assert(#problems == 0, #problems .. " problems:\n" .. table.concat(problems, "\n"))
  end)

  it("gives every public function, method, table and field a usage example, and every module one", function()
    local problems, entries = missing_usages(built.out), 0
    for _, page in ipairs(api_pages(built.out)) do entries = entries + #entries_of(read(built.out .. "/" .. page)) end
    assert(entries >= 70, "only " .. entries .. " entries found on the module and class pages")
    assert(#problems == 0, #problems .. " without an example:\n" .. table.concat(problems, "\n"))
  end)

  it("has usage examples that are Lua, not placeholders, and run as written against the sandbox", function()
    local usages = all_usages(built.out)
    assert(#usages >= 80, "only " .. #usages .. " usage examples found")
    for _, u in ipairs(usages) do
      local bare = code_only(u.code)
      assert(not bare:find("...", 1, true) or bare:find("function%s*[%w_.:]*%(%.%.%.%)"),
        u.name .. ": a placeholder `...` in its example:\n" .. u.code)
    end
    local sb = helper.sandbox()
    local dir = process.temp_dir()
    local f = assert(io.open(dir .. "/usages.json", "wb"))
    f:write(core.encode(usages))
    f:close()
    local pwd = assert(io.popen("pwd"))
    local cwd = pwd:read("l")
    pwd:close()
    local r = process.run({ "sh", "-c", "cd " .. q(dir) .. " && exec lua5.4 " .. q(cwd .. "/spec/doc_usages.lua") .. " usages.json" }, {
      timeout = 120,
      env = { QBENCH_URL = sb.url, QBENCH_TOKEN = sb.token,
        LUA_PATH = cwd .. "/lua/?.lua;" .. cwd .. "/lua/?/init.lua;;", LUA_CPATH = cwd .. "/build/?.so;;" },
    })
    process.remove_dir(dir)
    helper.reset()
    assert.equal(0, r.status, r.err)
    local results = assert(core.decode(r.out))
    assert.equal(#usages, #results)
    local failed = {}
    for i, res in ipairs(results) do
      assert.equal(usages[i].name, res.name)
      if not res.ok then failed[#failed + 1] = res.name .. ":\n" .. usages[i].code .. "\n  -> " .. res.error end
    end
    assert(#failed == 0, #failed .. " examples failed:\n" .. table.concat(failed, "\n\n"))
  end)

  it("lets long code lines wrap and the content column widen instead of a 700 px box that scrolls", function()
    local problems = {}
    for _, page in ipairs { "index.html", "modules/qbench.html", "topics/command_help.md.html", "topics/v2-operations.md.html" } do
      for _, p in ipairs(css_problems(page, read(built.out .. "/" .. page) or "")) do problems[#problems + 1] = p end
    end
    assert(#problems == 0, table.concat(problems, "\n"))
    -- What it overrides: LDoc's style still fixes the width.
    assert.truthy((read(built.out .. "/ldoc_fixed.css") or ""):find("#content%s*{[^}]*width:%s*700px"))
  end)

  it("has pages for the command, the sandbox and the errors that say what their README sections say", function()
    local problems = {}
    for page, from in pairs(README_PAGES) do
      local html = read(built.out .. "/" .. page)
      if not html then
        problems[#problems + 1] = page .. ": missing"
      else
        for _, p in ipairs(compare_with_readme(page, html, readme, from.heading)) do problems[#problems + 1] = p end
      end
    end
    assert(#problems == 0, table.concat(problems, "\n"))
    -- The control endpoints' table and the error fields' table are tables.
    local sandbox = read(built.out .. "/topics/sandbox.md.html")
    assert.truthy(sandbox:find("<td><code>POST /_sandbox/faults</code></td>", 1, true))
    local errors = read(built.out .. "/topics/errors.md.html")
    assert.truthy(errors:find("<td><code>retry_after</code></td>", 1, true))
    -- The README's link to the v2 table leads to its page.
    assert.truthy(read(built.out .. "/topics/command.md.html"):find('href="../topics/v2-operations.md.html', 1, true))
  end)

  it("has a page of the command's own help: every command but the v2 collections, as --help prints it", function()
    local html = assert(read(built.out .. "/topics/command_help.md.html"))
    local sections = {}
    for title, body in content_of(html):gmatch("<h2>(.-)</h2>%s*<pre><code>(.-)</code></pre>") do
      sections[text_of(title)] = text_of(body)
    end
    local parser = require "qbench.cli.parser"
    local manpage = require "qbench.cli.manpage"
    local commands = { "qbench" }
    for _, c in ipairs(manpage.commands(parser.new({}, "", { complete = true }))) do
      if not c:match("^qbench v2 ") then commands[#commands + 1] = c end
    end
    assert(#commands > 15, "too few commands: " .. #commands)
    for _, c in ipairs(commands) do assert(sections[c], "no help of " .. c) end
    for _, words in ipairs { {}, { "customers", "import" }, { "v2" } } do
      local argv = { "lua5.4", "bin/qbench" }
      table.move(words, 1, #words, 3, argv)
      argv[#argv + 1] = "--help"
      local r = process.run(argv)
      assert.equal(0, r.status, r.err)
      assert.equal(r.out, sections[table.concat(argv, " ", 2, #argv - 1):gsub("^bin/", "")])
    end
  end)

  it("catches a planted regression: config.ld without format = \"markdown\"", function()
    local broken, n = planted_config():gsub('\nformat = "markdown"\n', "\n")
    assert.equal(1, n, "config.ld no longer says format = \"markdown\" on a line of its own")
    local planted = build_planted(broken, planted_sources())
    local ok, problems = pcall(problems_of, planted.out)
    process.remove_dir(planted.dir)
    assert(ok, problems)
    local backticks = 0
    for _, p in ipairs(problems) do
      if p:find("modules/qbench.csv.html: ", 1, true) and p:find("literal backtick", 1, true) then backticks = backticks + 1 end
    end
    assert(backticks > 0, "no literal backtick reported without Markdown:\n" .. table.concat(problems, "\n"))
  end)

  it("catches a planted regression: a function's @usage removed", function()
    local source = assert(read(ROOT .. "/lua/qbench/csv.lua"))
    local function csv_problems(text)
      local planted = build_planted(planted_config(), planted_sources { ["lua/qbench/csv.lua"] = text })
      local problems = missing_usages(planted.out)
      process.remove_dir(planted.dir)
      return problems
    end
    assert.same({}, csv_problems(source))
    -- The usage of csv.text: from its @usage line to the end of the comment block.
    local without, n = source:gsub("(\n%-%- @treturn string the text\n)%-%- @usage\n[^\n]*\n", "%1", 1)
    assert.equal(1, n, "csv.text's usage is no longer where the plant expects it")
    assert.same({ "modules/qbench.csv.html: text(value) has no usage example" }, csv_problems(without))
  end)

  it("catches planted regressions: a README sentence the page lacks, broken links, the CSS rule gone", function()
    local html = read(built.out .. "/topics/errors.md.html")
    local changed = readme:gsub("tells such an object apart", "tells such an object apart at once", 1)
    local problems = compare_with_readme("errors", html, changed, "Errors")
    assert.equal(1, #problems)
    assert.truthy(problems[1]:find("word %d+ differs"))
    assert.same({}, compare_with_readme("errors", html, readme, "Errors"))
    assert.equal("</a> closes <em>",
      misnested('<p><a href="#a_b">a<em>b</a>, <a href="#c_d">c</em>d</a></p>'))
    assert.is_nil(misnested('<p><a href="#x"><code>a_b</code></a></p>'))
    local page = read(built.out .. "/index.html")
    local unstyled = page:gsub("white%-space:%s*pre%-wrap;", "")
    assert.same({}, css_problems("index.html", page))
    assert.same({ "index.html: no pre { white-space: pre-wrap } in its style" }, css_problems("index.html", unstyled))
  end)
end)
