-- Generates the client's v2 tables from QBench's OpenAPI digest (api/qbench-api-v2.json)
-- and the overlay of what the digest does not say (tools/v2_quirks.lua, beside this file).
-- usage: lua5.4 tools/gen_v2_client.lua DIGEST OUT_DIR DOC_FILE
--
-- The digest is a flat list of operations; the client needs a tree: one node per
-- literal path segment, with the methods a Lua caller will use on it
--   v2.samples:list{...}                 GET /samples (paginated)
--   v2.samples:get(12)                   GET /samples/{sample_id}
--   v2.customers(7).contacts:list()      GET /customers/{customer_id}/contacts
--   v2.invoices(5):sync()                POST /invoices/{invoice_id}/sync
--   v2.tests:named_cells{...}            PATCH /tests/worksheets/dynamic/named-cells
-- Each top-level collection goes to its own file (OUT_DIR/<name>.lua) so that a
-- script loads only what it touches; OUT_DIR/index.lua lists them. DOC_FILE gets the
-- operation -> Lua call table, and one section per collection with its filters and
-- body fields. Output is sorted, so a rerun on the same digest writes the same bytes
-- (CI checks it with `make api-check`).
local cjson = require "cjson"

local digest_path, out_dir, doc_path = arg[1], arg[2], arg[3]
assert(digest_path and out_dir and doc_path, "usage: gen_v2_client.lua DIGEST OUT_DIR DOC_FILE")

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local digest = cjson.decode(read(digest_path))
local QUIRKS = dofile((arg[0]:match("^(.*/)") or "./") .. "v2_quirks.lua")
local PREFIX = "/qbench/api/v2"
local null = cjson.null

local function lua_name(segment) return (segment:gsub("%-", "_")) end
local function is_param(segment) return segment:match("^{(.+)}$") end

-- ---------------------------------------------------------------- the overlay

-- Checks the overlay against the digest; returns the operation quirks by
-- "METHOD /path" (below PREFIX) and the path parameters' by name.
local function overlay()
  local ops, params, collections = {}, {}, {}
  for _, op in ipairs(digest.operations) do
    local rest = op.path:sub(#PREFIX + 1)
    collections[lua_name(rest:match("^/([^/]+)"))] = true
    ops[op.method .. " " .. rest] = { collection = lua_name(rest:match("^/([^/]+)")) }
    for _, p in ipairs(op.params) do
      if p["in"] == "path" and p.type ~= "integer" then params[p.name] = params[p.name] or rest end
    end
  end
  local op_quirks, param_quirks = {}, {}
  local OP_FIELDS = { why = "string", name = "string", answer = "string" }
  local ANSWERS = { whole = true, record = true }
  for collection, entries in pairs(QUIRKS) do
    assert(collections[collection], "v2_quirks: no collection " .. collection .. " in the digest")
    for key, q in pairs(entries) do
      if key == "params" then
        for name, pq in pairs(q) do
          assert(params[name], "v2_quirks: no string path parameter " .. name .. " in the digest")
          assert(type(pq.about) == "string" and type(pq.why) == "string", "v2_quirks: " .. name .. " needs about and why")
          param_quirks[name] = pq
          pq.collection = collection
        end
      else
        local op = ops[key]
        assert(op and op.collection == collection, "v2_quirks: no operation " .. key .. " under " .. collection)
        assert(type(q.why) == "string", "v2_quirks: " .. key .. " needs a why")
        for field, v in pairs(q) do
          assert(OP_FIELDS[field] == type(v), "v2_quirks: " .. key .. ": unknown field or wrong type: " .. field)
        end
        assert(q.answer == nil or ANSWERS[q.answer], "v2_quirks: " .. key .. ": unknown answer " .. tostring(q.answer))
        op_quirks[key] = q
      end
    end
  end
  for name, where in pairs(params) do
    assert(param_quirks[name], "v2_quirks: the path parameter " .. name .. " of " .. where
      .. " is not an integer: say what it is in tools/v2_quirks.lua")
  end
  return op_quirks, param_quirks
end

local OP_QUIRKS, PARAM_QUIRKS = overlay()

-- ---------------------------------------------------------------- schemas

-- The subset of JSON Schema the digest uses, as plain Lua tables: type, items,
-- properties, required, enum, maxLength, anyOf. Alternatives of one type collapse
-- (a date-time string or a string is a string); formats and defaults are prose for us.
local function schema_of(s)
  if s == nil or s == null then return nil end
  local out = {}
  if s.anyOf then
    local alts, types = {}, {}
    for i, alt in ipairs(s.anyOf) do
      alts[i] = schema_of(alt)
      types[alts[i].type or "?"] = true
    end
    local only = next(types)
    if next(types, only) == nil and only ~= "object" and only ~= "array" then
      out.type = only
    else
      out.anyOf = alts
    end
  else
    out.type = s.type
  end
  if s.items then out.items = schema_of(s.items) end
  if s.properties then
    out.properties = {}
    for k, v in pairs(s.properties) do out.properties[k] = schema_of(v) end
  end
  if s.required and #s.required > 0 then
    out.required = {}
    for i, k in ipairs(s.required) do out.required[i] = k end
    table.sort(out.required)
  end
  if s.enum then
    out.enum = {}
    for i, v in ipairs(s.enum) do out.enum[i] = v end
  end
  if s.maxLength then out.maxLength = math.tointeger(s.maxLength) end
  return out
end

-- A query parameter: {type = ..., items = ..., enum = {...}}; an enum without a type is a string.
local function param_of(p)
  local d = { type = p.type ~= nil and p.type ~= null and p.type or "string" }
  if p.items and p.items ~= null then d.items = p.items.type end
  if p.enum and p.enum ~= null then
    d.enum = {}
    for i, v in ipairs(p.enum) do d.enum[i] = v end
  end
  if p.required then d.required = true end
  return d
end

-- ---------------------------------------------------------------- the tree

local function new_node(segments)
  return { segments = segments, children = {}, param = nil, ops = {} }
end

local root = new_node({})

for _, op in ipairs(digest.operations) do
  assert(op.path:sub(1, #PREFIX + 1) == PREFIX .. "/", "not a v2 path: " .. op.path)
  local rest = op.path:sub(#PREFIX + 2)
  local node, segments = root, {}
  for seg in rest:gmatch("[^/]+") do
    segments[#segments + 1] = seg
    if is_param(seg) then
      if node.param then
        assert(node.param.name == is_param(seg), "two parameter names under one node: " .. op.path)
      else
        node.param = new_node({ table.unpack(segments) })
        node.param.name = is_param(seg)
      end
      node = node.param
    else
      local key = lua_name(seg)
      node.children[key] = node.children[key] or new_node({ table.unpack(segments) })
      node = node.children[key]
    end
  end
  assert(not node.ops[op.method], "duplicate operation " .. op.method .. " " .. op.path)
  node.ops[op.method] = op
end

local function path_of(node) return "/" .. table.concat(node.segments, "/") end

local function success_status(op)
  local best
  for code in pairs(op.responses or {}) do
    local n = math.tointeger(tonumber(code))
    if n and n >= 200 and n < 300 and (not best or n < best) then best = n end
  end
  return best
end

-- What a success gives the caller, from the documented 2xx answer (the overlay may
-- say otherwise): "records" for {"data": [objects]}, "record" for {"data": {...}}.
local function answer_of(op)
  local quirk = OP_QUIRKS[op.method .. " " .. op.path:sub(#PREFIX + 1)]
  if quirk and quirk.answer then return quirk.answer end
  local best
  for code, r in pairs(op.responses or {}) do
    local n = math.tointeger(tonumber(code))
    if n and n >= 200 and n < 300 and r ~= null and (not best or n < best[1]) then best = { n, r } end
  end
  local data = best and best[2].properties and best[2].properties.data
  if not data then return nil end
  if data.type == "array" and data.items and data.items.type == "object" then return "records" end
  if data.type == "object" then return "record" end
  return nil
end

local function is_list(op)
  for _, p in ipairs(op.params) do
    if p["in"] == "query" and p.name == "page_num" then return true end
  end
  return false
end

-- One method entry: what the runtime needs to call the operation.
local function method_entry(op, id_param)
  local m = { op.method, op.path:sub(#PREFIX + 1), name = op.name }
  local query, path_types = nil, {}
  for _, p in ipairs(op.params) do
    if p["in"] == "query" then
      query = query or {}
      query[p.name] = param_of(p)
    elseif p["in"] == "path" then
      path_types[p.name] = p.type ~= nil and p.type ~= null and p.type or "string"
    end
  end
  m.query = query
  if op.body and op.body ~= null then
    m.body = schema_of(op.body.schema)
    if op.body.content_type ~= "application/json" then m.content_type = op.body.content_type end
  end
  m.status = success_status(op)
  if id_param then
    m.id = id_param
    m.id_type = path_types[id_param]
    if PARAM_QUIRKS[id_param] then m.id_about = PARAM_QUIRKS[id_param].about end
  end
  if op.method == "GET" and is_list(op) then
    m.pages = true
  else
    m.answer = answer_of(op)
    assert(op.method ~= "GET" or m.answer, "no documented answer for " .. op.method .. " " .. op.path
      .. ": say what it is in tools/v2_quirks.lua")
  end
  if op.auth == false then m.no_auth = true end
  return m
end

-- The Lua name the overlay gives an operation, if any.
local function quirk_name(op)
  local q = OP_QUIRKS[op.method .. " " .. op.path:sub(#PREFIX + 1)]
  return q and q.name
end

local function has_ops(node) return next(node.ops) ~= nil end

-- A write-only leaf under a chain of op-less literal nodes: an action named after
-- its last segment (reports/publish, tests/worksheets/dynamic/named-cells).
local function action_leaf(node)
  while true do
    if node.param then return nil end
    if has_ops(node) then
      if next(node.children) ~= nil or node.ops.GET then return nil end
      return node
    end
    local only = next(node.children)
    if only == nil or next(node.children, only) ~= nil then return nil end
    node = node.children[only]
  end
end

local WRITE_NAME = { POST = "create", PATCH = "update", DELETE = "delete" }

-- How the doc names a write's body argument.
local function body_arg(entry)
  if not entry.body then return "" end
  return entry.body.type == "array" and "records" or "body"
end

local calls = {} -- for the doc: {path =, method =, call =}

local function add_method(methods, name, entry, call_doc)
  assert(not methods[name], "method name clash: " .. name .. " on " .. entry[2])
  methods[name] = entry
  if call_doc then calls[#calls + 1] = { method = entry[1], path = entry[2], call = call_doc, entry = entry } end
end

-- The methods of a node's own operations. On a record (`on_record`), GET and
-- DELETE are get() and delete(); the doc lists them once, in their collection
-- form get(id) and delete(id), which build() adds from the collection's side.
local function own_methods(node, lua_path, methods, on_record)
  for _, method in ipairs { "GET", "POST", "PATCH", "DELETE" } do
    local op = node.ops[method]
    if op then
      local entry = method_entry(op)
      local doc = not on_record
      local named = quirk_name(op)
      if named then
        add_method(methods, named, entry, doc and lua_path .. ":" .. named .. "(" .. body_arg(entry) .. ")")
      elseif method == "GET" and entry.pages then
        add_method(methods, "list", entry, doc and lua_path .. ":list{...}, :page, :pages, :all")
      elseif method == "GET" then
        add_method(methods, "get", entry, doc and lua_path .. ":get(" .. (entry.query and "{...}" or "") .. ")")
      elseif method == "DELETE" then
        add_method(methods, "delete", entry, doc and lua_path .. ":delete()")
      else
        add_method(methods, WRITE_NAME[method], entry, doc and lua_path .. ":" .. WRITE_NAME[method] .. "(" .. body_arg(entry) .. ")")
      end
    end
  end
end

-- The record's operations as methods of its collection, taking the id first.
local function id_methods(rec, lua_path, methods)
  for _, method in ipairs { "GET", "DELETE", "POST", "PATCH" } do
    local op = rec.ops[method]
    if op then
      local entry = method_entry(op, rec.name)
      local named = quirk_name(op)
      if named then
        local arg = body_arg(entry)
        add_method(methods, named, entry, lua_path .. ":" .. named .. "(" .. rec.name .. (arg ~= "" and ", " .. arg or "") .. ")")
      elseif method == "GET" then
        add_method(methods, "get", entry, lua_path .. ":get(" .. rec.name .. "), :get_many")
      elseif method == "DELETE" then
        add_method(methods, "delete", entry, lua_path .. ":delete(" .. rec.name .. ")")
      else
        error("a " .. method .. " on a record needs a name in tools/v2_quirks.lua: " .. op.path)
      end
    end
  end
end

-- The declared type of path parameter `name`, from any operation at or below `node`.
local function param_type(node, name)
  for _, op in pairs(node.ops) do
    for _, p in ipairs(op.params) do
      if p["in"] == "path" and p.name == name then return p.type ~= nil and p.type ~= null and p.type or "string" end
    end
  end
  for _, child in pairs(node.children) do
    local t = param_type(child, name)
    if t then return t end
  end
  return node.param and param_type(node.param, name) or nil
end

-- The emitted table of a node. `lua_path` is how a caller reaches it (for the doc):
-- "v2.samples", "v2.customers(customer_id)", ...
local function build(node, lua_path, on_record)
  local out = { path = path_of(node), methods = {}, children = {} }
  own_methods(node, lua_path, out.methods, on_record)
  if node.param then id_methods(node.param, lua_path, out.methods) end
  for _, k in ipairs((function()
    local ks = {}
    for name in pairs(node.children) do ks[#ks + 1] = name end
    table.sort(ks)
    return ks
  end)()) do
    local child = node.children[k]
    local leaf = action_leaf(child)
    if leaf then
      for _, method in ipairs { "POST", "PATCH", "DELETE" } do
        local op = leaf.ops[method]
        if op then
          local name = quirk_name(op) or lua_name(leaf.segments[#leaf.segments])
          local entry = method_entry(op)
          add_method(out.methods, name, entry, lua_path .. ":" .. name .. "(" .. body_arg(entry) .. ")")
        end
      end
    else
      out.children[k] = build(child, lua_path .. "." .. k, false)
    end
  end
  -- A record is reachable as collection(id) when something lies below it.
  local rec = node.param
  if rec and (next(rec.children) ~= nil or rec.param) then
    out.record = build(rec, lua_path .. "(" .. rec.name .. ")", true)
    out.record.param = rec.name
    local t = param_type(rec, rec.name)
    if t ~= "integer" then out.record.param_type = t end
    if PARAM_QUIRKS[rec.name] then out.record.param_about = PARAM_QUIRKS[rec.name].about end
  end
  if not next(out.children) then out.children = nil end
  if not next(out.methods) then out.methods = nil end
  return out
end

-- ---------------------------------------------------------------- emitting Lua

local function is_identifier(k)
  return type(k) == "string" and k:match("^[%a_][%w_]*$") and not ({
    ["and"] = 1, ["break"] = 1, ["do"] = 1, ["else"] = 1, ["elseif"] = 1, ["end"] = 1, ["false"] = 1,
    ["for"] = 1, ["function"] = 1, ["goto"] = 1, ["if"] = 1, ["in"] = 1, ["local"] = 1, ["nil"] = 1,
    ["not"] = 1, ["or"] = 1, ["repeat"] = 1, ["return"] = 1, ["then"] = 1, ["true"] = 1, ["until"] = 1,
    ["while"] = 1 })[k]
end

local function key_text(k)
  if is_identifier(k) then return k end
  return "[" .. string.format("%q", k) .. "]"
end

local function sorted_keys(t)
  local ks = {}
  for k in pairs(t) do ks[#ks + 1] = k end
  table.sort(ks, function(a, b)
    if type(a) ~= type(b) then return type(a) == "number" end
    return a < b
  end)
  return ks
end

-- Serialises a value on one line (small tables) with sorted keys.
local function inline(v)
  local t = type(v)
  if t == "string" then return string.format("%q", v) end
  if t == "number" or t == "boolean" then return tostring(v) end
  assert(t == "table", "cannot emit " .. t)
  local parts, n = {}, #v
  for i = 1, n do parts[#parts + 1] = inline(v[i]) end
  for _, k in ipairs(sorted_keys(v)) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then
      parts[#parts + 1] = key_text(k) .. " = " .. inline(v[k])
    end
  end
  return "{ " .. table.concat(parts, ", ") .. " }"
end

-- Tables that repeat within one file (filter sets, body schemas) become locals.
local function emit_file(tree, name)
  local shared, order = {}, {}
  local function share(tbl, prefix)
    local text = inline(tbl)
    local s = shared[text]
    if not s then
      s = { name = prefix .. (#order + 1), text = text, uses = 0 }
      shared[text] = s
      order[#order + 1] = s
    end
    s.uses = s.uses + 1
    return s
  end
  -- First pass: count the query sets and bodies.
  -- In sorted order, so that the locals' numbers are the same on every run.
  local function scan(node)
    local methods, children = node.methods or {}, node.children or {}
    for _, k in ipairs(sorted_keys(methods)) do
      local m = methods[k]
      if m.query then share(m.query, "Q") end
      if m.body then share(m.body, "B") end
    end
    for _, k in ipairs(sorted_keys(children)) do scan(children[k]) end
    if node.record then scan(node.record) end
  end
  scan(tree)
  local lines = {}
  local function w(s) lines[#lines + 1] = s end
  local function ref(tbl)
    local s = shared[inline(tbl)]
    if s.uses > 1 then return s.name end
    return s.text
  end
  local function emit_method(entry, indent)
    local parts = { string.format("%q", entry[1]), string.format("%q", entry[2]) }
    for _, k in ipairs(sorted_keys(entry)) do
      if type(k) == "string" then
        local v = entry[k]
        local text = (k == "query" or k == "body") and ref(v) or inline(v)
        parts[#parts + 1] = k .. " = " .. text
      end
    end
    return indent .. "{ " .. table.concat(parts, ", ") .. " }"
  end
  local function emit_node(node, indent)
    w(indent .. "path = " .. string.format("%q", node.path) .. ",")
    if node.param then w(indent .. "param = " .. string.format("%q", node.param) .. ",") end
    if node.param_type then w(indent .. "param_type = " .. string.format("%q", node.param_type) .. ",") end
    if node.param_about then w(indent .. "param_about = " .. string.format("%q", node.param_about) .. ",") end
    if node.methods then
      w(indent .. "methods = {")
      for _, k in ipairs(sorted_keys(node.methods)) do
        w(indent .. "  " .. key_text(k) .. " = " .. emit_method(node.methods[k], ""):gsub("^%s*", "") .. ",")
      end
      w(indent .. "},")
    end
    if node.children then
      w(indent .. "children = {")
      for _, k in ipairs(sorted_keys(node.children)) do
        w(indent .. "  " .. key_text(k) .. " = {")
        emit_node(node.children[k], indent .. "    ")
        w(indent .. "  },")
      end
      w(indent .. "},")
    end
    if node.record then
      w(indent .. "record = {")
      emit_node(node.record, indent .. "  ")
      w(indent .. "},")
    end
  end
  w("-- Generated by tools/gen_v2_client.lua from api/qbench-api-v2.json: do not edit (run `make api`).")
  w("-- The v2 operations under /qbench/api/v2/" .. name:gsub("_", "-") .. ", as qb.v2." .. name .. " serves them.")
  for _, s in ipairs(order) do
    if s.uses > 1 then w("local " .. s.name .. " = " .. s.text) end
  end
  w("return {")
  emit_node(tree, "  ")
  w("}")
  return table.concat(lines, "\n") .. "\n"
end

local function write(path, text)
  local tmp = path .. ".tmp"
  local f = assert(io.open(tmp, "wb"))
  f:write(text)
  f:close()
  assert(os.rename(tmp, path))
end

os.execute("mkdir -p '" .. out_dir .. "'")
local names = sorted_keys(root.children)
local written = {}
for _, name in ipairs(names) do
  local tree = build(root.children[name], "v2." .. name)
  local text = emit_file(tree, name)
  assert(load(text, "=" .. name, "t"), "generated invalid Lua for " .. name)
  write(out_dir .. "/" .. name .. ".lua", text)
  written[name .. ".lua"] = true
end
write(out_dir .. "/index.lua",
  "-- Generated by tools/gen_v2_client.lua from api/qbench-api-v2.json: do not edit (run `make api`).\n"
  .. "-- The top-level v2 collections; each is a module of this directory, loaded on first use.\n"
  .. "return " .. inline(names) .. "\n")
written["index.lua"] = true
-- A collection that left the digest leaves no stale module behind.
local p = io.popen("ls '" .. out_dir .. "'")
for f in p:lines() do
  if not written[f] then os.remove(out_dir .. "/" .. f) end
end
p:close()

-- ---------------------------------------------------------------- the doc

table.sort(calls, function(a, b)
  if a.path ~= b.path then return a.path < b.path end
  return a.method < b.method
end)

local function collection_of(path) return lua_name(path:match("^/([^/]+)")) end

-- A schema or parameter's type for a reader: "array of integer", "string (at most 45 characters)".
local function type_text(d)
  local t = d.type or "any"
  if t == "array" then
    local item = type(d.items) == "table" and (d.items.type or "any") or d.items or "string"
    t = "array of " .. item
  end
  if d.anyOf then
    local alts = {}
    for i, alt in ipairs(d.anyOf) do alts[i] = alt.type or "any" end
    t = table.concat(alts, " or ")
  end
  if d.maxLength then t = string.format("%s (at most %d characters)", t, d.maxLength) end
  return t
end

local function enum_text(d)
  local enum = d.enum or (type(d.items) == "table" and d.items.enum)
  if not enum then return "" end
  local vals = {}
  for i, v in ipairs(enum) do
    assert(not tostring(v):find("[|`]"), "an enum value a table cell cannot hold: " .. tostring(v))
    vals[i] = "`" .. tostring(v) .. "`"
  end
  return table.concat(vals, ", ")
end

-- The project's reading of the date filters, which QBench's description leaves open
-- (the sandbox honours it; the command's help says the same).
local function values_text(name, d)
  if name:match("_start$") or name:match("_end$") then
    return "`YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS` (UTC, optional `Z`)"
  elseif name == "last_updated" then
    return "a Unix time in seconds: updated at or after"
  end
  return enum_text(d)
end

-- Every list takes page_num and page_size; the table shows the other filters.
local PAGING = { page_num = true, page_size = true }

local function filters_table(out, query)
  local shown = {}
  for _, name in ipairs(sorted_keys(query)) do
    if not PAGING[name] then shown[#shown + 1] = name end
  end
  if #shown == 0 then
    out[#out + 1] = "No filters but `page_num` and `page_size`."
    return
  end
  out[#out + 1] = "| filter | type | values |"
  out[#out + 1] = "|---|---|---|"
  for _, name in ipairs(shown) do
    out[#out + 1] = string.format("| `%s` | %s | %s |", name, type_text(query[name]), values_text(name, query[name]))
  end
end

local function fields_table(out, body)
  local item = body.type == "array" and body.items or body
  local required = {}
  for _, name in ipairs(item.required or {}) do required[name] = true end
  out[#out + 1] = string.format("%s, %s:", body.type == "array" and "Each record's fields" or "The body's fields",
    body.type == "array" and "a JSON array of records" or "one JSON object")
  out[#out + 1] = ""
  out[#out + 1] = "| field | type | values | required |"
  out[#out + 1] = "|---|---|---|---|"
  for _, name in ipairs(sorted_keys(item.properties or {})) do
    local field = item.properties[name]
    out[#out + 1] = string.format("| `%s` | %s | %s | %s |", name, type_text(field), enum_text(field), required[name] and "yes" or "")
  end
end

local doc = {
  "<!-- Generated by tools/gen_v2_client.lua from api/qbench-api-v2.json and tools/v2_quirks.lua: do not edit (run `make api`). -->",
  "# QBench API v2: every operation and its Lua call",
  "",
  "`v2` is `qb.v2` (a client's v2 namespace). Paths are under `/qbench/api/v2`. "
    .. "A `list` row also gives `page`, `pages` and `all`; a `get(id)` row also gives `get_many(ids)`. "
    .. "Each collection's filters and body fields follow the table.",
  "",
  "| operation | Lua call |",
  "|---|---|",
}
for _, c in ipairs(calls) do
  doc[#doc + 1] = string.format("| `%s %s` | `%s` |", c.method, c.path, c.call)
end
doc[#doc + 1] = ""
doc[#doc + 1] = "## Collections"
doc[#doc + 1] = ""
local links = {}
for i, name in ipairs(names) do links[i] = string.format("[%s](#%s)", name, name) end
doc[#doc + 1] = table.concat(links, ", ") .. "."
doc[#doc + 1] = ""
doc[#doc + 1] = "Filters are a call's query parameters: a Lua array for an array (sent as repeated keys), "
  .. "values of an enum spelt exactly; every list also takes `page_num` and `page_size` (1 to 50). "
  .. "Body fields are checked against these types before a write is sent (unless the client has "
  .. "`validate = false`); `qbench.null` clears an optional field."
for _, name in ipairs(names) do
  doc[#doc + 1] = ""
  doc[#doc + 1] = string.format('<a name="%s"></a>', name)
  doc[#doc + 1] = ""
  doc[#doc + 1] = "### " .. name
  -- What the overlay says of this collection: its path parameters, then its operations.
  local notes = {}
  for _, pname in ipairs(sorted_keys(PARAM_QUIRKS)) do
    local q = PARAM_QUIRKS[pname]
    if q.collection == name then notes[#notes + 1] = string.format("- `%s`: %s", pname, q.why) end
  end
  for _, key in ipairs(sorted_keys(OP_QUIRKS)) do
    if collection_of(key:match(" (.*)$")) == name then
      notes[#notes + 1] = string.format("- `%s`: %s", key, OP_QUIRKS[key].why)
    end
  end
  if #notes > 0 then
    doc[#doc + 1] = ""
    doc[#doc + 1] = "What QBench does here that its description does not say:"
    doc[#doc + 1] = ""
    table.move(notes, 1, #notes, #doc + 1, doc)
  end
  for _, c in ipairs(calls) do
    if collection_of(c.path) == name and (c.entry.query or c.entry.body) then
      doc[#doc + 1] = ""
      doc[#doc + 1] = string.format("#### `%s %s`: `%s`", c.method, c.path, c.call)
      doc[#doc + 1] = ""
      if c.entry.query then filters_table(doc, c.entry.query) end
      if c.entry.query and c.entry.body then doc[#doc + 1] = "" end
      if c.entry.body then fields_table(doc, c.entry.body) end
    end
  end
end
write(doc_path, table.concat(doc, "\n") .. "\n")
io.stderr:write(string.format("gen_v2_client: %d operations, %d collections\n", #calls, #names))
assert(#calls == #digest.operations, string.format("%d operations in the digest but %d reachable", #digest.operations, #calls))
