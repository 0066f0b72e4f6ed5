-- qbench in a hand-written event loop (select(2) through LuaSocket): the five
-- functions of qbench's loop protocol written for a loop of your own, the way a
-- game loop or copas would plug in. See lua/qbench/loop.lua for the protocol.
--   QBENCH_URL=... QBENCH_TOKEN=... lua5.4 examples/loop_select.lua
local socket = require "socket"
local qbench = require "qbench"

-- ---------------------------------------------------------------- a tiny loop

local now = socket.gettime
local ours = setmetatable({}, { __mode = "k" }) -- the coroutines this loop runs
local runnable = {}                             -- coroutines to resume on the next turn
local watches = {}                              -- fd -> {events =, fn =}
local timers = {}                               -- set of {at =, fn =}

local function spawn(fn)
  local co = coroutine.create(fn)
  ours[co] = true
  runnable[#runnable + 1] = co
end

local adapter = {}

function adapter.active()
  return ours[coroutine.running()] == true
end

function adapter.watch(fd, events, fn)
  watches[fd] = events and { events = events, fn = fn } or nil
end

function adapter.timer()
  local t = {}
  function t:start(seconds, fn) self.entry = { at = now() + seconds, fn = fn }; timers[self.entry] = true end
  function t:stop() if self.entry then timers[self.entry] = nil; self.entry = nil end end
  return t
end

function adapter.event()
  local ev = { is_set = false }
  function ev:wait(timeout)
    if self.is_set then return true end
    local co = coroutine.running()
    self.waiter = co
    local entry
    if timeout then
      entry = { at = now() + timeout, fn = function() if self.waiter == co then self.waiter = nil; runnable[#runnable + 1] = co end end }
      timers[entry] = true
    end
    while self.waiter == co do coroutine.yield() end
    if entry then timers[entry] = nil end
    return self.is_set
  end
  function ev:set()
    self.is_set = true
    local co = self.waiter
    if co then self.waiter = nil; runnable[#runnable + 1] = co end
  end
  return ev
end

function adapter.sleep(seconds)
  adapter.event():wait(seconds)
end

-- One fd as LuaSocket's select wants it: an object with getfd().
local function selectable(fd) return { getfd = function() return fd end, fd = fd } end

local function run()
  while true do
    local batch = runnable
    runnable = {}
    for _, co in ipairs(batch) do
      if coroutine.status(co) == "suspended" then assert(coroutine.resume(co)) end
    end
    local alive = false
    for co in pairs(ours) do if coroutine.status(co) ~= "dead" then alive = true end end
    if not alive then return end
    -- Wait for a watched socket or the next timer, then call back.
    local readers, writers, by_object = {}, {}, {}
    for fd, w in pairs(watches) do
      local o = selectable(fd)
      by_object[o] = w
      if w.events:find("r") then readers[#readers + 1] = o end
      if w.events:find("w") then writers[#writers + 1] = o end
    end
    local next_at = math.huge
    for t in pairs(timers) do next_at = math.min(next_at, t.at) end
    local timeout = #runnable > 0 and 0 or math.max(0, math.min(next_at - now(), 1))
    local r, w = socket.select(readers, writers, timeout)
    for _, o in ipairs(r or {}) do by_object[o].fn(o.fd, "r") end
    for _, o in ipairs(w or {}) do if watches[o.fd] then by_object[o].fn(o.fd, "w") end end
    local t, due = now(), {}
    for entry in pairs(timers) do
      if entry.at <= t then due[#due + 1] = entry end
    end
    for _, entry in ipairs(due) do -- a callback may start new timers: not while iterating
      if timers[entry] then timers[entry] = nil; entry.fn() end
    end
  end
end

-- ---------------------------------------------------------------- using it

local opts, missing = qbench.env_options {
  loop = adapter,
}
if not opts then io.stderr:write(arg[0], ": ", missing, "\n") os.exit(2) end
local qb <close> = qbench.new(opts)

local got, fetched, done = {}, 0, false
for worker = 1, 3 do
  spawn(function()
    for id = worker, 9, 3 do
      got[id] = assert(qb.customer:get(id)).customer_name
      fetched = fetched + 1
    end
  end)
end
local ticks = 0
spawn(function()
  while not done do ticks = ticks + 1; adapter.sleep(0.01) end
end)
spawn(function()
  while fetched < 9 do adapter.sleep(0.01) end
  done = true
end)
run()
for id = 1, 9 do print(id, got[id]) end
print(string.format("the ticker ticked %d times meanwhile", ticks))
