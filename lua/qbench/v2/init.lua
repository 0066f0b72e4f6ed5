--- QBench's API v2: every operation of its OpenAPI description, as `qb.v2.<collection>`.
--
-- `qb.v2` is a client's namespace (`qbench.v2` the module-level client's). `qb.v2.samples`
-- is the collection `/qbench/api/v2/samples`; `qb.v2.samples(12)` is one sample, whose
-- sub-collections and actions are fields and methods of its own:
-- `qb.v2.orders(5).samples:list()`, `qb.v2.invoices(5):sync()`. Names are the path's
-- segments with `-` turned into `_` (`qb.v2.sub_customers`).
--
-- Which methods a collection has, and which filters and body fields they take, comes from
-- the table generated from QBench's description (`lua/qbench/v2/api/`, `make api`); a
-- method, a filter or a field it does not have raises before anything is sent, naming what
-- it does have and the nearest name. @{v2-operations.md|The table of every operation}
-- gives each one's Lua call.
--
-- Like every call of a client, these return their result, or `nil, err` with an error
-- object (@{qbench.error}); v2's error bodies fill `err.error_type`, `err.error_token` and
-- `err.errors`.
-- @module qbench.v2
-- @usage
-- for s in qb.v2.samples:list{order_ids = {1, 2}, sort_order = "ASC"} do
--   print(s.id, s.sample_type)
-- end
-- local order = assert(qb.v2.orders:get(5))
-- local tests = assert(qb.v2.samples(12).tests:all())
-- assert(qb.v2.samples:update{{id = 12, comments = "Checked"}})
-- assert(qb.v2.invoices(5):sync())

local args = require "qbench.args"
local filters = require "qbench.filters"
local Resource = require "qbench.resource"
local suggest = require "qbench.suggest"
local url = require "qbench.url"
local writes = require "qbench.v2.writes"

local PREFIX = "/qbench/api/v2"

local M = {}

local COLLECTIONS -- the generated index, loaded with the namespace
local READ_METHODS = { list = { "list", "page", "pages", "all" }, get = { "get", "get_many" } }

local node_mt = { __name = "qbench.v2.Resource" }
local namespace_mt = { __name = "qbench.v2" }

-- "/customers/{customer_id}/contacts/{contact_id}" with the scope's and the call's ids.
local function fill(template, scope, extra)
  return PREFIX .. template:gsub("{([^}]+)}", function(name)
    local v = extra and extra[name]
    if v == nil then v = scope[name] end
    assert(v ~= nil, "no value for {" .. name .. "}")
    return math.type(v) == "integer" and string.format("%d", v) or url.escape(v)
  end)
end

-- A path parameter's value: a positive integer, or for a string parameter (`id_type`,
-- said by the generated table; `about` says what it is) one whole path segment: a
-- non-empty string that is not "." or ".." (which would name this segment's parent, or
-- itself, instead of a record); fill() percent-encodes the rest.
local function id_checker(name, id_type, about)
  return function(v, n, fname, what)
    what = what or name
    if id_type == "string" then
      if about then what = what .. ", " .. about .. "," end
      if type(v) ~= "string" or v == "" then
        args.error(n, fname, string.format("%s must be a non-empty string, got %s", what, args.describe(v)))
      end
      if v == "." or v == ".." then
        args.error(n, fname, string.format("%s must not be \".\" or \"..\" (a dot segment names another path), got %s",
          what, args.describe(v)))
      end
      return v
    end
    return args.id(v, n, fname, what)
  end
end

-- The checker of the id a method entry takes.
local function entry_id(entry) return id_checker(entry.id, entry.id_type, entry.id_about) end

-- Where a single read's answer holds the record (see qbench.resource): `data`, or the
-- whole answer for the operations whose answer is given whole.
local function record_key(entry) return entry.answer ~= "whole" and "data" or nil end

-- The shared read layer's definition for a node's list and get(id).
local function reads_of(node)
  local methods, scope = node.def.methods or {}, node.scope
  local def = { name = node.label }
  local list = methods.list
  if list then def.list = { path = fill(list[2], scope), params = list.query } end
  local get = methods.get
  if get and get.id then
    def.item = {
      path_of = function(id) return fill(get[2], scope, { [get.id] = id }) end,
      id_of = entry_id(get), params = get.query,
    }
    def.record_key = record_key(get)
  end
  return def
end

local function new_node(client, def, scope, label)
  return setmetatable({ client = client, def = def, scope = scope, label = label }, node_mt)
end

-- The names a node answers to, for "has no ..." messages.
local function names_of(node)
  local out = {}
  for name, entry in pairs(node.def.methods or {}) do
    local expanded = (name == "list" and READ_METHODS.list) or (name == "get" and entry.id and READ_METHODS.get)
    if expanded then
      for _, n in ipairs(expanded) do out[#out + 1] = n end
    else
      out[#out + 1] = name
    end
  end
  for name in pairs(node.def.children or {}) do out[#out + 1] = name end
  table.sort(out)
  return out
end

local function no_such(node, key)
  local names = names_of(node)
  local scoped = node.def.record and string.format("; %s(id) is one record", node.label) or ""
  args.fail(string.format("v2 %s has no '%s'%s (it has: %s%s)", node.label, tostring(key),
    type(key) == "string" and suggest.hint(key, names) or "", table.concat(names, ", "), scoped))
end

-- A method of a node: reads go to the shared resource layer, writes to qbench.v2.writes.
local function method_of(node, key)
  local methods = node.def.methods or {}
  local list, get = methods.list, methods.get
  if list and (key == "list" or key == "page" or key == "pages" or key == "all")
      or get and get.id and (key == "get" or key == "get_many") then
    return function(self, ...)
      local reads = rawget(self, "_reads")
      if not reads then
        reads = Resource.new(self.client, reads_of(self), { __index = Resource.methods })
        rawset(self, "_reads", reads)
      end
      return reads[key](reads, ...)
    end
  end
  if key == "get" and get then
    return function(self, opts)
      local query = filters.check(get.query, args.opt_table(opts, 1, "get", "filters"), {}, self.label, "get", 1)
      return Resource.read_record(self.client, fill(get[2], self.scope), query, record_key(get), "get")
    end
  end
  local entry = methods[key]
  if entry and entry[1] ~= "GET" then
    return function(self, ...)
      return writes.call(self, key, entry, entry_id(entry), fill, ...)
    end
  end
  return nil
end

function node_mt.__index(self, key)
  local m = method_of(self, key)
  if m then
    rawset(self, key, m)
    return m
  end
  local child = self.def.children and self.def.children[key]
  if child then
    local node = new_node(self.client, child, self.scope, self.label .. "." .. key)
    rawset(self, key, node)
    return node
  end
  no_such(self, key)
end

--- collection(id): the one record, whose sub-collections and actions are its fields and methods.
-- @local
function node_mt.__call(self, id)
  local rec = self.def.record
  if not rec then
    args.fail(string.format("v2 %s has nothing below one record: call its methods (%s)", self.label,
      table.concat(names_of(self), ", ")))
  end
  local checked = id_checker(rec.param, rec.param_type or "integer", rec.param_about)(id, 1, self.label)
  local scope = {}
  for k, v in pairs(self.scope) do scope[k] = v end
  scope[rec.param] = checked
  local shown = math.type(checked) == "integer" and string.format("%d", checked) or string.format("%q", checked)
  return new_node(self.client, rec, scope, string.format("%s(%s)", self.label, shown))
end

function node_mt.__tostring(self)
  return string.format("qbench.v2 %s (%s)", self.label, fill(self.def.path, self.scope))
end

--- @local
function M.new(client)
  COLLECTIONS = COLLECTIONS or require "qbench.v2.api.index"
  return setmetatable({ client = client }, namespace_mt)
end

local namespace_methods = {}

--- The namespace.
-- `qb.v2.<collection>` is a collection (raising for a name v2 does not have), `qb.v2:request`
-- reaches any v2 path, and `collections()` lists the names.
-- @section namespace

--- Any v2 endpoint: `path` is relative to `/qbench/api/v2/`, such as `"samples/12"`
-- (a leading `/` is the same: `"/samples/12"`).
-- For what the generated calls do not cover; nothing is checked but the arguments. A path
-- with an empty, `.` or `..` segment raises: HTTP tools rewrite those, so what was sent
-- would not be what `qb:plan` shows.
-- @tparam string method `"GET"`, `"POST"`, `"PATCH"`, `"DELETE"`, ...
-- @tparam string path below `/qbench/api/v2/`
-- @tparam[opt] table opts as for @{qbench.Client:request|qb:request}: `query`, `body`
-- @return the decoded answer, the status and the headers; or nil and an error object
-- @usage local body = assert(qb.v2:request("GET", "samples", {query = {page_size = 5}}))
function namespace_methods:request(method, path, opts)
  if type(path) ~= "string" then
    args.error(2, "request", "path must be a non-empty string, got " .. args.describe(path))
  end
  local rest = path:gsub("^/+", "")
  local segments = rest:match("^[^?#]*")
  if rest == "" or ("/" .. segments .. "/"):find("/%.?%.?/") then
    args.error(2, "request", "path must be non-empty, without empty, \".\" or \"..\" segments, got " .. args.describe(path))
  end
  return self.client:request(method, PREFIX .. "/" .. rest, opts)
end

function namespace_mt.__index(self, key)
  local m = namespace_methods[key]
  if m then return m end
  local known = false
  for _, name in ipairs(COLLECTIONS) do
    if name == key then known = true break end
  end
  if not known then
    args.fail(string.format("qb.v2 has no collection '%s'%s", tostring(key),
      type(key) == "string" and suggest.hint(key, COLLECTIONS) or ""))
  end
  local node = new_node(self.client, require("qbench.v2.api." .. key), {}, key)
  rawset(self, key, node)
  return node
end

function namespace_mt.__tostring() return "qbench.v2" end

--- The names of the v2 collections (`samples`, `orders`, ...), sorted.
-- A function of the module, not of a namespace: `require("qbench.v2").collections()`.
-- @treturn {string,...} the names
-- @usage for _, name in ipairs(require("qbench.v2").collections()) do print(name) end
function M.collections()
  COLLECTIONS = COLLECTIONS or require "qbench.v2.api.index"
  return COLLECTIONS
end

--- Collections, records and their calls.
-- Below, `collection` stands for any collection or sub-collection: `qb.v2.samples`,
-- `qb.v2.orders(5).samples`, `qb.v2.customers(7).contacts`. Each has the calls its
-- operations give it, no more: @{v2-operations.md|the table of operations} says which.
-- Filters go by their API names and are checked against the description: a known name, a
-- value of its type (an array for a list, sent as a repeated key), an enum value spelt
-- exactly. Writes are checked against the operation's body schema unless the client was
-- made with `validate = false`.
-- @section collections

--- Iterates over every record of every page, in order; raises the error object on failure.
-- Walks pages as @{qbench.customer:list|qb.customer:list} does: the next pages are fetched up to
-- `concurrency` at a time while the loop body runs, a `break` cancels the rest.
-- @function collection:list
-- @tparam[opt] table filters the operation's filters, and `page_num`, `page_size` (1 to 50)
-- and `concurrency`
-- @return an iterator for a generic `for`
-- @usage for s in qb.v2.samples:list{order_ids = {1}} do print(s.id) end

--- One page, as the API answers it (`{data = {...}, total_pages = ...}`).
-- @function collection:page
-- @tparam[opt] table filters as for `list`, without `concurrency`
-- @treturn table the page, or nil and an error object
-- @usage
-- local page = assert(qb.v2.samples:page{page_num = 2, page_size = 10})
-- print(#page.data .. " of " .. page.total_count .. " samples")

--- Iterates over every page table, in order; raises the error object on failure.
-- @function collection:pages
-- @tparam[opt] table filters as for `list`
-- @return an iterator for a generic `for`
-- @usage
-- for page in qb.v2.tests:pages{page_size = 50, concurrency = 2} do
--   print(page.page_number, #page.data)
-- end

--- Every record of every page as one array.
-- @function collection:all
-- @tparam[opt] table filters as for `list`
-- @treturn {table,...} the records, or nil and an error object
-- @usage
-- local orders = assert(qb.v2.orders:all{customer_ids = {3}})
-- for _, o in ipairs(orders) do print(o.id) end

--- One record by id: its `data` object, unwrapped.
-- An answer whose `data` is not a JSON object is an error of kind `"decode"`, as is a page
-- whose `data` is not an array of objects (naming the page and the position).
-- @function collection:get
-- @tparam integer|string id the record's id (a string for the few collections whose ids are:
-- one whole path segment, percent-encoded; `""`, `"."` and `".."` raise)
-- @tparam[opt] table filters the operation's filters, when it has any
-- @treturn table the record, or nil and an error object
-- @usage local s = assert(qb.v2.samples:get(12))

--- Many records at once, in the order of `ids`; an id that fails gives an error object
-- in its place (@{qbench.is_error}), not a failure of the whole call.
-- @function collection:get_many
-- @tparam {integer,...} ids the ids
-- @tparam[opt] table opts `concurrency` (requests at once)
-- @treturn table an array in the order of `ids`
-- @usage
-- for i, s in ipairs(qb.v2.samples:get_many({12, 13, 14}, {concurrency = 3})) do
--   print(i, qbench.is_error(s) and tostring(s) or s.sample_type)
-- end

--- One record, as a node: `collection(id)`.
-- Its sub-collections are fields (`qb.v2.orders(5).samples`), its actions methods
-- (`qb.v2.invoices(5):sync()`), and it may have `get()` and `delete()` of its own.
-- Nothing is sent until one of them is called.
-- @function collection
-- @tparam integer|string id the record's id
-- @return the record's node
-- @usage local order = qb.v2.orders(5); for s in order.samples:list() do print(s.id) end

--- Creates records: a bulk POST, as v2's writes are.
-- Every record is checked and encoded before anything is sent (a value JSON cannot hold
-- raises, naming `records[i]` in the whole array); an empty table where the schema wants
-- an object goes out as `{}`. An array longer than the client's `max_batch` goes out as
-- several requests, in order. When one fails, the error says where each record stands, in
-- exactly one place: `err.written` (how many are known written), `err.results` (what the
-- answers of those requests returned, in order), `err.records` (known not written) and
-- `err.in_doubt` (the failed request's records when `err.outcome == "unknown"`: a lost
-- answer, a gateway's 500, or a 2xx answer that could not be decoded).
-- @function collection:create
-- @tparam {table,...} records the new records, with the fields of the operation's schema
-- @return the created records (the answer's `data`, every request's in order), or true
-- when the answer has none; or nil and an error object
-- @usage local made = assert(qb.v2.contacts:create{{first_name = "Jane", last_name = "Doe"}})

--- Changes records: a bulk PATCH, each record with its `id`; as @{collection:create}.
-- @function collection:update
-- @tparam {table,...} records the records' ids and the fields to change
-- @return the updated records, or true; or nil and an error object
-- @usage assert(qb.v2.samples:update{{id = 12, comments = "Checked"}})

--- Deletes a record.
-- @function collection:delete
-- @tparam integer|string id the record's id
-- @treturn boolean true, or nil and an error object
-- @usage assert(qb.v2.samples:delete(60))   -- a second delete would fail with a 404

--- An action: a write named after its path's last segment.
-- Such as `qb.v2.invoices(5):sync()`, `qb.v2.reports:publish(records)` or
-- `qb.v2.invoices(5):send_email(body)`; the table of operations lists them all, with their
-- arguments. A body, when the action takes one, is checked like any write's.
-- @function collection:action
-- @param[opt] body the action's body (records or a table), when it takes one
-- @return the answer's `data`, true for an empty answer, or what came back; or nil and an
-- error object
-- @usage
-- assert(qb.v2.invoices(5):sync())
-- assert(qb.v2.reports:publish{{id = 3, send_emails = false}})

return M
