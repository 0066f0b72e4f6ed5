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
-- local qb <close> = qbench.new{url = "https://lab.qbench.net", token = os.getenv "QBENCH_TOKEN",
--                               loop = require "qbench.loop.luv"}
-- for id = 1, 4 do
--   coroutine.wrap(function() print(assert(qb.customer:get(id)).customer_name) end)()
-- end
-- uv.run()   -- the four GETs run side by side

local uv = require "luv"

local M = {}

-- What a waiting coroutine yields, and what the adapter resumes it with: a
-- coroutine resumed by anyone else (its consumer, when the call ran inside a
-- coroutine.wrap generator) finds out, and says so instead of ending silently.
local NESTED = "qbench.loop.luv: a client call waited inside a coroutine that libuv does not resume "
  .. "(a coroutine.wrap generator inside a loop coroutine?): make the call in the loop's coroutine itself"
local WAITING = setmetatable({}, {
  __name = "qbench.loop.luv.Waiting",
  __index = function() error(NESTED, 2) end,
  __tostring = function() return "qbench.loop.luv: waiting (" .. NESTED .. ")" end,
})
local RESUMED = {}

-- The coroutine the adapter is resuming right now, if any.
local resuming

--- Can the running coroutine wait through libuv? Any coroutine but the main one,
-- except one running inside a coroutine the adapter resumed (a generator inside a
-- loop coroutine): its yield would reach the generator's consumer, not libuv, so
-- such a call blocks instead.
-- @treturn boolean
-- @usage
-- local uv, loop = require "luv", require "qbench.loop.luv"
-- print(loop.active())   --> false: the main coroutine blocks
-- coroutine.wrap(function() print(loop.active()) end)()   --> true
-- uv.run()
function M.active()
  local co, main = coroutine.running()
  if main then return false end
  return resuming == nil or resuming == co
end

local polls = {} -- fd -> uv poll handle

--- Calls `fn(fd, ready)` whenever `fd` is ready for `events` ("r", "w", "rw"); `events` nil stops
-- and closes the poll handle.
-- @tparam integer fd
-- @tparam[opt] string events
-- @tparam[opt] function fn
-- @usage
-- local uv, loop = require "luv", require "qbench.loop.luv"
-- local fds = uv.pipe()   -- {read = fd, write = fd}
-- loop.watch(fds.read, "r", function(fd, ready)
--   print(ready, uv.fs_read(fd, 64))   --> r ping
--   loop.watch(fd, nil)                -- stops watching: uv.run() can return
-- end)
-- uv.fs_write(fds.write, "ping")
-- uv.run()
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

-- How many poll handles are open (for tests: each is closed once its socket is unwatched).
function M.open_polls()
  local n = 0
  for _ in pairs(polls) do n = n + 1 end
  return n
end

local timer_mt = { __index = {} }

--- A timer: `t:start(seconds, fn)` calls fn once after that long (replacing a pending
-- start); `t:stop()` cancels it and closes its libuv handle, so a stopped timer holds
-- nothing (neither a handle nor `fn`) in libuv.
-- @return the timer
-- @usage
-- local uv, loop = require "luv", require "qbench.loop.luv"
-- local t = loop.timer()
-- t:start(0.1, function() print("0.1 s later") end)
-- uv.run()
function M.timer()
  return setmetatable({ handle = nil }, timer_mt)
end

function timer_mt.__index:start(seconds, fn)
  if not self.handle then self.handle = uv.new_timer() end
  local handle = self.handle
  handle:stop()
  handle:start(math.max(0, math.floor(seconds * 1000 + 0.5)), 0, function()
    if self.handle == handle then
      self.handle = nil
      handle:close()
    end
    fn()
  end)
end

function timer_mt.__index:stop()
  local handle = self.handle
  if handle then
    self.handle = nil
    handle:stop()
    handle:close()
  end
end

-- Is the timer started and not yet fired or stopped? (For tests.)
function timer_mt.__index:pending()
  return self.handle ~= nil
end

local event_mt = { __index = {} }

--- A one-shot event: `ev:wait(timeout)` yields until `ev:set()` (true) or the timeout (false).
-- @return the event
-- @usage
-- local uv, loop = require "luv", require "qbench.loop.luv"
-- local ev = loop.event()
-- coroutine.wrap(function() print("set:", ev:wait(5)) end)()   --> set: true
-- coroutine.wrap(function() loop.sleep(0.1) ev:set() end)()
-- uv.run()
function M.event()
  return setmetatable({ is_set = false }, event_mt)
end

-- Resumes `co` from a fresh libuv callback, never from inside another coroutine.
local function resume_later(co)
  local idle = uv.new_idle()
  idle:start(function()
    idle:stop()
    idle:close()
    if coroutine.status(co) ~= "suspended" then return end -- it ended meanwhile (an error, a close)
    local outer = resuming
    resuming = co
    local ok, err = coroutine.resume(co, RESUMED)
    resuming = outer
    if not ok then error(err, 0) end
  end)
end

function event_mt.__index:wait(timeout)
  if self.is_set then return true end
  local co = coroutine.running()
  if resuming ~= nil and resuming ~= co then error(NESTED, 0) end
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
  while self.waiter == co do
    local how = coroutine.yield(WAITING)
    if how ~= RESUMED and self.waiter == co then
      self.waiter = nil
      if timer then timer:stop() timer:close() end
      error(NESTED, 0)
    end
  end
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
-- @usage
-- local uv, loop = require "luv", require "qbench.loop.luv"
-- local qb <close> = qbench.new{url = "https://lab.qbench.net", token = os.getenv "QBENCH_TOKEN", loop = loop}
-- coroutine.wrap(function()
--   for id = 1, 3 do
--     print(assert(qb.customer:get(id)).customer_name)
--     loop.sleep(0.1)   -- other coroutines run meanwhile
--   end
-- end)()
-- uv.run()
function M.sleep(seconds)
  M.event():wait(seconds)
end

return M
