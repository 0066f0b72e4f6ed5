-- The check of --where and --match patterns (qbench.cli.pattern): every
-- pattern Lua could refuse on some text is refused before any record is read,
-- and every pattern it accepts is one Lua never refuses. Lua's own matcher is
-- the judge, on many random patterns and texts.
local pattern = require "qbench.cli.pattern"

describe("qbench.cli.pattern", function()
  it("refuses, with Lua's own message, what Lua finds only when a text reaches it", function()
    local cases = {
      { "a%", "malformed pattern (ends with '%')" },
      { "%", "malformed pattern (ends with '%')" },
      { "a[bc", "malformed pattern (missing ']')" },
      { "[]", "malformed pattern (missing ']')" },
      { "[^", "malformed pattern (missing ']')" },
      { "a[%", "malformed pattern (missing ']')" },
      { "x%b(", "malformed pattern (missing arguments to '%b')" },
      { "x%b", "malformed pattern (missing arguments to '%b')" },
      { "x%fa", "missing '[' after '%f' in pattern" },
      { "x%f", "missing '[' after '%f' in pattern" },
      { "(a)%2", "invalid capture index %2" },
      { "(a%1)", "invalid capture index %1" },
      { "a%0", "invalid capture index %0" },
      { "a)", "invalid pattern capture" },
      { "(a", "unfinished capture" },
      { "((a)", "unfinished capture" },
      { string.rep("()", 33), "too many captures" },
      { string.rep("a?", 160), "pattern too complex" },
    }
    for _, case in ipairs(cases) do
      assert.equal(case[2], pattern.check(case[1]), case[1])
      -- Lua itself raises the same, given a text that reaches the mistake (or at once).
      local ok, why = pcall(string.find, string.rep("a", 200) .. "(x)", case[1])
      if not ok then assert.truthy(why:find(case[2], 1, true), case[1] .. ": " .. why) end
    end
  end)

  it("accepts what Lua accepts: sets, escapes, anchors, quantifiers, captures and back-references", function()
    for _, p in ipairs { "", "^Acme", "x$", "a$b", "^$", "[]]", "[^]]", "[%]]", "[a-z%d_]+", "%a+%s*%-%d",
      "%bxy", "%b()*", "%f[%w]word", "(a)(b)%2%1", "()a()", "(a(b)c)%2", "a*b+c-d?", "%%", "%.", "a-%-",
      "^%^", string.rep("()", 32), string.rep("a?", 100) } do
      assert.is_nil(pattern.check(p), p)
    end
  end)

  it("agrees with Lua's matcher on 50,000 random patterns: nothing it accepts ever raises", function()
    math.randomseed(20241204)
    local pieces = { "a", "b", "%", "(", ")", "[", "]", "^", "$", "*", "+", "-", "?", ".", "1", "0", "%b",
      "%f", "%a", "%1", "()", "%]" }
    local texts = { "", "a", "ab", "aab", "ba", "b(a)", "[a]", "%", "a%b", "aaaaaaa", "1212", "ab$^", "a-b?c*", "]a]" }
    local missed = {}
    -- Locals: the loop runs a million lookups.
    local random, concat, find, check, npieces, ntexts = math.random, table.concat, string.find, pattern.check, #pieces, #texts
    local parts = {}
    for _ = 1, 50000 do
      local n = random(1, 8)
      for k = 1, n do parts[k] = pieces[random(npieces)] end
      local p = concat(parts, "", 1, n)
      if not check(p) then
        for i = 1, ntexts do
          local ok, why = pcall(find, texts[i], p)
          if not ok then missed[#missed + 1] = string.format("%q on %q: %s", p, texts[i], why) break end
        end
      end
    end
    assert.same({}, missed)
  end)
end)
