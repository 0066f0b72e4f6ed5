-- What the `qbench` command says about itself: every --help wrapped at 80
-- columns and worded for people (no operation ids), the filters' types and
-- the date format, and the shell completion scripts and the man page, which
-- are generated from the same parser definition and must name every subcommand.
local helper = require "helper"
local process = require "process"
local manpage = require "qbench.cli.manpage"
local parser = require "qbench.cli.parser"

-- Every subcommand's words after "qbench" ({"customers", "list"}, ...), from the whole parser `p`.
local function all_commands(p)
  local out = {}
  for _, name in ipairs(manpage.commands(p)) do
    local words = {}
    for w in name:gmatch("%S+") do words[#words + 1] = w end
    table.remove(words, 1)
    out[#out + 1] = words
  end
  return out
end

-- The argparse command at `words` of the parser `p`.
local function command_at(p, words)
  local cmd = p
  for _, w in ipairs(words) do
    local found
    for _, sub in ipairs(parser.subcommands(cmd)) do
      if parser.name(sub) == w then found = sub end
    end
    cmd = assert(found, table.concat(words, " "))
  end
  return cmd
end

describe("qbench's help, completion and man page", function()
  -- The whole parser (every command declared) and each command's --help text
  -- (helps[i] is that of commands[i]), made once: the checks only read them.
  local p, commands, helps
  setup(function()
    p = parser.new({}, "", { complete = true })
    commands = all_commands(p)
    helps = {}
    for i, words in ipairs(commands) do helps[i] = command_at(p, words):get_help() end
  end)

  it("declares every v2 operation: the walk finds hundreds of subcommands", function()
    assert.is_true(#commands > 250, tostring(#commands))
  end)

  it("wraps every --help at 80 columns, the v2 operations' included", function()
    local long = {}
    local function check(words, text)
      for line in (text .. "\n"):gmatch("([^\n]*)\n") do
        if utf8.len(line) > 80 then long[#long + 1] = table.concat(words, " ") .. ": " .. line end
      end
    end
    check({}, p:get_help())
    for i, words in ipairs(commands) do check(words, helps[i]) end
    assert.same({}, long)
  end)

  it("--help as the command prints it (a process) is that text, wrapped too", function()
    for i, args in ipairs { { "v2", "integrations", "invoice-payments", "delete", "--help" }, { "--help" },
      { "v2", "batches", "list", "--help" }, { "customers", "import", "--help" } } do
      -- One as a process (bin/qbench's stdout and exit); the others the same main() in this one.
      local r = i == 1 and process.run({ "lua5.4", "bin/qbench", table.unpack(args) })
        or process.qbench(nil, args, { env = {} })
      assert.equal(0, r.status, r.err)
      for _, line in ipairs(process.lines(r.out)) do
        assert.is_true(utf8.len(line) <= 80, line)
      end
    end
  end)

  it("describes operations in words: no operation id such as get_entity_list in any help", function()
    local ids = {}
    for _, name in ipairs(require "qbench.v2.api.index") do
      local function collect(def)
        for _, entry in pairs(def.methods or {}) do
          if entry.name and entry.name:find("^[%l_]+$") and entry.name:find("_") then ids[entry.name] = true end
        end
        for _, child in pairs(def.children or {}) do collect(child) end
        if def.record then collect(def.record) end
      end
      collect(require("qbench.v2.api." .. name))
    end
    assert.is_true(ids.get_entity_list and ids.sync_invoices and true or false)
    local found = {}
    for i, words in ipairs(commands) do
      local text = helps[i]
      for id in pairs(ids) do
        if text:find(id, 1, true) then found[#found + 1] = table.concat(words, " ") .. ": " .. id end
      end
    end
    assert.same({}, found)
    local r = process.qbench(nil, { "v2", "invoices", "--help" }, { env = {} })
    assert.matches("\n   sync +Sync invoices %(POST%)%.\n", r.out)
    r = process.qbench(nil, { "v2", "samples", "list", "--help" }, { env = {} })
    assert.matches("\nList the records, page by page: GET /samples%.\n", r.out)
  end)

  it("lists filters with their types, and *_start/*_end with the date format", function()
    local r = process.qbench(nil, { "v2", "samples", "list", "--help" }, { env = {} })
    assert.equal(0, r.status)
    assert.matches("\n   last_updated_start +date, YYYY%-MM%-DD or YYYY%-MM%-DDTHH:MM:SS %(UTC,\n +optional Z%)\n", r.out)
    assert.matches("\n   last_updated_end +date, YYYY%-MM%-DD or YYYY%-MM%-DDTHH:MM:SS", r.out)
    assert.matches("\n   last_updated +Unix time in seconds: updated at or after it\n", r.out)
    assert.matches("\n   order_ids +array of integer\n", r.out)
    r = process.qbench(nil, { "v2", "batches", "list", "--help" }, { env = {} })
    assert.matches("\n   date_created_start +date, YYYY%-MM%-DD", r.out)
  end)

  it("qbench completion bash completes every subcommand, in bash itself", function()
    local r = process.qbench(nil, { "completion", "bash" }, { env = {} })
    assert.equal(0, r.status, r.err)
    local script = process.temp_file(r.out)
    -- One bash runs the completion function for every parent and prints what it offers.
    local lines = { "source " .. helper.shell_quote(script),
      "t() { COMP_WORDS=(\"$@\"); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); COMPREPLY=(); _qbench; "
        .. "echo \"${COMP_WORDS[*]}|${COMPREPLY[*]}\"; }" }
    local parents = { [""] = true }
    for _, words in ipairs(commands) do
      parents[table.concat(words, " ", 1, #words - 1)] = true
    end
    for parent in pairs(parents) do
      local quoted = {}
      for w in parent:gmatch("%S+") do quoted[#quoted + 1] = helper.shell_quote(w) end
      lines[#lines + 1] = "t qbench " .. table.concat(quoted, " ") .. " ''"
    end
    local prog = process.temp_file(table.concat(lines, "\n") .. "\n")
    local out = process.run({ "bash", prog }, { timeout = 60 })
    os.remove(script)
    os.remove(prog)
    assert.equal(0, out.status, out.err)
    local offered = {}
    for _, line in ipairs(process.lines(out.out)) do
      local typed, words = line:match("^qbench ?(.-) ?|(.*)$")
      offered[typed] = {}
      for w in words:gmatch("%S+") do offered[typed][w] = true end
    end
    local missing = {}
    for _, words in ipairs(commands) do
      local parent = table.concat(words, " ", 1, #words - 1)
      if not (offered[parent] and offered[parent][words[#words]]) then missing[#missing + 1] = table.concat(words, " ") end
    end
    assert.same({}, missing)
    assert.is_true(offered[""]["completion"] and offered["v2 tests worksheet data"]["get"] or false)
  end)

  it("qbench completion zsh has every subcommand in its parent's command list", function()
    local r = process.qbench(nil, { "completion", "zsh" }, { env = {} })
    assert.equal(0, r.status, r.err)
    assert.equal("#compdef qbench\n", r.out:sub(1, 16))
    local missing = {}
    for _, words in ipairs(commands) do
      local fn = "_qbench" .. (#words > 1 and "_" .. table.concat(words, "_", 1, #words - 1) or "") .. "_cmds() {"
      local at = r.out:find("\n" .. fn, 1, true)
      local body = at and r.out:match("^(.-)\n}", at + 1)
      if not (body and body:find('\n    "' .. words[#words] .. ":", 1, true)) then
        missing[#missing + 1] = table.concat(words, " ")
      end
    end
    assert.same({}, missing)
  end)

  it("the man page (make man's tools/gen_man.lua) has a section for every subcommand and renders cleanly", function()
    local r = process.run { "lua5.4", "tools/gen_man.lua", "2024-12-04" }
    assert.equal(0, r.status, r.err)
    local page = r.out
    assert.matches('^%.TH QBENCH 1 "2024%-12%-04" "qbench [%d.]+" "User Commands"\n', page)
    local missing = {}
    for _, words in ipairs(commands) do
      if not page:find('\n.SS "qbench ' .. table.concat(words, " ") .. '"\n', 1, true) then
        missing[#missing + 1] = table.concat(words, " ")
      end
    end
    assert.same({}, missing)
    -- groff (Debian's groff-base, in make deps) reads it without a warning, in 80 columns.
    local file = process.temp_file(page)
    local check = process.run({ "sh", "-c", "groff -man -Tutf8 -ww -z " .. helper.shell_quote(file) })
    assert.equal(0, check.status)
    assert.equal("", check.err)
    local shown = process.run({ "sh", "-c", "groff -man -Tutf8 -P-cbou -rLL=80n " .. helper.shell_quote(file) })
    os.remove(file)
    assert.truthy(shown.out:find("qbench v2 samples list", 1, true))
    local long = {}
    for _, line in ipairs(process.lines(shown.out)) do
      if utf8.len(line) and utf8.len(line) > 80 then long[#long + 1] = line end
    end
    assert.same({}, long)
  end)
end)
