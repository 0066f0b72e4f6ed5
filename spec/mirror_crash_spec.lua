-- kill -9 at many points of a mirror run, then the same command again: the
-- database ends exactly as after a clean run (no row missing, none twice, same
-- values, every walk done), and the rerun goes on from the page after the
-- last one committed. The kills come from inside (spec/mirror_crash_child.lua
-- kills its own process in the middle of a page's transaction, between pages,
-- while a table is made, during a full walk's sweep) and from outside (kill -9
-- while the run waits for a page the sandbox holds back).
local helper = require "helper"
local process = require "process"
local mh = require "mirror_helper"
local core = require "qbench.core"

local COLLECTIONS = { "samples", "tests" }
local V2 = "/qbench/api/v2/"

describe("qbench mirror killed with SIGKILL", function()
  local sb, dir

  -- 300 samples (6 pages, two of them deleted: 1 page) and 600 tests (12 pages).
  local function seed()
    helper.reset { v2 = { samples = 300 } }
    for _, id in ipairs { 7, 8 } do assert.equal(204, (helper.call("DELETE", V2 .. "samples/" .. id))) end
  end

  local function cli(db, extra)
    local args = { "--retries", "0", "mirror", "--no-progress", db }
    for _, c in ipairs(COLLECTIONS) do args[#args + 1] = c end
    for _, x in ipairs(extra or {}) do args[#args + 1] = x end
    return process.qbench(sb, args, { timeout = 120 })
  end

  local function crash(db, point)
    local argv = { "lua5.4", "spec/mirror_crash_child.lua", sb.url, sb.token, db, point }
    for _, c in ipairs(COLLECTIONS) do argv[#argv + 1] = c end
    local r = process.run(argv, { timeout = 120 })
    assert.equal(137, r.status, point .. ": " .. r.err)
  end

  -- The database `db` holds exactly the rows of `clean` (a dump), and every walk is done.
  local function assert_as_clean(clean, db)
    local d = mh.dump(db)
    mh.assert_same_db(clean, d)
    assert.is_true(#d.sync > 0)
    for _, r in ipairs(d.sync) do assert.equal("done", r.state, r.collection) end
  end

  setup(function() sb = helper.sandbox() end)
  before_each(function() dir = mh.tmpdir() end)
  after_each(function() mh.rmdir(dir) end)

  describe("during a first (full) run", function()
    -- One clean run for every test: a mirror only reads, so the sandbox's records stay as
    -- seeded; each test adds only faults and requests to it.
    local clean_dir, clean

    setup(function()
      seed()
      clean_dir = mh.tmpdir()
      local r = cli(clean_dir .. "/clean.db")
      assert.equal(0, r.status, r.err)
      clean = mh.dump(clean_dir .. "/clean.db")
    end)
    teardown(function() mh.rmdir(clean_dir) end)
    before_each(function() helper.http("DELETE", sb.url .. "/_sandbox/faults") end)

    for _, point in ipairs {
      "write:samples:130",      -- inside page 3's transaction
      "write:samples:1",        -- inside the very first page's transaction
      "page:samples:live:5",    -- between pages
      "page:samples:deleted:1", -- after the deleted records' page
      "sweep:samples",          -- inside the transaction that ends the walk
      "done:samples",           -- between collections
      "ddl:tests",              -- while the next table is made
      "write:tests:577",        -- inside the last page's transaction of the run
    } do
      it("at " .. point .. ": a rerun ends with exactly the clean run's rows", function()
        local db = dir .. "/crashed.db"
        crash(db, point)
        local r = cli(db)
        assert.equal(0, r.status, r.err)
        assert_as_clean(clean, db)
      end)
    end

    it("goes on from the page after the last one committed", function()
      local db = dir .. "/crashed.db"
      crash(db, "page:samples:live:5")
      local mark = #helper.requests()
      local r = cli(db)
      assert.equal(0, r.status, r.err)
      -- The counts are the whole walk's, before the kill too: as a clean run's.
      assert.matches("\nsamples +full +298 +0 +2 +0 +0 +7 +[%d.]+ +ok %(resumed%)\n", r.out)
      local lists = mh.list_requests(helper.requests_since(mark), V2 .. "samples")
      assert.equal("page_num=6&page_size=50", lists[1].query)
      mh.assert_same_db(clean, db)
    end)

    it("killed from outside while it waits for a page, a rerun ends with the clean run's rows", function()
      local db = dir .. "/crashed.db"
      -- Test pages 1 and 2 come at once; page 3 is held back for 30 s.
      helper.faults("GET /qbench/api/v2/tests*", { "ok", "ok", "stall:30000" })
      local args = { "lua5.4", "bin/qbench", "--retries", "0", "mirror", "--no-progress", "--concurrency", "1", db }
      for _, c in ipairs(COLLECTIONS) do args[#args + 1] = c end
      local proc = process.start(args, { env = { QBENCH_URL = sb.url, QBENCH_TOKEN = sb.token }, timeout = 60 })
      local committed
      for _ = 1, 200 do
        local ok, rows = pcall(mh.query, db, "SELECT page FROM _qbench_sync WHERE collection = 'tests' AND state = 'walking'")
        committed = ok and rows[1] and rows[1].page
        if committed == 2 then break end
        core.sleep(0.05)
      end
      assert.equal(2, committed)
      -- proc.pid is the `timeout` that bounds the run: SIGKILL goes to the mirror, its child.
      local f = assert(io.open(string.format("/proc/%d/task/%d/children", proc.pid, proc.pid)))
      local child = assert(math.tointeger(tonumber(f:read("a"):match("%d+"))))
      f:close()
      os.execute("kill -9 " .. child)
      assert.equal(137, proc.wait().status)
      helper.http("DELETE", sb.url .. "/_sandbox/faults") -- nothing held back any more
      local r = cli(db)
      assert.equal(0, r.status, r.err)
      assert_as_clean(clean, db)
    end)
  end)

  describe("during an incremental run", function()
    it("at several points, a rerun ends as the clean incremental run", function()
      seed()
      local base = dir .. "/base.db"
      assert.equal(0, cli(base).status)
      -- 120 changed samples (3 pages), a deleted one, new tests.
      local changes = {}
      for id = 101, 231 do
        if id % 10 ~= 0 and #changes < 120 then changes[#changes + 1] = { id = id, comments = "changed " .. id } end
      end
      for i = 1, #changes, 50 do
        assert.equal(200, (helper.call("PATCH", V2 .. "samples", { body = { table.unpack(changes, i, math.min(i + 49, #changes)) } })))
      end
      assert.equal(204, (helper.call("DELETE", V2 .. "samples/250")))
      assert.equal(201, (helper.call("POST", V2 .. "tests", { body = { { sample_id = 3, assay_id = 1 } } })))

      local clean_db = dir .. "/clean.db"
      mh.copy_file(base, clean_db)
      local r = cli(clean_db)
      assert.equal(0, r.status, r.err)
      -- 118 changed, sample 3 (a new test) and 249 (its sub-sample 250 deleted).
      assert.matches("\nsamples +incremental +0 +120 +1 ", r.out)
      local clean = mh.dump(clean_db)

      for _, point in ipairs { "write:samples:60", "page:samples:live:2", "page:samples:deleted:1", "write:tests:1" } do
        local db = dir .. "/crashed.db"
        mh.copy_file(base, db)
        crash(db, point)
        r = cli(db)
        assert.equal(0, r.status, point .. ": " .. r.err)
        assert_as_clean(clean, db)
        os.remove(db)
      end
    end)
  end)
end)
