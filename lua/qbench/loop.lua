--- Running inside a host's event loop: the driver between libcurl's multi
-- interface and a loop adapter (`qbench.new{loop = adapter}`).
--
-- libcurl says which sockets it wants watched and when its timer is due; the
-- driver hands that to the adapter (`watch`, `timer`), and the loop calls back
-- when a socket is ready or the timer fires. The callbacks only let libcurl
-- act (C, which never yields nor raises through libcurl) and file each
-- finished transfer with its owner, waking whoever waits for it. Waiting itself
-- is the adapter's `event():wait()`, which yields the calling coroutine to the
-- loop: every yield happens in Lua, never across C.
--
-- The driver belongs to a transport (qbench.transport), never to the client:
-- the loop holds the driver's callbacks, and a client the program dropped must
-- still be collectable while the loop lives.
--
-- The adapter protocol (see qbench.loop.cqueues and qbench.loop.luv):
--   adapter.active()                 may the running coroutine wait through this loop?
--   adapter.watch(fd, events, fn)    call fn(fd, ready) whenever fd is ready for events
--                                    ("r", "w" or "rw"); watch(fd, nil) stops
--   adapter.timer()                  a timer: t:start(seconds, fn) calls fn() once after
--                                    seconds, replacing a pending start; t:stop() cancels
--   adapter.event()                  a one-shot event: ev:wait(timeout) yields until
--                                    ev:set() or the timeout (seconds, nil = none)
--   adapter.sleep(seconds)           yields for that long
-- and, optionally:
--   adapter.on_error(message)        a callback failed (libcurl could not act); the
--                                    transfers under way end with that error either way
-- @module qbench.loop
-- @local

local M = {}
local methods = {}
local mt = { __name = "qbench.loop.Driver", __index = methods }

local REQUIRED = { "active", "watch", "timer", "event", "sleep" }

--- Checks that `adapter` has the protocol's functions; returns the names missing.
function M.missing(adapter)
  local out = {}
  for _, name in ipairs(REQUIRED) do
    if type(adapter[name]) ~= "function" then out[#out + 1] = name end
  end
  return out
end

function M.new(transport, adapter)
  local self = setmetatable({ transport = transport, adapter = adapter, watched = {}, timer_running = false,
                              pending = setmetatable({}, { __mode = "k" }) }, mt)
  -- The loop calls these: they must neither yield nor raise into the loop.
  self.on_ready = function(fd, ready) self:act(fd, ready) end
  self.on_timer = function()
    self.timer_running = false
    self:act(-1, "")
  end
  return self
end

--- Is the running coroutine one that can wait through the loop? The first time
-- it is, the driver starts handing libcurl's wishes to the loop, those made
-- before included (transfers started before the first wait).
function methods:active()
  local yes = coroutine.isyieldable() and self.adapter.active()
  if yes and not self.attached then
    self.attached = true
    self:sync()
  end
  return yes
end

--- Does the loop still watch something of this driver (a socket, the timer)?
function methods:busy()
  return next(self.watched) ~= nil or self.timer_running
end

--- Hands libcurl's socket and timer wishes to the adapter, then closes the sockets
-- libcurl gave up (only now that the loop no longer watches them). Before the
-- client was first used in the loop nothing is watched: the wishes wait in C.
function methods:sync()
  local handle = self.transport.handle
  if not handle then return end
  if not self.attached then return handle:close_sockets() end
  local changes, timer = handle:interest()
  local adapter = self.adapter
  for i = 1, #changes, 2 do
    local fd, events = changes[i], changes[i + 1]
    if events == "" then
      if self.watched[fd] then adapter.watch(fd, nil) end
      self.watched[fd] = nil
    else
      adapter.watch(fd, events, self.on_ready)
      self.watched[fd] = events
    end
  end
  if timer ~= nil then
    self.timer = self.timer or adapter.timer()
    if timer then
      self.timer:start(timer, self.on_timer)
      self.timer_running = true
    else
      self.timer:stop()
      self.timer_running = false
    end
  end
  handle:close_sockets()
end

-- A callback failed: every transfer under way ends with the reason, the
-- adapter hears of it, and nothing raises into the host's loop.
local function failed(self, why)
  local transport = self.transport
  transport:fail_all(why)
  if self.adapter.on_error then pcall(self.adapter.on_error, tostring(why)) end
  if os.getenv("QBENCH_DEBUG") == "1" then io.stderr:write("qbench: event loop: ", tostring(why), "\n") end
end

--- Lets libcurl act on a ready socket (or its timer, fd -1), then files what finished.
function methods:act(fd, ready)
  local transport = self.transport
  if transport.orphaned then return transport:close() end -- its client was collected
  local handle = transport.handle
  if not handle then return end
  local ok, err = pcall(handle.act, handle, fd, ready)
  if not ok then return failed(self, err) end
  ok, err = pcall(self.collect, self)
  if not ok then failed(self, err) end
end

--- Files every finished transfer with its owner and wakes the waiters.
function methods:collect()
  local transport = self.transport
  while transport.handle do
    local answer = table.pack(transport.handle:finished())
    if answer[1] == nil then break end
    transport:file(answer)
  end
  self:sync()
end

--- A one-shot event from the adapter, woken by close() at the latest.
function methods:event()
  local ev = self.adapter.event()
  self.pending[ev] = true
  return ev
end

--- Stops watching everything and wakes every waiter (the client is closing):
-- a coroutine left waiting would keep the loop alive forever; woken, it finds
-- the client closed and gets that error.
function methods:close()
  local pending = self.pending
  self.pending = setmetatable({}, { __mode = "k" })
  for fd in pairs(self.watched) do self.adapter.watch(fd, nil) end
  self.watched = {}
  if self.timer then self.timer:stop() end
  self.timer_running = false
  for ev in pairs(pending) do ev:set() end
end

return M
