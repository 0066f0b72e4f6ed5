--- Keeps a local SQLite (or PostgreSQL) copy of a QBench instance: v2 collections,
-- one table each, incremental and resumable. `qbench mirror` is this module.
--
--     local mirror = require "qbench.mirror"
--     local report = assert(mirror.run{client = qb, db = "lab.db"})
--     for _, c in ipairs(report.collections) do print(c.collection, c.new, c.updated, c.error) end
--
-- `db` is a file path (SQLite) or a `postgresql://` URL. The first run of a
-- collection walks it in full; later runs ask only for what changed since
-- (`last_updated_start`, or `last_updated`, where the list offers them), and for
-- what was deleted since (`include_deleted = "DELETED_ONLY"`, kept as rows with
-- `_deleted = 1`). Collections without such filters are walked in full each time.
-- Each page is one transaction with its checkpoint, so a run killed at any moment
-- goes on where it stopped when run again. See the README's "Mirror a QBench
-- instance into a database" for the tables, the window and the guarantees.
--
-- It is a module of its own, not a field of @{qbench}: `require "qbench.mirror"`.
-- Its C modules (`qbench.mirror.rows`, and `qbench.mirror.sqlite` or
-- `qbench.mirror.pq`, on libsqlite3 and libpq) load when a mirror runs, so
-- requiring it needs neither; a run without them returns `nil, err` naming the
-- missing one.
-- @module qbench.mirror
-- @usage
-- local qbench = require "qbench"
-- local mirror = require "qbench.mirror"
-- local qb <close> = qbench.new(qbench.env_options())
-- local report = assert(mirror.run{client = qb, db = "lab.db", collections = {"samples", "tests"}})
-- if not report.ok then
--   for _, c in ipairs(report.collections) do
--     if c.error then io.stderr:write(tostring(c.error), "\n") end
--   end
-- end

local args = require "qbench.args"
local core = require "qbench.core"
local qerror = require "qbench.error"
local Client = require "qbench.client"
local Resource = require "qbench.resource"
local suggest = require "qbench.suggest"
local schema = require "qbench.mirror.schema"
local Store = require "qbench.mirror.store"
local sync = require "qbench.mirror.sync" -- none of these loads a C module of the mirror: Store.open does

local M = {}

--- The collections mirrored when none are named.
-- @usage print(table.concat(require("qbench.mirror").DEFAULT_COLLECTIONS, ", "))
M.DEFAULT_COLLECTIONS = { "customers", "orders", "samples", "batches", "tests" }
--- Seconds re-read before the last window's end, against clock skew and late commits.
-- @usage print(require("qbench.mirror").DEFAULT_OVERLAP)   --> 300
M.DEFAULT_OVERLAP = 300
--- Warnings (skipped records) reported per collection and run; the rest are counted.
-- @usage print(require("qbench.mirror").MAX_WARNINGS)      --> 10
M.MAX_WARNINGS = 10

local OPTIONS = {
  client = true, db = true, collections = true, full = true, progress = true, warn = true,
  overlap = true, concurrency = true, lock_timeout = true, clock = true,
}

--- Every collection a mirror can hold (the listable v2 collections), sorted.
-- @treturn {string,...}
-- @usage for _, name in ipairs(require("qbench.mirror").collections()) do print(name) end
function M.collections() return schema.names() end

local function check_collections(list)
  if list == nil then return M.DEFAULT_COLLECTIONS end
  local len = args.array(list, 1, "run", "collections")
  local known, out, seen = {}, {}, {}
  for _, n in ipairs(schema.names()) do known[n] = true end
  for i = 1, len do
    local name = list[i]
    if type(name) ~= "string" or not known[name] then
      args.error(1, "run", string.format("collections[%d]: %s is not a listable v2 collection%s", i, args.describe(name),
        type(name) == "string" and suggest.hint(name, schema.names()) or ""))
    end
    if not seen[name] then
      seen[name] = true
      out[#out + 1] = name
    end
  end
  return out
end

local function check_options(opts)
  args.table(opts, 1, "run", "options")
  for k in pairs(opts) do
    if not OPTIONS[k] then args.error(1, "run", "unknown option " .. args.describe(k)) end
  end
  if getmetatable(opts.client) ~= Client.mt then
    args.error(1, "run", "client must be a qbench client (qbench.new{...}), got " .. args.describe(opts.client))
  end
  if type(opts.db) ~= "string" or opts.db == "" then
    args.error(1, "run", "db must be a file path or a postgresql:// URL, got " .. args.describe(opts.db))
  end
  for _, k in ipairs { "progress", "warn", "clock" } do
    if opts[k] ~= nil and type(opts[k]) ~= "function" then
      args.error(1, "run", string.format("%s must be a function, got %s", k, args.describe(opts[k])))
    end
  end
  if opts.full ~= nil and type(opts.full) ~= "boolean" then
    args.error(1, "run", "full must be a boolean, got " .. args.describe(opts.full))
  end
  for _, k in ipairs { "overlap", "lock_timeout" } do
    local v = opts[k]
    if v ~= nil and (type(v) ~= "number" or not (v >= 0 and v <= 86400 * 365)) then
      args.error(1, "run", string.format("%s must be a number of seconds from 0 to %d, got %s", k, 86400 * 365, args.describe(v)))
    end
  end
end

--- Mirrors collections of a QBench instance into a database.
-- Runtime failures of one collection (the API, the network, the database) are
-- caught: its report says so and the other collections still run. Wrong options raise.
-- @tparam table opts
-- `client` (a client from @{qbench.new}, required),
-- `db` (a file path for SQLite, or a `postgresql://` URL; required),
-- `collections` (names, default customers, orders, samples, batches, tests),
-- `full` (true: walk everything again, as on a first run),
-- `concurrency` (pages fetched at once, 1 to the client's `max_concurrency`, default 4),
-- `overlap` (seconds, default 300),
-- `lock_timeout` (seconds SQLite waits for another process's lock, default 5),
-- `progress` (function(info), after every page: `collection`, `phase` ("live" or
-- "deleted"), `pages_done`, `total_pages`, `records`, `elapsed`; and when a collection
-- ends: `collection`, `done = true`, `report` (its entry of the report)),
-- `warn` (function(collection, message), for each skipped record, up to `MAX_WARNINGS` per collection),
-- `clock` (function() -> seconds, for tests)
-- @treturn table the report: `ok` (no collection failed), `database` (the target as shown,
-- without a password) and `collections`, one table per collection in order: `collection`,
-- `mode` ("full" or "incremental"), `resumed`, `new`, `updated`, `deleted`, `unchanged`,
-- `skipped`, `pages` (of the whole walk, a resumed one too), `records` (read by this run),
-- `seconds`, `work_seconds` (of them, saving pages: JSON, columns and the database),
-- `db_seconds` (of those, in the page's transaction), `error` (an error object, when it failed);
-- or nil and an error object (kind `"database"`) when the database cannot be opened, another
-- mirror is writing to it, or a C module of the mirror is missing
-- @usage
-- local report = assert(require("qbench.mirror").run{client = qb, db = "lab.db", collections = {"samples"}})
-- print(report.collections[1].new, report.collections[1].updated)
function M.run(opts)
  check_options(opts)
  local names = check_collections(opts.collections)
  local client = opts.client
  client:_check_open()
  local ctx = {
    client = client, full = opts.full == true, overlap = opts.overlap or M.DEFAULT_OVERLAP,
    concurrency = Resource.concurrency(client, opts.concurrency, 1, "run"),
    clock = opts.clock or core.time, progress = opts.progress or function() end,
  }
  local warned, user_warn = {}, opts.warn
  function ctx.warn(collection, message)
    local n = (warned[collection] or 0) + 1
    warned[collection] = n
    if user_warn and n <= M.MAX_WARNINGS then user_warn(collection, message) end
  end

  local store, err = Store.open(opts.db, { lock_timeout = opts.lock_timeout })
  if not store then return nil, err end
  local _ <close> = setmetatable({}, { __close = function() store:close() end })
  ctx.store = store
  ctx.cp, err = sync.checkpoints(store)
  if not ctx.cp then return nil, err end

  local report = { ok = true, database = store.shown, collections = {} }
  for _, name in ipairs(names) do
    local ran, r, r2, r3 = pcall(sync.collection, ctx, name)
    local entry
    if ran and r then
      entry = r
    elseif ran then
      entry = r2
      entry.error = r3
    elseif qerror.is(r) then
      entry = { collection = name, error = r }
    else
      error(r, 0) -- a programming error: not the server's doing
    end
    if entry.error then report.ok = false end
    if warned[name] and warned[name] > M.MAX_WARNINGS and user_warn then
      user_warn(name, string.format("%s: %d more records skipped", name, warned[name] - M.MAX_WARNINGS))
    end
    entry.started = nil
    report.collections[#report.collections + 1] = entry
    ctx.progress { collection = name, done = true, report = entry }
  end
  return report
end

return M
