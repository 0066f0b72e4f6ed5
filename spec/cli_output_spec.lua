-- What the `qbench` command writes, whatever happens: stable JSON, --columns
-- and --where, output that cannot be written (a full disk, a closed
-- descriptor, a closed pipe), hostile values from the server (invalid UTF-8,
-- huge numbers, terminal escapes, formulas), and Ctrl-C in the middle of an export.
local qbench = require "qbench"
local core = require "qbench.core"
local helper = require "helper"
local interrupt = require "cli_interrupt"
local process = require "process"
local raw = require "rawserver"

local API = "/qbench/api/v1/"

local lines_of = process.lines

local function count(text, pattern)
  local _, n = text:gsub(pattern, "")
  return n
end

-- Are the keys of the JSON object `text` (top level) in sorted order?
local function keys_in_order(text, object)
  local keys = {}
  for k in pairs(object) do keys[#keys + 1] = k end
  table.sort(keys)
  local last = 0
  for _, k in ipairs(keys) do
    local at = text:find('"' .. k .. '":', 1, true)
    if not at or at < last then return false, k end
    last = at
  end
  return true
end

local function http_answer(status, body)
  return string.format("HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
    .. "Connection: close\r\n\r\n%s", status, #body, body)
end

describe("qbench command output", function()
  local sb, qb

  setup(function()
    sb = helper.sandbox()
    qb = qbench.new { url = sb.url, token = sb.token }
  end)
  teardown(function() qb:close() end)
  before_each(function() helper.reset() end)

  local function run(args, opts) return process.qbench(sb, args, opts) end

  describe("--version", function()
    it("prints the versions of qbench, libcurl and Lua on one line", function()
      local r = run({ "--version" }, { env = {} })
      assert.equal(0, r.status)
      assert.equal("", r.err)
      assert.equal(string.format("qbench %s (libcurl %s, Lua 5.4)\n", qbench._VERSION, core.curl_version), r.out)
      assert.matches("^qbench %d+%.%d+%.%d+ %(libcurl %d+%.%d+%.%d+, Lua 5%.4%)\n$", r.out)
    end)
  end)

  describe("JSON", function()
    it("writes each object with its keys sorted, so the same record always gives the same bytes", function()
      local expected = assert(qb.customer:get(3))
      local r = run { "customers", "get", "3" }
      assert.equal(0, r.status, r.err)
      assert.same(expected, qbench.decode(r.out))
      assert.is_true(keys_in_order(r.out, expected))
      assert.equal(r.out, run({ "customers", "get", "3" }).out)
      assert.equal(1, #lines_of(r.out))
    end)

    it("lists as an array of one sorted object per line; ndjson is one sorted object a line", function()
      local all = assert(qb.customer:all())
      local r = run { "customers", "list" }
      assert.equal(0, r.status, r.err)
      local lines = lines_of(r.out)
      assert.equal("[", lines[1])
      assert.equal("]", lines[#lines])
      assert.equal(#all + 2, #lines)
      for i, c in ipairs(all) do
        local line = lines[i + 1]:gsub(",$", "")
        assert.same(c, qbench.decode(line))
        assert.is_true(keys_in_order(line, c))
      end
      local nd = lines_of(run({ "customers", "list", "--format", "ndjson" }).out)
      assert.equal(#all, #nd)
      for i = 1, #all do assert.equal(lines[i + 1]:gsub(",$", ""), nd[i]) end
    end)

    it("a page that fails after others closes the array: stdout is valid JSON of what came before, exit 1", function()
      helper.faults("GET " .. API .. "customer", { "ok", "400" })
      local r = run { "customers", "list", "--concurrency", "1" }
      assert.equal(1, r.status)
      assert.matches("^qbench: GET " .. API .. "customer%?page_num=2&page_size=50 HTTP 400 %(http%)[^\n]*\n$", r.err)
      local list = assert(qbench.decode(r.out), r.out)
      assert.equal(50, #list)
      assert.equal(50, list[50].id)
    end)

    it("a first page that fails leaves stdout empty", function()
      helper.faults("GET " .. API .. "customer", { "400" })
      local r = run { "customers", "list" }
      assert.equal(1, r.status)
      assert.equal("", r.out)
      assert.matches("^qbench: GET " .. API .. "customer%?page_num=1&page_size=50 HTTP 400 %(http%)[^\n]*\n$", r.err)
    end)

    it("--pretty indents by two spaces, in a list too", function()
      local r = run { "customers", "get", "3", "--pretty" }
      assert.equal(0, r.status, r.err)
      assert.equal('{\n  "account_number": ', r.out:sub(1, 22))
      assert.equal("\n}\n", r.out:sub(-3))
      assert.same(assert(qb.customer:get(3)), qbench.decode(r.out))
      local list = run { "customers", "list", "--pretty", "--page-size", "2", "--where", "id~^[12]$" }
      assert.equal(0, list.status, list.err)
      assert.equal('[\n  {\n    "account_number": ', list.out:sub(1, 28))
      assert.truthy(list.out:find('\n  },\n  {\n    "account_number": ', 1, true))
      assert.equal("\n  }\n]\n", list.out:sub(-7))
      local both = qbench.decode(list.out)
      assert.same({ 1, 2 }, { both[1].id, both[2].id })
    end)
  end)

  describe("--columns and --where", function()
    local function acme()
      local out = {}
      for _, c in ipairs(assert(qb.customer:all())) do
        if c.customer_name:find("^Acme") then out[#out + 1] = c end
      end
      return out
    end

    it("csv: only the columns named, in order, for the customers whose field matches the pattern", function()
      local expected = acme()
      assert.is_true(#expected > 1)
      local mark = #helper.requests()
      local r = run { "customers", "list", "--format", "csv", "--columns", "customer_name,id,contact_ids,tags",
        "--where", "customer_name~^Acme" }
      assert.equal(0, r.status, r.err)
      local rows = process.parse_csv(r.out)
      assert.same({ "customer_name", "id", "contact_ids", "tags" }, rows[1])
      assert.equal(#expected + 1, #rows)
      for i, c in ipairs(expected) do
        local ids = {}
        for j, ct in ipairs(c.contacts) do ids[j] = tostring(ct.id) end
        assert.same({ c.customer_name, tostring(c.id), table.concat(ids, ";"), table.concat(c.tags, ";") }, rows[i + 1])
      end
      assert.equal(mark + 2, #helper.requests()) -- every page is still read: the filter is ours
    end)

    it("every --where must hold; FIELD=VALUE compares the whole text", function()
      assert.equal("Acme Extracts Group", qb.customer:get(6).customer_name)
      assert(qb.customer:update(6, { tags = { "Zeta-Key", "Water" } }))
      assert(qb.customer:update(4, { tags = { "Zeta-Key" } })) -- not an Acme
      local function ids(args)
        local r = run(args)
        assert.equal(0, r.status, r.err)
        local out = {}
        for i, row in ipairs(process.parse_csv(r.out)) do out[i] = row[1] end
        return out
      end
      local base = { "customers", "list", "--format", "csv", "--columns", "id" }
      local function with(...)
        local args = table.move(base, 1, #base, 1, {})
        return table.move({ ... }, 1, select("#", ...), #args + 1, args)
      end
      assert.same({ "id", "4", "6" }, ids(with("--where", "tags~Zeta%-Key")))
      assert.same({ "id", "6" }, ids(with("--where", "customer_name~^Acme", "--where", "tags~Zeta%-Key")))
      assert.same({ "id", "6" }, ids(with("--where", "tags=Zeta-Key;Water")))
      assert.same({ "id", "4" }, ids(with("--where", "tags=Zeta-Key")))
      assert.same({ "id" }, ids(with("--where", "tags=Zeta")))
    end)

    it("table and json take --columns too; a nested field is a.b, an array item a.1", function()
      assert(qb.customer:update(4, { contacts = { { id = 3 }, { id = 5 } } }))
      local t = run { "customers", "list", "--format", "table", "--columns", "id,contacts.2.id", "--where", "id=4" }
      assert.equal(0, t.status, t.err)
      assert.same({ "id  contacts.2.id", "4   5" }, lines_of(t.out))
      local j = run { "customers", "get", "4", "--columns", "customer_name,contacts.1.id" }
      local c = assert(qb.customer:get(4))
      assert.same({ customer_name = c.customer_name, ["contacts.1.id"] = 3 }, qbench.decode(j.out))
    end)

    it("--dry-run checks them and prints the first list request, with no credentials and nothing sent", function()
      local r = run({ "customers", "list", "--format", "csv", "--columns", "id,customer_name", "--where",
        "customer_name~^Acme", "--page-size", "20", "--dry-run" }, { env = {} })
      assert.equal(0, r.status, r.err)
      assert.equal("", r.err)
      assert.equal("GET " .. API .. "customer?page_num=1&page_size=20\n", r.out)
      assert.same({}, helper.requests())
    end)
  end)

  describe("output that cannot be written", function()
    setup(function() helper.reset { customers = 500 } end)
    teardown(function() helper.reset() end)
    before_each(function() helper.reset { customers = 500 } end)

    it("a full disk (/dev/full) stops the export at the first failed write: exit 1, one line", function()
      local r = run({ "customers", "list", "--format", "csv" }, { stdout = "/dev/full" })
      assert.equal(1, r.status)
      assert.equal("qbench: cannot write the output: No space left on device\n", r.err)
      local log = helper.requests()
      assert.is_true(#log >= 1 and #log <= 5, #log .. " requests of 10") -- the pages after it are not fetched
      assert.equal("page_num=1&page_size=50", log[1].query)
    end)

    it("a closed standard output is refused before anything is sent", function()
      local r = run({ "customers", "list", "--format", "ndjson" }, { stdout = "closed" })
      assert.equal(1, r.status)
      assert.equal("qbench: cannot write the output: Bad file descriptor\n", r.err)
      assert.same({}, helper.requests())
    end)

    it("a write of a single record that fails is an error too", function()
      local r = run({ "customers", "get", "1" }, { stdout = "/dev/full" })
      assert.equal(1, r.status)
      assert.equal("qbench: cannot write the output: No space left on device\n", r.err)
      r = run({ "--version" }, { stdout = "/dev/full" })
      assert.equal(1, r.status)
      assert.equal("qbench: cannot write the output: No space left on device\n", r.err)
    end)

    describe("a pipe closed early", function()
      local slow
      setup(function()
        slow = helper.start { "--port", "0", "--customers", "500", "--token", "T", "--latency-ms", "20",
          "--die-with-parent", "--quiet" }
      end)
      teardown(function() slow.stop() end)
      before_each(function() helper.reset(nil, slow) end)

      local function export(opts)
        opts.env = { QBENCH_URL = slow.url, QBENCH_TOKEN = "T" }
        opts.pipe_to = "head -1"
        return process.run({ "lua5.4", "bin/qbench", "customers", "list", "--format", "ndjson", "--page-size", "10" }, opts)
      end

      it("with SIGPIPE ignored: stops at the first failed write, exit 1, without fetching every page", function()
        local r = export { ignore_sigpipe = true }
        assert.equal(1, r.status)
        assert.equal("qbench: cannot write the output: Broken pipe\n", r.err)
        assert.equal(1, qbench.decode(r.out).id)
        local n = #helper.requests(slow)
        assert.is_true(n < 25, n .. " requests of 50")
      end)

      it("with SIGPIPE at its default: the command ends by the signal (141), early too", function()
        local r = export {}
        assert.equal(141, r.status)
        assert.equal("", r.err)
        local n = #helper.requests(slow)
        assert.is_true(n < 25, n .. " requests of 50")
      end)
    end)
  end)

  describe("odd values from the server", function()
    -- A page no sandbox endpoint would give: invalid UTF-8, numbers JSON
    -- cannot hold or that need 17 digits, terminal escapes, formulas, a lone CR.
    local PAGE = '{"total_count": 2, "total_pages": 1, "page_number": 1, "data": ['
      .. '{"id": 1, "customer_name": "\xff\xfe bad", "company_discount": 0.30000000000000004, '
      .. '"payment_term_days": 1e400, "tags": ["=cmd|calc", "x"], "phone": "\\r", "email": "-1+2", '
      .. '"comments": "\\u001b]0;title\\u0007\\u001b[2J", "address": "\\u202eevil"}, '
      .. '{"id": 2, "customer_name": "fine", "company_discount": 1e300, "payment_term_days": -5, '
      .. '"tags": [], "phone": null, "email": "@home", "comments": null, "address": null}]}'
    local srv
    before_each(function() srv = raw.start { http_answer("200 OK", PAGE) } end)
    after_each(function() srv.stop() end)

    local COLUMNS = "id,customer_name,company_discount,payment_term_days,tags,phone,email,comments,address"

    it("json: valid JSON, invalid UTF-8 as U+FFFD, infinity as null, full precision, ONE warning", function()
      local r = run({ "customers", "list" }, { url = srv.url })
      assert.equal(0, r.status, r.err)
      assert.truthy(utf8.len(r.out))
      local list = assert(qbench.decode(r.out))
      assert.equal("\u{FFFD}\u{FFFD} bad", list[1].customer_name)
      assert.equal(qbench.null, list[1].payment_term_days)
      assert.equal(0.30000000000000004, list[1].company_discount)
      assert.equal(1e300, list[2].company_discount)
      assert.equal("\27]0;title\7\27[2J", list[1].comments) -- JSON escapes C0 itself: data stays exact
      assert.equal(1, count(r.err, "\n"))
      assert.matches("^qbench: warning: 3 value%(s%) from the server could not be written as sent: "
        .. "text that is not UTF%-8 was written with U%+FFFD, numbers JSON cannot hold %(NaN, infinities%) as null\n$", r.err)
      local nd = run({ "customers", "list", "--format", "ndjson" }, { url = srv.url })
      assert.equal(0, nd.status)
      local lines = lines_of(nd.out)
      assert.equal(2, #lines)
      for _, line in ipairs(lines) do assert.truthy(qbench.decode(line)) end
      assert.equal(1, count(nd.err, "warning"))
    end)

    it("csv: numbers exact, formulas and a lone CR defused, invalid UTF-8 replaced; --csv-raw keeps them", function()
      local r = run({ "customers", "list", "--format", "csv", "--columns", COLUMNS }, { url = srv.url })
      assert.equal(0, r.status, r.err)
      assert.truthy(utf8.len(r.out))
      local rows = process.parse_csv(r.out)
      assert.same({ "1", "\u{FFFD}\u{FFFD} bad", "0.30000000000000004", "", "'=cmd|calc;x", "'\r", "'-1+2",
        "\27]0;title\7\27[2J", "\u{202E}evil" }, rows[2])
      assert.same({ "2", "fine", "1e+300", "-5", "", "", "'@home", "", "" }, rows[3])
      assert.equal(1, count(r.err, "warning"))
      local rawcsv = run({ "customers", "list", "--format", "csv", "--columns", COLUMNS, "--csv-raw" }, { url = srv.url })
      rows = process.parse_csv(rawcsv.out)
      assert.same({ "=cmd|calc;x", "\r", "-1+2" }, { rows[2][5], rows[2][6], rows[2][7] })
      assert.truthy(rawcsv.out:find(',"\r",', 1, true)) -- a field of one CR is quoted
    end)

    it("table: control characters and bidi overrides escaped, text valid UTF-8, one line per record", function()
      local r = run({ "customers", "list", "--format", "table", "--columns", COLUMNS }, { url = srv.url })
      assert.equal(0, r.status, r.err)
      assert.truthy(utf8.len(r.out))
      assert.falsy(r.out:find("[\0-\9\11-\31\127]"))
      assert.falsy(r.out:find("\u{202E}", 1, true))
      assert.truthy(r.out:find("\\x1b]0;title\\x07\\x1b[2J", 1, true))
      assert.truthy(r.out:find("\\u{202E}evil", 1, true))
      assert.truthy(r.out:find("\u{FFFD}\u{FFFD} bad", 1, true))
      assert.equal(3, #lines_of(r.out))
    end)

    it("get: a record with huge numbers prints as valid JSON, infinity as null", function()
      helper.faults("GET " .. API .. "customer/1", { "json:huge-numbers" })
      local r = run { "customers", "get", "1" }
      assert.equal(0, r.status, r.err)
      local c = assert(qbench.decode(r.out))
      assert.equal(qbench.null, c.huge)
      assert.equal(1.2345678901234568e+29, c.big)
      assert.equal(1, count(r.err, "warning"))
    end)

    it("get: a name of invalid UTF-8 prints as U+FFFD in every format", function()
      for _, f in ipairs { "json", "ndjson", "csv", "table" } do
        helper.faults("GET " .. API .. "customer/1", { "json:bad-utf8" })
        local r = run { "customers", "get", "1", "--format", f }
        assert.equal(0, r.status, f .. ": " .. r.err)
        assert.truthy(utf8.len(r.out), f)
        assert.truthy(r.out:find("\u{FFFD}", 1, true), f)
        assert.equal(1, count(r.err, "warning"), f)
      end
    end)
  end)

  describe("terminal escapes", function()
    it("an error message from the server is printed with its control characters escaped", function()
      local srv = raw.start { http_answer("404 Not Found", '{"message": "\\u001b]0;pwned\\u0007\\u001b[2J\\u202egone\\u009b"}') }
      local r = run({ "--retries", "0", "customers", "get", "1" }, { url = srv.url })
      srv.stop()
      assert.equal(1, r.status)
      assert.equal("qbench: GET " .. API .. "customer/1 HTTP 404 (http): \\x1b]0;pwned\\x07\\x1b[2J\\u{202E}gone\\u{9B}\n", r.err)
    end)

    -- Runs the command with stdout on a terminal (script's pseudo-terminal); returns what it showed.
    local function on_terminal(args)
      local words = { "env", "-u", "QBENCH_CLIENT_ID", "-u", "QBENCH_CLIENT_SECRET", "QBENCH_URL=" .. sb.url,
        "QBENCH_TOKEN=" .. sb.token, "lua5.4", "bin/qbench" }
      for _, a in ipairs(args) do words[#words + 1] = helper.shell_quote(a) end
      local p = assert(io.popen("timeout -s KILL 60 script -qec " .. helper.shell_quote(table.concat(words, " "))
        .. " /dev/null </dev/null", "r"))
      local shown = p:read("a")
      assert.is_true(p:close())
      return shown
    end

    it("json on a terminal writes C1 and bidi controls as \\u escapes; to a pipe it is the exact data", function()
      local name = "evil\u{202E}txt\u{9B}2J\27[2J"
      local id = assert(qb.customer:create { customer_name = name })
      local shown = on_terminal { "customers", "get", tostring(id) }
      assert.falsy(shown:find("\u{202E}", 1, true))
      assert.falsy(shown:find("\u{9B}", 1, true))
      assert.falsy(shown:find("\27", 1, true))
      assert.truthy(shown:find('"customer_name":"evil\\u202etxt\\u009b2J\\u001b[2J"', 1, true))
      local piped = run { "customers", "get", tostring(id) }
      assert.equal(name, qbench.decode(piped.out).customer_name)
      local csv_piped = run { "customers", "get", tostring(id), "--format", "csv", "--columns", "customer_name" }
      assert.equal(name, process.parse_csv(csv_piped.out)[2][1])
      local csv_shown = on_terminal { "customers", "get", tostring(id), "--format", "csv", "--columns", "customer_name" }
      assert.falsy(csv_shown:find("\u{202E}", 1, true))
      assert.falsy(csv_shown:find("\27", 1, true))
      assert.truthy(csv_shown:find("evil\\u{202E}txt\\u{9B}2J\\x1b[2J", 1, true))
    end)

    it("table output escapes them even in a pipe: a table is for people", function()
      local id = assert(qb.customer:create { customer_name = "a\u{202E}b\27[31mc" })
      local r = run { "customers", "list", "--format", "table", "--columns", "id,customer_name", "--where", "id=" .. id }
      assert.equal(0, r.status, r.err)
      assert.equal(string.format("id  customer_name\n%d  a\\u{202E}b\\x1b[31mc\n", id), r.out)
    end)
  end)

  describe("records that are not JSON objects", function()
    -- A page whose data holds null, an object and a number: the server's mistake.
    local function page(path_version)
      return http_answer("200 OK", '{"total_count": 3, "total_pages": 1, "page_number": 1, '
        .. '"data": [null, {"id": 1, "customer_name": "one", "sample_type": "x"}, 5]}'), path_version
    end

    it("are a decode error (exit 1, one line), never empty lines, in every format, v1 and v2", function()
      for _, args in ipairs { { "customers", "list" }, { "v2", "samples", "list" } } do
        for _, f in ipairs { "csv", "table", "ndjson", "json" } do
          local srv = raw.start { (page()) }
          local cmd = table.move(args, 1, #args, 1, {})
          table.move({ "--format", f, "--retries", "0" }, 1, 4, #cmd + 1, cmd)
          local r = run(cmd, { url = srv.url })
          srv.stop()
          local name = table.concat(cmd, " ")
          assert.equal(1, r.status, name .. ": " .. r.err)
          assert.equal("", r.out, name)
          assert.matches("^qbench: GET /qbench/api/v[12]/[%w/]+[^\n]* %(decode%)[^\n]*\n$", r.err, name)
        end
      end
      local srv = raw.start { (page()) }
      local r = run({ "customers", "list", "--format", "csv" }, { url = srv.url })
      srv.stop()
      assert.equal("qbench: GET /qbench/api/v1/customer?page_num=1&page_size=50 (decode): unexpected answer: "
        .. "page 1: data[1] is not an object (got qbench.null)\n", r.err)
    end)

    it("a page after good ones: what came before stays, closed; then the error", function()
      local good = '{"total_count": 4, "total_pages": 2, "page_number": 1, "data": [{"id": 1}, {"id": 2}]}'
      local bad = '{"total_count": 4, "total_pages": 2, "page_number": 2, "data": [{"id": 3}, "x"]}'
      local srv = raw.start { http_answer("200 OK", good), http_answer("200 OK", bad) }
      local r = run({ "customers", "list", "--concurrency", "1", "--retries", "0" }, { url = srv.url })
      srv.stop()
      assert.equal(1, r.status)
      assert.same({ { id = 1 }, { id = 2 } }, qbench.decode(r.out))
      assert.matches("page 2: data[2] is not an object (got \"x\")", r.err, 1, true)
    end)

    it("in a write's answer they leave the write's outcome unknown: reported in doubt, nothing printed as written", function()
      local srv = raw.start { http_answer("201 Created", '{"data": [null, {"id": 61, "order_id": 1}, 5]}') }
      local r = run({ "v2", "samples", "create", "--data", '[{"order_id": 1}, {"order_id": 1}, {"order_id": 1}]',
        "--format", "csv", "--columns", "id,order_id" }, { url = srv.url })
      srv.stop()
      assert.equal(1, r.status, r.err)
      assert.equal("", r.out)
      assert.equal("qbench: POST /qbench/api/v2/samples HTTP 201 (decode): unexpected answer: data[1] is not an object "
        .. "(got qbench.null)\nqbench: 0 of 3 records written, 3 in doubt (records 1-3: the server may have written them; "
        .. "check before sending them again)\n", r.err)
    end)
  end)

  describe("--columns paths with numbers", function()
    it("a number indexes an array from 1, or names an object's key; out of range is empty, with a warning", function()
      local body = '{"total_count": 1, "total_pages": 1, "page_number": 1, "data": [{"id": 1, '
        .. '"extra": {"7": "seven", "0": "zero"}, "list": ["a", "b", "c"], "nested": [{"x": [10, 20]}]}]}'
      local srv = raw.start { http_answer("200 OK", body) }
      local r = run({ "v2", "samples", "list", "--format", "csv", "--columns",
        "id,extra.7,list.3,list.1,extra.0,nested.1.x.2,list.0,list.4" }, { url = srv.url })
      srv.stop()
      assert.equal(0, r.status, r.err)
      assert.same({ { "id", "extra.7", "list.3", "list.1", "extra.0", "nested.1.x.2", "list.0", "list.4" },
        { "1", "seven", "c", "a", "zero", "20", "", "" } }, process.parse_csv(r.out))
      assert.same({ "qbench: warning: no record has the field 'list.0' (--columns)",
        "qbench: warning: no record has the field 'list.4' (--columns)" }, lines_of(r.err))
    end)
  end)

  describe("--limit", function()
    it("stops after N records and asks for no more than it shows", function()
      local r = run { "customers", "list", "--format", "ndjson", "--limit", "3" }
      assert.equal(0, r.status, r.err)
      local lines = lines_of(r.out)
      assert.equal(3, #lines)
      assert.equal(3, qbench.decode(lines[3]).id)
      local log = helper.requests()
      assert.equal(1, #log)
      assert.equal("page_num=1&page_size=3", log[1].query)
    end)

    it("counts the records --where keeps, and reads no page after the one that reaches it", function()
      local r = run { "customers", "list", "--format", "csv", "--columns", "id", "--where", "id~5", "--limit", "3",
        "--page-size", "10", "--concurrency", "1" }
      assert.equal(0, r.status, r.err)
      assert.same({ { "id" }, { "5" }, { "15" }, { "25" } }, process.parse_csv(r.out))
      assert.equal(3, #helper.requests())
      local v2 = run { "v2", "tests", "list", "--format", "ndjson", "--limit", "60", "--concurrency", "1" }
      assert.equal(60, #lines_of(v2.out))
      assert.equal(2, #helper.requests() - 3)
    end)

    it("is a positive integer", function()
      local r = run { "customers", "list", "--limit", "0" }
      assert.equal(2, r.status)
      assert.equal("qbench: --limit must be a positive integer, got '0'; see 'qbench customers list --help'\n", r.err)
    end)
  end)

  describe("-o FILE", function()
    local dir
    before_each(function()
      dir = os.tmpname()
      os.remove(dir)
      assert(os.execute("mkdir " .. helper.shell_quote(dir)))
    end)
    after_each(function() os.execute("rm -rf " .. helper.shell_quote(dir)) end)

    local function exists(name) return io.open(name) ~= nil end

    it("writes the output to FILE, through FILE.tmp, and nothing to stdout", function()
      local target = dir .. "/customers.csv"
      local r = run { "customers", "list", "--format", "csv", "-o", target }
      assert.equal(0, r.status, r.err)
      assert.equal("", r.out)
      assert.equal("", r.err)
      assert.equal(76, #process.parse_csv(process.read_file(target)))
      assert.is_false(exists(target .. ".tmp"))
      local g = run { "v2", "tests", "get", "5", "--output", target }
      assert.equal(0, g.status, g.err)
      assert.equal(5, qbench.decode(process.read_file(target)).id)
    end)

    it("after a failure FILE is as it was; FILE.tmp keeps what was written, and stderr says so", function()
      local target = dir .. "/customers.json"
      local f = assert(io.open(target, "wb"))
      f:write("OLD")
      f:close()
      helper.faults("GET " .. API .. "customer", { "ok", "400" })
      local r = run { "customers", "list", "--concurrency", "1", "-o", target }
      assert.equal(1, r.status)
      assert.equal("", r.out)
      assert.equal("OLD", process.read_file(target))
      local partial = assert(qbench.decode(process.read_file(target .. ".tmp")))
      assert.equal(50, #partial)
      local lines = lines_of(r.err)
      assert.matches("^qbench: GET " .. API .. "customer%?page_num=2", lines[1])
      assert.equal("qbench: " .. target .. " was not changed; what was written is in " .. target .. ".tmp (incomplete)",
        lines[2])
      -- A failure before anything was written leaves no FILE.tmp, and says nothing more.
      os.remove(target .. ".tmp")
      helper.faults("GET " .. API .. "customer", { "400" })
      local first = run { "customers", "list", "-o", target }
      assert.equal(1, first.status)
      assert.equal(1, #lines_of(first.err))
      assert.is_false(exists(target .. ".tmp"))
      assert.equal("OLD", process.read_file(target))
    end)

    it("a FILE that cannot be made is exit 1, before anything is sent", function()
      local r = run { "customers", "list", "-o", dir .. "/no/such/dir/x.csv" }
      assert.equal(1, r.status)
      assert.equal("qbench: cannot write the output: " .. dir .. "/no/such/dir/x.csv.tmp: No such file or directory\n", r.err)
      assert.same({}, helper.requests())
    end)
  end)

  describe("Ctrl-C during an export", function()
    local slow
    setup(function()
      slow = helper.start { "--port", "0", "--customers", "75", "--token", "T", "--latency-ms", "150",
        "--die-with-parent", "--quiet" }
    end)
    teardown(function() slow.stop() end)

    it("exits 130 and closes the JSON array: what was written is valid JSON, in order", function()
      helper.reset(nil, slow)
      local r = interrupt({ "customers", "list", "--page-size", "5", "--concurrency", "1" },
        { sandbox = slow, token = "T", requests = 3 })
      assert.equal(130, r.status)
      assert.equal("qbench: interrupted\n", r.err)
      local list = assert(qbench.decode(r.out), r.out)
      assert.is_true(#list >= 5 and #list < 75, tostring(#list))
      for i, c in ipairs(list) do assert.equal(i, c.id) end
      assert.is_true(#helper.requests(slow) < 15)
    end)
  end)
end)
