--- Client-side pacing: at most `requests` starts in any window of `per` seconds.
-- A sliding window on our side keeps every fixed window on the server's side
-- under the limit too, so a long export never meets a 429. It only waits.
-- @module qbench.pacer

local M = {}
local methods = {}
local mt = { __name = "qbench.Pacer", __index = methods }

function M.new(requests, per, clock, sleep)
  return setmetatable({ requests = requests, per = per, clock = clock, sleep = sleep,
                        starts = {}, head = 1, count = 0 }, mt)
end

--- Waits until one more request fits in the window, then records its start.
function methods:wait()
  local now = self.clock()
  if self.count == self.requests then
    local ready = self.starts[self.head] + self.per
    if ready > now then
      self.sleep(ready - now)
      now = self.clock()
    end
    self.head = self.head % self.requests + 1
    self.count = self.count - 1
  end
  local slot = (self.head + self.count - 1) % self.requests + 1
  self.starts[slot] = now
  self.count = self.count + 1
end

return M
