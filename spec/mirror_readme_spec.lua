-- The README's section "Mirror a QBench instance into a database" as written:
-- every line of its sh blocks runs, in order, against the sandbox, from a
-- directory holding turnaround.sql (its sql block), with bin/ first on PATH;
-- the query's answer is checked against the sandbox's tests; its Lua block runs
-- with `qb` a client of the sandbox.
local helper = require "helper"
local process = require "process"
local mh = require "mirror_helper"
local lfs = require "lfs"

local function section()
  local f = assert(io.open("README.md", "rb"))
  local text = f:read("a")
  f:close()
  return assert(text:match("\n## Mirror a QBench instance into a database\n(.-)\n## "), "no mirror section in README.md")
end

-- The blocks of a kind ("sh", "sql", "lua") in the section, in order.
local function blocks(text, kind)
  local out, current = {}, nil
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    if current then
      if line:match("^```") then
        out[#out + 1] = table.concat(current, "\n") .. "\n"
        current = nil
      else
        current[#current + 1] = line
      end
    elseif line == "```" .. kind then
      current = {}
    end
  end
  return out
end

describe("the README's mirror section", function()
  local sb, dir, root

  setup(function()
    sb = helper.sandbox()
    root = assert(lfs.currentdir())
  end)
  before_each(function()
    helper.reset()
    dir = mh.tmpdir()
  end)
  after_each(function() mh.rmdir(dir) end)

  it("has one sh block, one sql block and one Lua block", function()
    local text = section()
    assert.equal(1, #blocks(text, "sh"))
    assert.equal(1, #blocks(text, "sql"))
    assert.equal(1, #blocks(text, "lua"))
  end)

  it("every command runs as written and exits 0; the query gives the turnaround per test label", function()
    local text = section()
    local f = assert(io.open(dir .. "/turnaround.sql", "wb"))
    f:write(blocks(text, "sql")[1])
    f:close()
    local outputs = {}
    for line in blocks(text, "sh")[1]:gmatch("([^\n]+)\n") do
      local cmd = string.format("cd %s && env -u QBENCH_CLIENT_ID -u QBENCH_CLIENT_SECRET PATH=%s:\"$PATH\" "
        .. "QBENCH_URL=%s QBENCH_TOKEN=%s timeout -s KILL 120 sh -c %s </dev/null 2>&1",
        helper.shell_quote(dir), helper.shell_quote(root .. "/bin"), sb.url, sb.token, helper.shell_quote(line))
      local p = assert(io.popen(cmd, "r"))
      local output = p:read("a")
      local ok, how, code = p:close()
      assert(ok, string.format("%s\nexited %s %s:\n%s", line, how, tostring(code), output))
      outputs[#outputs + 1] = output
    end
    -- The query's rows: one per assay title among the done tests, counted as the sandbox has them.
    local lines = process.lines(outputs[#outputs])
    assert.matches("^test +tests +mean_days$", lines[1])
    local expected = {}
    for _, r in ipairs(mh.query(dir .. "/lab.db", "SELECT a.title AS title, count(*) AS n FROM tests t "
      .. "JOIN assays a ON a.id = t.assay_id WHERE t.complete_date IS NOT NULL GROUP BY a.title")) do
      expected[r.title] = r.n
    end
    local seen = 0
    for i = 3, #lines do
      local title, n = lines[i]:match("^(.-)%s%s+(%d+)%s+%-?[%d.]+%s*$")
      assert.equal(expected[title], tonumber(n), lines[i])
      seen = seen + 1
    end
    assert.is_true(seen >= 5)
    -- The done tests, as the API lists them, all made it to the table.
    local done = 0
    for _, r in ipairs(mh.query(dir .. "/lab.db", "SELECT _raw FROM tests")) do
      local t = require("qbench.core").decode(r._raw)
      if t.complete_date ~= require("qbench.core").null then done = done + 1 end
    end
    local total = 0
    for _, n in pairs(expected) do total = total + n end
    assert.equal(done, total)
  end)

  it("its Lua block runs with qb a client", function()
    local code = blocks(section(), "lua")[1]
    local qbench = require "qbench"
    local qb <close> = qbench.new { url = sb.url, token = sb.token }
    local printed = {}
    local env = setmetatable({ qb = qb, print = function(...) printed[#printed + 1] = { ... } end }, { __index = _G })
    local cwd = assert(lfs.currentdir())
    -- The block writes lab.db where it runs: there, the temporary directory.
    local chunk = assert(load(code:gsub('"lab%.db"', '"' .. dir .. '/lab.db"'), "README", "t", env))
    chunk()
    assert.equal(root, cwd)
    assert.same({ "samples", "full", 60, 0, 0, 0 }, { table.unpack(printed[1], 1, 6) })
    assert.same({ "tests", "full", 120, 0, 0, 0 }, { table.unpack(printed[2], 1, 6) })
  end)
end)
