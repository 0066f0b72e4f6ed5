--- Requests in flight at the same time on one client, through libcurl's
-- multi interface. Each request goes through the same authentication,
-- pacing and retry rules as a single call; results come back as they
-- complete, and the caller puts them in order (see qbench.paging).
--
-- Several batches may share one client (nested loops, or loops in different
-- coroutines). Whoever receives a finished transfer (a blocking wait, or the
-- event loop's callback) only files the raw answer with the batch that
-- started it (the transport's owners). Judging an answer (tracing,
-- on_request, retries and their sleeps) happens in that batch's own next(),
-- in the caller's own coroutine, so nothing one walk does can lose or
-- misroute another walk's transfer.
-- @classmod qbench.Batch
-- @local

local M = {}
local methods = {}
local mt = { __name = "qbench.Batch", __index = methods }

function M.new(client)
  return setmetatable({
    client = client, transport = client._transport,
    inflight = {},          -- tag -> {key =, req =}: started, answer not yet judged
    arrived = {}, arrived_first = 1, arrived_last = 0, -- raw answers filed by whoever received them
    ready = {}, ready_first = 1, ready_last = 0,       -- final results, in completion order
    outstanding = 0,        -- keys submitted without a final result yet
    event = nil,            -- set while the batch's coroutine waits in an event loop
  }, mt)
end

local function push_ready(self, key, outcome, ...)
  self.ready_last = self.ready_last + 1
  self.ready[self.ready_last] = table.pack(key, outcome, ...)
end

--- The transport files a finished transfer of this batch here, and wakes its waiter.
function methods:receive(answer)
  self.arrived_last = self.arrived_last + 1
  self.arrived[self.arrived_last] = answer
  local ev = self.event
  if ev then
    self.event = nil
    ev:set()
  end
end

-- Starts one attempt of `req` for `key`: a slot under max_concurrency first, then
-- the client's preparation (token, pacing, timeout); a failure there is a final result.
local function start(self, key, req)
  local client, transport = self.client, self.transport
  transport:check_open()
  local planned = client:_record(req)
  if planned then return push_ready(self, key, "done", planned, 200, "") end
  local claimed, err = client:_claim(req)
  if not claimed then return push_ready(self, key, "failed", err) end
  local tag = transport:start(self, req, req.attempt_timeout, true)
  self.inflight[tag] = { key = key, req = req }
end

--- Starts `req` (as made by the client's _prepare) under `key`.
-- Waits first while the client has max_concurrency requests under way, so
-- that several batches on one client stay under the cap together.
function methods:submit(key, req)
  self.outstanding = self.outstanding + 1
  start(self, key, req)
end

-- Judges one filed answer: a final result, or the same request again after its wait.
local function judge(self, answer)
  local tag = answer[1]
  local entry = self.inflight[tag]
  self.inflight[tag] = nil
  if not entry then return end -- cancelled before it was judged
  local ok, outcome, a, b, c = pcall(self.client._finish, self.client, entry.req, table.unpack(answer, 2, answer.n))
  if not ok then
    self.outstanding = self.outstanding - 1 -- the key is dead; the caller sees the error
    error(outcome, 0)
  end
  if outcome == "again" then
    self.client:_wait(a)
    return start(self, entry.key, entry.req)
  end
  push_ready(self, entry.key, outcome, a, b, c)
end

--- The next final result: key, "done", decoded, status, headers | key, "failed", err.
-- Returns nil when nothing of this batch is left.
function methods:next()
  while self.ready_first > self.ready_last do
    if self.outstanding == 0 then return nil end
    if self.arrived_first <= self.arrived_last then
      local answer = self.arrived[self.arrived_first]
      self.arrived[self.arrived_first] = nil
      self.arrived_first = self.arrived_first + 1
      judge(self, answer)
    else
      self.transport:await(function(ev) self.event = ev end)
    end
  end
  local r = self.ready[self.ready_first]
  self.ready[self.ready_first] = nil
  self.ready_first = self.ready_first + 1
  self.outstanding = self.outstanding - 1
  return table.unpack(r, 1, r.n)
end

--- Stops every transfer still in flight; the client stays usable.
function methods:close()
  local transport = self.transport
  local tags = {}
  for tag in pairs(self.inflight) do tags[#tags + 1] = tag end
  for _, tag in ipairs(tags) do transport:cancel(self, tag) end
  self.inflight, self.arrived, self.ready = {}, {}, {}
  self.arrived_first, self.arrived_last, self.ready_first, self.ready_last = 1, 0, 1, 0
  self.outstanding = 0
  if transport.driver and transport.handle then transport.driver:sync() end
end

mt.__close = methods.close

return M
