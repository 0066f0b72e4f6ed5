-- Two page walks in two coroutines on one client, interleaved in every order the
-- schedule below gives, with retries whose sleeps yield and an on_request that
-- raises once: each transfer's answer must reach its own walk, so both walks end
-- complete and in order (a walk hit by the raise starts again).
local qbench = require "qbench"
local helper = require "helper"

local API = "/qbench/api/v1/"
local CUSTOMERS, PAGE_SIZE = 75, 10

local function expected()
  local ids = {}
  for i = 1, CUSTOMERS do ids[i] = i end
  return ids
end

-- Runs walks A and B to the end; `schedule` is a string of "A"/"B" repeated as a
-- pattern of who is resumed next. Returns each walk's ids and how often each restarted.
local function run(qb, schedule, walk_opts)
  local results, restarts = { A = {}, B = {} }, { A = 0, B = 0 }
  local function body(name)
    return function()
      while true do
        local out = {}
        local ok, err = pcall(function()
          for c in qb.customer:list(walk_opts) do
            out[#out + 1] = c.id
            coroutine.yield("record")
          end
        end)
        if ok then
          results[name] = out
          return
        end
        assert(tostring(err):find("on_request raised", 1, true), "unexpected error in walk " .. name .. ": " .. tostring(err))
        restarts[name] = restarts[name] + 1
      end
    end
  end
  local co = { A = coroutine.create(body "A"), B = coroutine.create(body "B") }
  local steps, i = 0, 0
  while coroutine.status(co.A) ~= "dead" or coroutine.status(co.B) ~= "dead" do
    i = i % #schedule + 1
    local who = schedule:sub(i, i)
    if coroutine.status(co[who]) ~= "dead" then
      local ok, err = coroutine.resume(co[who])
      assert(ok, "walk " .. who .. " crashed: " .. tostring(err))
    end
    steps = steps + 1
    assert(steps < 10000, "the walks never ended")
  end
  return results, restarts
end

describe("interleaved page walks on one client", function()
  local sb
  setup(function() sb = helper.sandbox() end)

  local schedules = { "AB", "AAB", "ABB", "AAAAB", "ABBBBBB", "BA" }
  for _, schedule in ipairs(schedules) do
    for _, raise_at in ipairs { false, 2, 5, 9 } do
      for _, sleep_yields in ipairs { false, true } do
        local name = string.format("schedule %s, on_request raising at call %s, sleeps %s", schedule,
          tostring(raise_at), sleep_yields and "yielding" or "blocking")
        it(name, function()
          helper.reset { customers = CUSTOMERS }
          -- Two pages of each walk fail once, so retries (and their sleeps) happen mid-walk.
          helper.faults("GET " .. API .. "customer?page_num=3*", { "503" })
          helper.faults("GET " .. API .. "customer?page_num=6*", { "ok", "503" })
          local calls = 0
          local qb <close> = qbench.new {
            url = sb.url, token = sb.token, backoff = 0.001, max_backoff = 0.001,
            sleep = function()
              if sleep_yields and coroutine.isyieldable() then coroutine.yield("sleep") end
            end,
            on_request = function()
              calls = calls + 1
              if calls == raise_at then error("on_request raised", 0) end
            end,
          }
          local results, restarts = run(qb, schedule, { page_size = PAGE_SIZE, concurrency = 3 })
          assert.same(expected(), results.A)
          assert.same(expected(), results.B)
          assert.equal(raise_at and 1 or 0, restarts.A + restarts.B)
          -- Nothing left in flight, and the client still works.
          assert.equal(0, qb._transport.slots)
          assert.is_nil(next(qb._transport.owners))
          assert(qb.customer:get(1))
        end)
      end
    end
  end
end)
