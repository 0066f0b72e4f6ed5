--- "Did you mean ...?": the known name closest to a misspelt one.
-- @module qbench.suggest
-- @local

local M = {}

-- Optimal string alignment distance: insertions, deletions, substitutions and
-- adjacent transpositions each cost one ("order_id" -> "order_ids" is 1).
local function distance(a, b)
  local la, lb = #a, #b
  local prev2, prev = {}, {}
  for j = 0, lb do prev[j] = j end
  for i = 1, la do
    local cur = { [0] = i }
    local ai = a:byte(i)
    for j = 1, lb do
      local cost = ai == b:byte(j) and 0 or 1
      local d = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
      if i > 1 and j > 1 and ai == b:byte(j - 1) and a:byte(i - 1) == b:byte(j) then
        d = math.min(d, prev2[j - 2] + 1)
      end
      cur[j] = d
    end
    prev2, prev = prev, cur
  end
  return prev[lb]
end
M.distance = distance

--- The candidate closest to `name`, when it is close enough to be a slip; else nil.
-- @tparam string name what was given
-- @tparam {string,...}|table candidates an array of names, or a table keyed by them
-- @treturn string|nil
function M.closest(name, candidates)
  local list = candidates
  if #candidates == 0 then
    list = {}
    for k in pairs(candidates) do list[#list + 1] = k end
  end
  table.sort(list)
  local best, best_d = nil, math.huge
  local lower = name:lower()
  for _, c in ipairs(list) do
    local d = distance(lower, c:lower())
    if d < best_d then best, best_d = c, d end
  end
  if best and best_d <= math.max(2, #name // 3) then return best end
  return nil
end

--- " (did you mean 'x'?)" or "" for use in a message.
function M.hint(name, candidates)
  local c = M.closest(name, candidates)
  return c and string.format(": did you mean '%s'?", c) or ""
end

return M
