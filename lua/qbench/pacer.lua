--- Client-side pacing: at most `requests` requests in any window of `per` seconds.
-- A request counts from the moment its answer arrived (or from its start
-- while it is still under way): the server saw it at some point before that,
-- so a window that is clear on our side is clear on the server's too, whatever
-- fixed windows it keeps. Pacing only waits; it never fails a call.
-- @module qbench.pacer

local M = {}
local methods = {}
local mt = { __name = "qbench.Pacer", __index = methods }

function M.new(requests, per, clock, sleep)
  return setmetatable({ requests = requests, per = per, clock = clock, sleep = sleep,
                        slots = {}, head = 1, count = 0 }, mt)
end

--- Waits until one more request fits in the window; returns its slot for done().
-- Returns nil, without waiting, when that would take longer than `max_wait` seconds.
-- The window is looked at again after every sleep: with several coroutines on one
-- client, another may have taken the room meanwhile, or the oldest request's
-- answer may have come late and moved its time.
function methods:wait(max_wait)
  local deadline = max_wait and self.clock() + max_wait
  while true do
    local now = self.clock()
    if self.count == self.requests then
      local ready = self.slots[self.head].time + self.per
      if ready <= now then
        self.head = self.head % self.requests + 1
        self.count = self.count - 1
      else
        if deadline and ready > deadline then return nil end
        self.sleep(ready - now)
      end
    end
    if self.count < self.requests then
      local slot = { time = self.clock() }
      self.slots[(self.head + self.count - 1) % self.requests + 1] = slot
      self.count = self.count + 1
      return slot
    end
  end
end

--- Records that the request of `slot` has had its answer.
function methods:done(slot)
  slot.time = self.clock()
end

return M
