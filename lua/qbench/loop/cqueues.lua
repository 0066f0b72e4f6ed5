--- A loop adapter for cqueues: `qbench.new{..., loop = require "qbench.loop.cqueues"}`.
-- Calls made in a coroutine run by a cqueues controller (`cq:wrap(fn)`) yield to
-- that controller while they wait; elsewhere they block as without an adapter.
-- libcurl's sockets are watched by small coroutines of the same controller.
-- The functions are the loop protocol's ("Event loops" in @{qbench}): the client calls
-- them; a program has no need to. `examples/loop_cqueues.lua` is a whole program.
-- @module qbench.loop.cqueues
-- @usage
-- local cqueues = require "cqueues"
-- local qb <close> = qbench.new{url = "https://lab.qbench.net", token = os.getenv "QBENCH_TOKEN",
--                               loop = require "qbench.loop.cqueues"}
-- local cq = cqueues.new()
-- for id = 1, 4 do
--   cq:wrap(function() print(assert(qb.customer:get(id)).customer_name) end)
-- end
-- assert(cq:loop())   -- the four GETs run side by side

local cqueues = require "cqueues"
local condition = require "cqueues.condition"

local M = {}

-- The controller new watchers and timers join: the running one, else the last seen
-- (a blocking call made outside the loop may still change what is watched).
local last_controller

local function controller()
  local cq = cqueues.running()
  if cq then last_controller = cq end
  return assert(cq or last_controller, "qbench.loop.cqueues: no cqueues controller has run a qbench call yet")
end

--- Can the running coroutine wait through cqueues? It must be the coroutine a
-- controller resumed itself: one running inside it (a `coroutine.wrap` generator)
-- would yield to its consumer, not to the controller, so such a call blocks instead.
-- @treturn boolean
-- @usage
-- local cqueues, loop = require "cqueues", require "qbench.loop.cqueues"
-- local cq = cqueues.new()
-- cq:wrap(function() print(loop.active()) end)   --> true
-- assert(cq:loop())
-- print(loop.active())   --> false: outside the controller, calls block
function M.active()
  local cq, direct = cqueues.running()
  if cq then last_controller = cq end
  return cq ~= nil and direct == true
end

local watched = {} -- fd -> {events =, fn =, wake =, stopped =}

--- Calls `fn(fd, ready)` whenever `fd` is ready for `events` ("r", "w", "rw"); `events` nil stops.
-- @tparam integer fd
-- @tparam[opt] string events
-- @tparam[opt] function fn
-- @usage
-- local cqueues, socket, loop = require "cqueues", require "cqueues.socket", require "qbench.loop.cqueues"
-- local a, b = socket.pair()
-- local cq = cqueues.new()
-- cq:wrap(function()
--   loop.watch(a:pollfd(), "r", function(fd, ready)
--     print(ready, a:read("*l"))   --> r ping
--     loop.watch(fd, nil)          -- stops watching: the loop can end
--   end)
--   assert(b:write("ping\n"))
--   assert(b:flush())
-- end)
-- assert(cq:loop())
function M.watch(fd, events, fn)
  local w = watched[fd]
  if events == nil then
    if w then
      watched[fd] = nil
      w.stopped = true
      w.wake:signal()
      cqueues.cancel(fd) -- before the descriptor is closed and its number reused
    end
    return
  end
  if w then -- new events for a watched socket: the watcher polls again with them
    w.events, w.fn = events, fn
    w.wake:signal()
    return
  end
  w = { events = events, fn = fn, wake = condition.new() }
  watched[fd] = w
  local pollable = { pollfd = fd, events = function() return w.events end }
  controller():wrap(function()
    while not w.stopped do
      local ready = cqueues.poll(pollable, w.wake)
      if ready == pollable and not w.stopped then w.fn(fd, w.events) end
    end
  end)
end

local timer_mt = { __index = {} }

--- A timer: `t:start(seconds, fn)` calls fn once after that long (replacing a pending
-- start); `t:stop()` cancels it.
-- @return the timer
-- @usage
-- local cqueues, loop = require "cqueues", require "qbench.loop.cqueues"
-- local cq = cqueues.new()
-- cq:wrap(function()
--   local t = loop.timer()
--   t:start(0.1, function() print("0.1 s later") end)
-- end)
-- assert(cq:loop())
function M.timer()
  return setmetatable({ generation = 0 }, timer_mt)
end

function timer_mt.__index:start(seconds, fn)
  self:stop()
  local generation = self.generation
  local wake = condition.new()
  self.wake = wake
  controller():wrap(function()
    -- The coroutine starts on the loop's next turn: a stop() before that is seen here,
    -- as a signal with nobody waiting yet would be lost.
    if self.generation ~= generation then return end
    cqueues.poll(wake, seconds)
    if self.generation == generation then
      self.wake = nil
      fn()
    end
  end)
end

function timer_mt.__index:stop()
  self.generation = self.generation + 1
  if self.wake then
    self.wake:signal()
    self.wake = nil
  end
end

-- Is the timer started and not yet fired or stopped? (For tests.)
function timer_mt.__index:pending()
  return self.wake ~= nil
end

-- How many sockets are watched (for tests: each watcher ends once its socket is unwatched).
function M.open_polls()
  local n = 0
  for _ in pairs(watched) do n = n + 1 end
  return n
end

local event_mt = { __index = {} }

--- A one-shot event: `ev:wait(timeout)` yields until `ev:set()` (true) or the timeout (false).
-- @return the event
-- @usage
-- local cqueues, loop = require "cqueues", require "qbench.loop.cqueues"
-- local cq, ev = cqueues.new(), loop.event()
-- cq:wrap(function() print("set:", ev:wait(5)) end)   --> set: true
-- cq:wrap(function() loop.sleep(0.1) ev:set() end)
-- assert(cq:loop())
function M.event()
  return setmetatable({ is_set = false, cond = condition.new() }, event_mt)
end

function event_mt.__index:wait(timeout)
  if not self.is_set then self.cond:wait(timeout) end
  return self.is_set
end

function event_mt.__index:set()
  self.is_set = true
  self.cond:signal()
end

--- Yields to the controller for `seconds`.
-- @tparam number seconds
-- @usage
-- local cqueues, loop = require "cqueues", require "qbench.loop.cqueues"
-- local qb <close> = qbench.new{url = "https://lab.qbench.net", token = os.getenv "QBENCH_TOKEN", loop = loop}
-- local cq = cqueues.new()
-- cq:wrap(function()
--   for id = 1, 3 do
--     print(assert(qb.customer:get(id)).customer_name)
--     loop.sleep(0.1)   -- other coroutines run meanwhile
--   end
-- end)
-- assert(cq:loop())
function M.sleep(seconds)
  cqueues.sleep(seconds)
end

return M
