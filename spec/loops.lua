-- The two event loops the specs drive, behind one small interface:
-- spawn(fn) starts a coroutine of the loop, sleep(s) waits in it, run(limit)
-- turns the loop until every coroutine is done, or `limit` seconds (default 30)
-- have passed: a spec whose loop would hang fails instead (run raises then).
local DEFAULT_LIMIT = 30

return {
  cqueues = function()
    local cqueues = require "cqueues"
    local cq = cqueues.new()
    return {
      adapter = require "qbench.loop.cqueues",
      spawn = function(fn) cq:wrap(fn) end,
      sleep = cqueues.sleep,
      run = function(limit)
        limit = limit or DEFAULT_LIMIT
        local deadline = cqueues.monotime() + limit
        while not cq:empty() do
          local left = deadline - cqueues.monotime()
          if left <= 0 then error(string.format("the cqueues loop still had work after %g s", limit), 2) end
          assert(cq:step(math.min(left, 0.5)))
        end
      end,
    }
  end,
  luv = function()
    local uv = require "luv"
    local adapter = require "qbench.loop.luv"
    return {
      adapter = adapter,
      spawn = function(fn)
        local co = coroutine.create(fn)
        local idle = uv.new_idle()
        idle:start(function()
          idle:stop(); idle:close()
          assert(coroutine.resume(co))
        end)
      end,
      sleep = adapter.sleep,
      run = function(limit)
        limit = limit or DEFAULT_LIMIT
        local cut = false
        local watchdog = uv.new_timer()
        watchdog:start(math.floor(limit * 1000), 0, function()
          cut = true
          uv.stop()
        end)
        watchdog:unref() -- it never keeps the loop alive by itself
        uv.run("default")
        watchdog:stop()
        watchdog:close()
        -- The close completes on the loop's next turn: left pending, libuv would run it while
        -- Lua closes the state (luv's loop finalizer), after the handle's own finalizer, and crash.
        uv.run("nowait")
        if cut then error(string.format("the luv loop still had work after %g s", limit), 2) end
      end,
    }
  end,
}
