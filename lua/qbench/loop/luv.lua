--- A loop adapter for luv (libuv): `qbench.new{..., loop = require "qbench.loop.luv"}`.
-- Calls made in a coroutine (other than the main one) yield while they wait, and
-- are resumed from libuv callbacks, so `uv.run()` keeps turning meanwhile; the main
-- coroutine blocks as without an adapter. Start such coroutines as usual, e.g.
-- `coroutine.wrap(function() ... end)()` before or inside `uv.run()`.
-- The functions are the loop protocol's ("Event loops" in @{qbench}): the client calls
-- them; a program has no need to.
-- @module qbench.loop.luv
-- @usage
-- local uv = require "luv"
-- local qb <close> = qbench.new{url = url, token = token, loop = require "qbench.loop.luv"}
-- for id = 1, 4 do
--   coroutine.wrap(function() print(assert(qb.customer:get(id)).customer_name) end)()
-- end
-- uv.run()   -- the four GETs run side by side

local uv = require "luv"

local M = {}

--- Can the running coroutine wait through libuv? (Any coroutine but the main one.)
-- @treturn boolean
function M.active()
  local _, main = coroutine.running()
  return not main
end

local polls = {} -- fd -> uv poll handle

--- Calls `fn(fd, ready)` whenever `fd` is ready for `events` ("r", "w", "rw"); `events` nil stops.
-- @tparam integer fd
-- @tparam[opt] string events
-- @tparam[opt] function fn
function M.watch(fd, events, fn)
  local p = polls[fd]
  if events == nil then
    if p then
      polls[fd] = nil
      p:stop()
      p:close()
    end
    return
  end
  if not p then
    p = uv.new_socket_poll(fd)
    polls[fd] = p
  end
  p:start(events, function(err, ready)
    fn(fd, err and events or ready) -- on an error let libcurl find out by trying
  end)
end

local timer_mt = { __index = {} }

--- A timer: `t:start(seconds, fn)` calls fn once after that long (replacing a pending
-- start); `t:stop()` cancels it.
-- @return the timer
function M.timer()
  return setmetatable({ handle = nil }, timer_mt)
end

function timer_mt.__index:start(seconds, fn)
  if not self.handle then self.handle = uv.new_timer() end
  self.handle:stop()
  self.handle:start(math.max(0, math.floor(seconds * 1000 + 0.5)), 0, fn)
end

function timer_mt.__index:stop()
  if self.handle then self.handle:stop() end
end

local event_mt = { __index = {} }

--- A one-shot event: `ev:wait(timeout)` yields until `ev:set()` (true) or the timeout (false).
-- @return the event
function M.event()
  return setmetatable({ is_set = false }, event_mt)
end

-- Resumes `co` from a fresh libuv callback, never from inside another coroutine.
local function resume_later(co)
  local idle = uv.new_idle()
  idle:start(function()
    idle:stop()
    idle:close()
    local ok, err = coroutine.resume(co)
    if not ok then error(err, 0) end
  end)
end

function event_mt.__index:wait(timeout)
  if self.is_set then return true end
  local co = coroutine.running()
  self.waiter = co
  local timer
  if timeout then
    timer = uv.new_timer()
    timer:start(math.max(0, math.floor(timeout * 1000 + 0.5)), 0, function()
      timer:close()
      timer = nil
      if self.waiter == co then
        self.waiter = nil
        resume_later(co)
      end
    end)
  end
  while self.waiter == co do coroutine.yield() end
  if timer then
    timer:stop()
    timer:close()
  end
  return self.is_set
end

function event_mt.__index:set()
  self.is_set = true
  local co = self.waiter
  if co then
    self.waiter = nil
    resume_later(co)
  end
end

--- Yields for `seconds`, resumed by a libuv timer.
-- @tparam number seconds
function M.sleep(seconds)
  M.event():wait(seconds)
end

return M
