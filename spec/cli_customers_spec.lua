-- The jobs a lab person does first, without jq or shell loops: adding and
-- removing tags on one customer or on every customer that matches, and
-- importing customers from a CSV file. Checked by what the command prints
-- and by the exact requests the sandbox received.
local qbench = require "qbench"
local helper = require "helper"
local interrupt = require "cli_interrupt"
local process = require "process"

local API = "/qbench/api/v1/"

local lines_of = process.lines

describe("qbench customers", function()
  local sb, qb

  setup(function()
    sb = helper.sandbox()
    qb = qbench.new { url = sb.url, token = sb.token }
  end)
  teardown(function() qb:close() end)
  before_each(function() helper.reset() end)

  local function run(args, opts) return process.qbench(sb, args, opts) end

  local function summary(log)
    local out = {}
    for i, r in ipairs(log) do
      out[i] = r.method .. " " .. r.path .. (r.query ~= "" and "?" .. r.query or "")
    end
    return out
  end

  describe("update ID --add-tag / --remove-tag", function()
    before_each(function() assert(qb.customer:update(7, { tags = { "Retail", "Hemp" } })) end)

    it("reads the customer, writes its tags with the new one added, and says what it did", function()
      helper.reset() -- keeps no log of the set-up; the data is reseeded below
      assert(qb.customer:update(7, { tags = { "Retail", "Hemp" } }))
      local mark = #helper.requests()
      local r = run { "customers", "update", "7", "--add-tag", "Wholesale" }
      assert.equal(0, r.status, r.err)
      assert.equal("", r.out)
      assert.equal("customer 7: tags Retail, Hemp -> Retail, Hemp, Wholesale\n", r.err)
      local log = helper.requests()
      assert.same({ "GET " .. API .. "customer/7", "PUT " .. API .. "customer/7" }, summary({ log[mark + 1], log[mark + 2] }))
      assert.equal(mark + 2, #log)
      assert.same({ tags = { "Retail", "Hemp", "Wholesale" } }, qbench.decode(log[mark + 2].body))
      assert.same({ "Retail", "Hemp", "Wholesale" }, qb.customer:get(7).tags)
    end)

    it("removes and adds in one write, with other fields, keeping the order of the tags left", function()
      local mark = #helper.requests()
      local r = run { "customers", "update", "7", "--remove-tag", "Retail", "--add-tag", "Food", "--add-tag", "Hemp",
        "--phone", "555" }
      assert.equal(0, r.status, r.err)
      assert.equal("customer 7: tags Retail, Hemp -> Hemp, Food\n", r.err)
      local log = helper.requests()
      assert.equal(mark + 2, #log)
      assert.same({ tags = { "Hemp", "Food" }, phone = "555" }, qbench.decode(log[mark + 2].body))
    end)

    it("writes nothing when the tags would not change", function()
      local mark = #helper.requests()
      local r = run { "customers", "update", "7", "--add-tag", "Hemp", "--remove-tag", "Water" }
      assert.equal(0, r.status, r.err)
      assert.equal("customer 7: tags Retail, Hemp (unchanged)\n", r.err)
      local log = helper.requests()
      assert.equal(mark + 1, #log)
      assert.equal("GET", log[mark + 1].method)
    end)

    it("--dry-run reads for real and prints the write instead of sending it", function()
      local mark = #helper.requests()
      local r = run { "customers", "update", "7", "--add-tag", "Wholesale", "--dry-run" }
      assert.equal(0, r.status, r.err)
      assert.equal("customer 7: tags Retail, Hemp -> Retail, Hemp, Wholesale (dry run)\n", r.err)
      local printed = lines_of(r.out)
      assert.equal(2, #printed)
      assert.equal("PUT " .. API .. "customer/7", printed[1])
      assert.same({ tags = { "Retail", "Hemp", "Wholesale" } }, qbench.decode(printed[2]))
      local log = helper.requests()
      assert.equal(mark + 1, #log)
      assert.equal("GET", log[mark + 1].method)
      assert.same({ "Retail", "Hemp" }, qb.customer:get(7).tags)
    end)

    it("exits 1 with one line when the customer cannot be read", function()
      local r = run { "customers", "update", "9999", "--add-tag", "x" }
      assert.equal(1, r.status)
      assert.equal("qbench: GET " .. API .. "customer/9999 HTTP 404 (http): customer 9999 not found\n", r.err)
    end)
  end)

  describe("tag --match", function()
    local function acme()
      local out = {}
      for _, c in ipairs(assert(qb.customer:all())) do
        if c.customer_name:find("^Acme") then out[#out + 1] = c end
      end
      return out
    end

    local function shown(tags)
      return #tags == 0 and "(none)" or table.concat(tags, ", ")
    end

    it("adds the tag to every match, one line each and a summary; those that have it are left alone", function()
      local matches = acme()
      assert.is_true(#matches >= 3)
      local first = matches[1]
      assert(qb.customer:update(first.id, { tags = { "Key" } }))
      local mark = #helper.requests()
      local r = run { "customers", "tag", "--match", "customer_name~^Acme", "--add-tag", "Key" }
      assert.equal(0, r.status, r.err)
      assert.equal("", r.out)
      local want, puts = {}, {}
      for i = 2, #matches do
        local c = matches[i]
        local new = { table.unpack(c.tags) }
        new[#new + 1] = "Key"
        want[#want + 1] = string.format("customer %d: tags %s -> %s", c.id, shown(c.tags), shown(new))
        puts[#puts + 1] = { path = API .. "customer/" .. c.id, body = { tags = new } }
      end
      want[#want + 1] = string.format("%d changed, 1 unchanged, 0 failed", #matches - 1)
      assert.same(want, lines_of(r.err))
      local got = {}
      local log = helper.requests()
      for i = mark + 1, #log do
        if log[i].method == "PUT" then got[#got + 1] = { path = log[i].path, body = qbench.decode(log[i].body) } end
      end
      assert.same(puts, got)
    end)

    it("a failure never stops the others: reported, counted, exit 1", function()
      local matches = acme()
      helper.faults("PUT " .. API .. "customer/" .. matches[1].id, { "400" })
      local r = run { "customers", "tag", "--match", "customer_name~^Acme", "--remove-tag", "Nothing", "--add-tag", "VIP" }
      assert.equal(1, r.status)
      local lines = lines_of(r.err)
      assert.matches("^customer " .. matches[1].id .. ": PUT " .. API .. "customer/" .. matches[1].id .. " HTTP 400 %(http%)", lines[1])
      assert.equal(string.format("%d changed, 0 unchanged, 1 failed", #matches - 1), lines[#lines])
      for i = 2, #matches do
        local tags = qb.customer:get(matches[i].id).tags
        assert.equal("VIP", tags[#tags])
      end
    end)

    it("--dry-run lists for real and prints the writes; nothing is written", function()
      local matches = acme()
      local mark = #helper.requests()
      local r = run { "customers", "tag", "--match", "customer_name~^Acme", "--match", "id~.", "--add-tag", "Key", "--dry-run" }
      assert.equal(0, r.status, r.err)
      local printed = lines_of(r.out)
      assert.equal(2 * #matches, #printed)
      for i, c in ipairs(matches) do
        assert.equal("PUT " .. API .. "customer/" .. c.id, printed[2 * i - 1])
        local new = { table.unpack(c.tags) }
        new[#new + 1] = "Key"
        assert.same({ tags = new }, qbench.decode(printed[2 * i]))
      end
      local lines = lines_of(r.err)
      assert.matches("%(dry run%)$", lines[1])
      assert.equal(string.format("%d would change, 0 unchanged, 0 failed (dry run: nothing sent)", #matches), lines[#lines])
      local log = helper.requests()
      for i = mark + 1, #log do assert.equal("GET", log[i].method) end
    end)
  end)

  describe("import", function()
    -- Every awkward case a spreadsheet can produce, one per row (header = row 1).
    local FILE = table.concat({
      "\239\187\191customer_name,tags,contact_ids,phone,comments,payment_term_days,id",    -- 1: BOM, server column
      '"ACME, Inc.","Retail;Hemp","1;2","(555) ""010""",,30,99',                          -- 2: commas, quotes
      'Multi Line Labs,,,,"first line\r\nsecond line",,',                                  -- 3: CRLF inside quotes
      ",x,,,,,",                                                                          -- 4: no name
      '"=HYPERLINK(""x"")",,,,"\r",,',                                                   -- 5: formula, lone CR
      "Bad \xff bytes,,,,,,",                                                             -- 6: invalid UTF-8
      "Bad Contact,,3;x,,,,",                                                             -- 7: a contact id that is not one
      "Bad Days,,,,,thirty,",                                                             -- 8: not an integer
      "Too,Many,Cells,,,,,,",                                                             -- 9: 9 cells, 7 columns
      "",                                                                                 -- 10: blank line
      "Last Labs,Food,,,,,",                                                              -- 11
      "",
    }, "\r\n")

    local REPORT = {
      "qbench: skipping the columns QBench sets itself: id",
      "row 2: created customer 76",
      "row 3: created customer 77",
      "row 4: customer_name is required",
      "row 5: created customer 78",
      "row 6: customer_name is not valid UTF-8",
      "row 7: contact_ids: 'x' is not a contact id",
      "row 8: payment_term_days must be an integer, got 'thirty'",
      "row 9: 9 cells, but the header row names 7 columns",
      "row 11: created customer 79",
      "4 created, 5 failed",
    }

    local BODIES = {
      { customer_name = "ACME, Inc.", tags = { "Retail", "Hemp" }, contacts = { { id = 1 }, { id = 2 } },
        phone = '(555) "010"', payment_term_days = 30 },
      { customer_name = "Multi Line Labs", comments = "first line\r\nsecond line" },
      { customer_name = '=HYPERLINK("x")', comments = "\r" },
      { customer_name = "Last Labs", tags = { "Food" } },
    }

    it("creates one customer per good row, reports every row on stderr, and exits 1 for the bad ones", function()
      local file = process.temp_file(FILE)
      local r = run { "customers", "import", file }
      os.remove(file)
      assert.equal(1, r.status)
      assert.equal("", r.out)
      assert.same(REPORT, lines_of(r.err))
      local posts = {}
      for _, req in ipairs(helper.requests()) do
        assert.equal("POST", req.method)
        assert.equal(API .. "customer", req.path)
        posts[#posts + 1] = qbench.decode(req.body)
      end
      assert.same(BODIES, posts)
      local c = assert(qb.customer:get(76))
      assert.equal("ACME, Inc.", c.customer_name)
      assert.same({ "Retail", "Hemp" }, c.tags)
      assert.equal("first line\r\nsecond line", qb.customer:get(77).comments)
    end)

    it("--dry-run needs no credentials, prints the requests and sends nothing", function()
      local file = process.temp_file(FILE)
      local r = run({ "customers", "import", file, "--dry-run" }, { env = {} })
      os.remove(file)
      assert.equal(1, r.status)
      local printed = lines_of(r.out)
      assert.equal(2 * #BODIES, #printed)
      for i, body in ipairs(BODIES) do
        assert.equal("POST " .. API .. "customer", printed[2 * i - 1])
        assert.same(body, qbench.decode(printed[2 * i]))
      end
      local report = lines_of(r.err)
      assert.equal("row 2: would create customer ACME, Inc.", report[2])
      assert.equal("row 3: would create customer Multi Line Labs", report[3])
      assert.equal("4 would be created, 5 failed (dry run: nothing sent)", report[#report])
      assert.same({}, helper.requests())
    end)

    it("a row the server refuses is reported and the next rows are still created", function()
      helper.faults("POST " .. API .. "customer", { "ok", "400" })
      local file = process.temp_file("customer_name\nOne\nTwo\nThree\n") -- LF line ends
      local r = run { "--retries", "0", "customers", "import", file }
      os.remove(file)
      assert.equal(1, r.status)
      local lines = lines_of(r.err)
      assert.equal("row 2: created customer 76", lines[1])
      assert.matches("^row 3: POST " .. API .. "customer HTTP 400 %(http%)", lines[2])
      assert.equal("row 4: created customer 77", lines[3])
      assert.equal("2 created, 1 failed", lines[4])
      assert.equal("Three", qb.customer:get(77).customer_name)
    end)

    it("reads stdin for -, and exits 0 when every row is created", function()
      local r = run({ "customers", "import", "-" }, { stdin = "customer_name,email\r\nFrom Stdin,a@example.com\r\n" })
      assert.equal(0, r.status, r.err)
      assert.equal("row 2: created customer 76\n1 created, 0 failed\n", r.err)
      assert.equal("a@example.com", qb.customer:get(76).email)
    end)

    it("refuses a contact id 0 and a row with one cell too many, and goes on", function()
      local file = process.temp_file("customer_name,contact_ids,phone\r\nZero,0,\r\nOne Extra,,555,\r\nFine,1,\r\n")
      local r = run { "customers", "import", file }
      os.remove(file)
      assert.equal(1, r.status)
      assert.same({
        "row 2: contact_ids: '0' is not a contact id",
        "row 3: 4 cells, but the header row names 3 columns",
        "row 4: created customer 76",
        "1 created, 2 failed",
      }, lines_of(r.err))
      assert.equal(1, #helper.requests())
      assert.same({ customer_name = "Fine", contacts = { { id = 1 } } }, qbench.decode(helper.requests()[1].body))
    end)

    it("--dry-run checks and reports every row as the real run does, the library's refusals included", function()
      -- Row 3's contact_ids ';' names no contact: the library refuses an empty contacts list.
      local text = "customer_name,contact_ids,payment_term_days\r\nA,1,\r\nB,;,\r\n,2,\r\nC,,x\r\nD,2;3,7\r\n"
      local file = process.temp_file(text)
      local dry = run({ "customers", "import", file, "--dry-run" }, { env = {} })
      local real = run { "customers", "import", file }
      os.remove(file)
      assert.equal(1, dry.status)
      assert.equal(1, real.status)
      local want = {
        "row 2: %s A", "row 3: contacts must be a non-empty array", "row 4: customer_name is required",
        "row 5: payment_term_days must be an integer, got 'x'", "row 6: %s D", "%s, 3 failed%s",
      }
      local function filled(words, name, suffix)
        local out = {}
        for i, line in ipairs(want) do
          out[i] = line:format(i == #want and name or words, suffix)
        end
        return out
      end
      assert.same(filled("would create customer", "2 would be created", " (dry run: nothing sent)"), lines_of(dry.err))
      local expected = filled("created customer", "2 created", "")
      expected[1], expected[5] = "row 2: created customer 76", "row 6: created customer 77"
      assert.same(expected, lines_of(real.err))
      assert.equal(4, #lines_of(dry.out)) -- two requests, each a line and its body
    end)

    it("an export imports exactly: the formula guard's ' is removed, an apostrophe of the text kept", function()
      local fields = { customer_name = "-Minus Labs", phone = "+1 (555) 010-0000", fax = "'plain", email = "@lab",
        comments = "'=already quoted", address = "''+x", tags = { "=t", "x" } }
      local id = assert(qb.customer:create(fields))
      local export = run { "customers", "list", "--format", "csv", "--where", "id=" .. id }
      assert.equal(0, export.status, export.err)
      assert.truthy(export.out:find("'+1 (555) 010-0000", 1, true))
      local file = process.temp_file(export.out)
      local mark = #helper.requests()
      local r = run { "customers", "import", file }
      local raw = run({ "customers", "import", file, "--csv-raw", "--dry-run" }, { env = {} })
      os.remove(file)
      assert.equal(0, r.status, r.err)
      local sent = helper.only_request_since(mark).json
      for k, v in pairs(fields) do assert.same(v, sent[k], k) end
      assert.equal("'+1 (555) 010-0000", qbench.decode(lines_of(raw.out)[2]).phone)
    end)

    describe("Ctrl-C", function()
      local slow
      setup(function()
        slow = helper.start { "--port", "0", "--customers", "3", "--token", "T", "--latency-ms", "400",
          "--die-with-parent", "--quiet" }
      end)
      teardown(function() slow.stop() end)

      it("reports the row in flight as in doubt and prints the summary before exiting 130", function()
        helper.reset(nil, slow)
        local rows = { "customer_name" }
        for i = 1, 8 do rows[#rows + 1] = "Lab " .. i end
        local file = process.temp_file(table.concat(rows, "\n") .. "\n")
        local r = interrupt({ "customers", "import", file }, { sandbox = slow, token = "T", requests = 3 })
        os.remove(file)
        assert.equal(130, r.status, r.err)
        assert.same({
          "row 2: created customer 4",
          "row 3: created customer 5",
          "row 4: interrupted while it was sent: the customer may have been created; check before importing this row again",
          "2 created, 0 failed, 1 in doubt, 5 not sent",
          "qbench: interrupted",
        }, lines_of(r.err))
        assert.equal(3, #helper.requests(slow))
      end)
    end)

    it("refuses a file whose header it cannot use, before sending anything (exit 2)", function()
      local cases = {
        { "name,tags\r\nx,y\r\n", "the header row has no customer_name column" },
        { "customer_name,colour\r\nx,y\r\n", "unknown column 'colour' (importable: customer_name, email" },
        { "customer_name,lab\r\nx,y\r\n", "column 'lab' cannot be imported" },
        { "customer_name,customer_name\r\nx,y\r\n", "column 'customer_name' appears twice" },
        { 'customer_name\r\n"open\r\n', "line 2: unterminated quoted field" },
      }
      for _, case in ipairs(cases) do
        local file = process.temp_file(case[1])
        local r = run { "customers", "import", file }
        os.remove(file)
        assert.equal(2, r.status, case[2])
        assert.truthy(r.err:find(case[2], 1, true), r.err)
        assert.matches("; see 'qbench customers import %-%-help'\n$", r.err)
      end
      assert.same({}, helper.requests())
    end)
  end)
end)
