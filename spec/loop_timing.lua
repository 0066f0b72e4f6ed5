-- The timing ratios of one event loop's adapter, tagged #serial: the runner
-- (tools/run_specs.lua) runs them after the parallel phase, when the machine
-- is quiet, one process per loop and ratio (loop_timing_<loop>_ticks_spec.lua,
-- loop_timing_<loop>_share_spec.lua), all four side by side: each mostly waits
-- on its sandbox's latency and needs a tenth of a core.
local qbench = require "qbench"
local core = require "qbench.core"
local helper = require "helper"

-- `spec`: the calling spec file's _ENV, which holds busted's describe, it and assert;
-- `ratio`: "ticks" or "share", the test to declare.
return function(name, spec, ratio)
  local describe, it, assert = spec.describe, spec.it, spec.assert
  local make = require("loops")[name]
  if ratio ~= "ticks" and ratio ~= "share" then error("ratio: ticks or share, not " .. tostring(ratio)) end

  describe("qbench.loop." .. name .. " timing", function()
    if ratio == "ticks" then it("a 10 ms timer keeps ticking while a call waits 1 s #serial", function()
      local slow = helper.start { "--latency-ms", "1000", "--token", "T", "--die-with-parent", "--quiet" }
      local loop = make()
      local qb <close> = qbench.new { url = slow.url, token = "T", loop = loop.adapter }
      local ticks, done, got = 0, false, nil
      loop.spawn(function()
        while not done do
          ticks = ticks + 1
          loop.sleep(0.01)
        end
      end)
      local t0 = core.time()
      local took
      loop.spawn(function()
        got = qb.customer:get(1)
        took = core.time() - t0
        done = true
      end)
      loop.run()
      slow.stop()
      assert.equal(1, got.id)
      assert.is_true(took >= 1 and took < 2.5 * helper.time_scale, "took " .. tostring(took))
      local expected = took / 0.01
      assert.is_true(ticks >= 0.9 * expected, string.format("%d ticks of %.0f expected", ticks, expected))
    end) end

    if ratio == "share" then it("20 coroutines x 12 gets share one client within 1.3x of the ideal for max_concurrency 10 #serial", function()
      local fast = helper.start { "--latency-ms", "50", "--token", "T", "--die-with-parent", "--quiet" }
      local loop = make()
      local qb <close> = qbench.new { url = fast.url, token = "T", loop = loop.adapter, max_concurrency = 10 }
      local finished = 0
      local t0 = core.time()
      local took
      for worker = 1, 20 do
        loop.spawn(function()
          for i = 1, 12 do
            local id = (worker * 12 + i) % 75 + 1
            local c = assert(qb.customer:get(id))
            assert.equal(id, c.id) -- each coroutine gets exactly its own answers
          end
          finished = finished + 1
          if finished == 20 then took = core.time() - t0 end
        end)
      end
      loop.run()
      fast.stop()
      assert.equal(20, finished)
      local ideal = 20 * 12 * 0.050 / 10
      assert.is_true(took <= 1.3 * ideal * helper.time_scale, string.format("took %.2f s, ideal %.2f s", took, ideal))
    end) end
  end)
end
