-- What the mirror specs share: temporary directories, a mirror run through the
-- library, and the rows of a database read with the sqlite3 command (not the
-- mirror's own driver), so that two databases can be compared row by row.
local helper = require "helper"
local process = require "process"
local core = require "qbench.core"
local luassert = require "luassert"

local M = {}

local q = helper.shell_quote

-- Temporary directories: process.lua's.
M.tmpdir, M.rmdir = process.temp_dir, process.remove_dir

--- Runs qbench.mirror.run against the sandbox `sb` into `db`; opts are added to run's.
function M.run(sb, db, opts)
  local qbench = require "qbench"
  local mirror = require "qbench.mirror"
  local qb <close> = qbench.new { url = sb.url, token = sb.token, retries = (opts or {}).retries or 0 }
  local o = { client = qb, db = db }
  for k, v in pairs(opts or {}) do
    if k ~= "retries" then o[k] = v end
  end
  return mirror.run(o)
end

--- The report's entry for `collection`.
function M.entry(report, collection)
  for _, e in ipairs(report.collections) do
    if e.collection == collection then return e end
  end
  error("no entry for " .. collection)
end

--- Rows of `sql` on the SQLite file `db`, as decoded JSON objects (sqlite3 -json).
function M.query(db, sql)
  local p = assert(io.popen("sqlite3 -json " .. q(db) .. " " .. q(sql) .. " 2>&1"))
  local out = p:read("a")
  local ok = p:close()
  assert(ok, "sqlite3 failed: " .. out)
  if out:match("^%s*$") then return {} end
  local rows = assert(core.decode(out), out)
  for _, r in ipairs(rows) do
    for k, v in pairs(r) do
      if v == core.null then r[k] = nil end -- NULL: absent, as a missing field
    end
  end
  return rows
end

--- Every row of `tname` on `db`, ordered by id, without the walk bookkeeping (_sync_run).
function M.rows(db, tname)
  local out = M.query(db, string.format('SELECT * FROM "%s" ORDER BY id', tname))
  for _, r in ipairs(out) do r._sync_run = nil end
  return out
end

--- The names of the tables of `db` that hold collections (not _qbench_sync).
function M.tables(db)
  local out = {}
  for _, r in ipairs(M.query(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> '_qbench_sync' ORDER BY name")) do
    out[#out + 1] = r.name
  end
  return out
end

--- Asserts that `a` and `b` hold the same tables with the same rows (bookkeeping aside).
function M.assert_same_db(a, b)
  local ta, tb = M.tables(a), M.tables(b)
  luassert.same(ta, tb)
  for _, t in ipairs(ta) do
    local ra, rb = M.rows(a, t), M.rows(b, t)
    luassert.equal(#ra, #rb, "rows of " .. t)
    for i = 1, #ra do luassert.same(ra[i], rb[i], t .. " row " .. i) end
  end
end

--- API list requests of `path` (e.g. "/qbench/api/v2/samples") in `log`.
function M.list_requests(log, path)
  local out = {}
  for _, r in ipairs(log) do
    if r.method == "GET" and r.path == path then out[#out + 1] = r end
  end
  return out
end

return M
