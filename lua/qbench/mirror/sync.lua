--- One collection's walk into its table, page by page, resumable.
--
-- A walk has phases: `live` (the collection's list, filtered by the window of an
-- incremental walk), `deleted` (`include_deleted = "DELETED_ONLY"`, same window,
-- where the list offers it: rows are kept and marked `_deleted = 1`), then the end:
-- a full walk marks deleted the rows it did not see (QBench no longer lists them),
-- and the next window is computed (qbench.mirror.window). Each page is one
-- transaction that also writes the checkpoint row of `_qbench_sync` (phase, page,
-- watermark, counts): killed at any moment, a rerun finds the walk there and goes
-- on from the next page with the same window, as if nothing had happened.
-- @module qbench.mirror.sync
-- @local

local core = require "qbench.core"
local qerror = require "qbench.error"
local schema = require "qbench.mirror.schema"
local Table = require "qbench.mirror.table"
local window = require "qbench.mirror.window"

local M = {}

local encode, null = core.encode, core.null
local quote = schema.quote

local SYNC = "_qbench_sync"
-- The checkpoint's fields, in column order; kinds for the DDL.
local FIELDS = {
  { "collection", "text" }, { "state", "text" }, { "mode", "text" }, { "phase", "text" }, { "page", "integer" },
  { "run", "integer" }, { "since", "integer" }, { "horizon", "integer" }, { "watermark", "real" },
  { "next_since", "integer" }, { "new", "integer" }, { "updated", "integer" }, { "deleted", "integer" },
  { "unchanged", "integer" }, { "skipped", "integer" }, { "pages", "integer" }, { "started", "real" },
  { "finished", "real" },
}
local COUNTS = { "new", "updated", "deleted", "unchanged", "skipped", "pages" }

--- Makes the checkpoint table and its statements; returns {read =, write =} or nil, err.
function M.checkpoints(store)
  local defs, names, params, sets = {}, {}, {}, {}
  for i, f in ipairs(FIELDS) do
    defs[i] = quote(f[1]) .. " " .. store.types[f[2]] .. (i == 1 and " PRIMARY KEY" or "")
    names[i], params[i] = quote(f[1]), store.param(i)
    if i > 1 then sets[#sets + 1] = names[i] .. " = excluded." .. names[i] end
  end
  local ok, err = store:exec(string.format("CREATE TABLE IF NOT EXISTS %s (%s)", quote(SYNC), table.concat(defs, ", ")))
  if not ok then return nil, err end
  local read, write
  read, err = store:prepare(string.format("SELECT %s FROM %s WHERE %s = %s", table.concat(names, ", "), quote(SYNC),
    names[1], store.param(1)))
  if not read then return nil, err end
  write, err = store:prepare(string.format("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO UPDATE SET %s",
    quote(SYNC), table.concat(names, ", "), table.concat(params, ", "), names[1], table.concat(sets, ", ")))
  if not write then return nil, err end
  return { read = read, write = write }
end

local function read_state(cp, name)
  local r = table.pack(cp.read:first({ name }, 1))
  if r.n == 0 then return nil end
  if r[1] == nil and r.n >= 2 then return nil, r[2] end
  local s = {}
  for i, f in ipairs(FIELDS) do s[f[1]] = r[i] end
  return s
end

local function write_state(cp, s)
  local v = {}
  for i, f in ipairs(FIELDS) do v[i] = s[f[1]] end
  return cp.write:run(v, #FIELDS)
end

-- What the list of `name` offers: the "updated at or after" filter and DELETED_ONLY.
local function capabilities(name)
  local list = require("qbench.v2.api." .. name).methods.list
  local query = list and list.query or {}
  local deleted = false
  for _, e in ipairs(query.include_deleted and query.include_deleted.enum or {}) do
    if e == "DELETED_ONLY" then deleted = true end
  end
  return window.filter_of(query), deleted
end

-- Runs fn inside a transaction: its results, or nil and the error after a rollback.
local function transaction(store, fn)
  local ok, err = store:begin()
  if not ok then return nil, err end
  ok, err = fn()
  if ok then ok, err = store:commit() end
  if not ok then
    store:rollback()
    return nil, err
  end
  return true
end

-- One page of a phase, in one transaction with the checkpoint.
local function save_page(ctx, t, state, page, deleted)
  local data = page.data
  local ids, raws, records = {}, {}, {}
  for i = 1, (type(data) == "table" and #data or 0) do
    local rec = data[i]
    local id, why
    if type(rec) == "table" then id, why = schema.id_of(rec, t.id_kind) else why = "is not an object" end
    if id == nil then
      state.skipped = state.skipped + 1
      ctx.warn(t.name, string.format("%s: record %d of page %d %s; skipped", t.name, i, state.page + 1, why))
    else
      records[#records + 1], ids[#ids + 1], raws[#raws + 1] = rec, id, (encode(rec, schema.JSON))
      local lu = window.parse(rec.last_updated)
      if lu and (state.watermark == nil or lu > state.watermark) then state.watermark = lu end
    end
  end
  local began = ctx.clock()
  local function timed(ok, err)
    ctx.db_seconds = ctx.db_seconds + (ctx.clock() - began)
    return ok, err
  end
  return timed(transaction(ctx.store, function()
    local existing, err = {}, nil
    -- A walk that began on an empty table has only its own rows to find: none to look up.
    if #ids > 0 and not ctx.fresh then existing, err = t:existing(encode(ids)) end
    if not existing then return nil, err end
    local flag = deleted and 1 or 0
    local seen = {}
    for i, rec in ipairs(records) do
      local id, raw = ids[i], raws[i]
      local old = existing[id]
      if old and old[1] == raw and old[2] == flag then
        state.unchanged = state.unchanged + 1
        seen[#seen + 1] = id
      else
        local ok
        ok, err = t:grow(rec)
        if ok then ok, err = t:write(id, rec, raw, flag, state.run) end
        if not ok then return nil, err end
        if not old then
          if deleted then state.deleted = state.deleted + 1 else state.new = state.new + 1 end
        elseif deleted and old[2] == 0 then
          state.deleted = state.deleted + 1
        else
          state.updated = state.updated + 1
        end
        existing[id] = { raw, flag }
      end
    end
    -- A full walk marks what it saw, so that its end can tell what QBench no longer lists.
    if state.mode == "full" and #seen > 0 then
      local ok
      ok, err = t.touch:run({ encode(seen), state.run }, 2)
      if not ok then return nil, err end
    end
    state.page, state.pages = state.page + 1, state.pages + 1
    return write_state(ctx.cp, state)
  end))
end

local PHASES = { "live", "deleted" }

-- Walks one phase from the page after the checkpoint's.
local function walk_phase(ctx, t, state, filter, report)
  local deleted = state.phase == "deleted"
  local opts = { page_size = 50, concurrency = ctx.concurrency, page_num = state.page + 1 }
  if state.since then
    for k, v in pairs(window.filters(filter, state.since)) do opts[k] = v end
  end
  if deleted then opts.include_deleted = "DELETED_ONLY" end
  local function iterate()
    for page in ctx.client.v2[t.name]:pages(opts) do
      local n = type(page.data) == "table" and #page.data or 0
      local began = ctx.clock()
      local ok, err = save_page(ctx, t, state, page, deleted)
      if not ok then return nil, err end
      report.work_seconds = report.work_seconds + (ctx.clock() - began)
      report.records = report.records + n
      ctx.progress { collection = t.name, phase = state.phase, pages_done = state.page,
        total_pages = math.tointeger(page.total_pages), records = report.records, elapsed = ctx.clock() - report.started }
    end
    return true
  end
  -- The walk raises the client's error objects; anything else is a bug and goes on up.
  local ran, ok, err = pcall(iterate)
  if ran then return ok, err end
  if qerror.is(ok) then return nil, ok end
  error(ok, 0)
end

--- Mirrors collection `name`. Returns its report ({collection =, mode =, resumed =, new =,
-- updated =, deleted =, unchanged =, skipped =, pages =, records =, seconds =}), or nil,
-- the report and an error object. The walks raise the client's errors (the caller catches them).
function M.collection(ctx, name)
  local report = { collection = name, pages = 0, records = 0, work_seconds = 0, started = ctx.clock() }
  ctx.db_seconds = 0
  local function failed(err)
    report.seconds = ctx.clock() - report.started
    return nil, report, err
  end
  local filter, offers_deleted = capabilities(name)
  local t, err = Table.open(ctx.store, name)
  if not t then return failed(err) end
  local _ <close> = setmetatable({}, { __close = function() t:close() end })
  local state
  state, err = read_state(ctx.cp, name)
  if err then return failed(err) end
  -- A table made just now (dropped since the last run, say) holds nothing a checkpoint could go on from.
  if t.created then state = state and { run = state.run } end
  report.resumed = state ~= nil and state.state == "walking" and not ctx.full
  ctx.fresh = false
  if not report.resumed then
    ctx.fresh, err = t:is_empty()
    if ctx.fresh == nil then return failed(err) end
    local incremental = filter and not ctx.full and state and state.state == "done" and state.next_since
    state = {
      collection = name, state = "walking", mode = incremental and "incremental" or "full", phase = "live",
      page = 0, run = (state and state.run or 0) + 1, since = incremental and state.next_since or nil,
      horizon = math.floor(ctx.clock() - ctx.overlap), watermark = state and state.watermark,
      started = ctx.clock(),
    }
    for _, k in ipairs(COUNTS) do state[k] = 0 end
    local ok
    ok, err = transaction(ctx.store, function() return write_state(ctx.cp, state) end)
    if not ok then return failed(err) end
  end
  report.mode = state.mode
  for _, phase in ipairs(PHASES) do
    local wanted = phase == "live" or offers_deleted
    local before = phase == "live" and state.phase == "deleted"
    if wanted and not before then
      if state.phase ~= phase then state.phase, state.page = phase, 0 end
      local ok
      ok, err = walk_phase(ctx, t, state, filter, report)
      if not ok then return failed(err) end
    end
  end
  local ok
  ok, err = transaction(ctx.store, function()
    if state.mode == "full" then
      local n, e = t.sweep:run({ state.run }, 1)
      if not n then return nil, e end
      state.deleted = state.deleted + n
    end
    state.state, state.phase, state.page = "done", null, 0
    state.next_since = filter and window.next_since(state.watermark, state.horizon) or null
    state.finished = ctx.clock()
    return write_state(ctx.cp, state)
  end)
  if not ok then return failed(err) end
  for _, k in ipairs(COUNTS) do report[k] = state[k] end
  report.seconds, report.db_seconds = ctx.clock() - report.started, ctx.db_seconds
  return report
end

return M
