-- The HTML reference as a new user reads it: `make doc`'s LDoc run (config.ld)
-- into a temporary directory, then the pages checked for the defects a first
-- reader met: Markdown not rendered (backticks shown as they are), angle
-- brackets read as HTML tags (`<close>` vanishing), public names missing,
-- internals shown, examples without a description, the client's options and
-- the error fields not laid out. The names expected come from the code where
-- they can (the modules' tables, the client's OPTIONS, encode's option names in
-- C), so that a new public name without documentation fails here.
-- A last test plants a regression (config.ld without `format = "markdown"`)
-- and expects these checks to catch it.

local ROOT = "."

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function shell_quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function run(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  local ok, _, code = p:close()
  return ok == true, out, code
end

local function tmpdir()
  local p = assert(io.popen("mktemp -d"))
  local dir = p:read("l")
  p:close()
  return dir
end

-- LDoc as `make doc` runs it, with config.ld's text `config` (the real one by
-- default), into a fresh directory. Another configuration runs in a directory of
-- links to the sources, since LDoc reads config.ld where it runs.
local function build(config)
  local dir = tmpdir()
  local out = dir .. "/html"
  local where = ROOT
  if config then
    where = dir .. "/src"
    local root = io.popen("pwd"):read("l")
    local cmd = { "mkdir " .. shell_quote(where) }
    for _, d in ipairs { "lua", "examples", "doc" } do
      cmd[#cmd + 1] = "ln -s " .. shell_quote(root .. "/" .. d) .. " " .. shell_quote(where .. "/" .. d)
    end
    assert(run(table.concat(cmd, " && ")))
    local f = assert(io.open(where .. "/config.ld", "wb"))
    f:write(config)
    f:close()
  end
  local ok, output = run("cd " .. shell_quote(where) .. " && ldoc --fatalwarnings --dir " .. shell_quote(out) .. " .")
  return { dir = dir, out = out, ok = ok, output = output }
end

local function remove(dir) os.execute("rm -rf " .. shell_quote(dir)) end

-- ---------------------------------------------------------------- reading pages

local function decode_entities(s)
  return (s:gsub("&lt;", "<"):gsub("&gt;", ">"):gsub("&quot;", '"'):gsub("&#39;", "'"):gsub("&amp;", "&"))
end

local function text_of(html)
  return decode_entities((html:gsub("<[^>]*>", "")))
end

-- The page without what is not prose: comments, styles, code and preformatted blocks.
local function prose_of(html)
  return (html:gsub("<!%-%-.-%-%->", ""):gsub("<style.-</style>", ""):gsub("<pre.-</pre>", "")
    :gsub("<code>.-</code>", ""))
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

-- What HTML LDoc's template and markdown.lua write. Anything else is text from a doc
-- comment that the browser would take for a tag and hide (`<close>`, `<version>`).
local HTML_TAGS = {}
for t in ([[html head meta title link style body div span br p a strong em b i big code pre
  h1 h2 h3 h4 h5 h6 ul ol li dl dt dd table tr td th blockquote hr img sup sub]]):gmatch("%w+") do
  HTML_TAGS[t] = true
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

-- page -> {names = displayed names that must be listed, absent = names that must not,
--          sections = the page's only sections (in order), close = shows `<close>`}
local function expectations()
  local qbench = require "qbench"
  local names = public_functions(qbench)
  for _, v in ipairs { "customer", "v2", "null", "_VERSION" } do names[#names + 1] = v end

  local client = require "qbench.client"
  local client_names, client_absent = { "options", "qb.url", "qb.customer", "qb.v2", "qb.max_concurrency" }, { "new" }
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
  return {
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
    ["topics/v2-operations.md.html"] = { rows = 100 },
    ["index.html"] = {},
  }
end

-- ---------------------------------------------------------------- the checks

local function list_dir(dir, pattern)
  local out = {}
  local p = io.popen("ls " .. shell_quote(dir) .. " 2>/dev/null")
  for name in p:lines() do
    if name:match(pattern) then out[#out + 1] = name end
  end
  p:close()
  table.sort(out)
  return out
end

-- Every problem of the reference in `out`, as lines naming the page.
local function problems_of(out)
  local problems = {}
  local function problem(page, fmt, ...) problems[#problems + 1] = page .. ": " .. string.format(fmt, ...) end
  local expected = expectations()

  -- The public pages and no others: internals have no page of their own.
  local pages = {}
  for _, kind in ipairs { "modules", "classes", "topics" } do
    for _, name in ipairs(list_dir(out .. "/" .. kind, "%.html$")) do pages[#pages + 1] = kind .. "/" .. name end
  end
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
    end
    ::next_expected::
  end

  -- Every example listed on the index with a description.
  local index = read(out .. "/index.html") or ""
  for _, e in ipairs(examples) do
    local summary = index:match('<a href="examples/' .. e:gsub("%p", "%%%0") .. '%.html">[^<]*</a></td>%s*<td class="summary">(.-)</td>')
    if not summary then
      problem("index.html", "example %s is not listed", e)
    elseif not text_of(summary):find("%a") then
      problem("index.html", "example %s has no description", e)
    end
  end
  return problems
end

-- ---------------------------------------------------------------- the specs

describe("the HTML reference (make doc)", function()
  local built

  setup(function()
    assert(read(ROOT .. "/config.ld"), "run the specs from the repository's root")
    built = build()
  end)

  teardown(function()
    if built then remove(built.dir) end
  end)

  it("builds without a warning", function()
    assert(built.ok, "ldoc failed:\n" .. built.output)
    assert.is_nil(built.output:match("[^\n]*warning[^\n]*"))
  end)

  it("has no known defect: Markdown rendered, angle brackets kept, every public name listed, no internal one", function()
    local problems = problems_of(built.out)
    assert(#problems == 0, #problems .. " problems:\n" .. table.concat(problems, "\n"))
  end)

  it("catches a planted regression: config.ld without format = \"markdown\"", function()
    local config = assert(read(ROOT .. "/config.ld"))
    local broken, n = config:gsub('\nformat = "markdown"\n', "\n")
    assert.equal(1, n, "config.ld no longer says format = \"markdown\" on a line of its own")
    local planted = build(broken)
    local ok, problems = pcall(problems_of, planted.out)
    remove(planted.dir)
    assert(ok, problems)
    local backticks = 0
    for _, p in ipairs(problems) do
      if p:find("literal backtick", 1, true) then backticks = backticks + 1 end
    end
    assert(backticks > 0, "no literal backtick reported without Markdown:\n" .. table.concat(problems, "\n"))
  end)
end)
