--- `--where` and `--match` conditions: `FIELD~PATTERN` (a Lua pattern found in
-- the field's text) or `FIELD=VALUE` (the text exactly). A record passes when
-- every condition holds. The field's text is its CSV cell before quoting
-- (see qbench.cli.columns): `tags~Wholesale` looks in "Retail;Wholesale".
-- @module qbench.cli.where
-- @local

local csv = require "qbench.csv"
local columns = require "qbench.cli.columns"
local errors = require "qbench.cli.errors"
local pattern = require "qbench.cli.pattern"

local M = {}

--- The condition of one `--where` text; `option` names the option in messages.
function M.parse(spec, resource, option)
  local field, op, value = spec:match("^([^=~]+)([=~])(.*)$")
  if not field then
    errors.usage("%s wants FIELD~LUA_PATTERN or FIELD=VALUE, got '%s'", option, spec)
  end
  if op == "~" then
    -- Checked whole, here: Lua finds most mistakes only when a text reaches them.
    local why = pattern.check(value)
    if why then errors.usage("%s: malformed pattern '%s': %s", option, value, why) end
  end
  return { column = columns.column(field, resource), op = op, value = value }
end

--- The conditions of a list of `--where` texts.
function M.parse_all(specs, resource, option)
  local out = {}
  for i, spec in ipairs(specs or {}) do out[i] = M.parse(spec, resource, option) end
  return out
end

--- Does `record` pass every condition of `conditions`?
function M.matches(conditions, record)
  for _, c in ipairs(conditions) do
    local text = csv.text((columns.cell(record, c.column)))
    if c.op == "=" then
      if text ~= c.value then return false end
    elseif not text:find(c.value) then
      return false
    end
  end
  return true
end

return M
