-- The `qbench` command, run as a process against the sandbox: its stdout,
-- stderr, exit status, and the exact requests the sandbox received.
local qbench = require "qbench"
local helper = require "helper"
local process = require "process"

local API = "/qbench/api/v1/"
local null = qbench.null

local CSV_COLUMNS = { "id", "customer_name", "email", "phone", "fax", "address", "comments", "tags",
  "contact_ids", "account_number", "license_number", "billing_contact_name", "billing_email",
  "payment_term_days", "company_discount", "deleted", "date_created", "last_updated" }

-- What a CSV cell must hold for a value, by this spec's own rules: a float
-- in as few digits as read back the same number.
local function expected_cell(customer, column)
  local v = customer[column]
  if column == "tags" then return table.concat(customer.tags, ";") end
  if column == "contact_ids" then
    local ids = {}
    for i, ct in ipairs(customer.contacts) do ids[i] = tostring(ct.id) end
    return table.concat(ids, ";")
  end
  if v == nil or v == null then return "" end
  if math.type(v) == "float" then
    for digits = 1, 17 do
      local s = string.format("%." .. digits .. "g", v)
      if tonumber(s) == v then return s end
    end
  end
  return tostring(v)
end

local lines_of = process.lines

describe("qbench command", function()
  local sb, qb

  setup(function()
    sb = helper.sandbox()
    qb = qbench.new { url = sb.url, token = sb.token }
  end)
  teardown(function() qb:close() end)
  before_each(function() helper.reset() end)

  local function run(args, opts) return process.qbench(sb, args, opts) end

  local mark = 0
  local function set_mark() mark = #helper.requests() end
  local function requests_since_mark() return helper.requests_since(mark) end

  describe("--help", function()
    local commands = {
      {}, { "customers" }, { "customers", "list" }, { "customers", "get" }, { "customers", "create" },
      { "customers", "update" }, { "customers", "delete" }, { "customers", "contacts" },
      { "customers", "contacts", "add" }, { "customers", "contacts", "remove" },
      { "customers", "assay-discounts" }, { "customers", "assay-discounts", "create" },
      { "customers", "assay-discounts", "update" }, { "customers", "assay-discounts", "delete" },
      { "customers", "panel-discounts" }, { "customers", "panel-discounts", "create" },
      { "customers", "panel-discounts", "update" }, { "customers", "panel-discounts", "delete" },
      { "customers", "tag" }, { "customers", "import" },
      { "request" }, { "v2" }, { "v2", "samples" }, { "v2", "samples", "list" }, { "v2", "customers", "contacts" },
      { "v2", "customers", "contacts", "list" }, { "v2", "tests", "worksheet", "data", "get" },
      { "v2", "invoices", "sync" }, { "v2", "reports", "publish" },
    }
    it("exists on every subcommand, exits 0 with that subcommand's usage, and sends nothing", function()
      for _, words in ipairs(commands) do
        local args = { table.unpack(words) }
        args[#args + 1] = "--help"
        local r = run(args)
        local name = table.concat(words, " ")
        assert.equal(0, r.status, name)
        assert.equal("", r.err, name)
        local usage = ("Usage: qbench " .. name):gsub("%s+$", "")
        assert.equal(usage, r.out:sub(1, #usage), name)
      end
      assert.same({}, helper.requests())
    end)

    it("names the configuration variables and the exit codes", function()
      local r = run { "--help" }
      for _, word in ipairs { "QBENCH_URL", "QBENCH_TOKEN", "QBENCH_CLIENT_ID", "QBENCH_CLIENT_SECRET",
        "0 success, 1 API or network failure", "2 usage error" } do
        assert.truthy(r.out:find(word, 1, true), word)
      end
    end)
  end)

  describe("customers list", function()
    it("prints a JSON array of every customer, fetched page by page", function()
      local expected = assert(qb.customer:all())
      set_mark()
      local r = run { "customers", "list" }
      assert.equal(0, r.status)
      assert.equal("", r.err) -- no progress line: stderr is not a terminal
      assert.same(expected, qbench.decode(r.out))
      local log = requests_since_mark()
      assert.equal(2, #log)
      assert.equal(API .. "customer", log[1].path)
      assert.equal("page_num=1&page_size=50", log[1].query)
      assert.equal("page_num=2&page_size=50", log[2].query)
      assert.equal("Bearer " .. sb.token, log[1].headers.authorization)
    end)

    it("--format ndjson prints one object per line and --page-size sets the page size", function()
      local r = run { "customers", "list", "--format", "ndjson", "--page-size", "20" }
      assert.equal(0, r.status)
      local lines = lines_of(r.out)
      assert.equal(75, #lines)
      for i, line in ipairs(lines) do
        local c = qbench.decode(line)
        assert.equal(i, c.id)
      end
      local queries = {}
      for i, req in ipairs(helper.requests()) do queries[i] = req.query end
      table.sort(queries) -- pages after the first are fetched in parallel, in any order
      assert.same({ "page_num=1&page_size=20", "page_num=2&page_size=20", "page_num=3&page_size=20",
        "page_num=4&page_size=20" }, queries)
    end)

    it("--format csv is RFC 4180: read back, every cell matches, quotes doubled, tags joined with ;", function()
      local tricky = 'Smith, "Jr" & Co\nLab'
      local id = assert(qb.customer:create { customer_name = tricky, tags = { "R&D", "x,y" }, contacts = { { id = 2 }, { id = 5 } },
        phone = "(555) 010-0000" })
      local expected = assert(qb.customer:all())
      local r = run { "customers", "list", "--format", "csv" }
      assert.equal(0, r.status)
      assert.truthy(r.out:find('"Smith, ""Jr"" & Co\nLab"', 1, true))
      local rows = process.parse_csv(r.out)
      assert.same(CSV_COLUMNS, rows[1])
      assert.equal(#expected + 1, #rows)
      for i, customer in ipairs(expected) do
        local row = rows[i + 1]
        for col, name in ipairs(CSV_COLUMNS) do
          assert.equal(expected_cell(customer, name), row[col], string.format("customer %d, %s", customer.id, name))
        end
      end
      local last = rows[#rows]
      assert.equal(tostring(id), last[1])
      assert.equal(tricky, last[2])
      assert.equal("R&D;x,y", last[8])
      assert.equal("2;5", last[9])
    end)

    it("--format table prints aligned columns with a header", function()
      local r = run { "customers", "list", "--format", "table" }
      assert.equal(0, r.status)
      local lines = lines_of(r.out)
      assert.equal(76, #lines)
      assert.matches("^id%s+customer_name%s+phone%s+email%s+tags$", lines[1])
      assert.matches("^1%s+Example Customer%s+Example tag$", lines[2])
      local name_column = lines[1]:find("customer_name", 1, true)
      assert.equal("Example Customer", lines[2]:sub(name_column, name_column + 15))
    end)

    it("accepts --concurrency and still lists every customer in order", function()
      local r = run { "customers", "list", "--format", "ndjson", "--concurrency", "4", "--page-size", "10" }
      assert.equal(0, r.status)
      local lines = lines_of(r.out)
      assert.equal(75, #lines)
      for i, line in ipairs(lines) do assert.equal(i, qbench.decode(line).id) end
      assert.equal(8, #helper.requests()) -- each page once
    end)

    it("fails with exit 1 and one line on stderr when a later page fails", function()
      -- 400: a status the library does not retry.
      helper.faults("GET /qbench/api/v1/customer", { "ok", "400" })
      local r = run { "customers", "list", "--format", "ndjson", "--page-size", "50" }
      assert.equal(1, r.status)
      assert.matches("^qbench: GET /qbench/api/v1/customer%?page_num=2&page_size=50 HTTP 400 %(http%)[^\n]*\n$", r.err)
      assert.equal(50, #lines_of(r.out)) -- what came before the failure, whole lines
    end)

    describe("progress line", function()
      local slow
      setup(function()
        slow = helper.start { "--port", "0", "--customers", "30", "--token", "T", "--latency-ms", "150",
          "--die-with-parent", "--quiet" }
      end)
      teardown(function() slow.stop() end)

      -- Runs the command under a pseudo-terminal (script), stdout to a file;
      -- returns what the terminal showed and the file.
      local function on_terminal(extra)
        local out_file = os.tmpname()
        local cmd = string.format("env -u QBENCH_CLIENT_ID -u QBENCH_CLIENT_SECRET QBENCH_URL=%s QBENCH_TOKEN=T "
          .. "lua5.4 bin/qbench customers list --format csv --page-size 10 %s >%s", slow.url, extra or "", out_file)
        local p = assert(io.popen("script -qec " .. helper.shell_quote(cmd) .. " /dev/null </dev/null", "r"))
        local terminal = p:read("a")
        local ok = p:close()
        local f = assert(io.open(out_file, "rb"))
        local out = f:read("a")
        f:close()
        os.remove(out_file)
        return ok, terminal, out
      end

      it("shows pages done / total, customers/s and time left on a terminal's stderr, never in stdout", function()
        local ok, terminal, out = on_terminal()
        assert.is_true(ok)
        assert.matches("\rpages 1/3  %d+ customers/s  0:0%d left\27%[K", terminal)
        assert.matches("\rpages 2/3  %d+ customers/s  0:0%d left\27%[K", terminal)
        assert.matches("\rpages 3/3  %d+ customers/s  0:00 left\27%[K\r?\n", terminal)
        assert.equal(31, #process.parse_csv(out))
        assert.falsy(out:find("pages", 1, true))
      end)

      it("is not shown with --no-progress", function()
        local ok, terminal, out = on_terminal("--no-progress")
        assert.is_true(ok)
        assert.falsy(terminal:find("pages", 1, true))
        assert.equal(31, #process.parse_csv(out))
      end)
    end)
  end)

  describe("customers get", function()
    it("prints the customer as JSON", function()
      local expected = assert(qb.customer:get(7))
      set_mark()
      local r = run { "customers", "get", "7" }
      assert.equal(0, r.status)
      assert.same(expected, qbench.decode(r.out))
      local log = requests_since_mark()
      assert.equal(1, #log)
      assert.equal("GET", log[1].method)
      assert.equal(API .. "customer/7", log[1].path)
    end)

    it("prints one CSV record under a header with --format csv", function()
      local expected = assert(qb.customer:get(1))
      local rows = process.parse_csv(run { "customers", "get", "1", "--format", "csv" }.out)
      assert.equal(2, #rows)
      for col, name in ipairs(CSV_COLUMNS) do assert.equal(expected_cell(expected, name), rows[2][col]) end
    end)

    it("exits 1 with the error on one stderr line for a missing customer", function()
      local r = run { "customers", "get", "9999" }
      assert.equal(1, r.status)
      assert.equal("", r.out)
      assert.equal("qbench: GET /qbench/api/v1/customer/9999 HTTP 404 (http): customer 9999 not found\n", r.err)
    end)
  end)

  -- Each write, run twice: with --dry-run (prints the request, sends nothing)
  -- and for real (the sandbox receives exactly that request).
  describe("writes and --dry-run", function()
    local function seed_discounts()
      assert(qb.customer:create_assay_discounts(5, { { assay_id = 1, base_price = 100, discount = 20 },
        { assay_id = 2, base_price = 30, discount = 5 } }))
      assert(qb.customer:create_panel_discounts(5, { { panel_id = 1, base_price = 50, discount = 15 },
        { panel_id = 2, base_price = 40, discount = 5 } }))
    end
    local cases = {
      { args = { "customers", "create", "--name", "ACME", "--tag", "x", "--tag", "y", "--contact", "1",
          "--contact", "3", "--phone", "(000) 000-0000" },
        method = "POST", path = API .. "customer", out = "76\n",
        body = { customer_name = "ACME", tags = { "x", "y" }, contacts = { { id = 1 }, { id = 3 } }, phone = "(000) 000-0000" },
        check = function()
          local c = assert(qb.customer:get(76))
          assert.equal("ACME", c.customer_name)
          assert.same({ "x", "y" }, c.tags)
        end },
      { args = { "customers", "update", "5", "--name", "Renamed", "--clear-fax", "--email", "a@example.com", "--tag", "t" },
        method = "PUT", path = API .. "customer/5",
        body = { customer_name = "Renamed", fax = null, email = "a@example.com", tags = { "t" } },
        check = function()
          local c = assert(qb.customer:get(5))
          assert.equal("Renamed", c.customer_name)
          assert.equal(null, c.fax)
        end },
      { args = { "customers", "update", "5", "--clear-tags", "--contact", "4" },
        method = "PUT", path = API .. "customer/5", raw_body = '"tags":[]', body = { tags = {}, contacts = { { id = 4 } } } },
      { args = { "customers", "delete", "5" }, method = "DELETE", path = API .. "customer/5",
        check = function() assert.is_nil(qb.customer:get(5)) end },
      { args = { "customers", "contacts", "add", "5", "--contact", "2:receive_email,portal_user", "--contact", "3" },
        method = "POST", path = API .. "customer/contacts/add",
        body = { id = 5, contacts = {
          ["2"] = { receive_email = true, receive_invoice_email = false, portal_user = true },
          ["3"] = { receive_email = false, receive_invoice_email = false, portal_user = false } } },
        check = function()
          local c = assert(qb.customer:get(5))
          local flags = {}
          for _, ct in ipairs(c.contacts) do flags[ct.id] = ct.portal_user end
          assert.same({ [2] = true, [3] = false }, flags)
        end },
      { args = { "customers", "contacts", "remove", "5", "2" },
        before = function() assert(qb.customer:add_contacts(5, { [2] = { portal_user = true } })) end,
        method = "POST", path = API .. "customer/contact/remove", body = { id = 5, contact_id = 2 } },
      { args = { "customers", "assay-discounts", "create", "5", "--item", "1:100:20", "--item", "2:5.5:1" },
        method = "POST", path = API .. "customer/5/assays",
        body = { assay_discounts = { { assay_id = 1, base_price = 100, discount = 20 }, { assay_id = 2, base_price = 5.5, discount = 1 } } } },
      { args = { "customers", "assay-discounts", "update", "5", "--item", "1:90:10" }, before = seed_discounts,
        method = "PATCH", path = API .. "customer/5/assays",
        body = { assay_discounts = { { assay_id = 1, base_price = 90, discount = 10 } } } },
      { args = { "customers", "assay-discounts", "delete", "5", "1", "2" }, before = seed_discounts,
        method = "DELETE", path = API .. "customer/5/assays", query = "assay_ids=1&assay_ids=2" },
      { args = { "customers", "panel-discounts", "create", "5", "--item", "3:50:15" },
        method = "POST", path = API .. "customer/5/panels",
        body = { panel_discounts = { { panel_id = 3, base_price = 50, discount = 15 } } } },
      { args = { "customers", "panel-discounts", "update", "5", "--item", "2:45:10" }, before = seed_discounts,
        method = "PATCH", path = API .. "customer/5/panels",
        body = { panel_discounts = { { panel_id = 2, base_price = 45, discount = 10 } } } },
      { args = { "customers", "panel-discounts", "delete", "5", "1" }, before = seed_discounts,
        method = "DELETE", path = API .. "customer/5/panels", query = "panel_ids=1" },
      { args = { "request", "POST", "customer", "--data", '{"customer_name": "Raw"}' },
        method = "POST", path = API .. "customer", body = { customer_name = "Raw" }, out = '{"id":76}\n' },
    }

    for _, case in ipairs(cases) do
      local name = table.concat(case.args, " ")
      it(name .. " sends " .. case.method .. " " .. case.path .. "; --dry-run prints it and sends nothing", function()
        local dry_args = { table.unpack(case.args) }
        dry_args[#dry_args + 1] = "--dry-run"
        -- No credentials at all: a dry run needs none.
        local dry = run(dry_args, { env = {} })
        assert.equal(0, dry.status, dry.err)
        assert.equal("", dry.err)
        assert.same({}, helper.requests())
        local printed = lines_of(dry.out)
        local target = case.path .. (case.query and "?" .. case.query or "")
        assert.equal(case.method .. " " .. target, printed[1])
        if case.body then
          assert.equal(2, #printed)
          assert.same(case.body, qbench.decode(printed[2]))
        else
          assert.equal(1, #printed)
        end

        if case.before then case.before() end
        set_mark()
        local r = run(case.args)
        assert.equal(0, r.status, r.err)
        assert.equal("", r.err)
        assert.equal(case.out or "", r.out)
        local log = requests_since_mark()
        assert.equal(1, #log)
        local req = log[1]
        assert.equal(case.method, req.method)
        assert.equal(case.path, req.path)
        assert.equal(case.query or "", req.query)
        if case.body then
          assert.same(case.body, qbench.decode(req.body))
          assert.equal("application/json", req.headers["content-type"])
        else
          assert.equal("", req.body)
        end
        if case.raw_body then assert.truthy(req.body:find(case.raw_body, 1, true)) end
        if case.check then case.check() end
      end)
    end
  end)

  describe("request", function()
    it("sends any method and path with repeated query keys and prints the JSON answer", function()
      local r = run { "request", "get", "customer", "--query", "page_size=2", "--query", "page_num=3" }
      assert.equal(0, r.status)
      local page = qbench.decode(r.out)
      assert.equal(2, #page.data)
      assert.equal(5, page.data[1].id)
      local req = helper.last_request()
      assert.equal("GET", req.method)
      assert.equal("page_num=3&page_size=2", req.query)
    end)

    it("takes a path from the instance root and --data from a file or stdin", function()
      local file = process.temp_file('{"customer_name": "From file"}')
      local r = run { "request", "POST", "/qbench/api/v1/customer", "--data", "@" .. file }
      os.remove(file)
      assert.equal(0, r.status)
      assert.equal(76, qbench.decode(r.out).id)
      r = run({ "request", "PUT", "customer/76", "--data", "@-" }, { stdin = '{"phone": "123"}' })
      assert.equal(0, r.status, r.err)
      assert.same({ phone = "123" }, qbench.decode(helper.last_request().body))
      assert.equal("123", qb.customer:get(76).phone)
    end)

    it("exits 1 with one line on stderr for an error status", function()
      local r = run { "request", "DELETE", "customer/9999" }
      assert.equal(1, r.status)
      assert.equal("qbench: DELETE /qbench/api/v1/customer/9999 HTTP 404 (http): customer 9999 not found\n", r.err)
    end)
  end)

  describe("exit codes", function()
    local usage_errors = {
      { {}, "a command is required" },
      { { "customers", "frobnicate" }, "unknown command 'frobnicate'" },
      { { "customers", "get" }, "missing argument 'id'" },
      { { "customers", "get", "0" }, "id must be a positive integer, got '0'" },
      { { "customers", "list", "--page-size", "51" }, "--page-size must be an integer from 1 to 50" },
      { { "customers", "list", "--concurrency", "11" }, "--concurrency must be an integer from 1 to 10" },
      { { "customers", "list", "--format", "xml" }, "argument for option '--format' must be one of" },
      { { "customers", "create" }, "missing option '--name'" },
      { { "customers", "create", "--name", " " }, "--name must not be empty" },
      { { "customers", "update", "5" }, "nothing to update" },
      { { "customers", "update", "5", "--phone", "1", "--clear-phone" }, "--phone and --clear-phone exclude each other" },
      { { "customers", "contacts", "add", "5", "--contact", "2:bogus" }, "unknown contact flag 'bogus'" },
      { { "customers", "contacts", "add", "5", "--contact", "2", "--contact", "2:portal_user" }, "contact 2 is given twice" },
      { { "customers", "assay-discounts", "create", "5", "--item", "1:x:2" }, "--item wants ID:BASE_PRICE:DISCOUNT" },
      { { "customers", "panel-discounts", "delete", "5" }, "missing argument 'panel_ids'" },
      { { "request", "GET", "customer", "--query", "novalue" }, "--query wants KEY=VALUE" },
      { { "request", "POST", "customer", "--data", "{nope" }, "--data is not JSON" },
      { { "--url", "ftp://example.invalid", "customers", "get", "1" }, "option url must be an http:// or https:// URL" },
      { { "customers", "list", "--columns", "id,nope" }, "unknown field 'nope' of customers" },
      { { "customers", "list", "--where", "nope~x" }, "unknown field 'nope' of customers" },
      { { "customers", "list", "--where", "customer_name" }, "--where wants FIELD~LUA_PATTERN or FIELD=VALUE" },
      { { "customers", "list", "--where", "customer_name~(" }, "--where: malformed pattern '('" },
      { { "customers", "list", "--format", "csv", "--pretty" }, "--pretty applies to --format json" },
      { { "customers", "update", "5", "--add-tag", "x", "--tag", "y" }, "--add-tag and --remove-tag exclude --tag" },
      { { "customers", "update", "5", "--add-tag", "x", "--remove-tag", "x" }, "tag 'x' is both added and removed" },
      { { "customers", "tag", "--add-tag", "x" }, "missing option '--match'" },
      { { "customers", "tag", "--match", "id=1" }, "give --add-tag or --remove-tag" },
      { { "customers", "list", "--where", "customer_name~a%" }, "--where: malformed pattern 'a%': malformed pattern (ends with '%')" },
      { { "customers", "list", "--format", "csv", "--where", "customer_name~[a" }, "malformed pattern (missing ']')" },
      { { "customers", "tag", "--match", "customer_name~(x%1)", "--add-tag", "t" }, "invalid capture index %1" },
      { { "v2", "samples", "list", "--format", "csv", "--where", "sample_type~x%f" }, "missing '[' after '%f' in pattern" },
      { { "v2", "samples", "list", "--filter", "order_ids=x" }, "filter 'order_ids[1]' must be an integer, got \"x\"" },
      { { "v2", "samples", "list", "--filter", "nope=1" }, "unknown filter 'nope' for samples" },
      { { "v2", "samples", "frobnicate" }, "unknown command 'frobnicate'" },
      { { "v2", "samples", "create" }, "give the records with --data, --file or --csv" },
    }
    it("is 2 for a usage error: ONE line on stderr naming the command's --help, nothing on stdout, nothing sent", function()
      for _, case in ipairs(usage_errors) do
        local r = run(case[1])
        local name = table.concat(case[1], " ")
        assert.equal(2, r.status, name)
        assert.equal("", r.out, name)
        assert.truthy(r.err:find(case[2], 1, true), name .. ": " .. r.err)
        assert.matches("^qbench: [^\n]+; see 'qbench[%w%- ]*%-%-help'\n$", r.err, name)
      end
      assert.same({}, helper.requests())
    end)

    it("a mistyped word gets one 'did you mean' on the same line, never argparse's own second line", function()
      local cases = {
        { { "customers", "lsit" }, "qbench: unknown command 'lsit' (did you mean 'list'?); see 'qbench customers --help'\n" },
        { { "custmers", "list" }, "qbench: unknown command 'custmers' (did you mean 'customers'?); see 'qbench --help'\n" },
        { { "v2", "sample", "list" }, "qbench: unknown command 'sample' (did you mean 'samples'?); see 'qbench v2 --help'\n" },
        { { "v2", "samples", "lst" }, "qbench: unknown command 'lst' (did you mean 'list'?); see 'qbench v2 samples --help'\n" },
        { { "customers", "list", "--colums", "id" },
          "qbench: unknown option '--colums' (did you mean '--columns'?); see 'qbench customers list --help'\n" },
        { { "customers", "list", "--retrys", "1" },
          "qbench: unknown option '--retrys' (did you mean '--retries'?); see 'qbench customers list --help'\n" },
        { { "customers", "frobnicate" }, "qbench: unknown command 'frobnicate'; see 'qbench customers --help'\n" },
      }
      for _, case in ipairs(cases) do
        local r = run(case[1], { env = {} })
        assert.equal(2, r.status, table.concat(case[1], " "))
        assert.equal(case[2], r.err)
        assert.equal("", r.out)
      end
    end)

    it("a missing input file is exit 1 naming the file, not a usage error", function()
      local cases = {
        { "customers", "import", "/nonexistent/new.csv" },
        { "v2", "samples", "create", "--csv", "/nonexistent/new.csv" },
        { "v2", "samples", "update", "--file", "/nonexistent/new.csv" },
        { "request", "POST", "customer", "--data", "@/nonexistent/new.csv" },
      }
      for _, args in ipairs(cases) do
        local r = run(args)
        assert.equal(1, r.status, table.concat(args, " "))
        assert.equal("", r.out)
        assert.matches("^qbench: [^\n]*cannot read /nonexistent/new%.csv: No such file or directory\n$", r.err)
      end
      local dir = run { "customers", "import", "/" }
      assert.equal(1, dir.status)
      assert.matches("^qbench: [^\n]*cannot read /: Is a directory\n$", dir.err)
      assert.same({}, helper.requests())
    end)

    it("names the subcommand whose --help to read", function()
      assert.equal("qbench: missing argument 'id'; see 'qbench customers get --help'\n", run { "customers", "get" }.err)
      assert.equal("qbench: a command is required; see 'qbench --help'\n", run {}.err)
      assert.equal("qbench: --pretty applies to --format json; see 'qbench customers list --help'\n",
        run { "customers", "list", "--format", "table", "--pretty" }.err)
      assert.equal("qbench: unknown filter 'nope' for samples; see 'qbench v2 samples list --help'\n",
        run { "v2", "samples", "list", "--filter", "nope=1" }.err)
    end)

    it("is 2 when the instance or the credentials are missing", function()
      local r = run({ "customers", "get", "1" }, { env = { QBENCH_TOKEN = "x" } })
      assert.equal(2, r.status)
      assert.equal("qbench: no QBench instance: give --url, set QBENCH_URL, or use a profile with a url; "
        .. "see 'qbench customers get --help'\n", r.err)
      r = run({ "customers", "get", "1" }, { env = { QBENCH_URL = sb.url } })
      assert.equal(2, r.status)
      assert.matches("^qbench: no credentials: set QBENCH_TOKEN", r.err)
      assert.same({}, helper.requests())
    end)

    it("passes --retries to the client: with 0 a 503 is final", function()
      helper.faults("GET /qbench/api/v1/customer/7", { "503", "503", "ok" })
      local r = run { "--retries", "0", "customers", "get", "7" }
      assert.equal(1, r.status)
      assert.matches("^qbench: GET /qbench/api/v1/customer/7 HTTP 503 %(http%)", r.err)
      assert.equal(1, #helper.requests())
      r = run { "--retries", "1", "customers", "get", "7" }
      assert.equal(0, r.status, r.err)
      assert.equal(3, #helper.requests())
    end)

    it("takes --url and --token before the environment", function()
      local r = run({ "--url", sb.url, "--token", sb.token, "customers", "get", "1" },
        { env = { QBENCH_URL = "http://127.0.0.1:1", QBENCH_TOKEN = "wrong" } })
      assert.equal(0, r.status, r.err)
      assert.equal("Bearer " .. sb.token, helper.last_request().headers.authorization)
    end)

    it("is 1 for a network failure, with one line on stderr", function()
      local r = run({ "--retries", "0", "customers", "get", "1" },
        { env = { QBENCH_URL = "http://127.0.0.1:1", QBENCH_TOKEN = "x" } })
      assert.equal(1, r.status)
      assert.equal("", r.out)
      assert.matches("^qbench: GET /qbench/api/v1/customer/1 %(network%)[^\n]*\n$", r.err)
    end)

    describe("with OAuth client credentials", function()
      local oauth
      local CLIENT_ID, SECRET = "cli-client", "s3cret-client-secret-value"
      setup(function()
        oauth = helper.start { "--token", "static-token", "--client-id", CLIENT_ID, "--client-secret", SECRET,
          "--customers", "3", "--quiet", "--die-with-parent" }
      end)
      teardown(function() oauth.stop() end)

      it("uses QBENCH_CLIENT_ID and QBENCH_CLIENT_SECRET when no token is given", function()
        helper.reset(nil, oauth)
        local r = run({ "customers", "get", "2" },
          { env = { QBENCH_URL = oauth.url, QBENCH_CLIENT_ID = CLIENT_ID, QBENCH_CLIENT_SECRET = SECRET } })
        assert.equal(0, r.status, r.err)
        assert.equal(2, qbench.decode(r.out).id)
        local log = helper.requests(oauth)
        assert.equal("/qbench/oauth2/v1/token", log[1].path)
        assert.equal(API .. "customer/2", log[#log].path)
        assert.matches("^Bearer ", log[#log].headers.authorization)
        assert.not_equal("Bearer static-token", log[#log].headers.authorization)
        assert.falsy((r.out .. r.err):find(SECRET, 1, true))
      end)

      it("never echoes the token or the client secret", function()
        local token, wrong_secret = "s3cret-token-value", "wrong-s3cret-value"
        local outputs = {}
        local function keep(r) outputs[#outputs + 1], outputs[#outputs + 2] = r.out, r.err end
        local r = run({ "customers", "get", "1" }, { env = { QBENCH_URL = oauth.url, QBENCH_TOKEN = token } })
        assert.equal(1, r.status)
        assert.matches("^qbench: GET [^\n]* HTTP 401 %(auth%)[^\n]*\n$", r.err)
        keep(r)
        r = run({ "customers", "get", "1" },
          { env = { QBENCH_URL = oauth.url, QBENCH_CLIENT_ID = CLIENT_ID, QBENCH_CLIENT_SECRET = wrong_secret } })
        assert.equal(1, r.status)
        assert.matches("^qbench: [^\n]*%(auth%)[^\n]*\n$", r.err)
        keep(r)
        r = run { "--token", token, "customers", "create", "--name", "X", "--dry-run" }
        assert.equal(0, r.status)
        keep(r)
        for _, text in ipairs(outputs) do
          assert.falsy(text:find(token, 1, true))
          assert.falsy(text:find(wrong_secret, 1, true))
          assert.falsy(text:find(SECRET, 1, true))
        end
      end)
    end)
  end)
end)
