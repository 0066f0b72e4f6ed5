-- What the mirror specs share: temporary directories, a mirror run through the
-- library, and the rows of a database read with the sqlite3 command (not the
-- mirror's own driver), so that two databases can be compared row by row.
local helper = require "helper"
local process = require "process"
local core = require "qbench.core"
local luassert = require "luassert"

local M = {}

local q = helper.shell_quote

--- A new empty directory, removed by the caller (M.rmdir): process.lua's.
M.tmpdir = process.temp_dir

--- Removes a directory made by M.tmpdir and everything in it.
M.rmdir = process.remove_dir

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

-- sqlite3 -json's rows, decoded; NULL becomes absent, as a missing field.
local function decode_rows(json, what)
  if json:match("^%s*$") then return {} end
  local rows = assert(core.decode(json), what)
  for _, r in ipairs(rows) do
    for k, v in pairs(r) do
      if v == core.null then r[k] = nil end
    end
  end
  return rows
end

-- What the sqlite3 command with `args` (shell words) prints, and that it exited 0.
-- Through a file, not a pipe: megabytes of rows cost Lua several times the CPU from a
-- pipe, written to in small pieces, than from a file.
local function sqlite3(args)
  local out_file = os.tmpname()
  local ok = os.execute("sqlite3 " .. args .. " >" .. q(out_file) .. " 2>&1")
  local out = process.read_file(out_file)
  os.remove(out_file)
  assert(ok, "sqlite3 failed: " .. out)
  return out
end

--- Rows of `sql` on the SQLite file `db`, as decoded JSON objects (sqlite3 -json).
function M.query(db, sql)
  local out = sqlite3("-json " .. q(db) .. " " .. q(sql))
  return decode_rows(out, out)
end

-- A line that starts each table's rows in a dump: JSON rows never start with "#".
local MARK = "#table "

-- What sqlite3 runs first for a dump: a SELECT of every table (its columns but _sync_run,
-- in their order) into a script that it then reads.
local DUMP_SCRIPT = [[
SELECT '.print ' || quote('%s' || m.name) || char(10) || 'SELECT '
  || (SELECT group_concat(c, ', ') FROM (SELECT '"' || replace(name, '"', '""') || '"' AS c
      FROM pragma_table_info(m.name) WHERE name <> '_sync_run' ORDER BY cid))
  || ' FROM "' || replace(m.name, '"', '""') || '" ORDER BY '
  || CASE m.name WHEN '_qbench_sync' THEN 'collection' ELSE 'id' END || ';'
FROM sqlite_master m WHERE m.type = 'table' ORDER BY m.name]]

local Dump = {}
Dump.__index = Dump

--- The rows of table `t` of a dump, decoded (once, when first asked for).
function Dump:rows(t)
  local rows = self.decoded[t]
  if not rows then
    rows = decode_rows(assert(self.text[t], "no table " .. t), t)
    self.decoded[t] = rows
  end
  return rows
end

--- Everything of the SQLite file `db`, read by one sqlite3 process (a process per table
-- cost more than the comparisons): tables, the names of the tables that hold collections,
-- sorted; text, each one's rows (ordered by id, without the walk bookkeeping, _sync_run)
-- as sqlite3 -json prints them; :rows(table), those rows decoded; sync, the rows of
-- _qbench_sync, by collection.
function M.dump(db)
  local script = os.tmpname()
  local out = sqlite3(table.concat({ "-bail", q(db), "-cmd", "'.mode list'", "-cmd", q(".output " .. script),
    "-cmd", q(DUMP_SCRIPT:format(MARK)), "-cmd", "'.output stdout'", "-cmd", "'.mode json'", q(".read " .. script) }, " "))
  os.remove(script)
  local d = setmetatable({ tables = {}, text = {}, decoded = {} }, Dump)
  -- Blocks of "#table NAME\n" and the table's JSON (nothing for no rows), found without
  -- splitting megabytes into lines.
  assert(out == "" or out:sub(1, #MARK) == MARK, "sqlite3 printed rows before a table's name: " .. out)
  local at = 1
  while at <= #out do
    local name_end = assert(out:find("\n", at, true))
    local name = out:sub(at + #MARK, name_end - 1)
    local next_mark = out:find("\n" .. MARK, name_end, true)
    d.text[name] = out:sub(name_end + 1, next_mark or #out)
    if name ~= "_qbench_sync" then d.tables[#d.tables + 1] = name end
    at = next_mark and next_mark + 1 or #out + 1
  end
  d.sync = d.text._qbench_sync and d:rows("_qbench_sync") or {}
  return d
end

--- Every row of `tname` on `db`, ordered by id, without the walk bookkeeping (_sync_run).
function M.rows(db, tname)
  local out = M.query(db, string.format('SELECT * FROM "%s" ORDER BY id', tname))
  for _, r in ipairs(out) do r._sync_run = nil end
  return out
end

--- Asserts that `a` and `b` hold the same tables with the same rows (bookkeeping aside);
-- each is a SQLite file or its dump (M.dump), so that a reference is read once.
function M.assert_same_db(a, b)
  local da = type(a) == "table" and a or M.dump(a)
  local db = type(b) == "table" and b or M.dump(b)
  luassert.same(da.tables, db.tables)
  for _, t in ipairs(da.tables) do
    -- The same text is the same rows; other text is compared row by row, where a
    -- difference is named (or is only the columns' order).
    if da.text[t] ~= db.text[t] then
      local ra, rb = da:rows(t), db:rows(t)
      luassert.equal(#ra, #rb, "rows of " .. t)
      for i = 1, #ra do luassert.same(ra[i], rb[i], t .. " row " .. i) end
    end
  end
end

--- Copies the file `from` to `to` (a database a run closed: its WAL is checkpointed, so
-- the one file is the whole database).
function M.copy_file(from, to)
  local src = assert(io.open(from, "rb"))
  local dst = assert(io.open(to, "wb"))
  assert(dst:write(assert(src:read("a"))))
  src:close()
  assert(dst:close())
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
