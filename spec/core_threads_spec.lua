-- One Lua state per OS thread in one process, as embedders run qbench:
-- build/spec-threads (spec/threads/threads.c) starts the threads, each
-- loads qbench.core and the Lua module into its own state and calls the
-- sandbox. `make sanitize` runs the same host under ThreadSanitizer.
local helper = require "helper"

local q = helper.shell_quote

local BINARY = os.getenv("QBENCH_SPEC_THREADS") or "build/spec-threads"
-- The core this busted run uses: the first entry of QBENCH_CPATH (the sanitized one under make sanitize).
local CORE_SO = ((os.getenv("QBENCH_CPATH") or "build/?.so"):match("^[^;]+"):gsub("%?", "qbench/core"))

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

-- Runs the host; returns its output (stdout and stderr) and whether it exited 0.
local function host(args)
  local p = assert(io.popen("timeout 120 " .. q(BINARY) .. " " .. args .. " 2>&1"))
  local out = p:read("a")
  return out, p:close() == true
end

describe("threads", function()
  local sb
  setup(function()
    if not exists(BINARY) then assert(os.execute("make -s " .. q(BINARY) .. " >/dev/null")) end
    sb = helper.start { "--port", "0", "--token", "threads-token", "--quiet", "--die-with-parent" }
  end)
  teardown(function() sb.stop() end)

  it("4 threads x 200 GETs through the Lua module all succeed", function()
    local out, ok = host("--threads 4 --calls 200 " .. q(CORE_SO) .. " " .. q(sb.url) .. " threads-token")
    assert.equal("spec-threads: 4 threads x 200 calls: 800 succeeded\n", out)
    assert.is_true(ok)
  end)

  it("the host fails, saying why, when calls fail", function()
    local out, ok = host("--threads 2 --calls 3 " .. q(CORE_SO) .. " " .. q(sb.url) .. " wrong-token")
    assert.is_false(ok)
    assert.matches("spec-threads: thread 1: call 1: ", out, 1, true)
    assert.matches("spec-threads: thread 2: call 1: ", out, 1, true)
    assert.matches("spec-threads: 2 threads x 3 calls: 0 succeeded\n", out, 1, true)
  end)
end)
