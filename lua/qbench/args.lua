--- Argument checks. A bad argument is a programming error: it raises at
-- once, naming the argument, before anything is built or sent.
-- @module qbench.args

local null = require("qbench.core").null

local M = {}

local this_package = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "@"

-- The stack level of the first caller outside qbench, so the error points at user code.
local function user_level()
  local level = 3
  while true do
    local info = debug.getinfo(level, "S")
    if not info then return 1 end
    local src = info.source:match("^@(.*[/\\])")
    if not src or src:sub(1, #this_package) ~= this_package then return level - 1 end
    level = level + 1
  end
end

--- Raises msg at the first caller outside qbench.
function M.fail(msg)
  error(msg, user_level())
end

--- Raises "bad argument #n to 'fname' (msg)".
function M.error(n, fname, msg)
  error(string.format("bad argument #%d to '%s' (%s)", n, fname, msg), user_level())
end

local function describe(v)
  if type(v) == "string" then return string.format("%q", v) end
  if v == null then return "qbench.null" end
  if type(v) == "number" or type(v) == "boolean" or v == nil then return tostring(v) end
  return type(v)
end
M.describe = describe

--- A positive integer (1.0 is accepted); returns it as a Lua integer.
function M.id(v, n, fname, what)
  local i = type(v) == "number" and math.tointeger(v)
  if not i or i < 1 then
    M.error(n, fname, string.format("%s must be a positive integer, got %s", what, describe(v)))
  end
  return i
end

--- An integer within [lo, hi] (hi optional), or the default when nil.
function M.int_range(v, lo, hi, dflt, n, fname, what)
  if v == nil then return dflt end
  local i = type(v) == "number" and math.tointeger(v)
  if not i or i < lo or (hi and i > hi) then
    local range = hi and string.format("from %d to %d", lo, hi) or string.format(">= %d", lo)
    M.error(n, fname, string.format("%s must be an integer %s, got %s", what, range, describe(v)))
  end
  return i
end

function M.table(v, n, fname, what)
  if type(v) ~= "table" then
    M.error(n, fname, string.format("%s must be a table, got %s", what, describe(v)))
  end
  return v
end

function M.opt_table(v, n, fname, what)
  if v == nil then return {} end
  return M.table(v, n, fname, what)
end

--- Is `v` a finite number (not NaN, not an infinity)?
-- @treturn boolean
function M.finite(v)
  return type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge
end

--- The length of `t` when it is a proper sequence (keys 1..n and nothing else; an
-- empty table is one of length 0), else nil.
-- @tparam table t
-- @treturn integer|nil
function M.sequence_length(t)
  local len, count = #t, 0
  for _ in pairs(t) do count = count + 1 end
  if count ~= len then return nil end
  return len
end

--- A non-empty proper sequence; returns its length.
function M.array(v, n, fname, what)
  M.table(v, n, fname, what)
  local len = M.sequence_length(v)
  if not len or len == 0 then
    M.error(n, fname, string.format("%s must be a non-empty array", what))
  end
  return len
end

--- A non-empty array of positive integers, returned as integers.
function M.id_list(v, n, fname, what)
  local len = M.array(v, n, fname, what)
  local ids = {}
  for i = 1, len do ids[i] = M.id(v[i], n, fname, string.format("%s[%d]", what, i)) end
  return ids
end

return M
