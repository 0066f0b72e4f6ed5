-- qbench mirror into a real PostgreSQL: a throwaway cluster in a temporary directory
-- (a copy of one that initdb made once), run as the postgres system user when the specs run as root
-- (initdb refuses root), listening only on a Unix socket in that directory, and
-- always stopped. The same runs go to SQLite and PostgreSQL and must leave the
-- same rows; hostile text, a kill -9 and the README's query run against it.
-- Skipped, with the reason printed, where PostgreSQL's server is not installed; a server
-- that is installed and does not start fails every test.
local helper = require "helper"
local process = require "process"
local rawserver = require "rawserver"
local mh = require "mirror_helper"
local core = require "qbench.core"
local lfs = require "lfs"

local q = helper.shell_quote
local V2 = "/qbench/api/v2/"

local function sh(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  local ok = p:close()
  return ok, out
end

-- The bin directory of the newest PostgreSQL installed (its own psql too: /usr/bin/psql
-- is a Perl wrapper that cost more than the query), and its major version.
local function server_bin()
  local best
  local ok, iter, state = pcall(lfs.dir, "/usr/lib/postgresql")
  if not ok then return nil end
  for major in iter, state do
    local n = tonumber(major:match("^%d+$"))
    local f = n and io.open("/usr/lib/postgresql/" .. major .. "/bin/initdb", "rb")
    if f then
      f:close()
      if not best or n > best then best = n end
    end
  end
  return best and string.format("/usr/lib/postgresql/%d/bin", best), best
end

local is_root = process.read_file("/proc/self/status"):match("\nUid:%s+0%s") ~= nil

-- --wal-segsize=1 (MB, not 16): half as much cluster to copy for each run.
local INITDB_OPTIONS = "-U qbench -A trust -E UTF8 --locale=C --wal-segsize=1"

-- Starts a cluster; returns {url =, bin =, stop =} or nil and why not. initdb runs once:
-- its cluster, unused, is kept in build/ (a template per major version and per initdb's
-- options), and each run starts a copy of it.
local function start_cluster()
  local bin, major = server_bin()
  if not bin then return nil, "PostgreSQL's server is not installed (no /usr/lib/postgresql/*/bin/initdb; make deps installs it)" end
  -- A directory of its own, not one of mh.tmpdir's: the server's user must reach it.
  local dir = process.temp_dir()
  local as = ""
  if is_root then
    local ok, out = sh("id -u postgres")
    if not ok then return nil, "running as root and there is no postgres user to run the server: " .. out end
    as = "runuser -u postgres -- "
  end
  local template = string.format("build/postgresql-%d-template", major)
  local data = dir .. "/data"
  local port = 5433
  local cluster = { dir = dir, bin = bin }
  function cluster.stop()
    sh(as .. q(bin .. "/pg_ctl") .. " -D " .. q(data) .. " -m immediate -w -t 30 stop")
    process.remove_dir(dir)
  end
  local steps = {}
  if process.read_file(template .. "/options") == INITDB_OPTIONS then
    -- The server runs as postgres: the copy is made its own whoever made the template.
    steps[#steps + 1] = "cp -a " .. q(template .. "/data") .. " " .. q(data)
    if is_root then steps[#steps + 1] = "chown -R postgres " .. q(dir) end
  else
    -- -N: no fsync, as for the server. The template is written beside its place and then
    -- renamed, so that a template is whole; of two runs that made one, the first stays.
    if is_root then steps[#steps + 1] = "chown postgres " .. q(dir) end
    steps[#steps + 1] = as .. q(bin .. "/initdb") .. " -N -D " .. q(data) .. " " .. INITDB_OPTIONS .. " >/dev/null"
    steps[#steps + 1] = string.format("tmp=$(mktemp -d %s) && cp -a %s \"$tmp/data\" && printf %%s %s >\"$tmp/options\" && "
      .. "{ [ \"$(cat %s 2>/dev/null)\" = %s ] || rm -rf %s; mv -T \"$tmp\" %s 2>/dev/null || rm -rf \"$tmp\"; }",
      q(template .. ".XXXXXX"), q(data), q(INITDB_OPTIONS), q(template .. "/options"), q(INITDB_OPTIONS), q(template),
      q(template))
  end
  steps[#steps + 1] = as .. q(bin .. "/pg_ctl") .. " -D " .. q(data) .. " -l " .. q(dir .. "/log") .. " -w -t 60 -o "
    .. q("-c listen_addresses='' -k " .. dir .. " -p " .. port .. " -c fsync=off") .. " start"
  local ok, out = sh(table.concat(steps, " && "))
  if not ok then
    cluster.stop()
    return nil, "the cluster did not start: " .. out
  end
  cluster.url = string.format("postgresql:///postgres?host=%s&port=%d&user=qbench", dir, port)
  return cluster
end

describe("qbench mirror (PostgreSQL)", function()
  local sb, cluster, why, dir

  -- psql with `args` (shell words) on the cluster: ok, output.
  local function psql(args)
    return sh(q(cluster.bin .. "/psql") .. " " .. q(cluster.url) .. " " .. args)
  end

  setup(function()
    sb = helper.sandbox()
    cluster, why = start_cluster()
    -- Only a machine without the server skips: one that has it and cannot start it fails.
    if not cluster and server_bin() then error(why) end
    if not cluster then io.stderr:write("\nmirror_postgres_spec skipped: ", why, "\n") end
  end)
  teardown(function() if cluster then cluster.stop() end end)
  before_each(function()
    dir = mh.tmpdir()
    helper.reset()
    if cluster then
      local ok, out = psql("-q -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public;'")
      assert(ok, out)
    end
  end)
  after_each(function() mh.rmdir(dir) end)

  local function need_cluster()
    if not cluster then pending(why) end
    return cluster ~= nil
  end

  -- The rows of PostgreSQL tables, read by one psql, as sqlite3 -json gives them:
  -- {table = its rows ordered by id, without _sync_run}.
  local function pg_rows(tnames)
    local fields = {}
    for _, t in ipairs(tnames) do
      fields[#fields + 1] = string.format('\'%s\', (SELECT coalesce(json_agg(t ORDER BY id), \'[]\') FROM "%s" t)', t, t)
    end
    local ok, out = psql("-At -c " .. q("SELECT json_build_object(" .. table.concat(fields, ", ") .. ")"))
    assert(ok, out)
    local tables = assert(core.decode(out), out)
    for _, rows in pairs(tables) do
      for _, r in ipairs(rows) do
        r._sync_run = nil
        for k, v in pairs(r) do
          if v == core.null then r[k] = nil end
        end
      end
    end
    return tables
  end

  local function same_as_sqlite(db, tables)
    local lite, pg = mh.dump(db), pg_rows(tables)
    for _, t in ipairs(tables) do
      local a, b = lite:rows(t), pg[t]
      assert.equal(#a, #b, t)
      for i = 1, #a do assert.same(a[i], b[i], t .. " row " .. i) end
    end
  end

  it("a full and then an incremental run leave the same rows as in SQLite", function()
    if not need_cluster() then return end
    local db = dir .. "/lab.db"
    local collections = { "customers", "orders", "samples", "tests", "invoices", "api_clients" }
    local r1 = assert(mh.run(sb, cluster.url, { collections = collections }))
    assert.is_true(r1.ok)
    assert(mh.run(sb, db, { collections = collections }))
    same_as_sqlite(db, collections)
    for _, w in ipairs {
      { "PATCH", "samples", { { id = 4, comments = "Checked" } } }, { "DELETE", "samples/6" },
      { "POST", "tests", { { sample_id = 9, assay_id = 3 } } }, { "POST", "invoices/2/sync" },
    } do
      local status = helper.call(w[1], V2 .. w[2], { body = w[3] })
      assert(status >= 200 and status < 300, w[2])
    end
    local r2 = assert(mh.run(sb, cluster.url, { collections = collections }))
    local s = mh.entry(r2, "samples")
    assert.same({ "incremental", 0, 1 }, { s.mode, s.new, s.deleted })
    assert(mh.run(sb, db, { collections = collections }))
    same_as_sqlite(db, collections)
    -- The checkpoint table is there too, every walk done.
    local ok, out = psql("-At -c \"SELECT count(*) FROM _qbench_sync WHERE state = 'done'\"")
    assert(ok, out)
    assert.equal(#collections, tonumber(out))
  end)

  it("takes text with NUL bytes and invalid UTF-8 (as U+FFFD) and unknown keys", function()
    if not need_cluster() then return end
    local body = '{"data": [{"id": 1, "name": "nul \\u0000 and \xff\xfe bad", "extra_flag": true},'
      .. '{"id": 2, "name": "ok", "extra_flag": false}], "page_number": 1, "total_count": 2, "total_pages": 1}'
    local srv = rawserver.start { "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " .. #body
      .. "\r\n\r\n" .. body }
    local report = assert(mh.run({ url = srv.url, token = "t" }, cluster.url, { collections = { "teams" } }))
    srv.stop()
    assert.is_true(report.ok, tostring(mh.entry(report, "teams").error))
    local rows = pg_rows({ "teams" }).teams
    assert.same({ 1, "nul \u{FFFD} and \u{FFFD}\u{FFFD} bad", 1 }, { rows[1].id, rows[1].name, rows[1].extra_flag })
    assert.same({ 2, "ok", 0 }, { rows[2].id, rows[2].name, rows[2].extra_flag })
    assert.equal("nul \0 and \u{FFFD}\u{FFFD} bad", core.decode(rows[1]._raw).name)
  end)

  it("killed inside a page's transaction, a rerun ends with a clean run's rows", function()
    if not need_cluster() then return end
    helper.reset { v2 = { samples = 200 } }
    local db = dir .. "/clean.db"
    assert(mh.run(sb, db, { collections = { "samples" } }))
    local r = process.run({ "lua5.4", "spec/mirror_crash_child.lua", sb.url, sb.token, cluster.url, "write:samples:75",
      "samples" }, { timeout = 120 })
    assert.equal(137, r.status, r.err)
    r = process.qbench(sb, { "mirror", "--no-progress", cluster.url, "samples" })
    assert.equal(0, r.status, r.err)
    assert.matches("ok %(resumed%)", r.out)
    same_as_sqlite(db, { "samples" })
  end)

  it("runs the README's turnaround query in its PostgreSQL form", function()
    if not need_cluster() then return end
    local f = assert(io.open("README.md", "rb"))
    local text = f:read("a"):match("\n## Mirror a QBench instance into a database\n(.-)\n## ")
    f:close()
    local sql = text:match("```sql\n(.-)```")
    -- The section says which expression PostgreSQL reads instead of SQLite's julianday difference.
    local pg_avg = text:match("In PostgreSQL the same query reads `(.-)`"):gsub("%s+", " ")
    local sqlite_avg = "avg(julianday(t.complete_date) - julianday(t.date_created))"
    local start = assert(sql:find(sqlite_avg, 1, true), "the query's average")
    sql = sql:sub(1, start - 1) .. pg_avg .. sql:sub(start + #sqlite_avg)
    assert(mh.run(sb, cluster.url, { collections = { "tests", "assays" } }))
    local db = dir .. "/lab.db"
    assert(mh.run(sb, db, { collections = { "tests", "assays" } }))
    local ok, out = psql("-At -F '|' -c " .. q(sql))
    assert(ok, out)
    local rows = {}
    for line in out:gmatch("[^\n]+") do
      local title, n, days = line:match("^(.-)|(%d+)|(%-?[%d.]+)$")
      assert(title, line)
      rows[title] = { tonumber(n), tonumber(days) }
    end
    local count = 0
    for _, r in ipairs(mh.query(db, sql:gsub(pg_avg:gsub("%p", "%%%0"), sqlite_avg))) do
      count = count + 1
      assert.equal(r.tests, rows[r.test][1], r.test)
      assert.is_true(math.abs(r.mean_days - rows[r.test][2]) < 0.051, r.test)
    end
    assert.is_true(count >= 5)
  end)

  it("lets one mirror at a time write to a database", function()
    if not need_cluster() then return end
    helper.faults("GET /qbench/api/v2/teams*", { "stall:3000" })
    local first = process.start({ "lua5.4", "bin/qbench", "mirror", "--no-progress", cluster.url, "teams" },
      { env = { QBENCH_URL = sb.url, QBENCH_TOKEN = sb.token }, timeout = 60 })
    local walking
    for _ = 1, 100 do
      local _, out = psql("-At -c \"SELECT state FROM _qbench_sync WHERE collection = 'teams'\"")
      walking = out:match("^(%a+)")
      if walking == "walking" then break end
      core.sleep(0.05)
    end
    assert.equal("walking", walking)
    local r = process.qbench(sb, { "mirror", cluster.url, "teams" }, { timeout = 30 })
    assert.equal(1, r.status)
    assert.matches("another qbench mirror is writing to this database", r.err)
    assert.equal(0, first.wait().status)
  end)

  it("never shows the URL's password", function()
    if not need_cluster() then return end
    local url = string.format("postgresql://qbench:s3cret-pw@/postgres?host=%s&port=1", cluster.dir)
    local r = process.qbench(sb, { "mirror", url, "teams" })
    assert.equal(1, r.status)
    assert.matches("qbench: mirror postgresql://qbench:%*%*%*@/postgres", r.err)
    assert.is_nil(r.err:find("s3cret", 1, true))
    assert.is_nil(r.out:find("s3cret", 1, true))
  end)
end)
