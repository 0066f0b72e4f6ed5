--- The transport of one client: its libcurl handle (the C core's qbench.Handle),
-- the transfers in flight on it, and, with a loop adapter, the driver that hands
-- libcurl's sockets to the host's loop. Nothing else touches the handle.
--
-- Its users and what they call:
--   client.lua  new, request (one blocking transfer), acquire/release around it,
--               in_loop, sleep, close, finalize, check_open
--   batch.lua   acquire, start, cancel, await, check_open
--   auth.lua    start (a token request that holds no slot of its own), await, request,
--               set_token
--   loop.lua    handle, file, fail_all, orphaned
--
-- Slots: at most `max_concurrency` requests are under way at once, whatever
-- mix of walks, coroutines and blocking calls asks for them. A caller takes a
-- slot (acquire) before it prepares an attempt (token, pacing) and keeps it
-- until the answer is filed or the transfer cancelled, so the count is exact.
-- A token request runs on the slot of the call that needed the token.
--
-- Owners: a parallel transfer belongs to an owner (a batch, a token request),
-- whose `receive(answer)` gets the raw answer from whoever collected it (a
-- blocking wait, or the loop's callback). Owners judge answers in their own
-- coroutine, never in the collector's.
-- @classmod qbench.Transport
-- @local

local args = require "qbench.args"
local Loop = require "qbench.loop"

local M = {}
local methods = {}
local mt = { __name = "qbench.Transport", __index = methods }

M.CLOSED = "attempt to use a closed qbench client"

--- A transport over `handle`; `adapter` (optional) is a loop adapter.
function M.new(handle, adapter, max_concurrency)
  local self = setmetatable({
    handle = handle, max_concurrency = max_concurrency,
    owners = {},          -- tag -> owner, for transfers under way
    counted = {},         -- tag -> true when the transfer holds a slot
    slots = 0,            -- slots taken (with or without a transfer yet)
    last_tag = 0,
    slot_waiters = {},    -- events of coroutines waiting for a slot (in a loop)
  }, mt)
  if adapter then
    handle:drive_externally()
    self.driver = Loop.new(self, adapter)
  end
  return self
end

--- Is the transport usable?
function methods:is_open() return self.handle ~= nil end

--- Raises the closed-client error (at the caller's code) when it is closed.
function methods:check_open()
  if not self.handle then args.fail(M.CLOSED) end
end

--- May the running coroutine wait through the host's loop?
function methods:in_loop()
  return self.driver ~= nil and self.handle ~= nil and self.driver:active()
end

--- One blocking transfer: what the C core's request returns.
function methods:request(method, url, headers, body, timeout)
  self:check_open()
  return self.handle:request(method, url, headers, body, timeout)
end

--- Sets the bearer token the handle sends (it lives in C only).
function methods:set_token(token)
  self:check_open()
  self.handle:set_token(token)
end

--- Waits until something is filed: in the loop, until an event the caller
-- registered through `register(ev)` is set (or `timeout` seconds pass); outside
-- it, by blocking in libcurl until one transfer of the client finishes.
-- Returns false when it timed out; raises when the client was closed meanwhile.
function methods:await(register, timeout)
  self:check_open()
  if self:in_loop() then
    local ev = self.driver:event()
    if register then register(ev) end
    local woken = ev:wait(timeout)
    self:check_open()
    return woken
  end
  local answer = table.pack(self.handle:wait_any())
  if answer[1] == nil then error("qbench: internal error: waiting for a transfer while none is under way", 0) end
  self:file(answer)
  if self.driver then self.driver:sync() end
  return true
end

--- Takes a slot, waiting while `max_concurrency` are taken. In a loop the wait
-- ends by `deadline_at` (a clock time, optional) at the latest: returns false then.
function methods:acquire(clock, deadline_at)
  while self.slots >= self.max_concurrency do
    local left = deadline_at and deadline_at - clock()
    if left and left <= 0 then return false end
    self:await(function(ev) self.slot_waiters[#self.slot_waiters + 1] = ev end, left)
  end
  self.slots = self.slots + 1
  return true
end

-- All of them look again: one that was abandoned must not keep the place from the others.
local function wake_slot_waiters(self)
  local waiters = self.slot_waiters
  if waiters[1] == nil then return end
  self.slot_waiters = {}
  for _, ev in ipairs(waiters) do ev:set() end
end

--- Gives a slot back (a call that took one and sent nothing, or a blocking transfer done).
function methods:release()
  self.slots = self.slots - 1
  wake_slot_waiters(self)
end

--- Starts `req` ({method, url, headers, payload}) for `owner` with `timeout`
-- (seconds, nil: the client's). `counted`: the transfer holds the caller's slot,
-- given back when its answer is filed. Returns the transfer's tag.
function methods:start(owner, req, timeout, counted)
  self:check_open()
  self.last_tag = self.last_tag + 1
  local tag = self.last_tag
  self.handle:start(tag, req.method, req.url, req.headers, req.payload, timeout)
  self.owners[tag] = owner
  self.counted[tag] = counted or nil
  if self.driver then self.driver:sync() end
  return tag
end

local function forget(self, tag)
  self.owners[tag] = nil
  if self.counted[tag] then
    self.counted[tag] = nil
    self:release()
  end
end

--- Files one finished transfer (tag, results...) with its owner. An owner that
-- gave it up meanwhile (cancel) is gone: the answer is dropped.
function methods:file(answer)
  local owner = self.owners[answer[1]]
  if owner == nil then return end
  forget(self, answer[1])
  owner:receive(answer)
end

--- Stops the transfer `tag` of `owner`, if it is still under way.
function methods:cancel(owner, tag)
  if self.owners[tag] ~= owner then return end
  if self.handle then self.handle:cancel(tag) end
  forget(self, tag)
end

--- Ends every transfer under way with a network error saying `why` (the loop
-- could not drive the handle any more): each owner hears of it, no one waits forever.
function methods:fail_all(why)
  local tags = {}
  for tag in pairs(self.owners) do tags[#tags + 1] = tag end
  table.sort(tags)
  for _, tag in ipairs(tags) do
    if self.handle then pcall(self.handle.cancel, self.handle, tag) end
    self:file(table.pack(tag, nil, "network", "the event loop could not drive libcurl: " .. tostring(why), nil, true, true))
  end
end

--- Waits `seconds` in the host's loop (the running coroutine yields); close() ends the wait early,
-- and the caller then gets the closed-client error.
function methods:sleep(seconds)
  self:await(nil, seconds)
end

--- Closes: wakes every coroutine waiting in this client (they find it closed),
-- stops watching its sockets and closes the handle. Closing twice is fine.
function methods:close()
  local handle = self.handle
  if not handle then return end
  self.handle = nil
  self.owners, self.counted, self.slots = {}, {}, 0
  if self.driver then self.driver:close() end
  wake_slot_waiters(self)
  handle:close()
end

--- What a finalizer may do. The host's loop may be gone already (Lua closes
-- states by finalizing everything, the loop's own handles included), so a
-- transport the loop still watches is only marked: the loop's next callback
-- closes it, where touching the loop is safe; at state close the handle's own
-- finalizer releases libcurl. A transport nothing watches is closed at once.
function methods:finalize()
  if not self.handle then return end
  if self.driver and self.driver:busy() then
    self.orphaned = true
    return
  end
  local handle = self.handle
  self.handle = nil
  handle:close()
end

return M
