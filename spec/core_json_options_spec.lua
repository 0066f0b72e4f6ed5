-- encode(value [, opts]): sort_keys, indent, invalid_utf8 = "replace" and
-- nonfinite = "null" for output that is stable and always valid, with the
-- number of replacements as a second value; the defaults stay as they were.
-- Also the encoder's depth limit, exactly at QB_JSON_MAX_DEPTH.
local core = require "qbench.core"

local encode, decode = core.encode, core.decode
local FFFD = "\xEF\xBF\xBD"

-- `levels` arrays nested in each other, the innermost holding `leaf` (or empty).
local function nested_arrays(levels, leaf)
  local v = leaf == nil and {} or { leaf }
  for _ = 2, levels do v = { v } end
  return v
end

describe("JSON encoder options", function()
  describe("defaults", function()
    it("without options, one value and the same compact text as always", function()
      assert.equal(1, select("#", encode { a = 1 }))
      assert.equal(1, select("#", encode({ a = 1 }, nil)))
      assert.equal('[1,"x",{"k":[]}]', encode { 1, "x", { k = core.array {} } })
      assert.equal('{"a":{"b":null}}', encode { a = { b = core.null } })
    end)

    it("still refuses invalid UTF-8 and non-finite numbers, with or without an options table", function()
      for _, opts in ipairs { false, {}, { invalid_utf8 = "error", nonfinite = "error" } } do
        local function enc(v) return encode(v, opts or nil) end
        local ok, err = pcall(enc, { s = "a\xffb" })
        assert.is_false(ok)
        assert.matches("invalid UTF%-8 in string at %$%.s", err)
        ok, err = pcall(enc, { 0 / 0 })
        assert.is_false(ok)
        assert.matches("cannot encode NaN at %$%[1%]", err)
        ok, err = pcall(enc, { n = -math.huge })
        assert.is_false(ok)
        assert.matches("cannot encode an infinite number at %$%.n", err)
      end
    end)

    it("with an options table, a second value counts the replacements (0 here)", function()
      local text, n = encode({ 1, 2 }, {})
      assert.equal("[1,2]", text)
      assert.equal(0, n)
      assert.equal("integer", math.type(n))
    end)
  end)

  describe("sort_keys", function()
    it("orders keys bytewise: upper case before lower, a prefix first, NUL and UTF-8 as bytes", function()
      local v = { b = 1, a = 2, B = 3, aa = 4, ["a\0"] = 5, ["\xc3\xa9"] = 6, ["~"] = 7, [""] = 8 }
      local text = encode(v, { sort_keys = true })
      assert.equal('{"":8,"B":3,"a":2,"a\\u0000":5,"aa":4,"b":1,"~":7,"\xc3\xa9":6}', text)
    end)

    it("compares past a NUL byte", function()
      local v, want = {}, {}
      for i, c in ipairs { "f", "b", "e", "a", "d", "c" } do v["k\0" .. c] = i end
      for _, c in ipairs { "a", "b", "c", "d", "e", "f" } do want[#want + 1] = '"k\\u0000' .. c .. '":' .. v["k\0" .. c] end
      assert.equal("{" .. table.concat(want, ",") .. "}", encode(v, { sort_keys = true }))
    end)

    it("sorts nested objects and keeps array order", function()
      local v = { z = { y = 1, x = { 3, 1, 2 } }, a = { { d = 1, c = 2 } } }
      assert.equal('{"a":[{"c":2,"d":1}],"z":{"x":[3,1,2],"y":1}}', encode(v, { sort_keys = true }))
    end)

    it("gives the same text for equal tables built in different orders", function()
      local a, b = {}, {}
      for i = 1, 200 do a["k" .. i] = i end
      for i = 200, 1, -1 do b["k" .. i] = i end
      for i = 1, 150 do b["k" .. i] = nil end
      for i = 1, 150 do b["k" .. i] = i end
      assert.equal(encode(a, { sort_keys = true }), encode(b, { sort_keys = true }))
    end)

    it("names the key in an error inside a sorted object", function()
      local ok, err = pcall(encode, { b = { c = print }, a = 1 }, { sort_keys = true })
      assert.is_false(ok)
      assert.matches("cannot encode a function value at %$%.b%.c", err)
      -- Objects of one key take a shorter way; the path is the same.
      ok, err = pcall(encode, { a = { b = { print } } }, { sort_keys = true })
      assert.is_false(ok)
      assert.matches("cannot encode a function value at %$%.a%.b%[1%]$", err)
    end)

    it("orders keys that share their first 8 bytes, or differ there only past ASCII, bytewise", function()
      local keys = { "abcdefgh", "abcdefgh0", "abcdefg", "abcdefgh\0", "abcdefgh~", "abcdefgh\xc3\xa9", "abcdefgi",
        "abcdefgh\xc3\xbf", "\xc3\xa9", "\xc3\xbf", "\x7f", "abcdefg\0z", "abcdefg\0" }
      local v = {}
      for i, k in ipairs(keys) do v[k] = i end
      local sorted = { table.unpack(keys) }
      table.sort(sorted) -- Lua compares strings with strcoll: bytewise in the C locale busted runs in
      local want = {}
      for _, k in ipairs(sorted) do want[#want + 1] = encode(k) .. ":" .. v[k] end
      assert.equal("{" .. table.concat(want, ",") .. "}", encode(v, { sort_keys = true }))
    end)

    it("sorts objects nested in sorted objects, however many keys each level holds", function()
      -- Every level's keys wait while the levels below are sorted: 256 keys (as many as the
      -- encoder's first buffers hold: the next level moves them), every eighth and the last
      -- holding an object of 51 keys, and so on 3 levels down, each level in its own order.
      local function level(n, depth)
        local t = {}
        for i = n, 1, -1 do
          local k = (i * 37) % n
          t[string.format("k%03d", k)] = depth > 1 and (k % 8 == 0 or k == n - 1) and level(n // 5, depth - 1) or i
        end
        return t
      end
      local v = level(256, 3)
      local function reference(x)
        if type(x) ~= "table" then return encode(x) end
        local ks = {}
        for k in pairs(x) do ks[#ks + 1] = k end
        table.sort(ks)
        for i, k in ipairs(ks) do ks[i] = encode(k) .. ":" .. reference(x[k]) end
        return "{" .. table.concat(ks, ",") .. "}"
      end
      assert.equal(reference(v), encode(v, { sort_keys = true }))
    end)

    it("finds cycles through sorted objects, and lets a table appear again off its own path", function()
      local a = { x = 1, y = 2 }
      local b = { a = a, z = 3 }
      a.b = b
      local ok, err = pcall(encode, { top = a, other = 1 }, { sort_keys = true })
      assert.is_false(ok)
      assert.matches("cycle: table contains itself at %$%.top%.b%.a$", err)
      local shared = { q = 1, p = 2 }
      assert.equal('{"a":{"p":2,"q":1},"b":[{"p":2,"q":1},{"s":{"p":2,"q":1}}]}',
        encode({ b = { shared, { s = shared } }, a = shared }, { sort_keys = true }))
    end)
  end)

  describe("indent", function()
    it("puts every member and item on its own line, ': ' after keys", function()
      local v = { name = "x", list = { 1, { a = true } }, empty = core.object {}, none = core.array {} }
      assert.equal(table.concat({
        "{",
        '  "empty": {},',
        '  "list": [',
        "    1,",
        "    {",
        '      "a": true',
        "    }",
        "  ],",
        '  "name": "x",',
        '  "none": []',
        "}",
      }, "\n"), encode(v, { indent = 2, sort_keys = true }))
    end)

    it("uses the given width, 8 at most; 0 is compact", function()
      assert.equal('[\n        1\n]', encode({ 1 }, { indent = 8 }))
      assert.equal('[\n   [\n      1\n   ]\n]', encode({ { 1 } }, { indent = 3 }))
      assert.equal('{"a":[1]}', encode({ a = { 1 } }, { indent = 0 }))
      assert.equal('"s"', encode("s", { indent = 4 }))
    end)

    it("decodes to the same value as the compact text", function()
      local v = { id = 1, tags = { "a", "b" }, nested = { deep = { 1.5, core.null, false } } }
      assert.same(decode(encode(v)), decode(encode(v, { indent = 4 })))
    end)
  end)

  describe("invalid_utf8 = replace", function()
    -- input, output: each maximal subpart (Unicode 3.9) becomes one U+FFFD
    local CASES = {
      { "a\xffb", "a" .. FFFD .. "b", 1 },
      { "\xc3", FFFD, 1 },                                -- a truncated 2-byte sequence
      { "\xe2\x82", FFFD, 1 },                            -- a truncated 3-byte sequence: one subpart
      { "\xf0\x9f\x98x", FFFD .. "x", 1 },                -- a truncated 4-byte sequence
      { "\xc0\xaf", FFFD .. FFFD, 2 },                    -- an overlong form: C0 never starts one
      { "\xe0\x80\x80", FFFD .. FFFD .. FFFD, 3 },        -- overlong: E0 needs A0..BF next
      { "\xed\xa0\x80", FFFD .. FFFD .. FFFD, 3 },        -- a surrogate
      { "\xf4\x90\x80\x80", FFFD .. FFFD .. FFFD .. FFFD, 4 }, -- past U+10FFFF
      { "\x80\xbf", FFFD .. FFFD, 2 },                    -- lone continuation bytes
      { "ok \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "ok \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 0 },
    }
    for _, c in ipairs(CASES) do
      local name = c[1]:gsub("[\x80-\xff]", function(ch) return string.format("\\x%02x", ch:byte()) end)
      it(name .. " -> " .. c[3] .. " replacement(s)", function()
        local text, n = encode({ c[1] }, { invalid_utf8 = "replace" })
        assert.equal('["' .. c[2] .. '"]', text)
        assert.equal(c[3], n)
        assert.truthy(utf8.len(text))
      end)
    end

    it("replaces in keys too, and counts over the whole value", function()
      local text, n = encode({ ["k\xff"] = { "\xfe", "fine" } }, { invalid_utf8 = "replace" })
      assert.equal('{"k' .. FFFD .. '":["' .. FFFD .. '","fine"]}', text)
      assert.equal(2, n)
    end)
  end)

  describe("nonfinite = null", function()
    it("writes NaN and the infinities as null and counts them", function()
      local text, n = encode({ 0 / 0, math.huge, -math.huge, 1.5, 2 }, { nonfinite = "null" })
      assert.equal("[null,null,null,1.5,2]", text)
      assert.equal(3, n)
    end)

    it("adds to the invalid UTF-8 count", function()
      local _, n = encode({ a = 0 / 0, b = "\xff" }, { nonfinite = "null", invalid_utf8 = "replace" })
      assert.equal(2, n)
    end)
  end)

  it("refuses bad options, naming them", function()
    local CASES = {
      { { indnt = 2 }, "unknown option indnt" },
      { { [1] = true }, "unknown option number" },
      { { indent = 9 }, "indent must be an integer from 0 to 8" },
      { { indent = -1 }, "indent must be an integer from 0 to 8" },
      { { indent = 1.5 }, "indent must be an integer from 0 to 8" },
      { { indent = "2" }, "indent must be an integer from 0 to 8" },
      { { sort_keys = 1 }, "sort_keys must be a boolean" },
      { { invalid_utf8 = "ignore" }, 'invalid_utf8 must be "error" or "replace"' },
      { { nonfinite = true }, 'nonfinite must be "error" or "null"' },
    }
    for _, c in ipairs(CASES) do
      local ok, err = pcall(encode, {}, c[1])
      assert.is_false(ok)
      assert.matches("^bad argument #2 to '[^']*' %(" .. c[2]:gsub("%p", "%%%0") .. "%)$", err)
    end
    assert.is_false(pcall(encode, {}, "sort"))
  end)

  describe("depth limit", function()
    it("encodes exactly 1000 levels of arrays and refuses 1001 with its path", function()
      assert.equal(string.rep("[", 1000) .. string.rep("]", 1000), encode(nested_arrays(1000)))
      assert.equal(string.rep("[", 1000) .. "7" .. string.rep("]", 1000), encode(nested_arrays(1000, 7)))
      local ok, err = pcall(encode, nested_arrays(1001))
      assert.is_false(ok)
      assert.equal("nesting deeper than 1000 at $" .. string.rep("[1]", 1000), err)
    end)

    it("counts objects the same way, with every option on", function()
      local function nested_objects(levels)
        local v = core.object {}
        for _ = 2, levels do v = { k = v } end
        return v
      end
      local opts = { sort_keys = true, indent = 1, invalid_utf8 = "replace", nonfinite = "null" }
      local text, n = encode(nested_objects(1000), opts)
      assert.equal(0, n)
      local depth, v = 0, decode(text)
      while type(v) == "table" do depth, v = depth + 1, v.k end
      assert.equal(1000, depth)
      local ok, err = pcall(encode, nested_objects(1001), opts)
      assert.is_false(ok)
      assert.equal("nesting deeper than 1000 at $" .. string.rep(".k", 1000), err)
    end)
  end)
end)
