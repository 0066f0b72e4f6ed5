-- qbench.csv, the public CSV reader and writer: the bytes it writes for every
-- awkward value, and what it reads back from files spreadsheets write.
-- Written output is checked with spec/process.lua's own strict reader, not
-- with qbench.csv itself.
local qbench = require "qbench"
local csv = require "qbench.csv"
local process = require "process"

describe("qbench.csv", function()
  describe("field", function()
    it("leaves plain text alone and quotes a comma, a quote, CR or LF, doubling quotes", function()
      assert.equal("ACME Labs", csv.field("ACME Labs"))
      assert.equal('"Smith, Jr"', csv.field("Smith, Jr"))
      assert.equal('"say ""hi"""', csv.field('say "hi"'))
      assert.equal('"two\nlines"', csv.field("two\nlines"))
      assert.equal('"two\r\nlines"', csv.field("two\r\nlines"))
      assert.equal("", csv.field(""))
    end)

    it("quotes a field that holds only a CR (an unquoted one would end the record)", function()
      assert.equal('"\r"', csv.field("\r", { raw = true }))
      assert.equal('"\'\r"', csv.field("\r"))
      assert.same({ { "\r" } }, process.parse_csv(csv.record({ "\r" }, { raw = true })))
    end)

    it("puts ' before a string that starts like a formula (=, +, -, @, TAB, CR), as OWASP advises", function()
      assert.equal("'=1+1", csv.field("=1+1"))
      assert.equal([["'=HYPERLINK(""http://x"")"]], csv.field('=HYPERLINK("http://x")'))
      assert.equal("'+1", csv.field("+1"))
      assert.equal("'-2+3", csv.field("-2+3"))
      assert.equal("'@SUM(A1:A2)", csv.field("@SUM(A1:A2)"))
      assert.equal("'\tx", csv.field("\tx"))
      assert.equal('"\'\rx"', csv.field("\rx"))
      assert.equal('"\'=a,b"', csv.field("=a,b"))
      -- Only the first character counts.
      assert.equal("a=b", csv.field("a=b"))
      assert.equal(" =x", csv.field(" =x"))
    end)

    it("guards text that starts with apostrophes and then like a formula, so the guard can be undone", function()
      assert.equal("''=x", csv.field("'=x"))
      assert.equal("'''+1", csv.field("''+1"))
      assert.equal("\"''-2,3\"", csv.field("'-2,3"))
      -- An apostrophe before anything else is left alone.
      assert.equal("'x", csv.field("'x"))
      assert.equal("''", csv.field("''"))
      assert.equal("'", csv.field("'"))
      assert.equal("'=x", csv.field("'=x", { raw = true }))
    end)

    it("writes formula-like strings as they are with raw = true", function()
      for _, s in ipairs { "=1+1", "+1", "-2", "@x", "\tx" } do assert.equal(s, csv.field(s, { raw = true })) end
      assert.equal('"\rx"', csv.field("\rx", { raw = true }))
    end)

    it("never changes numbers: negative ones stay numbers", function()
      assert.equal("-5", csv.field(-5))
      assert.equal("-0.5", csv.field(-0.5))
    end)
  end)

  describe("text", function()
    it("writes integers exactly and floats in the shortest form that reads back the same", function()
      assert.equal("9007199254740993", csv.text(9007199254740993))
      assert.equal("9223372036854775807", csv.text(math.maxinteger))
      assert.equal("0.30000000000000004", csv.text(0.1 + 0.2))
      assert.equal("0.1", csv.text(0.1))
      assert.equal("1e+300", csv.text(1e300))
      assert.equal("123456.78901234567", csv.text(123456.78901234567))
      assert.equal("5", csv.text(5.0))
      assert.equal("-0", csv.text(-0.0))
      for _, n in ipairs { 0.1 + 0.2, 1 / 3, 2 ^ 60 + 0.0, 1.7976931348623157e308, 5e-324, -123.456e-7 } do
        assert.equal(n, tonumber(csv.text(n)), string.format("%.17g", n))
      end
    end)

    it("writes NaN, the infinities, nil and qbench.null as an empty cell, booleans as true/false", function()
      assert.equal("", csv.text(1 / 0))
      assert.equal("", csv.text(-1 / 0))
      assert.equal("", csv.text(0 / 0))
      assert.equal("", csv.text(nil))
      assert.equal("", csv.text(qbench.null))
      assert.equal("true", csv.text(true))
      assert.equal("false", csv.text(false))
    end)

    it("raises for a table: a field is one value", function()
      assert.has_error(function() csv.text({}) end,
        "qbench.csv: a field must be a string, number, boolean, nil or qbench.null, got table")
    end)
  end)

  describe("record and writer", function()
    it("joins fields with commas and ends with CRLF; fields.n keeps trailing empty fields", function()
      assert.equal("7,ACME,,true\r\n", csv.record { 7, "ACME", qbench.null, true })
      assert.equal("1,,\r\n", csv.record { 1, n = 3 })
    end)

    it("writes records a strict reader reads back, every awkward value intact", function()
      local values = { "plain", "Smith, Jr", 'say "hi"', "two\nlines", "cr\r\nlf", "\r", "", "ünïcødé ✓",
        "\xff\xfe not utf-8", "=1+1", "-5", 42, -7, 0.30000000000000004, true }
      local text = csv.record(values, { raw = true })
      local rows = process.parse_csv(text)
      assert.equal(1, #rows)
      for i, v in ipairs(values) do assert.equal(csv.text(v), rows[1][i], tostring(i)) end
      -- The default writer differs only in the formula-like strings.
      local guarded = process.parse_csv(csv.record(values))[1]
      assert.equal("'\r", guarded[6])
      assert.equal("'=1+1", guarded[10])
      assert.equal("'-5", guarded[11])
      assert.equal("-7", guarded[13])
    end)

    it("writer:write returns true, or nil and the file's error when the write fails", function()
      local name = os.tmpname()
      local f = assert(io.open(name, "wb"))
      local w = csv.writer(f, { raw = true })
      assert.is_true(w:write { "id", "name" })
      assert.is_true(w:write { 1, "=x" })
      f:close()
      assert.equal("id,name\r\n1,=x\r\n", process.read_file(name))
      os.remove(name)

      local full = assert(io.open("/dev/full", "wb"))
      full:setvbuf("no") -- the error shows at the write, not at a later flush
      local ok, err = csv.writer(full):write { "x" }
      full:close()
      assert.is_nil(ok)
      assert.equal("No space left on device", err)
    end)
  end)

  describe("parse", function()
    it("reads quoted commas, doubled quotes and line breaks inside quotes", function()
      local records = assert(csv.parse('id,name,notes\r\n1,"Smith, Jr","say ""hi""\r\nand\nbye"\r\n'))
      assert.same({ { "id", "name", "notes" }, { "1", "Smith, Jr", 'say "hi"\r\nand\nbye' } }, records)
    end)

    it("takes CRLF, LF and CR line ends, with or without a final one", function()
      local want = { { "a", "b" }, { "1", "2" }, { "3", "4" } }
      assert.same(want, csv.parse("a,b\r\n1,2\r\n3,4\r\n"))
      assert.same(want, csv.parse("a,b\n1,2\n3,4\n"))
      assert.same(want, csv.parse("a,b\r1,2\r3,4\r"))
      assert.same(want, csv.parse("a,b\r\n1,2\n3,4"))
      assert.same(want, csv.parse('a,b\r\n1,2\r\n3,"4"'))
    end)

    it("skips a UTF-8 byte order mark, and only at the start", function()
      assert.same({ { "customer_name" }, { "x" } }, csv.parse("\239\187\191customer_name\r\nx\r\n"))
      assert.same({ { "a" }, { "\239\187\191b" } }, csv.parse("a\r\n\239\187\191b\r\n"))
    end)

    it("keeps empty cells, a trailing empty cell, and an empty line as one empty field", function()
      assert.same({ { "a", "", "c" }, { "", "", "" }, { "" }, { "x", "" } }, csv.parse('a,,c\r\n,,""\r\n\r\nx,'))
    end)

    it("returns the bytes as they are: invalid UTF-8, NUL, formulas and a leading '", function()
      local records = assert(csv.parse("\xff\xfe,a\0b,=1+1,'=x\r\n"))
      assert.same({ { "\xff\xfe", "a\0b", "=1+1", "'=x" } }, records)
    end)

    it("reads back what the writer wrote, for every awkward value", function()
      local values = { "Smith, Jr", 'q"uote', "line\nbreak", "\r", "", "\xff", "=cmd", 12, -3.5 }
      local records = assert(csv.parse(csv.record(values, { raw = true }) .. csv.record({ "x" })))
      for i, v in ipairs(values) do assert.equal(csv.text(v), records[1][i]) end
      assert.same({ "x" }, records[2])
    end)

    it("unguard = true gives back exactly what the guarding writer was given, for every text", function()
      -- Every text of up to 4 characters over the characters that matter, and some longer ones.
      local alphabet = { "'", "=", "+", "-", "@", "\t", "\r", "a", ",", '"', "\n" }
      local values, layer = { "" }, { "" }
      for _ = 1, 4 do
        local next_layer = {}
        for _, prefix in ipairs(layer) do
          for _, ch in ipairs(alphabet) do next_layer[#next_layer + 1] = prefix .. ch end
        end
        table.move(next_layer, 1, #next_layer, #values + 1, values)
        layer = next_layer
      end
      for _, v in ipairs { "'+1 (555) 010-0000", "''''=HYPERLINK(\"x\")", "-5", "=", "'" } do values[#values + 1] = v end
      local text = {}
      for i, v in ipairs(values) do text[i] = csv.record({ v, "x" }) end
      local records = assert(csv.parse(table.concat(text), { unguard = true }))
      assert.equal(#values, #records)
      for i, v in ipairs(values) do
        if records[i][1] ~= v then error(string.format("value %q came back as %q", v, records[i][1])) end
      end
      -- Without the option the guard stays: the bytes as they are.
      assert.same({ { "'=x" } }, csv.parse("'=x"))
    end)

    it("unguard removes one ' only where the writer put one", function()
      assert.equal("=1+1", csv.unguard("'=1+1"))
      assert.equal("'=1+1", csv.unguard("''=1+1"))
      assert.equal("+1 (555)", csv.unguard("'+1 (555)"))
      assert.equal("\tx", csv.unguard("'\tx"))
      assert.equal("'quoted", csv.unguard("'quoted"))
      assert.equal("'", csv.unguard("'"))
      assert.equal("=1+1", csv.unguard("=1+1"))
      assert.equal("", csv.unguard(""))
      assert.has_error(function() csv.unguard(5) end, "qbench.csv: unguard needs a string, got number")
    end)

    it("refuses a malformed file, naming the line", function()
      local cases = {
        { 'a\r\n"open,b\r\nc\r\n', "line 2: unterminated quoted field" },
        { 'a,"x"y\r\n', "line 1: text after a closing quote" },
        { 'a\r\n"multi\nline" z\r\n', "line 3: text after a closing quote" },
        { 'a\r\nb"c\r\n', "line 2: a quote inside an unquoted field (quote the whole field)" },
      }
      for _, case in ipairs(cases) do
        local records, err = csv.parse(case[1])
        assert.is_nil(records)
        assert.equal(case[2], err)
      end
    end)

    it("reads an empty text as no records", function()
      assert.same({}, csv.parse(""))
      assert.same({}, csv.parse("\239\187\191"))
    end)

    it("raises for something that is not text", function()
      assert.has_error(function() csv.parse(nil) end, "qbench.csv: parse needs a string, got nil")
    end)
  end)
end)
