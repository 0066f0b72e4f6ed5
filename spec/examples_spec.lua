-- examples/*.lua, run as a user would against the sandbox: what they print,
-- and the requests that reached the sandbox.
local qbench = require "qbench"
local helper = require "helper"
local process = require "process"

local API = "/qbench/api/v1/"

describe("examples", function()
  local sb, qb

  setup(function()
    sb = helper.sandbox()
    qb = qbench.new { url = sb.url, token = sb.token }
  end)
  teardown(function() qb:close() end)
  before_each(function() helper.reset() end)

  local function run(script, args, opts)
    local argv = { "lua5.4", "examples/" .. script }
    for _, a in ipairs(args or {}) do argv[#argv + 1] = a end
    opts = opts or {}
    opts.env = {
      QBENCH_URL = sb.url, QBENCH_TOKEN = sb.token,
      LUA_PATH = "lua/?.lua;lua/?/init.lua;;", LUA_CPATH = "build/?.so;;",
    }
    return process.run(argv, opts)
  end

  local function methods_sent()
    local seen = {}
    for _, r in ipairs(helper.requests()) do seen[#seen + 1] = r.method end
    return seen
  end

  local function write_file(text)
    return process.temp_file(text)
  end

  describe("export_csv.lua", function()
    it("writes every customer to the CSV file, one record each, and reports the count", function()
      local expected = assert(qb.customer:all())
      helper.reset()
      local file = os.tmpname()
      local r = run("export_csv.lua", { file })
      local f = assert(io.open(file, "rb"))
      local text = f:read("a")
      f:close()
      os.remove(file)
      assert.equal(0, r.status, r.err)
      assert.equal("", r.out)
      assert.equal(string.format("wrote 75 customers to %s\n", file), r.err) -- no progress: not a terminal
      local rows = process.parse_csv(text)
      assert.equal(76, #rows)
      assert.equal("id", rows[1][1])
      assert.equal("customer_name", rows[1][2])
      for i, c in ipairs(expected) do
        assert.equal(tostring(c.id), rows[i + 1][1])
        assert.equal(c.customer_name, rows[i + 1][2])
      end
      local log = helper.requests()
      assert.equal(2, #log)
      assert.equal("page_num=2&page_size=50", log[2].query)
    end)

    it("shows the progress line when stderr is a terminal", function()
      local file = os.tmpname()
      local cmd = string.format("env QBENCH_URL=%s QBENCH_TOKEN=%s LUA_PATH='lua/?.lua;lua/?/init.lua;;' "
        .. "LUA_CPATH='build/?.so;;' lua5.4 examples/export_csv.lua %s", sb.url, sb.token, file)
      local p = assert(io.popen("script -qec " .. helper.shell_quote(cmd) .. " /dev/null </dev/null", "r"))
      local terminal = p:read("a")
      assert.is_true(p:close())
      local f = assert(io.open(file, "rb"))
      local rows = process.parse_csv(f:read("a"))
      f:close()
      os.remove(file)
      assert.equal(76, #rows)
      assert.matches("\rpages 1/2  %d+ customers/s  0:0%d left\27%[K", terminal)
      assert.matches("\rpages 2/2  %d+ customers/s  0:00 left\27%[K\r?\n", terminal)
      assert.truthy(terminal:find("wrote 75 customers to " .. file, 1, true))
    end)

    it("writes to stdout without a file name", function()
      local r = run("export_csv.lua")
      assert.equal(0, r.status)
      assert.equal(76, #process.parse_csv(r.out))
    end)

    it("puts ' before cells a spreadsheet would run as formulas, never before numbers", function()
      local id = assert(qb.customer:create { customer_name = '=HYPERLINK("http://evil.example")', phone = "-1+1",
        comments = "@SUM(A1)" })
      local r = run("export_csv.lua")
      assert.equal(0, r.status, r.err)
      local rows = process.parse_csv(r.out)
      local last = rows[#rows]
      assert.equal(tostring(id), last[1])
      assert.equal([['=HYPERLINK("http://evil.example")]], last[2])
      assert.equal("'-1+1", last[4])
      assert.equal("'@SUM(A1)", last[7])
    end)

    it("exits 1 with a message when the output cannot be written", function()
      local r = run("export_csv.lua", {}, { stdout = "/dev/full" })
      assert.equal(1, r.status)
      assert.equal("cannot write the CSV: No space left on device\n", r.err)
    end)
  end)

  describe("bulk_tag.lua", function()
    local function acme_ids()
      local ids = {}
      for _, c in ipairs(assert(qb.customer:all())) do
        if c.customer_name:find("^Acme") then ids[#ids + 1] = c.id end
      end
      return ids
    end

    it("--dry-run reports the customers it would tag and sends no write", function()
      local ids = acme_ids()
      assert.is_true(#ids > 1)
      helper.reset()
      local r = run("bulk_tag.lua", { "^Acme", "Key account", "--dry-run" })
      assert.equal(0, r.status, r.err)
      local lines = {}
      for line in r.out:gmatch("[^\n]+") do lines[#lines + 1] = line end
      assert.equal(#ids + 1, #lines)
      for i, id in ipairs(ids) do assert.matches("^would tag " .. id .. " Acme ", lines[i]) end
      assert.equal(string.format("%d would be tagged, 0 already tagged, 0 failed", #ids), lines[#lines])
      assert.same({ "GET", "GET" }, methods_sent())
      for _, t in ipairs(qb.customer:get(ids[1]).tags) do assert.not_equal("Key account", t) end
    end)

    it("adds the tag to each matching customer, keeping their tags, and skips those already tagged", function()
      local ids = acme_ids()
      local before = assert(qb.customer:get(ids[1])).tags
      assert(qb.customer:update(ids[2], { tags = { "Key account" } }))
      local mark = #helper.requests()
      local r = run("bulk_tag.lua", { "^Acme", "Key account" })
      assert.equal(0, r.status, r.err)
      assert.matches(string.format("%d tagged, 1 already tagged, 0 failed\n$", #ids - 1), r.out)
      local puts = {}
      local log = helper.requests()
      for i = mark + 1, #log do
        if log[i].method == "PUT" then puts[#puts + 1] = log[i] end
      end
      assert.equal(#ids - 1, #puts)
      assert.equal(API .. "customer/" .. ids[1], puts[1].path)
      local want = { table.unpack(before) }
      want[#want + 1] = "Key account"
      assert.same({ tags = want }, qbench.decode(puts[1].body))
      assert.same(want, qb.customer:get(ids[1]).tags)
    end)

    it("exits 1 with a message for a malformed pattern", function()
      local r = run("bulk_tag.lua", { "(", "x" })
      assert.equal(1, r.status)
      assert.truthy(r.err:find("malformed pattern", 1, true))
      assert.same({}, helper.requests())
    end)
  end)

  describe("sync_from_csv.lua", function()
    local csv_text = table.concat({
      "id,customer_name,phone,tags,date_created",
      '2,Harbor Botanicals Group,(555) 000-1111,"Priority;VIP",ignored',
      '"","New, ""Quoted"" Co",,x;y,',
      "3,Granite Cultivation Group,(582) 728-2629,Net 30,",
      "",
    }, "\r\n")

    it("--dry-run reports what would change and sends no write", function()
      local file = write_file(csv_text)
      local r = run("sync_from_csv.lua", { file, "--dry-run" })
      os.remove(file)
      assert.equal(0, r.status, r.err)
      assert.equal(table.concat({
        'row 2: would update 2: phone "" -> "(555) 000-1111", tags "Priority" -> "Priority;VIP"',
        'row 3: would create New, "Quoted" Co',
        "row 4: unchanged 3",
        "1 created, 1 updated, 1 unchanged, 0 failed (dry run: nothing sent)",
        "" }, "\n"), r.out)
      assert.same({ "GET", "GET" }, methods_sent())
    end)

    it("creates and updates customers, sending only the changed fields", function()
      local file = write_file(csv_text)
      local r = run("sync_from_csv.lua", { file })
      os.remove(file)
      assert.equal(0, r.status, r.err)
      assert.equal(table.concat({
        'row 2: updated 2: phone "" -> "(555) 000-1111", tags "Priority" -> "Priority;VIP"',
        'row 3: created 76 New, "Quoted" Co',
        "row 4: unchanged 3",
        "1 created, 1 updated, 1 unchanged, 0 failed",
        "" }, "\n"), r.out)
      local writes = {}
      for _, req in ipairs(helper.requests()) do
        if req.method ~= "GET" then writes[#writes + 1] = req end
      end
      assert.equal(2, #writes)
      assert.equal("PUT", writes[1].method)
      assert.equal(API .. "customer/2", writes[1].path)
      assert.same({ phone = "(555) 000-1111", tags = { "Priority", "VIP" } }, qbench.decode(writes[1].body))
      assert.equal("POST", writes[2].method)
      assert.same({ customer_name = 'New, "Quoted" Co', tags = { "x", "y" } }, qbench.decode(writes[2].body))
      assert.same({ "x", "y" }, qb.customer:get(76).tags)
    end)

    it("round-trips export_csv.lua's output: an unedited export changes nothing", function()
      -- Cells a spreadsheet would run as formulas: the export guards them with ', the sync undoes it.
      assert(qb.customer:update(5, { phone = "+1 (555) 010-2000", comments = "=1+1", fax = "'@quoted" }))
      local mark = #helper.requests()
      local file = os.tmpname()
      assert.equal(0, run("export_csv.lua", { file }).status)
      local r = run("sync_from_csv.lua", { file })
      os.remove(file)
      assert.equal(0, r.status, r.err)
      assert.matches("\n0 created, 0 updated, 75 unchanged, 0 failed\n$", r.out)
      for _, req in ipairs(helper.requests_since(mark)) do assert.equal("GET", req.method) end
    end)

    it("skips a row whose id does not exist and exits 1", function()
      local file = write_file("id,customer_name\r\n999,Nobody\r\n")
      local r = run("sync_from_csv.lua", { file })
      os.remove(file)
      assert.equal(1, r.status)
      assert.equal("row 2: skipped: no customer with id 999\n0 created, 0 updated, 0 unchanged, 1 failed\n", r.out)
    end)
  end)

  -- The event-loop examples: every customer they ask for arrives, and the host's
  -- own coroutine (a ticker) ran while they waited.
  for _, script in ipairs { "loop_cqueues.lua", "loop_select.lua" } do
    describe(script, function()
      it("fetches through the loop while the host's ticker keeps running", function()
        local r = run(script)
        assert.equal(0, r.status, r.err)
        local last = script == "loop_cqueues.lua" and 20 or 9
        for id = 1, last do
          local name = assert(qb.customer:get(id)).customer_name
          assert.is_truthy(r.out:find(string.format("\n%d\t%s\n", id, name), 1, true) or r.out:find(string.format("^%d\t%s\n", id, name)),
            "customer " .. id)
        end
        assert.matches("the ticker ticked %d+ times meanwhile\n$", r.out)
        local gets = 0
        for _, req in ipairs(helper.requests()) do if req.method == "GET" then gets = gets + 1 end end
        assert.is_true(gets >= last)
      end)
    end)
  end

  it("every example run without QBENCH_URL says what to set in one line and exits 2, sending nothing", function()
    local csv_file = write_file("customer_name\r\nX\r\n")
    local needs = { ["customers.lua"] = {}, ["export_csv.lua"] = {}, ["loop_cqueues.lua"] = {},
      ["loop_select.lua"] = {}, ["bulk_tag.lua"] = { "Labs", "x" }, ["sync_from_csv.lua"] = { csv_file } }
    for script, args in pairs(needs) do
      local argv = { "lua5.4", "examples/" .. script }
      table.move(args, 1, #args, 3, argv)
      local r = process.run(argv, { env = { LUA_PATH = "lua/?.lua;lua/?/init.lua;;", LUA_CPATH = "build/?.so;;" } })
      assert.equal(2, r.status, script .. ": " .. r.err)
      assert.equal("examples/" .. script .. ": set QBENCH_URL and QBENCH_TOKEN (or QBENCH_CLIENT_ID and "
        .. "QBENCH_CLIENT_SECRET) to a QBench instance\n", r.err, script)
      assert.equal("", r.out, script)
    end
    os.remove(csv_file)
    assert.same({}, helper.requests())
  end)
end)
