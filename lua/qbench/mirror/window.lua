--- The time window of an incremental walk: reading a record's `last_updated`
-- (server time), the filters that ask for "updated at or after", and where the
-- next walk starts.
--
-- A walk that starts at our time T reads every record updated at or after its
-- start `since` (everything, for a full walk). Its watermark W is the largest
-- `last_updated` it saw: server time, never our clock. The next walk starts at
-- min(floor(W) + 1, T - overlap): a record whose `last_updated` is at most
-- T - overlap was visible when the walk began, so it was read then, and the
-- overlap covers the skew between our clock and the server's and records that
-- commit late with an earlier `last_updated`. A server time in the future (a
-- lie or a wrong clock) can only make the window larger, never skip a record.
-- @module qbench.mirror.window
-- @local

local M = {}

-- Unix times further out than this are not times (year 5138): ignored.
local MAX_TIME = 99999999999

-- Days from 1970-01-01 to y-m-d (proleptic Gregorian), without os.time's local time.
local function days_from_civil(y, m, d)
  y = m <= 2 and y - 1 or y
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local doy = (153 * (m + (m > 2 and -3 or 9)) + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

local function finite_time(t)
  if t ~= t or t < 0 or t > MAX_TIME then return nil end
  return t
end

--- A `last_updated` value as Unix seconds, or nil when it is not a time. QBench sends a
-- Unix time as a string ("1739559420", maybe with a fraction); an ISO 8601 date-time
-- ("2025-02-14T18:57:00Z", "+02:00", fractions) is read too.
-- @param v the record's value
-- @treturn number|nil
function M.parse(v)
  if math.type(v) == "integer" then return finite_time(v) end
  if type(v) == "number" then return finite_time(v) end
  if type(v) ~= "string" or #v > 64 then return nil end
  if v:match("^%d+$") then return finite_time(math.tointeger(tonumber(v)) or tonumber(v)) end
  if v:match("^%d+%.%d+$") then return finite_time(tonumber(v)) end
  local y, mo, d, h, mi, s, rest = v:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)[T ](%d%d):(%d%d):(%d%d)(.*)$")
  if not y then return nil end
  y, mo, d, h, mi, s = tonumber(y), tonumber(mo), tonumber(d), tonumber(h), tonumber(mi), tonumber(s)
  if mo < 1 or mo > 12 or d < 1 or d > 31 or h > 23 or mi > 59 or s > 60 then return nil end
  local frac = rest:match("^%.(%d+)") or ""
  rest = rest:sub(frac ~= "" and #frac + 2 or 1)
  local offset = 0
  if rest ~= "" and rest ~= "Z" then
    local sign, oh, om = rest:match("^([+-])(%d%d):?(%d%d)$")
    if not sign then return nil end
    offset = (tonumber(oh) * 3600 + tonumber(om) * 60) * (sign == "+" and 1 or -1)
  end
  local t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset
  if frac ~= "" then t = t + tonumber("0." .. frac) end
  return finite_time(t)
end

--- `t` (Unix seconds) as the `*_start` filters take it: `YYYY-MM-DDTHH:MM:SS`, UTC.
-- @tparam integer t
-- @treturn string
function M.iso(t)
  return os.date("!%Y-%m-%dT%H:%M:%S", t)
end

--- Which "updated at or after" filter a collection's list offers: `last_updated_start`
-- (an ISO date-time) first, else `last_updated` (Unix seconds); nil when neither.
-- @tparam table query the list operation's filter definitions
-- @treturn string|nil the filter's name
function M.filter_of(query)
  if query and query.last_updated_start then return "last_updated_start" end
  if query and query.last_updated then return "last_updated" end
  return nil
end

--- The filters of a walk from `since`: {[name] = value}.
-- @tparam string name from filter_of
-- @tparam integer since Unix seconds
-- @treturn table
function M.filters(name, since)
  if name == "last_updated_start" then return { last_updated_start = M.iso(since) } end
  return { last_updated = string.format("%d", since) }
end

--- Where the next walk starts: min(floor(watermark) + 1, horizon), never below 0.
-- @tparam number|nil watermark the largest last_updated seen, nil when none was
-- @tparam number horizon the walk's start by our clock, less the overlap
-- @treturn integer
function M.next_since(watermark, horizon)
  local h = math.floor(horizon)
  local from = watermark and math.min(math.floor(watermark) + 1, h) or h
  return math.max(from, 0)
end

return M
