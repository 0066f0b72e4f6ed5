--- Requests in flight at the same time on one client, through libcurl's
-- multi interface. Each request goes through the same authentication,
-- pacing and retry rules as a single call; results come back as they
-- complete, and the caller puts them in order (see qbench.paging).
--
-- Several batches may share one client (nested loops, or loops in different
-- coroutines). Whoever receives a finished transfer (a blocking wait, or the
-- event loop's callback) only files the raw answer with the batch that
-- started it. Judging an answer (tracing, on_request, retries and their
-- sleeps) happens in that batch's own next(), in the caller's own coroutine,
-- so nothing one walk does can lose or misroute another walk's transfer.
-- @classmod qbench.Batch
-- @local

local M = {}
local methods = {}
local mt = { __name = "qbench.Batch", __index = methods }

-- The client's shared bookkeeping: which batch owns each tag, how many are under
-- way, and who waits (in an event loop) for a free place under max_concurrency.
local function transfers_of(client)
  local t = client._transfers
  if t then return t end
  t = { owners = {}, inflight = 0, last_tag = 0, slot_waiters = {} }
  --- Files one finished transfer (tag, results...) with its batch and wakes its waiter.
  -- A batch that was closed meanwhile is gone from `owners`: its answer is dropped.
  function t.file(answer)
    local tag = answer[1]
    local owner = t.owners[tag]
    if owner == nil then return end
    t.owners[tag] = nil
    t.inflight = t.inflight - 1
    owner.arrived_last = owner.arrived_last + 1
    owner.arrived[owner.arrived_last] = answer
    owner:_wake()
    t.wake_slot_waiters()
  end
  -- All of them look again: one that was abandoned must not keep the place from the others.
  function t.wake_slot_waiters()
    local waiters = t.slot_waiters
    if waiters[1] == nil then return end
    t.slot_waiters = {}
    for _, ev in ipairs(waiters) do ev:set() end
  end
  client._transfers = t
  return t
end

function M.new(client)
  return setmetatable({
    client = client, transfers = transfers_of(client),
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

function methods:_wake()
  local ev = self.event
  if ev then
    self.event = nil
    ev:set()
  end
end

-- Waits until some transfer of the client finishes and is filed: through the
-- event loop when the caller runs in one, else by blocking in libcurl.
local function wait_for_any(client, transfers, batch)
  local driver = client._driver
  if driver and driver:active() then
    local ev = driver:event()
    if batch then batch.event = ev else transfers.slot_waiters[#transfers.slot_waiters + 1] = ev end
    ev:wait(nil)
    return
  end
  local answer = table.pack(client._handle:wait_any())
  if answer[1] == nil then error("qbench: internal error: waiting for a transfer while none is under way", 0) end
  transfers.file(answer)
  if driver then driver:sync() end
end

-- Starts one attempt of `req` for `key`; a failure to start (no token) is a final result.
local function start(self, key, req)
  local client, transfers = self.client, self.transfers
  client:_check_open()
  local planned = not req.raw and client:_record(req)
  if planned then return push_ready(self, key, "done", planned, 200, "") end
  while transfers.inflight >= client.max_concurrency do wait_for_any(client, transfers, nil) end
  if not req.raw then
    local ok, err = client:_begin(req)
    if not ok then return push_ready(self, key, "failed", err) end
  end
  transfers.last_tag = transfers.last_tag + 1
  local tag = transfers.last_tag
  client._handle:start(tag, req.method, req.url, req.headers, req.payload, req.attempt_timeout)
  transfers.owners[tag] = self
  transfers.inflight = transfers.inflight + 1
  self.inflight[tag] = { key = key, req = req }
  if client._driver then client._driver:sync() end
end

--- Starts `req` (as made by the client's _prepare) under `key`.
-- Waits first while the client has max_concurrency transfers under way, so
-- that several batches on one client stay under the cap together. A request
-- marked `raw` (a token request) skips authentication, pacing and judging:
-- its result is "raw" followed by what the C core returned.
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
  if entry.req.raw then return push_ready(self, entry.key, "raw", table.unpack(answer, 2, answer.n)) end
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

--- The next final result: key, "done", decoded, status, headers | key, "failed", err
-- (| key, "raw", ... for raw requests). Returns nil when nothing of this batch is left.
function methods:next()
  while self.ready_first > self.ready_last do
    if self.outstanding == 0 then return nil end
    if self.arrived_first <= self.arrived_last then
      local answer = self.arrived[self.arrived_first]
      self.arrived[self.arrived_first] = nil
      self.arrived_first = self.arrived_first + 1
      judge(self, answer)
    else
      self.client:_check_open()
      wait_for_any(self.client, self.transfers, self)
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
  local client, transfers = self.client, self.transfers
  for tag in pairs(self.inflight) do
    if transfers.owners[tag] == self then
      if client._handle then client._handle:cancel(tag) end
      transfers.owners[tag] = nil
      transfers.inflight = transfers.inflight - 1
      transfers.wake_slot_waiters()
    end
  end
  self.inflight, self.arrived, self.ready = {}, {}, {}
  self.arrived_first, self.arrived_last, self.ready_first, self.ready_last = 1, 0, 1, 0
  self.outstanding = 0
  if client._driver and client._handle then client._driver:sync() end
end

mt.__close = methods.close

return M
