-- Per-record random numbers: a record's values depend only on (seed,
-- collection, id), so records can be built lazily, in any order, and still
-- be the same on every run with the same seed.
local M = {}

-- splitmix64's finaliser, on Lua's wrapping 64-bit integers.
local function mix(x)
  x = (x ~ (x >> 30)) * -4658895280553007687
  x = (x ~ (x >> 27)) * -7723592293110705685
  return x ~ (x >> 31)
end

local GOLDEN = -7046029254386353131 -- 0x9E3779B97F4A7C15

function M.salt(name)
  local h = 1469598103934665603
  for i = 1, #name do h = (h ~ name:byte(i)) * 1099511628211 end
  return h
end

-- A generator: r(n) -> integer in 1..n; r() -> float in [0, 1).
function M.new(seed, salt, id)
  local state = mix(mix(seed ~ salt) + id)
  return function(n)
    state = state + GOLDEN
    local x = mix(state) >> 11 -- 53 random bits, non-negative
    if n then return x % n + 1 end
    return x / 9007199254740992.0
  end
end

return M
