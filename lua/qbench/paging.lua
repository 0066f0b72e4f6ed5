--- Paging, once for every resource: the walk over a paginated list, and the
-- ordered keep-ahead window it shares with get_many.
--
-- A walk asks for the first page alone: it tells total_pages. The rest are
-- fetched up to `concurrency` at a time and handed out strictly in page order
-- (a failure too, after the pages before it). Pages under way plus pages
-- waiting their turn never exceed `concurrency`, so memory holds at most
-- concurrency + 1 pages. Without total_pages (QBench sends null on some
-- resources) the walk goes one page at a time until an empty data array;
-- total_count alone is never trusted.
-- @module qbench.paging
-- @local

local Batch = require "qbench.batch"
local qerror = require "qbench.error"

local M = {}

--- An ordered window over keys 1, 2, ...: `take(k)` returns key k's value once
-- its request is done, keeping the `concurrency` keys after it under way.
-- `request_of(key)` builds a key's request; `value_of(key, outcome, decoded,
-- status, headers)` turns its result into the value handed out (an error
-- object for a failure). `last` is the last key (settable later).
-- @local
function M.window(client, concurrency, request_of, value_of, last)
  local batch = Batch.new(client)
  local w = { last = last }
  local next_submit, taken, ready = 1, 0, {}

  local function fill()
    while next_submit <= (w.last or 0) and next_submit - (taken + 1) < concurrency do
      batch:submit(next_submit, request_of(next_submit))
      next_submit = next_submit + 1
    end
  end

  --- The value of key `taken + 1`, waiting for it when needed.
  function w.take()
    local k = taken + 1
    fill()
    while ready[k] == nil do
      local key, outcome, a, b, c = batch:next()
      if key == nil then error("qbench: internal error: page window ran dry at " .. k, 0) end
      ready[key] = value_of(key, outcome, a, b, c)
    end
    local v = ready[k]
    ready[k] = nil
    taken = k
    fill() -- the next keys load while the caller handles this one
    return v
  end

  function w.close() batch:close() end
  fill() -- the first keys load at once
  return w
end

--- A walk over pages: `walk.next()` -> page | nil (the end) | nil, err; `walk.close()` cancels.
-- `spec`: client, first (page_num to start at), concurrency, fetch(page_num) -> page | nil, err
-- (a single call, used for the first page and without total_pages), request(page_num) -> a
-- prepared request, check(decoded, page_num) -> page | nil, err (for pages fetched in parallel).
-- @local
function M.walk(spec)
  local client, concurrency = spec.client, spec.concurrency
  client:_check_open()
  local walk = { finished = false }
  local page_num, total = spec.first, nil
  local window

  local function finish()
    walk.finished = true
    if window then window.close() end
  end

  local function next_parallel()
    local p = window.take()
    if qerror.is(p) then return nil, p end
    return p
  end

  function walk.next()
    if walk.finished then return nil end
    local p, err
    if window then
      p, err = next_parallel()
    else
      p, err = spec.fetch(page_num)
      if p and total == nil then total = math.tointeger(p.total_pages) end
    end
    if p == nil then
      finish()
      return nil, err
    end
    local last = total and page_num >= total
    if #p.data == 0 or last then finish() end
    if #p.data == 0 then return nil end
    page_num = page_num + 1
    if not walk.finished and total and concurrency > 1 and not window then
      -- Keys of the window count from the page after this one.
      local base = page_num - 1
      window = M.window(client, concurrency,
        function(k) return spec.request(base + k) end,
        function(key, outcome, decoded)
          if outcome ~= "done" then return decoded end -- the error object
          local page, why = spec.check(decoded, base + key)
          return page or why
        end,
        total - base)
    end
    return p
  end

  walk.close = finish
  return walk
end

-- The closing value of a generic for: a break or an error stops the walk.
local function closer(walk)
  return setmetatable({}, { __close = function() walk.close() end })
end

--- The iterator of `pages`: every page table, in order; raises the error object on failure.
-- @local
function M.pages(walk)
  return function()
    local p, err = walk.next()
    if err then error(err, 0) end
    return p
  end, nil, nil, closer(walk)
end

--- The iterator of `list`: every record of every page, in order; raises on failure.
-- @local
function M.records(walk)
  local data, i = nil, 0
  return function()
    while true do
      if data and i < #data then
        i = i + 1
        return data[i]
      end
      local p, err = walk.next()
      if err then error(err, 0) end
      if p == nil then return nil end
      data, i = p.data, 0
    end
  end, nil, nil, closer(walk)
end

--- Every record of every page as one array, or nil, err.
-- @local
function M.all(walk)
  local _ <close> = closer(walk)
  local out = {}
  while true do
    local p, err = walk.next()
    if err then return nil, err end
    if p == nil then return out end
    table.move(p.data, 1, #p.data, #out + 1, out)
  end
end

return M
