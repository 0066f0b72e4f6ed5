-- Routing: a table of routes, {method, path pattern, handler, ...}, compiled
-- into a tree of path segments so that a request finds its route in a few
-- table look-ups whatever the number of routes.
-- A pattern segment "{name}" captures any segment as a string, "{name:int}"
-- only digits, as an integer. A literal segment wins over a capture; the
-- matcher backtracks, so /tests/worksheets/... and /tests/{test_id} coexist.
-- Matches are remembered per path (benchmarks ask for the same paths over
-- and over), up to CACHE_SIZE paths.
local Router = {}
Router.__index = Router

local function segments(path)
  if path:sub(1, 1) ~= "/" then return nil end
  local out = {}
  for seg in (path:sub(2) .. "/"):gmatch("([^/]*)/") do out[#out + 1] = seg end
  return out
end

local function new_node() return { literal = {} } end

-- `entries`: a list of routes, each a table with at least method, path and
-- handler; the matched entry is handed back as is.
function Router.new(entries)
  local root = new_node()
  for _, e in ipairs(entries) do
    local node = root
    for _, seg in ipairs(assert(segments(e.path), e.path)) do
      local name, kind = seg:match("^{([%w_]+):?(%a*)}$")
      if name then
        local p = node.param
        if not p then
          p = { name = name, int = kind == "int", node = new_node() }
          node.param = p
        end
        assert(p.name == name and p.int == (kind == "int"), "conflicting captures at " .. e.path)
        node = p.node
      else
        local child = node.literal[seg]
        if not child then
          child = new_node()
          node.literal[seg] = child
        end
        node = child
      end
    end
    if not node.methods then node.methods, node.allowed = {}, {} end
    assert(not node.methods[e.method], "duplicate route " .. e.method .. " " .. e.path)
    node.methods[e.method] = e
    node.allowed[#node.allowed + 1] = e.method
  end
  return setmetatable({ root = root, cache = {}, cached = 0 }, Router)
end

local CACHE_SIZE = 4096

local function walk(node, segs, i, params)
  if i > #segs then
    if node.methods then return node end
    return nil
  end
  local seg = segs[i]
  local child = node.literal[seg]
  if child then
    local found = walk(child, segs, i + 1, params)
    if found then return found end
  end
  local p = node.param
  if p then
    local value = seg
    if p.int then
      value = seg:match("^%d+$") and math.tointeger(tonumber(seg))
      if not value then return nil end
    elseif seg == "" then
      return nil
    end
    local found = walk(p.node, segs, i + 1, params)
    if found then
      params[p.name] = value
      return found
    end
  end
  return nil
end

-- Returns the route and its captures; or nil and the Allow header value
-- when the path is known but not for this method; or nil when unknown.
-- The captures are shared between requests for the same path: read only.
function Router:match(method, path)
  local hit = self.cache[path]
  if hit == nil then
    local segs = segments(path)
    local params = {}
    local node = segs and walk(self.root, segs, 1, params)
    hit = node and { node = node, params = params } or false
    if self.cached >= CACHE_SIZE then self.cache, self.cached = {}, 0 end
    self.cache[path] = hit
    self.cached = self.cached + 1
  end
  if not hit then return nil end
  local node, params = hit.node, hit.params
  local e = node.methods[method]
  if not e then return nil, table.concat(node.allowed, ", ") end
  return e, params
end

return Router
