-- The query and path parameters of a v2 request, checked against what the
-- operation declares, more strictly than QBench on purpose: an undeclared
-- query parameter, a value of the wrong type (integers, booleans "true" or
-- "false", arrays as repeated keys of their item type) or one outside the
-- enum is a 400 naming the parameter.
local query = require "sandbox.query"
local text = require "sandbox.text"

local M = {}

M.MAX_PAGE_SIZE = 50 -- every public client caps page_size here (API notes)

local function typed(raw, kind, enum)
  local v
  if kind == "integer" then
    v = raw:match("^%-?%d+$") and math.tointeger(tonumber(raw))
    if not v then return nil, "expected integer" end
  elseif kind == "number" then
    v = tonumber(raw)
    if not v or v ~= v or v == math.huge or v == -math.huge then return nil, "expected number" end
  elseif kind == "boolean" then
    if raw == "true" then v = true elseif raw == "false" then v = false
    else return nil, "expected true or false" end
  else
    if not text.valid(raw) then return nil, "not valid UTF-8" end
    v = raw
  end
  if enum then
    local ok = false
    for _, e in ipairs(enum) do if e == raw then ok = true end end
    if not ok then return nil, "must be one of " .. table.concat(enum, ", ") end
  end
  return v
end

-- Declared parameters by name, one table per location.
local function index(op)
  local idx = op._params
  if not idx then
    idx = { query = {}, path = {} }
    for _, p in ipairs(op.params) do
      if idx[p["in"]] then idx[p["in"]][p.name] = p end
    end
    op._params = idx
  end
  return idx
end

-- Returns the typed query arguments {name = value} (arrays as lists), the
-- typed path parameters, and a list of field errors ({field, message}) or nil.
function M.check(op, req)
  local idx = index(op)
  local args, path, errs = {}, {}, {}
  local function fail(field, message) errs[#errs + 1] = { field = field, message = message } end
  for name, p in pairs(idx.path) do
    local raw = req.params[name]
    if raw ~= nil then
      local v, why = typed(tostring(raw), p.type)
      if why then fail(name, why) else path[name] = v end
    end
  end
  local q = query.parse(req.query)
  for _, name in ipairs(q.names) do
    local p, values = idx.query[name], q[name]
    if not p then
      fail(name, "unknown query parameter")
    elseif p.type == "array" then
      local list = {}
      for i, raw in ipairs(values) do
        local v, why = typed(raw, p.items, p.enum)
        if why then fail(string.format("%s[%d]", name, i - 1), why) else list[#list + 1] = v end
      end
      args[name] = list
    elseif #values > 1 then
      fail(name, "expected one value, got " .. #values)
    else
      local v, why = typed(values[1], p.type, p.enum)
      if why then fail(name, why) else args[name] = v end
    end
  end
  if args.page_num ~= nil and args.page_num < 1 then fail("page_num", "must be at least 1") end
  if args.page_size ~= nil and (args.page_size < 1 or args.page_size > M.MAX_PAGE_SIZE) then
    fail("page_size", "must be from 1 to " .. M.MAX_PAGE_SIZE)
  end
  if errs[1] then return args, path, errs end
  return args, path, nil
end

return M
