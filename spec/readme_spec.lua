-- The README's Lua snippets run as written, against the sandbox: each in a
-- process of its own, with `qbench` and a client `qb` made from QBENCH_URL and
-- QBENCH_TOKEN (as the README says its snippets assume), and the instance URL
-- of its examples, https://lab.qbench.net, replaced by the sandbox's. A
-- snippet that raises, or writes to stderr, fails here. Each runs in a
-- temporary directory, so that a file it writes (the mirror's lab.db) is not
-- left in the clone.
local helper = require "helper"
local process = require "process"

local PRELUDE = 'local qbench = require "qbench"; local qb <close> = qbench.new(assert(qbench.env_options())); '
local ROOT = assert(io.popen("pwd")):read("l")

local function snippets()
  local f = assert(io.open("README.md", "rb"))
  local text = f:read("a")
  f:close()
  local out = {}
  for code in text:gmatch("\n```lua\n(.-)```") do out[#out + 1] = code end
  return out
end

describe("the README's Lua snippets", function()
  local sb
  setup(function() sb = helper.sandbox() end)

  local all = snippets()
  it("are all found (a snippet lost from this spec would go untested)", function()
    assert.is_true(#all >= 10, #all .. " snippets")
  end)

  for i, code in ipairs(all) do
    local first = code:match("^[^\n]*")
    it(string.format("#%d runs: %s", i, first), function()
      helper.reset()
      local script = process.temp_file(PRELUDE .. code:gsub("https://lab%.qbench%.net", sb.url))
      local dir = process.temp_dir()
      local r = process.run({ "sh", "-c", 'cd "$1" && exec lua5.4 "$2"', "sh", dir, script }, { timeout = 30, env = {
        QBENCH_URL = sb.url, QBENCH_TOKEN = sb.token,
        LUA_PATH = ROOT .. "/lua/?.lua;" .. ROOT .. "/lua/?/init.lua;;", LUA_CPATH = ROOT .. "/build/?.so;;" } })
      os.remove(script)
      process.remove_dir(dir)
      assert.equal(0, r.status, r.err)
      assert.equal("", r.err)
    end)
  end
end)
