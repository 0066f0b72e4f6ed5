-- `qbench v2 ...`: every v2 operation from the generated tables, with typed
-- --filter options, the output options of `customers list`, and writes whose
-- records come from --data, --file or --csv and are all checked first.
-- Checked against the sandbox's v2 API: stdout, stderr, exit status and the
-- exact requests it received.
local qbench = require "qbench"
local helper = require "helper"
local process = require "process"

local V2 = "/qbench/api/v2/"

local lines_of = process.lines

describe("qbench v2", function()
  local sb, qb

  setup(function()
    sb = helper.sandbox()
    qb = qbench.new { url = sb.url, token = sb.token }
  end)
  teardown(function() qb:close() end)
  before_each(function() helper.reset() end)

  local function run(args, opts) return process.qbench(sb, args, opts) end

  local function requests()
    local out = {}
    for i, r in ipairs(helper.requests()) do
      out[i] = r.method .. " " .. r.path .. (r.query ~= "" and "?" .. r.query or "")
    end
    return out
  end

  describe("--help", function()
    it("v2 --help lists every collection of the generated index", function()
      local r = run({ "v2", "--help" }, { env = {} })
      assert.equal(0, r.status)
      for _, name in ipairs(require "qbench.v2.api.index") do
        assert.truthy(r.out:find("\n   " .. name:gsub("_", "-") .. " ", 1, true), name)
      end
    end)

    it("a list's --help lists its filters with their types and enums", function()
      local r = run({ "v2", "samples", "list", "--help" }, { env = {} })
      assert.equal(0, r.status)
      assert.matches("\n   order_ids +array of integer\n", r.out)
      assert.matches("\n   sort_order +ASC | DESC\n", r.out)
      assert.matches("\n   include_deleted +TRUE | DELETED_ONLY\n", r.out)
      assert.matches("\n   completed +boolean: true or false\n", r.out)
      assert.falsy(r.out:find("\n   page_size ", 1, true)) -- --page-size is its own option
    end)

    it("a write's --help lists the record fields and the required ones", function()
      local r = run({ "v2", "samples", "update", "--help" }, { env = {} })
      assert.equal(0, r.status)
      assert.matches("\n   order_id +integer\n", r.out)
      assert.matches("\nRequired: id\n", r.out)
    end)
  end)

  describe("reads", function()
    it("list --filter types the values by the operation's parameters; arrays by commas or repeats", function()
      local expected = assert(qb.v2.samples:all { order_ids = { 1, 2 } })
      helper.reset()
      local r = run { "v2", "samples", "list", "--filter", "order_ids=1,2", "--format", "csv", "--columns", "id,order_id" }
      assert.equal(0, r.status, r.err)
      assert.same({ "GET " .. V2 .. "samples?order_ids=1&order_ids=2&page_num=1&page_size=50" }, requests())
      local rows = process.parse_csv(r.out)
      assert.same({ "id", "order_id" }, rows[1])
      assert.equal(#expected + 1, #rows)
      for i, s in ipairs(expected) do assert.same({ tostring(s.id), tostring(s.order_id) }, rows[i + 1]) end
      helper.reset()
      local again = run { "v2", "samples", "list", "--filter", "order_ids=1", "--filter", "order_ids=2",
        "--filter", "received=true", "--filter", "sort_order=DESC", "--format", "ndjson" }
      assert.equal(0, again.status, again.err)
      assert.same({ "GET " .. V2 .. "samples?order_ids=1&order_ids=2&page_num=1&page_size=50&received=true&sort_order=DESC" },
        requests())
    end)

    it("list pages through every record, with --where and --page-size", function()
      local all = assert(qb.v2.tests:all())
      helper.reset()
      local r = run { "v2", "tests", "list", "--format", "ndjson", "--page-size", "7", "--where", "id~5" }
      assert.equal(0, r.status, r.err)
      local want = {}
      for _, t in ipairs(all) do
        if tostring(t.id):find("5") then want[#want + 1] = t end
      end
      local got = {}
      for i, line in ipairs(lines_of(r.out)) do got[i] = qbench.decode(line) end
      assert.same(want, got)
      assert.equal(math.ceil(#all / 7), #helper.requests())
    end)

    it("csv without --columns: the first record's fields, id first, the others sorted", function()
      local expected = assert(qb.v2.tests:get(1))
      local r = run { "v2", "tests", "list", "--format", "csv", "--where", "id=1" }
      assert.equal(0, r.status, r.err)
      local rows = process.parse_csv(r.out)
      local names = {}
      for k in pairs(expected) do if k ~= "id" then names[#names + 1] = k end end
      table.sort(names)
      table.insert(names, 1, "id")
      assert.same(names, rows[1])
      assert.equal(2, #rows)
      assert.equal("1", rows[2][1])
    end)

    it("get ID prints the record as a JSON object", function()
      local expected = assert(qb.v2.tests:get(5))
      helper.reset()
      local r = run { "v2", "tests", "get", "5" }
      assert.equal(0, r.status, r.err)
      assert.same(expected, qbench.decode(r.out))
      assert.same({ "GET " .. V2 .. "tests/5" }, requests())
    end)

    it("a sub-collection takes its parent's id first", function()
      local expected = assert(qb.v2.customers(7).contacts:all())
      helper.reset()
      local r = run { "v2", "customers", "contacts", "list", "7", "--format", "table", "--columns", "id,last_name" }
      assert.equal(0, r.status, r.err)
      assert.same({ "GET " .. V2 .. "customers/7/contacts?page_num=1&page_size=50" }, requests())
      local lines = lines_of(r.out)
      assert.equal(#expected + 1, #lines)
      assert.matches("^id +last_name$", lines[1])
      for i, c in ipairs(expected) do assert.matches("^" .. c.id .. " +" .. c.last_name .. "$", lines[i + 1]) end
    end)

    it("a nested read that is not a list: tests worksheet data get 5, with its own filters", function()
      local r = run { "v2", "tests", "worksheet", "data", "get", "5", "--filter", "raw_worksheet_data=true" }
      assert.equal(0, r.status, r.err)
      assert.same({ "GET " .. V2 .. "tests/5/worksheet/data?raw_worksheet_data=true" }, requests())
      assert.equal("table", type(qbench.decode(r.out)))
    end)

    it("--dry-run prints the request with no credentials and sends nothing", function()
      local cases = {
        { { "v2", "samples", "list", "--filter", "order_ids=1089,1090", "--dry-run" },
          "GET " .. V2 .. "samples?order_ids=1089&order_ids=1090&page_num=1&page_size=50\n" },
        { { "v2", "tests", "get", "5", "--dry-run" }, "GET " .. V2 .. "tests/5\n" },
        { { "v2", "customers", "contacts", "list", "7", "--page-size", "10", "--dry-run" },
          "GET " .. V2 .. "customers/7/contacts?page_num=1&page_size=10\n" },
        { { "v2", "integrations", "customers", "get", "3", "9", "--dry-run" }, "GET " .. V2 .. "integrations/3/customers/9\n" },
        { { "v2", "auth", "token", "info", "get", "--dry-run" }, "GET " .. V2 .. "auth/token/info\n" },
      }
      for _, case in ipairs(cases) do
        local r = run(case[1], { env = {} })
        assert.equal(0, r.status, r.err)
        assert.equal(case[2], r.out)
      end
      assert.same({}, helper.requests())
    end)

    it("exits 1 with one line for a record that does not exist", function()
      local r = run { "--retries", "0", "v2", "tests", "get", "99999" }
      assert.equal(1, r.status)
      assert.equal("", r.out)
      assert.matches("^qbench: GET " .. V2 .. "tests/99999 HTTP 404 %(http%)[^\n]*\n$", r.err)
    end)
  end)

  describe("writes", function()
    it("create --data sends the records and prints what the server created", function()
      local r = run { "v2", "samples", "create", "--data", '[{"order_id": 1, "sample_type": "Water", "tags": ["a"]}]',
        "--format", "csv", "--columns", "order_id,sample_type,tags" }
      assert.equal(0, r.status, r.err)
      local log = helper.requests()
      assert.equal(1, #log)
      assert.equal("POST", log[1].method)
      assert.equal(V2 .. "samples", log[1].path)
      assert.same({ { order_id = 1, sample_type = "Water", tags = { "a" } } }, qbench.decode(log[1].body))
      assert.same({ { "order_id", "sample_type", "tags" }, { "1", "Water", "a" } }, process.parse_csv(r.out))
    end)

    it("--csv types each cell by the record schema; an empty cell is not sent", function()
      local file = process.temp_file("order_id,sample_type,received,tags,inventory_stock_quantity_used,comments\r\n"
        .. '12,Soil,true,"R&D;Hemp",2.5,\r\n13,,FALSE,,,"=x, y"\r\n')
      local r = run { "v2", "samples", "create", "--csv", file, "--dry-run" }
      os.remove(file)
      assert.equal(0, r.status, r.err)
      local printed = lines_of(r.out)
      assert.equal("POST " .. V2 .. "samples", printed[1])
      assert.same({
        { order_id = 12, sample_type = "Soil", received = true, tags = { "R&D", "Hemp" }, inventory_stock_quantity_used = 2.5 },
        { order_id = 13, received = false, comments = "=x, y" },
      }, qbench.decode(printed[2]))
      assert.same({}, helper.requests())
    end)

    it("--file takes JSON or NDJSON", function()
      local json = process.temp_file('{"id": 3, "comments": "one"}')
      local nd_name = os.tmpname() .. ".ndjson"
      local f = assert(io.open(nd_name, "wb"))
      f:write('{"id": 3, "comments": "a"}\n\n{"id": 4, "comments": "b"}\n')
      f:close()
      local r1 = run { "v2", "samples", "update", "--file", json, "--dry-run" }
      local r2 = run { "v2", "samples", "update", "--file", nd_name, "--dry-run" }
      os.remove(json)
      os.remove(nd_name)
      assert.equal(0, r1.status, r1.err)
      assert.same({ { id = 3, comments = "one" } }, qbench.decode(lines_of(r1.out)[2]))
      assert.equal(0, r2.status, r2.err)
      assert.equal("PATCH " .. V2 .. "samples", lines_of(r2.out)[1])
      assert.same({ { id = 3, comments = "a" }, { id = 4, comments = "b" } }, qbench.decode(lines_of(r2.out)[2]))
    end)

    it("checks every record first: reports ALL the bad ones, sends nothing, exits 1", function()
      local file = process.temp_file("order_id,received,sample_type,colour\r\n1,true,Soil,\r\nabc,true,Soil,\r\n"
        .. "2,maybe,Soil,\r\n3,true,Soil,red\r\n")
      local r = run { "v2", "samples", "create", "--csv", file }
      os.remove(file)
      assert.equal(1, r.status)
      assert.equal("", r.out)
      assert.same({
        'record 2: samples.order_id: expected integer, got "abc"',
        'record 3: samples.received: expected boolean, got "maybe"',
        "record 4: samples.colour: unknown field",
        "qbench: 3 of 4 records are invalid; nothing was sent",
      }, lines_of(r.err))
      assert.same({}, helper.requests())
    end)

    it("update sends PATCH with the records and prints the updated ones", function()
      local r = run { "v2", "samples", "update", "--data", '{"id": 3, "comments": "Checked"}', "--format", "ndjson" }
      assert.equal(0, r.status, r.err)
      local log = helper.requests()
      assert.equal(1, #log)
      assert.equal("PATCH", log[1].method)
      assert.same({ { id = 3, comments = "Checked" } }, qbench.decode(log[1].body))
      local printed = lines_of(r.out)
      assert.equal(1, #printed)
      assert.equal("Checked", qbench.decode(printed[1]).comments)
      assert.equal("Checked", qb.v2.samples:get(3).comments)
    end)

    it("actions and deletes take the record's id; a 204 prints nothing", function()
      local cases = {
        { { "v2", "invoices", "sync", "5" }, "POST " .. V2 .. "invoices/5/sync" },
        { { "v2", "reports", "publish", "--data", '[{"id": 3, "send_emails": false}]' }, "POST " .. V2 .. "reports/publish",
          { { id = 3, send_emails = false } } },
        { { "v2", "samples", "delete", "5" }, "DELETE " .. V2 .. "samples/5" },
      }
      for _, case in ipairs(cases) do
        helper.reset()
        local dry = run(table.move({ "--dry-run" }, 1, 1, #case[1] + 1, table.move(case[1], 1, #case[1], 1, {})), { env = {} })
        assert.equal(0, dry.status, dry.err)
        assert.equal(case[2], lines_of(dry.out)[1])
        assert.same({}, helper.requests())
        local r = run(case[1])
        assert.equal(0, r.status, r.err)
        assert.equal("", r.out)
        assert.equal("", r.err)
        local log = helper.requests()
        assert.equal(1, #log)
        assert.equal(case[2], log[1].method .. " " .. log[1].path)
        if case[3] then assert.same(case[3], qbench.decode(log[1].body)) end
      end
    end)

    it("a failed write exits 1 with one line", function()
      helper.faults("POST " .. V2 .. "samples", { "400" })
      local r = run { "--retries", "0", "v2", "samples", "create", "--data", '{"order_id": 1}' }
      assert.equal(1, r.status)
      assert.equal("", r.out)
      assert.matches("^qbench: POST " .. V2 .. "samples HTTP 400 %(http%)[^\n]*\n$", r.err)
    end)
  end)
end)
