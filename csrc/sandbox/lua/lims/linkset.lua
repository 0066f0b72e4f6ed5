-- A many-to-many link set (customer <-> contact, batch <-> sample ...),
-- looked up from either side, with optional data per link (a contact's
-- flags for one customer, the amount of a payment applied to an invoice).
local jsontype = require "sandbox.jsontype"

local LinkSet = {}
LinkSet.__index = LinkSet

function LinkSet.new() return setmetatable({ left = {}, right = {} }, LinkSet) end

local function side(map, id)
  local s = map[id]
  if not s then
    s = {}
    map[id] = s
  end
  return s
end

function LinkSet:add(a, b, data)
  local d = data or true
  side(self.left, a)[b] = d
  side(self.right, b)[a] = d
end

function LinkSet:remove(a, b)
  local l, r = self.left[a], self.right[b]
  if not (l and l[b]) then return false end
  l[b], r[a] = nil, nil
  return true
end

function LinkSet:get(a, b)
  local l = self.left[a]
  return l and l[b] or nil
end

-- The set {id = data} of what `a` links to (right side) / what links to `b`.
local EMPTY = setmetatable({}, { __newindex = function() error("read-only") end })
function LinkSet:rights_of(a) return self.left[a] or EMPTY end
function LinkSet:lefts_of(b) return self.right[b] or EMPTY end

-- A set's ids, ascending.
LinkSet.sorted = jsontype.sorted_keys

return LinkSet
