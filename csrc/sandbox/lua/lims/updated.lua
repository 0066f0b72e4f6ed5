-- last_updated, in one place: every write stamps the records whose answer it
-- changes (the record itself; a record that embeds it, such as a sample's
-- "tests"; both sides of a link; the record of an action that changes its
-- fields), and lists honour the filters the digest declares for them:
--   last_updated        a Unix time in seconds: updated at or after it
--   last_updated_start  YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (UTC, optional Z):
--                       updated at or after it
--   last_updated_end    the same forms: updated at or before it (a date alone
--                       means the end of that day)
-- QBench's documents give no format for the *_start / *_end filters; this is
-- the project's reading. A record whose last_updated is null matches none.
-- A value of another form is a 400 naming the parameter.
local relations = require "sandbox.lims.relations"

local M = {}

local DAYS_IN_MONTH = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }

local function leap(y) return y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0) end

-- Seconds since 1970-01-01T00:00:00Z of a UTC date and time (years 1970..9999).
local function epoch(y, mo, d, h, mi, s)
  local days = 0
  for year = 1970, y - 1 do days = days + (leap(year) and 366 or 365) end
  for m = 1, mo - 1 do days = days + DAYS_IN_MONTH[m] + (m == 2 and leap(y) and 1 or 0) end
  return ((days + d - 1) * 24 + h) * 3600 + mi * 60 + s
end

local DATE_FORM = "expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (UTC)"

-- The time a *_start / *_end value names, or nil. `is_end`: a date alone is its last second.
local function parse_date(v, is_end)
  local y, mo, d, rest = v:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)(.*)$")
  if not y then return nil end
  y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
  if y < 1970 or mo < 1 or mo > 12 or d < 1 or d > DAYS_IN_MONTH[mo] + (mo == 2 and leap(y) and 1 or 0) then return nil end
  if rest == "" then
    if is_end then return epoch(y, mo, d, 23, 59, 59) end
    return epoch(y, mo, d, 0, 0, 0)
  end
  local h, mi, s = rest:match("^T(%d%d):(%d%d):(%d%d)Z?$")
  if not h then return nil end
  h, mi, s = tonumber(h), tonumber(mi), tonumber(s)
  if h > 23 or mi > 59 or s > 59 then return nil end
  return epoch(y, mo, d, h, mi, s)
end

-- {lo =, hi =} from the request's arguments, or nil, errors.
local function bounds(args)
  local lo, hi, errs = nil, nil, {}
  if args.last_updated ~= nil then
    local v = args.last_updated
    if type(v) == "string" and v:match("^%d+$") and #v <= 12 then
      lo = tonumber(v)
    else
      errs[#errs + 1] = { field = "last_updated", message = "expected a Unix time in seconds" }
    end
  end
  if args.last_updated_start ~= nil then
    local t = parse_date(args.last_updated_start, false)
    if t then lo = math.max(lo or t, t) else errs[#errs + 1] = { field = "last_updated_start", message = DATE_FORM } end
  end
  if args.last_updated_end ~= nil then
    hi = parse_date(args.last_updated_end, true)
    if not hi then errs[#errs + 1] = { field = "last_updated_end", message = DATE_FORM } end
  end
  if errs[1] then return nil, errs end
  return { lo = lo, hi = hi }
end

-- The 400's errors for bad last_updated filters, or nil.
function M.check(args)
  local _, errs = bounds(args)
  return errs
end

-- The filter predicates ({pred = function(id)}) of the request's last_updated filters.
function M.predicates(db, col, args)
  local b = bounds(args)
  if not b or (b.lo == nil and b.hi == nil) then return {} end
  local lo, hi = b.lo, b.hi
  return { { pred = function(id)
    local t = tonumber(db:field(col, id, "last_updated"))
    return t ~= nil and (lo == nil or t >= lo) and (hi == nil or t <= hi)
  end } }
end

-- [child collection] = {{field, parent collection}, ...}: the records whose
-- answer embeds a child (a sample's "tests" lists its live tests).
local EMBEDDERS = {}
for parent, props in pairs(relations.EMBEDDED) do
  for _, getter in pairs(props) do
    local child = relations.CHILDREN[getter]
    if child then
      EMBEDDERS[child[1]] = EMBEDDERS[child[1]] or {}
      table.insert(EMBEDDERS[child[1]], { child[2], parent })
    end
  end
end

local function now() return tostring(os.time()) end

-- Stamps one record (when its collection has the field).
function M.stamp(db, col, id)
  if not (id and db.cols[col] and id >= 1 and id <= db:size(col)) then return end
  local row = db:row(col, id)
  if row.last_updated ~= nil then row.last_updated = now() end
end

-- The records that embed record `id` of `col`, as {collection, id} pairs.
function M.embedders(db, col, id)
  local out = {}
  for _, e in ipairs(EMBEDDERS[col] or {}) do
    local parent = db:field(col, id, e[1])
    if math.type(parent) == "integer" then out[#out + 1] = { e[2], parent } end
  end
  return out
end

-- Stamps a record written (created, updated or deleted) and the records that
-- embed it, now and `before` (M.embedders from before the write).
function M.written(db, col, id, before)
  M.stamp(db, col, id)
  for _, list in ipairs { before or {}, M.embedders(db, col, id) } do
    for _, e in ipairs(list) do M.stamp(db, e[1], e[2]) end
  end
end

return M
