--- One resource layer for every collection of the API, v1 and v2: a definition
-- goes in, `get`, `page`, `pages`, `list`, `all` and `get_many` come out.
--
-- A definition (`def`) says:
--   name        how messages name the resource ("customer", "samples", "customers(7).contacts")
--   list        {path =, params = filter definitions or nil} for a paginated GET
--   item        {path_of = function(id) -> path, id_of = function(v, argn, fname) -> id,
--               params = filter definitions or nil} for a GET of one record
--   page_of     function(decoded) -> page | nil, why: checks a list answer
--   record_of   function(decoded) -> record | nil, why: unwraps a single answer
-- Paths are what the client's _prepare takes (relative to v1's root, or from the
-- instance root when they start with "/").
-- @module qbench.resource
-- @local

local args = require "qbench.args"
local qerror = require "qbench.error"
local filters = require "qbench.filters"
local paging = require "qbench.paging"

local M = {}

local MAX_PAGE_SIZE = 50
local DEFAULT_CONCURRENCY = 4
local PAGE_OPTIONS = { page_num = true, page_size = true }
local WALK_OPTIONS = { page_num = true, page_size = true, concurrency = true }

--- A decode error for a 2xx answer of the wrong shape.
function M.unexpected(why, method, path, got)
  return nil, qerror.new { kind = "decode", method = method, path = path, body = got, message = "unexpected answer: " .. why }
end

-- The path as errors show it: what _prepare would send.
local function shown(path) return path:sub(1, 1) == "/" and path or "/qbench/api/v1/" .. path end

--- A concurrency option: 1 to the client's max_concurrency.
function M.concurrency(client, v, n, fname)
  local max = client.max_concurrency
  return args.int_range(v, 1, max, math.min(DEFAULT_CONCURRENCY, max), n, fname,
    "concurrency (at most the client's max_concurrency)")
end

local methods = {}
M.methods = methods

--- Makes the object for `def` on `client`, with the methods table `mt_methods`
-- (M.methods or one that extends it).
function M.new(client, def, mt)
  return setmetatable({ client = client, def = def }, mt)
end

-- page_num, page_size, concurrency (walks) and the filters of a list call.
local function list_options(self, opts, fname, walking)
  opts = args.opt_table(opts, 1, fname, "options")
  local def = self.def
  local skip = walking and WALK_OPTIONS or PAGE_OPTIONS
  local query = filters.check(def.list.params, opts, skip, def.name, fname, 1)
  if not walking and opts.concurrency ~= nil then
    args.error(1, fname, "unknown option 'concurrency' (only list, pages and all walk pages)")
  end
  local page_num = args.int_range(opts.page_num, 1, nil, 1, 1, fname, "page_num")
  local page_size = args.int_range(opts.page_size, 1, MAX_PAGE_SIZE, MAX_PAGE_SIZE, 1, fname, "page_size")
  local concurrency = walking and M.concurrency(self.client, opts.concurrency, 1, fname)
  return query, page_num, page_size, concurrency
end

local function page_query(query, page_num, page_size)
  local q = {}
  for k, v in pairs(query) do q[k] = v end
  q.page_num, q.page_size = page_num, page_size
  return q
end

local function check_page(self, decoded, path)
  local page, why = self.def.page_of(decoded)
  if not page then return M.unexpected(why, "GET", shown(path), decoded) end
  return page
end

local function require_method(self, part, fname)
  if not self.def[part] then
    args.fail(string.format("%s has no %s method", self.def.name, fname))
  end
end

--- One record by id.
-- @tparam integer id the record's id
-- @tparam[opt] table filters query parameters of the call, when it has any
-- @treturn table the record, or nil and an error object
function methods:get(id, opts)
  require_method(self, "item", "get")
  local item = self.def.item
  id = item.id_of(id, 1, "get")
  local query = filters.check(item.params, args.opt_table(opts, 2, "get", "filters"), {}, self.def.name, "get", 2)
  local path = item.path_of(id)
  local decoded, err = self.client:_send("GET", path, query, nil, "get")
  if decoded == nil then return nil, err end
  local record, why = self.def.record_of(decoded)
  if record == nil then return M.unexpected(why, "GET", shown(path), decoded) end
  return record
end

--- One page: the page table as the API answers it ({data = {...}, total_pages = ..., ...}).
-- @tparam[opt] table opts `page_num` (default 1), `page_size` (1 to 50, default 50), and filters
-- @treturn table the page, or nil and an error object
function methods:page(opts)
  require_method(self, "list", "page")
  local query, page_num, page_size = list_options(self, opts, "page", false)
  local path = self.def.list.path
  local p, err = self.client:_send("GET", path, page_query(query, page_num, page_size), nil, "page")
  if p == nil then return nil, err end
  return check_page(self, p, path)
end

local function walk(self, opts, fname)
  require_method(self, "list", fname)
  local query, page_num, page_size, concurrency = list_options(self, opts, fname, true)
  local client, path = self.client, self.def.list.path
  return paging.walk {
    client = client, first = page_num, concurrency = concurrency,
    fetch = function(n)
      local p, err = client:_send("GET", path, page_query(query, n, page_size), nil, fname)
      if p == nil then return nil, err end
      return check_page(self, p, path)
    end,
    request = function(n) return client:_prepare("GET", path, page_query(query, n, page_size)) end,
    check = function(decoded)
      local p, err = check_page(self, decoded, path)
      return p, err
    end,
  }
end

--- Iterates over every page table, in order; raises the error object on failure.
-- @tparam[opt] table opts `page_num`, `page_size`, `concurrency` (pages fetched at once) and filters
-- @return an iterator for a generic `for`; a `break` fetches nothing more
function methods:pages(opts)
  return paging.pages(walk(self, opts, "pages"))
end

--- Iterates over every record of every page, in order; raises the error object on failure.
-- @tparam[opt] table opts as for `pages`
-- @return an iterator for a generic `for`; a `break` fetches nothing more
function methods:list(opts)
  return paging.records(walk(self, opts, "list"))
end

--- Every record as one array, or nil, err.
-- @tparam[opt] table opts as for `pages`
-- @treturn {table,...} every record, or nil and an error object
function methods:all(opts)
  return paging.all(walk(self, opts, "all"))
end

--- Many records at once, in the order of `ids`: each entry is the record, or an
-- error object (qbench.is_error) for one that could not be had.
-- @tparam {integer,...} ids the ids
-- @tparam[opt] table opts `concurrency` (requests at once)
-- @treturn table an array in the order of `ids`
function methods:get_many(ids, opts)
  require_method(self, "item", "get_many")
  local item = self.def.item
  local len = args.array(ids, 1, "get_many", "ids")
  local checked = {}
  for i = 1, len do checked[i] = item.id_of(ids[i], 1, "get_many", string.format("ids[%d]", i)) end
  opts = args.opt_table(opts, 2, "get_many", "options")
  for k in pairs(opts) do
    if k ~= "concurrency" then args.error(2, "get_many", "unknown option " .. args.describe(k)) end
  end
  local client = self.client
  local concurrency = M.concurrency(client, opts.concurrency, 2, "get_many")
  client:_check_open()
  local window <close> = setmetatable(paging.window(client, concurrency,
    function(i) return client:_prepare("GET", item.path_of(checked[i])) end,
    function(i, outcome, decoded)
      if outcome ~= "done" then return decoded end
      local record, why = self.def.record_of(decoded)
      if record == nil then return select(2, M.unexpected(why, "GET", shown(item.path_of(checked[i])), decoded)) end
      return record
    end, len), { __close = function(w) w.close() end })
  local out = {}
  for i = 1, len do out[i] = window.take() end
  return out
end

return M
