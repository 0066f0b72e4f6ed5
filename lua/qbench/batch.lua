--- Requests in flight at the same time on one client, through libcurl's
-- multi interface. Each request goes through the same authentication,
-- pacing and retry rules as a single call; results come back as they
-- complete, and the caller puts them in order.
-- Several batches may share one client (nested loops): every completed
-- transfer is handed to the batch that started it.
-- @classmod qbench.Batch

local M = {}
local methods = {}
local mt = { __name = "qbench.Batch", __index = methods }

function M.new(client)
  client._batch_owners = client._batch_owners or {}
  client._batch_tags = client._batch_tags or 0
  client._batch_inflight = client._batch_inflight or 0
  return setmetatable({ client = client, inflight = {}, count = 0, results = {}, first = 1, last = 0 }, mt)
end

local function push_result(self, key, outcome, a, b, c)
  self.last = self.last + 1
  self.results[self.last] = { key, outcome, a, b, c }
end

local dispatch_one

--- Starts `req` (as made by the client's _prepare) under `key`.
-- Waits first while the client has max_concurrency transfers under way, so
-- that several batches on one client (nested loops) stay under the cap too.
function methods:submit(key, req)
  local client = self.client
  client:_check_open()
  while client._batch_inflight >= client.max_concurrency do dispatch_one(client) end
  local ok, err = client:_begin(req)
  if not ok then return push_result(self, key, "failed", err) end
  client._batch_tags = client._batch_tags + 1
  local tag = client._batch_tags
  client._handle:start(tag, req.method, req.url, req.headers, req.payload)
  client._batch_owners[tag] = self
  client._batch_inflight = client._batch_inflight + 1
  self.inflight[tag] = { key = key, req = req }
  self.count = self.count + 1
end

-- One finished transfer of this batch: final, or sent again after the retry wait.
function methods:_complete(tag, ...)
  local entry = self.inflight[tag]
  self.inflight[tag] = nil
  self.count = self.count - 1
  local outcome, a, b, c = self.client:_finish(entry.req, ...)
  if outcome == "again" then
    if a > 0 then self.client._sleep(a) end
    return self:submit(entry.key, entry.req)
  end
  push_result(self, entry.key, outcome, a, b, c)
end

-- Waits for any transfer of the client to finish and hands it to its batch.
function dispatch_one(client)
  local function route(tag, ...)
    if tag == nil then return end
    local owner = client._batch_owners[tag]
    client._batch_owners[tag] = nil
    client._batch_inflight = client._batch_inflight - 1
    if owner then owner:_complete(tag, ...) end
  end
  route(client._handle:wait_any())
end

--- The next final result: key, "done", decoded, status, headers | key, "failed", err.
-- Returns nil when nothing of this batch is left.
function methods:next()
  while self.first > self.last do
    if self.count == 0 then return nil end
    self.client:_check_open()
    dispatch_one(self.client)
  end
  local r = self.results[self.first]
  self.results[self.first] = nil
  self.first = self.first + 1
  return r[1], r[2], r[3], r[4], r[5]
end

--- Stops every transfer still in flight; the client stays usable.
function methods:close()
  local client = self.client
  for tag in pairs(self.inflight) do
    if client._handle then client._handle:cancel(tag) end
    client._batch_owners[tag] = nil
    client._batch_inflight = client._batch_inflight - 1
  end
  self.inflight, self.count, self.results, self.first, self.last = {}, 0, {}, 1, 0
end

mt.__close = methods.close

return M
