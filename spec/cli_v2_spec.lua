-- `qbench v2 ...`: every v2 operation from the generated tables, with typed
-- --filter options, the output options of `customers list`, and writes whose
-- records come from --data, --file or --csv and are all checked first.
-- Checked against the sandbox's v2 API: stdout, stderr, exit status and the
-- exact requests it received.
local qbench = require "qbench"
local helper = require "helper"
local interrupt = require "cli_interrupt"
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
  describe("bulk writes, slice by slice (the client's max_batch, 50)", function()
    -- 200 samples, one a row; "comments" says which row.
    local function samples_csv(n, bad_row)
      local rows = { "order_id,sample_type,comments" }
      for i = 1, n do rows[#rows + 1] = string.format("%d,Water,row %d", i == bad_row and 99999 or 1, i) end
      return process.temp_file(table.concat(rows, "\r\n") .. "\r\n")
    end
    local function posts()
      local out = {}
      for _, r in ipairs(helper.requests()) do
        if r.method == "POST" then out[#out + 1] = qbench.decode(r.body) end
      end
      return out
    end

    it("a 500 on the 3rd POST: the 100 created records are on stdout, 50 in doubt and 50 not sent on stderr", function()
      local file = samples_csv(200)
      helper.faults("POST " .. V2 .. "samples", { "ok", "ok", "500" })
      local r = run { "v2", "samples", "create", "--csv", file, "--format", "ndjson" }
      os.remove(file)
      assert.equal(1, r.status)
      local lines = lines_of(r.err)
      assert.equal(2, #lines, r.err)
      assert.matches("^qbench: POST " .. V2 .. "samples HTTP 500 %(http%)", lines[1])
      assert.equal("qbench: 100 of 200 records written, 50 in doubt (records 101-150: the server may have written "
        .. "them; check before sending them again), 50 not sent (records 151-200)", lines[2])
      local sent = posts()
      assert.equal(3, #sent) -- POST is never sent twice
      for i, body in ipairs(sent) do
        assert.equal(50, #body)
        assert.equal("row " .. (50 * (i - 1) + 1), body[1].comments)
      end
      local printed = lines_of(r.out)
      assert.equal(100, #printed)
      for i, line in ipairs(printed) do
        local s = qbench.decode(line)
        assert.equal("row " .. i, s.comments)
        assert.equal(60 + i, s.id) -- what the sandbox created, in order
      end
    end)

    it("the same in JSON: stdout is one valid array of the created records", function()
      local file = samples_csv(120)
      helper.faults("POST " .. V2 .. "samples", { "ok", "500" })
      local r = run { "v2", "samples", "create", "--csv", file }
      os.remove(file)
      assert.equal(1, r.status)
      local list = assert(qbench.decode(r.out), r.out)
      assert.equal(50, #list)
      assert.equal("row 50", list[50].comments)
      assert.equal("qbench: 50 of 120 records written, 50 in doubt (records 51-100: the server may have written "
        .. "them; check before sending them again), 20 not sent (records 101-120)", lines_of(r.err)[2])
    end)

    it("a 400 names the record by its number in the whole input, counted from 1 (the server's [3] of slice 2)", function()
      local file = samples_csv(120, 54)
      local r = run { "v2", "samples", "create", "--csv", file, "--format", "ndjson" }
      os.remove(file)
      assert.equal(1, r.status)
      assert.same({
        "qbench: POST " .. V2 .. "samples HTTP 400 (http): record 54: order_id: no order with id 99999",
        "qbench: 50 of 120 records written, 70 not sent (records 51-120)",
      }, lines_of(r.err))
      assert.equal(50, #lines_of(r.out))
      assert.equal(2, #posts())
    end)

    it("an output that cannot be written stops the write, and stderr still says what was written", function()
      local file = samples_csv(120)
      local r = run({ "v2", "samples", "create", "--csv", file }, { stdout = "/dev/full" })
      os.remove(file)
      assert.equal(1, r.status)
      assert.same({ "qbench: 50 of 120 records written, 70 not sent (records 51-120)",
        "qbench: cannot write the output: No space left on device" }, lines_of(r.err))
      assert.equal(1, #posts())
    end)

    it("a single request's 500 says its records are in doubt", function()
      helper.faults("POST " .. V2 .. "samples", { "500" })
      local r = run { "v2", "samples", "create", "--data", '[{"order_id": 1}, {"order_id": 2}]' }
      assert.equal(1, r.status)
      assert.equal("", r.out)
      assert.equal("qbench: 0 of 2 records written, 2 in doubt (records 1-2: the server may have written them; "
        .. "check before sending them again)", lines_of(r.err)[2])
    end)

    it("--dry-run prints the requests slice by slice, as the real run sends them", function()
      local file = samples_csv(120)
      local r = run({ "v2", "samples", "create", "--csv", file, "--dry-run" }, { env = {} })
      os.remove(file)
      assert.equal(0, r.status, r.err)
      local printed = lines_of(r.out)
      assert.equal(6, #printed)
      for i, n in ipairs { 50, 50, 20 } do
        assert.equal("POST " .. V2 .. "samples", printed[2 * i - 1])
        local body = qbench.decode(printed[2 * i])
        assert.equal(n, #body)
        assert.equal("row " .. (50 * (i - 1) + 1), body[1].comments)
      end
      assert.same({}, helper.requests())
    end)

    it("Ctrl-C during the 3rd POST: exit 130, stdout holds the 100 created, stderr the counts", function()
      local file = samples_csv(200)
      helper.faults("POST " .. V2 .. "samples", { "ok", "ok", "stall:1500" })
      local r = interrupt({ "v2", "samples", "create", "--csv", file }, { requests = 3 })
      os.remove(file)
      assert.equal(130, r.status, r.err)
      assert.equal("qbench: 100 of 200 records written, 50 in doubt (records 101-150: the server may have written "
        .. "them; check before sending them again), 50 not sent (records 151-200)\nqbench: interrupted\n", r.err)
      local list = assert(qbench.decode(r.out), r.out)
      assert.equal(100, #list)
      for i, s in ipairs(list) do assert.equal("row " .. i, s.comments) end
      assert.equal(3, #helper.requests())
    end)
  end)

  describe("string ids (API clients)", function()
    it("api-clients customers list UUID lists that client's customers", function()
      local client = assert(qb.v2.api_clients:all())[1]
      assert.equal("string", type(client.id))
      local expected = assert(qb.v2.api_clients(client.id).customers:all())
      helper.reset()
      local r = run { "v2", "api-clients", "customers", "list", client.id, "--format", "ndjson" }
      assert.equal(0, r.status, r.err)
      assert.same({ "GET " .. V2 .. "api-clients/" .. client.id .. "/customers?page_num=1&page_size=50" }, requests())
      local got = {}
      for i, line in ipairs(lines_of(r.out)) do got[i] = qbench.decode(line) end
      assert.same(expected, got)
      local one = run { "v2", "api-clients", "get", client.id }
      assert.equal(0, one.status, one.err)
      assert.equal(client.id, qbench.decode(one.out).id)
    end)
  end)

  describe("--filter values", function()
    it("negative integers are integers, alone and in arrays", function()
      local cases = {
        { { "v2", "samples", "list", "--filter", "order_ids=-5,3", "--dry-run" },
          "GET " .. V2 .. "samples?order_ids=-5&order_ids=3&page_num=1&page_size=50\n" },
        { { "v2", "contacts", "list", "--filter", "customer_id=-7", "--dry-run" },
          "GET " .. V2 .. "contacts?customer_id=-7&page_num=1&page_size=50\n" },
        { { "v2", "contacts", "list", "--filter", "customer_id=+7", "--dry-run" },
          "GET " .. V2 .. "contacts?customer_id=7&page_num=1&page_size=50\n" },
      }
      for _, case in ipairs(cases) do
        local r = run(case[1], { env = {} })
        assert.equal(0, r.status, r.err)
        assert.equal(case[2], r.out)
      end
    end)
  end)

  describe("columns and fields no record has", function()
    it("--columns with a misspelt field: the cells are empty and stderr says so, with the closest field", function()
      local r = run { "v2", "samples", "list", "--format", "csv", "--columns", "id,sampel_type", "--limit", "3" }
      assert.equal(0, r.status, r.err)
      assert.same({ { "id", "sampel_type" }, { "1", "" }, { "2", "" }, { "3", "" } }, process.parse_csv(r.out))
      assert.equal("qbench: warning: no record has the field 'sampel_type' (--columns): did you mean 'sample_type'?\n", r.err)
      local ok = run { "v2", "samples", "list", "--format", "csv", "--columns", "id,sample_type", "--limit", "1" }
      assert.equal("", ok.err)
    end)

    it("--where on a field no record has: no records, but the header row and a warning", function()
      local r = run { "v2", "samples", "list", "--format", "csv", "--columns", "id,sample_type", "--where", "nonexistent=1" }
      assert.equal(0, r.status, r.err)
      assert.equal("id,sample_type\r\n", r.out)
      assert.equal("qbench: warning: no record has the field 'nonexistent' (--where)\n", r.err)
      local t = run { "v2", "samples", "list", "--format", "table", "--columns", "id,sample_type", "--where", "id=0" }
      assert.equal("id  sample_type\n", t.out)
      assert.equal("", t.err) -- the field exists; no record passed, which is no mistake
    end)

    it("a customers export with no record still has its header row (the fields are known)", function()
      local r = run { "customers", "list", "--format", "csv", "--where", "customer_name=nobody" }
      assert.equal(0, r.status, r.err)
      assert.equal("id", process.parse_csv(r.out)[1][1])
      assert.equal(1, #process.parse_csv(r.out))
      assert.equal("", r.err)
    end)
  end)

  describe("--format table without --columns", function()
    it("shows a handful of columns a person reads a record by, not all of them", function()
      local r = run { "v2", "samples", "list", "--format", "table", "--limit", "2" }
      assert.equal(0, r.status, r.err)
      local lines = lines_of(r.out)
      assert.equal(3, #lines)
      assert.matches("^id +custom_formatted_id +sample_type +order_id +date_created$", lines[1])
      assert.matches("^1 +S%-000001 ", lines[2])
      local t = run { "v2", "tests", "get", "1", "--format", "table" }
      assert.matches("^id +state +sample_id +assay_id +date_created\n", t.out)
      local u = run { "v2", "users", "list", "--format", "table", "--limit", "1" }
      assert.matches("^id +first_name +last_name\n", u.out)
      -- csv keeps every field
      local c = run { "v2", "samples", "list", "--format", "csv", "--limit", "1" }
      assert.is_true(#process.parse_csv(c.out)[1] > 30)
    end)
  end)

  describe("CSV round trip", function()
    it("an export's formula guard is undone by create --csv: every value comes back exactly", function()
      local values = { "+1 (555) 010-0000", "'=already quoted", "''+x", "=SUM(A1)", "-x", "@home", "'plain" }
      for i, v in ipairs(values) do
        assert(qb.v2.samples:create { { order_id = 1, comments = v, sample_type = "T" .. i } })
      end
      local export = run { "v2", "samples", "list", "--format", "csv", "--columns", "order_id,comments,sample_type",
        "--where", "sample_type~^T%d$" }
      assert.equal(0, export.status, export.err)
      assert.truthy(export.out:find("'+1 (555) 010-0000", 1, true)) -- guarded in the file
      local file = process.temp_file(export.out)
      local r = run({ "v2", "samples", "create", "--csv", file, "--dry-run" }, { env = {} })
      local raw = run({ "v2", "samples", "create", "--csv", file, "--csv-raw", "--dry-run" }, { env = {} })
      os.remove(file)
      assert.equal(0, r.status, r.err)
      local sent = qbench.decode(lines_of(r.out)[2])
      assert.equal(#values, #sent)
      for i, v in ipairs(values) do
        assert.same({ order_id = 1, comments = v, sample_type = "T" .. i }, sent[i])
      end
      assert.equal("'+1 (555) 010-0000", qbench.decode(lines_of(raw.out)[2])[1].comments)
    end)
  end)
end)
