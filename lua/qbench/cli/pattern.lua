--- Checks a Lua pattern (`--where FIELD~PATTERN`, `--match`) before any record
-- is read. Lua finds most mistakes in a pattern only when the matcher reaches
-- them, which depends on the text: `a%` raises only on a text with an "a". So
-- the pattern is read here item by item, as Lua 5.4's matcher (lstrlib.c)
-- reads it, and every error it could raise on some text is found at once:
-- a `%` at the end, a set without `]`, `%b` without two characters, `%f`
-- without a set, `%1` before capture 1 is closed, a `)` without its `(`, a
-- capture left open, more than 32 captures, and nesting deep enough for
-- "pattern too complex".
-- @module qbench.cli.pattern
-- @local

local M = {}

local MAX_CAPTURES = 32 -- LUA_MAXCAPTURES
-- Lua's matcher recurses once per capture bound and per repeated item, and
-- gives up at 200 (MAXCCALLS); far fewer are plenty for a filter.
local MAX_NESTING = 150

-- The index just after the single-character class starting at `i`
-- (lstrlib's classEnd), or nil and Lua's message.
local function class_end(p, i)
  local c = p:sub(i, i)
  i = i + 1
  if c == "%" then
    if i > #p then return nil, "malformed pattern (ends with '%')" end
    return i + 1
  end
  if c == "[" then
    if p:sub(i, i) == "^" then i = i + 1 end
    repeat -- the first character of a set may be ']' itself
      if i > #p then return nil, "malformed pattern (missing ']')" end
      local ch = p:sub(i, i)
      i = i + 1
      if ch == "%" and i <= #p then i = i + 1 end
    until p:sub(i, i) == "]"
    return i + 1
  end
  return i
end

--- nil when `p` is a pattern Lua can match against any text; else Lua's reason.
-- @tparam string p the pattern
-- @treturn string|nil why it cannot be used
function M.check(p)
  local i, n = 1, #p
  if p:sub(1, 1) == "^" then i = 2 end
  local open, closed = {}, {} -- open: a stack of capture numbers; closed: a set of them
  local captures, nesting = 0, 0
  while i <= n do
    local c = p:sub(i, i)
    if c == "(" then
      captures = captures + 1
      if captures > MAX_CAPTURES then return "too many captures" end
      nesting = nesting + 1
      if p:sub(i + 1, i + 1) == ")" then -- a position capture: closed at once
        closed[captures] = true
        i = i + 2
      else
        open[#open + 1] = captures
        i = i + 1
      end
    elseif c == ")" then
      if #open == 0 then return "invalid pattern capture" end
      closed[table.remove(open)] = true
      nesting = nesting + 1
      i = i + 1
    elseif c == "$" and i == n then
      i = i + 1
    elseif c == "%" and p:sub(i + 1, i + 1) == "b" then
      if i + 3 > n then return "malformed pattern (missing arguments to '%b')" end
      i = i + 4
    elseif c == "%" and p:sub(i + 1, i + 1) == "f" then
      i = i + 2
      if p:sub(i, i) ~= "[" then return "missing '[' after '%f' in pattern" end
      local e, why = class_end(p, i)
      if not e then return why end
      i = e
    elseif c == "%" and p:sub(i + 1, i + 1):match("%d") then
      local l = tonumber(p:sub(i + 1, i + 1))
      if l < 1 or not closed[l] then return string.format("invalid capture index %%%d", l) end
      i = i + 2
    else
      local e, why = class_end(p, i)
      if not e then return why end
      if p:sub(e, e):match("^[%*%+%-%?]$") then
        nesting = nesting + 1
        e = e + 1
      end
      i = e
    end
    if nesting > MAX_NESTING then return "pattern too complex" end
  end
  if #open > 0 then return "unfinished capture" end
  return nil
end

return M
