--- One resource layer for every collection of the API, v1 and v2: a definition
-- goes in, `get`, `page`, `pages`, `list`, `all` and `get_many` come out.
--
-- A definition (`def`) says:
--   name        how messages name the resource ("customer", "samples", "customers(7).contacts")
--   list        {path =, params = filter definitions or nil} for a paginated GET
--   item        {path_of = function(id) -> path, id_of = function(v, argn, fname) -> id,
--               params = filter definitions or nil} for a GET of one record
--   record_key  where a single answer holds its record: nil for the answer itself (v1),
--               "data" for `{"data": {...}}` (v2)
-- Paths are what the client's _prepare takes (relative to v1's root, or from the
-- instance root when they start with "/").
--
-- Every answer is checked here, once for v1 and v2: a page is an object whose `data`
-- is an array of objects, a record is an object. Anything else is an error of kind
-- "decode" naming the page and the position (`page 3: data[2] is not an object`):
-- a walk never ends early on it, nor hands out a record that is not one.
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

-- What the decoder makes of JSON: an object is a table whose keys are all strings, an
-- array one whose keys are 1..n (an empty table is both). A decoded table's first key
-- tells which, as JSON has no other kind.
local function is_object(v) return type(v) == "table" and type(next(v) or "") == "string" end
local function is_array(v) return type(v) == "table" and math.type(next(v) or 0) == "integer" end

-- A server value for a message: its JSON kind, or the scalar itself (shortened).
local function what(v)
  if type(v) == "table" then return is_array(v) and "an array" or "an object" end
  if type(v) == "string" then return string.format("%q", qerror.shorten(v, 40)) end
  return args.describe(v)
end

--- A decode error for a 2xx answer `got` of the wrong shape, to the request `req`
-- (as prepared: its path is what was sent). `status` when known.
function M.unexpected(why, req, got, status)
  return nil, qerror.new { kind = "decode", method = req.method, path = req.path, url = req.url, status = status,
    body = got, message = "unexpected answer: " .. why }
end

--- Checks that `data` is an array of objects; returns nil, or why not, naming the
-- position as `where[i]`.
function M.records_problem(data, where)
  if not is_array(data) then return string.format("%s is not an array (got %s)", where, what(data)) end
  for i = 1, #data do
    if not is_object(data[i]) then
      return string.format("%s[%d] is not an object (got %s)", where, i, what(data[i]))
    end
  end
  return nil
end

--- A page: an object whose `data` is an array of objects. Returns it, or nil and why not.
function M.page_of(decoded)
  if not is_object(decoded) then return nil, "the page is not an object (got " .. what(decoded) .. ")" end
  local why = M.records_problem(decoded.data, "data")
  if why then return nil, why end
  return decoded
end

--- The record of a single answer: the answer itself (`key` nil), or its member `key`.
-- Returns it, or nil and why not.
function M.record_of(decoded, key)
  local record = decoded
  if key then
    if not is_object(decoded) then return nil, "the answer is not an object (got " .. what(decoded) .. ")" end
    record = decoded[key]
  end
  if not is_object(record) then
    return nil, string.format("%s is not an object (got %s)", key or "the record", what(record))
  end
  return record
end

--- GETs the one record at `path` (with `query`) and checks it (see record_of).
-- @return the record, or nil and an error object
function M.read_record(client, path, query, key, fname)
  local req = client:_prepare("GET", path, query, nil, fname)
  local decoded, err = client:_perform(req)
  if decoded == nil then return nil, err end
  local record, why = M.record_of(decoded, key)
  if record == nil then return M.unexpected(why, req, decoded) end
  return record
end

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

-- The request for page `n` of the list `self`, with `query` and `page_size`.
local function page_request(self, query, n, page_size, fname)
  local q = {}
  for k, v in pairs(query) do q[k] = v end
  q.page_num, q.page_size = n, page_size
  return self.client:_prepare("GET", self.def.list.path, q, nil, fname)
end

-- Page `n`'s answer checked; a wrong one is a decode error naming the page.
local function checked_page(decoded, req, n)
  local page, why = M.page_of(decoded)
  if not page then return M.unexpected(string.format("page %d: %s", n, why), req, decoded) end
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
  return M.read_record(self.client, item.path_of(id), query, self.def.record_key, "get")
end

--- One page: the page table as the API answers it ({data = {...}, total_pages = ..., ...}).
-- @tparam[opt] table opts `page_num` (default 1), `page_size` (1 to 50, default 50), and filters
-- @treturn table the page, or nil and an error object
function methods:page(opts)
  require_method(self, "list", "page")
  local query, page_num, page_size = list_options(self, opts, "page", false)
  local req = page_request(self, query, page_num, page_size, "page")
  local p, err = self.client:_perform(req)
  if p == nil then return nil, err end
  return checked_page(p, req, page_num)
end

local function walk(self, opts, fname)
  require_method(self, "list", fname)
  local query, page_num, page_size, concurrency = list_options(self, opts, fname, true)
  local client = self.client
  return paging.walk {
    client = client, first = page_num, concurrency = concurrency,
    fetch = function(n)
      local req = page_request(self, query, n, page_size, fname)
      local p, err = client:_perform(req)
      if p == nil then return nil, err end
      return checked_page(p, req, n)
    end,
    request = function(n) return page_request(self, query, n, page_size, fname) end,
    check = function(decoded, n) return checked_page(decoded, page_request(self, query, n, page_size, fname), n) end,
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
  local client, key = self.client, self.def.record_key
  local concurrency = M.concurrency(client, opts.concurrency, 2, "get_many")
  client:_check_open()
  local requests = {}
  local window <close> = setmetatable(paging.window(client, concurrency,
    function(i)
      requests[i] = client:_prepare("GET", item.path_of(checked[i]))
      return requests[i]
    end,
    function(i, outcome, decoded)
      local req = requests[i]
      requests[i] = nil
      if outcome ~= "done" then return decoded end
      local record, why = M.record_of(decoded, key)
      if record == nil then return select(2, M.unexpected(why, req, decoded)) end
      return record
    end, len), { __close = function(w) w.close() end })
  local out = {}
  for i = 1, len do out[i] = window.take() end
  return out
end

return M
