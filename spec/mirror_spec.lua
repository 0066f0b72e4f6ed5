-- qbench mirror into SQLite: what a first run copies (tables and typed columns from
-- the digest, the whole record in _raw), what later runs ask for and change, that
-- an incremental run leaves the same rows as a fresh full mirror, deleted records
-- kept and marked, schema growth, hostile records, a failing collection and a
-- locked file. Each database is read back with the sqlite3 command.
local helper = require "helper"
local process = require "process"
local rawserver = require "rawserver"
local mh = require "mirror_helper"
local core = require "qbench.core"
local mirror = require "qbench.mirror"

local V2 = "/qbench/api/v2/"

local function get(path)
  local status, body = helper.call("GET", V2 .. path)
  assert.equal(200, status, path)
  return body.data
end

local function write(method, path, body)
  local status, answer = helper.call(method, V2 .. path, { body = body })
  assert(status >= 200 and status < 300, method .. " " .. path .. " -> " .. tostring(status))
  return answer
end

describe("qbench mirror (SQLite)", function()
  local sb, dir

  setup(function() sb = helper.sandbox() end)
  before_each(function()
    helper.reset()
    dir = mh.tmpdir()
  end)
  after_each(function() mh.rmdir(dir) end)

  describe("a first run", function()
    it("copies every record of the default collections into one table each, typed columns and _raw", function()
      local db = dir .. "/lab.db"
      local report = assert(mh.run(sb, db))
      assert.is_true(report.ok)
      local sizes = { customers = 25, orders = 20, samples = 60, batches = 8, tests = 120 }
      local d = mh.dump(db)
      for _, name in ipairs(mirror.DEFAULT_COLLECTIONS) do
        local e = mh.entry(report, name)
        assert.same({ "full", sizes[name], 0, 0, 0 }, { e.mode, e.new, e.updated, e.deleted, e.unchanged }, name)
        assert.equal(sizes[name], #d:rows(name))
      end
      assert.same({ "batches", "customers", "orders", "samples", "tests" }, d.tables)

      -- Columns: the digest's record properties, then the bookkeeping.
      local cols = {}
      for _, r in ipairs(mh.query(db, "SELECT name, type FROM pragma_table_info('samples')")) do cols[r.name] = r.type end
      for _, c in ipairs(require "qbench.mirror.columns".samples) do
        local want = ({ integer = "INTEGER", real = "REAL", text = "TEXT", boolean = "INTEGER", json = "TEXT" })[c[2]]
        assert.equal(want, cols[c[1]], c[1])
      end
      assert.equal("TEXT", cols._raw)
      assert.equal("INTEGER", cols._deleted)

      -- A row as the API gives the record.
      local s = get("samples/12")
      local row
      for _, r in ipairs(d:rows("samples")) do
        if r.id == 12 then row = r end
      end
      assert.equal(12, row.id)
      assert.equal(s.order_id, row.order_id)
      assert.equal(s.sample_type, row.sample_type)
      assert.equal(s.received and 1 or 0, row.received)
      assert.equal(s.last_updated, row.last_updated)
      assert.same(s.tags, core.decode(row.tags))
      assert.same(s.order, core.decode(row.order))
      assert.same(s, core.decode(row._raw))
      assert.equal(0, row._deleted)
    end)

    it("walks pages in parallel, in order, each page one request", function()
      local mark = #helper.requests()
      local db = dir .. "/lab.db"
      assert(mh.run(sb, db, { collections = { "tests" }, concurrency = 4 }))
      local lists = mh.list_requests(helper.requests_since(mark), V2 .. "tests")
      local pages = {}
      for _, r in ipairs(lists) do
        if not r.query:find("include_deleted") then pages[#pages + 1] = tonumber(r.query:match("page_num=(%d+)")) end
      end
      -- Pages asked for at once reach the sandbox in any order: each once is what counts.
      table.sort(pages)
      assert.same({ 1, 2, 3 }, pages)
      local ids = mh.query(db, "SELECT min(id) AS lo, max(id) AS hi, count(*) AS n FROM tests")[1]
      assert.same({ lo = 1, hi = 120, n = 120 }, ids)
    end)
  end)

  describe("a later run", function()
    it("asks only for what changed since (and what was deleted since), and finds nothing new", function()
      local db = dir .. "/lab.db"
      assert(mh.run(sb, db))
      local mark = #helper.requests()
      local report = assert(mh.run(sb, db))
      local log = helper.requests_since(mark)
      for _, name in ipairs(mirror.DEFAULT_COLLECTIONS) do
        local e = mh.entry(report, name)
        assert.same({ "incremental", 0, 0, 0 }, { e.mode, e.new, e.updated, e.deleted }, name)
        local lists = mh.list_requests(log, V2 .. name)
        assert.equal(2, #lists, name) -- the changed records, the deleted ones
        local filter = (name == "samples" or name == "tests") and "last_updated_start=" or "last_updated="
        for _, r in ipairs(lists) do assert.truthy(r.query:find(filter, 1, true), r.query) end
        assert.truthy(lists[2].query:find("include_deleted=DELETED_ONLY", 1, true))
      end
    end)

    it("starts its window at the earlier of (watermark + 1 s) and (the last run's start - overlap)", function()
      local db = dir .. "/lab.db"
      local function window_of(opts)
        local mark = #helper.requests()
        assert(mh.run(sb, db, opts))
        local lists = mh.list_requests(helper.requests_since(mark), V2 .. "samples")
        return lists[1].query:match("last_updated_start=([^&]+)"):gsub("%%3A", ":")
      end
      local iso = function(t) return os.date("!%Y-%m-%dT%H:%M:%S", t) end
      local start1 = os.time()
      assert(mh.run(sb, db, { collections = { "samples" }, clock = function() return start1 end }))
      local newest = 0
      for _, r in ipairs(mh.query(db, "SELECT last_updated FROM samples")) do newest = math.max(newest, tonumber(r.last_updated)) end
      -- Seeded records are old: everything up to the run's start less the overlap was read, so from newest + 1.
      local start2 = start1 + 10
      assert.equal(iso(newest + 1), window_of { collections = { "samples" }, clock = function() return start2 end })
      -- A record changed now: the next run reads it (its window was set before) ...
      write("PATCH", "samples", { { id = 2, comments = "now" } })
      local start3 = start2 + 20
      assert.equal(iso(newest + 1), window_of { collections = { "samples" }, clock = function() return start3 end })
      -- ... and, as it is newer than that run's start less the overlap, the one after reads from there,
      local start4 = start3 + 20
      assert.equal(iso(start3 - 300), window_of { collections = { "samples" }, overlap = 60,
        clock = function() return start4 end })
      -- with the overlap of the run that set the window.
      assert.equal(iso(start4 - 60), window_of { collections = { "samples" }, clock = function() return start4 + 20 end })
    end)

    it("after creates, updates, deletes and links holds exactly what a fresh full mirror holds, row by row", function()
      local db, fresh = dir .. "/lab.db", dir .. "/fresh.db"
      assert(mh.run(sb, db))
      write("POST", "samples", { { order_id = 2, sample_type = "Soil" }, { order_id = 3, sample_type = "Water" } })
      write("PATCH", "samples", { { id = 9, comments = "Checked" }, { id = 10, sample_type = "Edible" } })
      write("PATCH", "orders", { { id = 4, special_instructions = "Rush" } })
      write("POST", "tests", { { sample_id = 21, assay_id = 2 } })
      write("DELETE", "samples/33")
      write("DELETE", "tests/50")
      write("POST", "customers/3/contacts", { { contact_id = 7 } })
      write("DELETE", "customers/5")

      local report = assert(mh.run(sb, db))
      local s, t = mh.entry(report, "samples"), mh.entry(report, "tests")
      assert.same({ 2, 1 }, { s.new, s.deleted })
      assert.is_true(s.updated >= 3) -- 9, 10, and 21 (its tests) and 25 (test 50's sample)
      assert.same({ 1, 1 }, { t.new, t.deleted })
      local c = mh.entry(report, "customers")
      assert.same({ 0, 1, 1 }, { c.new, c.updated, c.deleted })

      -- Deleted records stay, marked; a fresh full mirror finds them with DELETED_ONLY.
      assert.same({ { _deleted = 1 } }, mh.query(db, "SELECT _deleted FROM samples WHERE id = 33"))
      local fresh_report = assert(mh.run(sb, fresh))
      assert.equal("full", mh.entry(fresh_report, "samples").mode)
      mh.assert_same_db(db, fresh)
    end)

    it("makes at most ceil(100/50) + 1 list requests per collection after 100 changed samples", function()
      helper.reset { v2 = { samples = 400 } }
      local db = dir .. "/lab.db"
      assert(mh.run(sb, db, { collections = { "samples", "tests" }, concurrency = 8 }))
      -- Samples whose ids end in 0 are sub-samples: changing one changes its parent too.
      local changes = {}
      for id = 1, 111 do
        if id % 10 ~= 0 then changes[#changes + 1] = { id = id, comments = "batch " .. id } end
      end
      write("PATCH", "samples", { table.unpack(changes, 1, 50) })
      write("PATCH", "samples", { table.unpack(changes, 51, 100) })
      local mark = #helper.requests()
      local report = assert(mh.run(sb, db, { collections = { "samples", "tests" }, concurrency = 8 }))
      local log = helper.requests_since(mark)
      assert.equal(100, mh.entry(report, "samples").updated)
      assert.equal(0, mh.entry(report, "tests").updated)
      assert.is_true(#mh.list_requests(log, V2 .. "samples") <= math.ceil(100 / 50) + 1)
      assert.is_true(#mh.list_requests(log, V2 .. "tests") <= math.ceil(100 / 50) + 1)
    end)

    it("walks in full again a collection whose table was dropped since", function()
      local db = dir .. "/lab.db"
      assert(mh.run(sb, db, { collections = { "orders" } }))
      assert(os.execute("sqlite3 " .. helper.shell_quote(db) .. " 'DROP TABLE orders'"))
      local report = assert(mh.run(sb, db, { collections = { "orders" } }))
      assert.same({ "full", 20 }, { mh.entry(report, "orders").mode, mh.entry(report, "orders").new })
      assert.equal(20, mh.query(db, "SELECT count(*) AS n FROM orders")[1].n)
    end)

    it("with full = true walks everything again and marks deleted what QBench no longer lists", function()
      local db = dir .. "/lab.db"
      assert(mh.run(sb, db, { collections = { "invoice_items", "samples" } }))
      -- invoice_items offer neither last_updated nor include_deleted: always walked in full.
      write("DELETE", "invoice-items/4")
      local report = assert(mh.run(sb, db, { collections = { "invoice_items", "samples" } }))
      local ii = mh.entry(report, "invoice_items")
      assert.same({ "full", 0, 1, 29 }, { ii.mode, ii.new, ii.deleted, ii.unchanged })
      assert.same({ { _deleted = 1 } }, mh.query(db, "SELECT _deleted FROM invoice_items WHERE id = 4"))
      local again = assert(mh.run(sb, db, { collections = { "samples" }, full = true }))
      local s = mh.entry(again, "samples")
      assert.same({ "full", 0, 0, 0, 60 }, { s.mode, s.new, s.updated, s.deleted, s.unchanged })
    end)
  end)

  describe("the database file", function()
    -- Runs fn with the collector stopped, so that nothing the mirror forgot to close is
    -- closed for it by a collection; restarts it whatever happens.
    local function without_gc(fn)
      collectgarbage("stop")
      local ok, err = pcall(fn)
      collectgarbage("restart")
      if not ok then error(err, 0) end
    end

    local function integrity(db)
      return mh.query(db, "PRAGMA integrity_check")[1].integrity_check
    end

    it("is closed for real when a run returns: no descriptor of it is left, even before the collector runs", function()
      local db = dir .. "/lab.db"
      without_gc(function()
        assert(mh.run(sb, db, { collections = { "customers", "teams" } }))
        local left = {}
        for line in helper.open_descriptors():gmatch("[^\n]+") do
          if line:find(dir, 1, true) then left[#left + 1] = line end
        end
        assert.same({}, left)
      end)
    end)

    it("another process that reads it between two runs (and checkpoints it) leaves the second run's rows right", function()
      -- A connection left open (a "zombie" waiting for the collector to finalize a
      -- statement) lost its locks when the lock's descriptor closed; the sqlite3 reader
      -- then took itself for the last user and deleted the WAL and -shm files under it,
      -- and the next run's pages went into other tables' b-trees.
      local db, fresh = dir .. "/lab.db", dir .. "/fresh.db"
      local collections = { "customers", "orders", "samples", "invoices" }
      without_gc(function()
        assert(mh.run(sb, db, { collections = collections }))
        assert.equal(25, #mh.rows(db, "customers")) -- the reader, between the runs
        write("PATCH", "samples", { { id = 4, comments = "Checked" } })
        write("POST", "invoices/2/sync")
        local report = assert(mh.run(sb, db, { collections = collections }))
        assert.is_true(report.ok)
      end)
      assert.equal("ok", integrity(db))
      assert(mh.run(sb, fresh, { collections = collections }))
      mh.assert_same_db(db, fresh)
    end)

    it("keeps the locks of the host's own connection to it: the lock is a file of its own", function()
      local sqlite = require "qbench.mirror.sqlite"
      local db, fresh = dir .. "/lab.db", dir .. "/fresh.db"
      local collections = { "customers", "samples" }
      assert(mh.run(sb, db, { collections = collections }))
      -- The host keeps a connection to the mirror's file open across a run, as a program that
      -- both mirrors and queries would.
      local host = assert(sqlite.open(db, 5000))
      local count = assert(host:prepare("SELECT count(*) FROM samples"))
      assert.equal(60, count:first())
      write("PATCH", "samples", { { id = 4, comments = "Checked" } })
      assert(mh.run(sb, db, { collections = collections }))
      assert.equal(25, #mh.rows(db, "customers")) -- another process reads it
      assert(host:exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, note TEXT)"))
      assert(host:exec("INSERT INTO notes (note) VALUES ('the host wrote this')"))
      write("PATCH", "samples", { { id = 5, comments = "Checked too" } })
      assert(mh.run(sb, db, { collections = collections }))
      host:close()
      assert.equal("ok", integrity(db))
      assert.same({ { note = "the host wrote this" } }, mh.query(db, "SELECT note FROM notes"))
      assert(mh.run(sb, fresh, { collections = collections }))
      os.execute("sqlite3 " .. helper.shell_quote(db) .. " 'DROP TABLE notes'")
      mh.assert_same_db(db, fresh)
      -- The lock file stays beside the database, empty.
      local f = assert(io.open(db .. "-mirror.lock", "rb"))
      assert.equal("", f:read("a"))
      f:close()
    end)

    it("a statement used after its connection closed raises instead of reaching freed memory", function()
      local sqlite = require "qbench.mirror.sqlite"
      local conn = assert(sqlite.open(dir .. "/x.db", 1000))
      local st = assert(conn:prepare("SELECT 1"))
      assert.equal(1, st:first())
      conn:close()
      assert.has_error(function() st:first() end, "attempt to use a closed statement")
      -- A statement prepared later on another connection is its own.
      local other = assert(sqlite.open(dir .. "/y.db", 1000))
      local st2 = assert(other:prepare("SELECT 2"))
      assert.equal(2, st2:first())
      assert.has_error(function() st:first() end, "attempt to use a closed statement")
      st:close()
      other:close()
    end)
  end)

  describe("schema changes", function()
    it("a table made before the digest grew gets the new columns; its rows stay", function()
      local db = dir .. "/lab.db"
      assert(os.execute(string.format("sqlite3 %s %s", helper.shell_quote(db), helper.shell_quote(
        'CREATE TABLE teams (id INTEGER PRIMARY KEY, "_raw" TEXT NOT NULL, "_deleted" INTEGER NOT NULL DEFAULT 0, '
        .. '"_sync_run" INTEGER, legacy TEXT); INSERT INTO teams (id, _raw, legacy) VALUES (99, \'{"id":99}\', \'kept\');'))))
      local report = assert(mh.run(sb, db, { collections = { "teams" } }))
      assert.equal(4, mh.entry(report, "teams").new)
      local cols = {}
      for _, r in ipairs(mh.query(db, "SELECT name FROM pragma_table_info('teams')")) do cols[#cols + 1] = r.name end
      table.sort(cols)
      assert.same({ "_deleted", "_raw", "_sync_run", "id", "legacy", "name" }, cols)
      assert.equal("Chemistry", mh.query(db, "SELECT name FROM teams WHERE id = 1")[1].name)
      -- Team 99 is not listed any more: marked deleted by the full walk, never dropped.
      assert.same({ { legacy = "kept", _deleted = 1 } }, mh.query(db, "SELECT legacy, _deleted FROM teams WHERE id = 99"))
    end)

    describe("hostile records", function()
      local srv
      after_each(function() if srv then srv.stop() end end)

      local function page(body)
        return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " .. #body .. "\r\n\r\n" .. body
      end

      it("a page holding a record that is not an object fails the collection (a decode error), writing nothing of it", function()
        srv = rawserver.start { page('{"data": [{"id": 1, "name": "ok"}, 7], "page_number": 1, "total_count": 2, '
          .. '"total_pages": 1}') }
        local db = dir .. "/lab.db"
        local report = assert(mh.run({ url = srv.url, token = "t" }, db, { collections = { "teams" } }))
        local e = mh.entry(report, "teams")
        assert.equal("decode", e.error.kind)
        assert.matches("data%[2%] is not an object", e.error.message)
        assert.same({}, mh.query(db, "SELECT id FROM teams"))
      end)

      it("a safe new key adds a column; other keys stay in _raw; bad ids are skipped and reported", function()
        srv = rawserver.start { page('{"data": ['
          .. '{"id": 1, "name": "ok", "new_count": 5, "new_label": "x", "_raw": "evil", "Bad-Key": 1, '
          .. '"x\\"; DROP TABLE teams; --": 2, "' .. string.rep("k", 70) .. '": 3},'
          .. '{"id": "2", "name": "string id"}, {"name": "no id"}, {"id": -4, "name": "negative"},'
          .. '{"id": 3, "name": "bad \xff utf-8, nul \\u0000 here", "new_count": "many"},'
          .. '{"id": 4, "name": 123, "new_count": 1.5, "new_label": null},'
          .. '{"id": 5, "name": {"nested": [true]}, "new_count": 123456789012345678901234567890}'
          .. '], "page_number": 1, "total_count": 9, "total_pages": 1}') }
        local db = dir .. "/lab.db"
        local warnings = {}
        local report = assert(mh.run({ url = srv.url, token = "t" }, db, { collections = { "teams" },
          warn = function(c, m) warnings[#warnings + 1] = c .. "|" .. m end }))
        local e = mh.entry(report, "teams")
        assert.same({ 4, 3 }, { e.new, e.skipped })
        assert.same({
          "teams|teams: record 2 of page 1 has no positive integer id; skipped",
          "teams|teams: record 3 of page 1 has no positive integer id; skipped",
          "teams|teams: record 4 of page 1 has no positive integer id; skipped",
        }, warnings)
        local cols = {}
        for _, r in ipairs(mh.query(db, "SELECT name, type FROM pragma_table_info('teams')")) do cols[r.name] = r.type end
        assert.same({ id = "INTEGER", name = "TEXT", new_count = "INTEGER", new_label = "TEXT", _raw = "TEXT",
          _deleted = "INTEGER", _sync_run = "INTEGER" }, cols)
        local rows = mh.query(db, "SELECT id, name, new_count, new_label, _raw FROM teams ORDER BY id")
        assert.same({ 1, "ok", 5, "x" }, { rows[1].id, rows[1].name, rows[1].new_count, rows[1].new_label })
        assert.equal("evil", core.decode(rows[1]._raw)._raw)
        assert.equal(2, core.decode(rows[1]._raw)['x"; DROP TABLE teams; --'])
        assert.same({ 3, "bad \u{FFFD} utf-8, nul \u{FFFD} here" }, { rows[2].id, rows[2].name })
        assert.is_nil(rows[2].new_count)
        assert.equal("many", core.decode(rows[2]._raw).new_count)
        assert.equal("bad \u{FFFD} utf-8, nul \0 here", core.decode(rows[2]._raw).name)
        assert.same({ 4, "123" }, { rows[3].id, rows[3].name })
        assert.is_nil(rows[3].new_count)
        assert.same({ 5, '{"nested":[true]}' }, { rows[4].id, rows[4].name })
        assert.is_nil(rows[4].new_count)
      end)
    end)
  end)

  describe("failures", function()
    it("a failing collection is reported, the others are still done, and the command exits 1", function()
      local db = dir .. "/lab.db"
      helper.faults("GET /qbench/api/v2/orders*", { "500" })
      local r = process.qbench(sb, { "--retries", "0", "mirror", db, "customers", "orders", "samples" })
      assert.equal(1, r.status)
      local lines = process.lines(r.out)
      assert.matches("^customers +full +25 .* ok$", lines[2])
      assert.matches("^orders +.* failed$", lines[3])
      assert.matches("^samples +full +60 .* ok$", lines[4])
      assert.matches("qbench: GET /qbench/api/v2/orders%?page_num=1&page_size=50 HTTP 500 %(http%)", r.err)
      assert.equal(60, mh.query(db, "SELECT count(*) AS n FROM samples")[1].n)
      assert.is_nil(r.err:find("\27", 1, true)) -- stderr is not a terminal: no escapes
      -- The failed collection starts over next time; the others go on incrementally.
      local again = assert(mh.run(sb, db, { collections = { "customers", "orders" } }))
      assert.same({ "incremental", "full" }, { mh.entry(again, "customers").mode, mh.entry(again, "orders").mode })
      assert.equal(20, mh.entry(again, "orders").new)
    end)

    it("a second mirror of the same database stops at once while the first runs, exit 1", function()
      local db = dir .. "/lab.db"
      helper.faults("GET /qbench/api/v2/teams*", { "stall:3000" })
      local first = process.start({ "lua5.4", "bin/qbench", "mirror", "--no-progress", db, "teams" },
        { env = { QBENCH_URL = sb.url, QBENCH_TOKEN = sb.token }, timeout = 60 })
      local walking
      for _ = 1, 100 do
        local ok, rows = pcall(mh.query, db, "SELECT state FROM _qbench_sync WHERE collection = 'teams'")
        walking = ok and rows[1] and rows[1].state
        if walking == "walking" then break end
        core.sleep(0.05)
      end
      assert.equal("walking", walking)
      local r = process.qbench(sb, { "mirror", db, "teams" }, { timeout = 30 })
      assert.equal(1, r.status)
      assert.matches("qbench: mirror .*lab%.db %(database%): another qbench mirror is writing to this database\n$", r.err)
      local done = first.wait()
      assert.equal(0, done.status, done.err)
      assert.matches("\nteams +full +4 ", done.out)
    end)

    it("a SQLite file another process has locked is a clear error, exit 1", function()
      local db = dir .. "/lab.db"
      local holder = assert(io.popen("sqlite3 " .. helper.shell_quote(db) .. " >/dev/null 2>&1", "w"))
      holder:write("BEGIN EXCLUSIVE;\nCREATE TABLE held (x);\n")
      holder:flush()
      -- The holder has the lock once its table exists for it: wait for its rollback
      -- journal, which is there only while its transaction has written.
      local held
      for _ = 1, 200 do
        local f = io.open(db .. "-journal", "rb")
        held = f ~= nil
        if held then f:close() break end
        core.sleep(0.05)
      end
      assert.is_true(held, "the holder did not begin its transaction")
      local r = process.qbench(sb, { "mirror", "--lock-timeout", "0.5", db, "teams" }, { timeout = 30 })
      holder:write("COMMIT;\n.quit\n")
      holder:close()
      assert.equal(1, r.status)
      assert.matches("qbench: mirror .*lab%.db %(database%): the database is locked by another process %(waited 0%.5 s%)", r.err)
      assert.equal("", r.out)
      -- Once free, the same command works.
      r = process.qbench(sb, { "mirror", db, "teams" })
      assert.equal(0, r.status, r.err)
    end)
  end)

  describe("the library", function()
    it("is require \"qbench.mirror\", and runs a mirror without loading any module of the command (qbench.cli.*)", function()
      local db = dir .. "/lab.db"
      local script = process.temp_file [[
        package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
        package.cpath = (os.getenv("QBENCH_CPATH") or "build/?.so") .. ";" .. package.cpath
        local qbench = require "qbench"
        local qb = qbench.new { url = arg[1], token = arg[2] }
        local report = assert(require("qbench.mirror").run { client = qb, db = arg[3], collections = { "teams" } })
        assert(report.ok and package.loaded["qbench.text"])
        assert(qbench.mirror == nil, "qbench.mirror is a module of its own, not a field of qbench")
        for name in pairs(package.loaded) do
          if name == "qbench.cli" or name:find("^qbench%.cli%.") then print(name) end
        end
      ]]
      local r = process.run({ "lua5.4", script, sb.url, sb.token, db }, { env = { QBENCH_CPATH = os.getenv("QBENCH_CPATH") } })
      os.remove(script)
      assert.equal(0, r.status, r.err)
      assert.equal("", r.out)
      assert.equal(4, mh.query(db, "SELECT count(*) AS n FROM teams")[1].n)
    end)
  end)

  describe("the command", function()
    it("prints a summary table on stdout and one line per collection on stderr when it is not a terminal", function()
      local db = dir .. "/lab.db"
      local r = process.qbench(sb, { "mirror", db, "orders", "tests" })
      assert.equal(0, r.status, r.err)
      local lines = process.lines(r.out)
      assert.matches("^collection +mode +new +updated +deleted +unchanged +skipped +pages +seconds +result$", lines[1])
      assert.matches("^orders +full +20 +0 +0 +0 +0 +1 +[%d.]+ +ok$", lines[2])
      assert.matches("^tests +full +120 +0 +0 +0 +0 +3 +[%d.]+ +ok$", lines[3])
      local err = process.lines(r.err)
      assert.matches("^orders: 1 pages, 20 records in [%d.]+ s %(%d+ records/s%)$", err[1])
      assert.matches("^tests: 3 pages, 120 records in [%d.]+ s %(%d+ records/s%)$", err[2])
      assert.is_nil(r.err:find("\27", 1, true))
      r = process.qbench(sb, { "mirror", db, "orders", "--format", "json", "--no-progress" })
      assert.equal(0, r.status, r.err)
      assert.equal("", r.err)
      local summary = core.decode(r.out)
      assert.same({ collection = "orders", mode = "incremental", new = 0, updated = 0, deleted = 0, unchanged = 0,
        skipped = 0, pages = 0, result = "ok" }, (function() summary[1].seconds = nil return summary[1] end)())
    end)

    it("on a terminal, draws a progress line per collection on stderr (pages, records/s, time left)", function()
      local db, out_file = dir .. "/lab.db", dir .. "/summary.txt"
      local cmd = string.format("env -u QBENCH_CLIENT_ID -u QBENCH_CLIENT_SECRET QBENCH_URL=%s QBENCH_TOKEN=%s "
        .. "lua5.4 bin/qbench mirror --concurrency 1 %s orders tests >%s", sb.url, sb.token, db, out_file)
      local p = assert(io.popen("timeout -s KILL 60 script -qec " .. helper.shell_quote(cmd) .. " /dev/null </dev/null", "r"))
      local terminal = p:read("a")
      assert.is_true(p:close())
      assert.matches("\rpages 1/1  %d+ orders/s  0:00 left\27%[K\r?\n", terminal)
      assert.matches("\rpages 1/3  %d+ tests/s  0:0%d left\27%[K", terminal)
      assert.matches("\rpages 3/3  %d+ tests/s  0:00 left\27%[K\r?\n", terminal)
      local f = assert(io.open(out_file, "rb"))
      local summary = f:read("a")
      f:close()
      assert.matches("^collection +mode", summary)
      assert.is_nil(summary:find("pages 1", 1, true))
    end)

    it("names what is wrong on the command line, exit 2", function()
      local r = process.qbench(sb, { "mirror", dir .. "/lab.db", "sample" })
      assert.equal(2, r.status)
      assert.equal("qbench: collections[1]: \"sample\" is not a listable v2 collection: did you mean 'samples'?; "
        .. "see 'qbench mirror --help'\n", r.err)
      r = process.qbench(sb, { "mirror", dir .. "/lab.db", "--overlap", "soon" })
      assert.equal(2, r.status)
      assert.matches("expected a number of seconds, got 'soon'", r.err)
    end)
  end)
end)
