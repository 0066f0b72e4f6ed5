--- The `qbench v2` command words, read from the generated operation tables
-- (lua/qbench/v2/api/, the same ones qb.v2 serves): a collection's methods,
-- its sub-collections and the methods of one record all become words under
-- it, and the ids a path needs become positional arguments, in path order:
--
--     qbench v2 samples list                 qb.v2.samples:list{...}
--     qbench v2 tests get 5                  qb.v2.tests:get(5)
--     qbench v2 customers contacts list 7    qb.v2.customers(7).contacts:list{...}
--     qbench v2 tests worksheet data get 5   qb.v2.tests(5).worksheet.data:get{...}
--     qbench v2 invoices sync 5              qb.v2.invoices(5):sync()
--
-- Words are the library's names with `_` written `-` (both are accepted).
-- @module qbench.cli.v2_tree
-- @local

local M = {}

--- The collections, as the generated index lists them.
function M.collections()
  return require "qbench.v2.api.index"
end

--- The command word of a library name.
function M.word(name)
  return (name:gsub("_", "-"))
end

-- What an operation is, for the command: a paginated read, a read, or a write.
local function kind_of(entry)
  if entry[1] == "GET" then return entry.pages and "list" or "get" end
  return "write"
end

local function copy(list, extra)
  local out = table.move(list, 1, #list, 1, {})
  if extra then out[#out + 1] = extra end
  return out
end

local build

-- Adds `name` -> `value` to `node.words`, refusing a word used twice at one level.
local function add_word(node, name, value)
  if node.words[name] then
    error(string.format("qbench v2: the word '%s' has two meanings under %s", name, table.concat(node.path, " ")), 0)
  end
  node.words[name] = value
  node.order[#node.order + 1] = name
end

local function add_operation(node, name, entry, steps, ids)
  local own = nil
  if entry.id then own = { name = entry.id, type = entry.id_type or "integer" } end
  add_word(node, name, {
    operation = true, name = name, entry = entry, kind = kind_of(entry),
    steps = steps, ids = copy(ids, own), own_id = own ~= nil,
    path = copy(node.path, M.word(name)),
  })
end

--- Builds the node of a definition (a collection, a sub-collection, one record's
-- children): `words` maps each name to a child node or an operation.
-- `steps` lead from qb.v2 to the definition's library node ({"index", name} or
-- {"call", param}); `ids` are the path parameters those calls need.
function build(def, path, steps, ids)
  local node = { words = {}, order = {}, path = path, api_path = def.path }
  for name, entry in pairs(def.methods or {}) do add_operation(node, name, entry, steps, ids) end
  for name, child in pairs(def.children or {}) do
    add_word(node, name, build(child, copy(path, M.word(name)), copy(steps, { "index", name }), ids))
  end
  local record = def.record
  if record then
    local rec_steps = copy(steps, { "call", record.param })
    local rec_ids = copy(ids, { name = record.param, type = record.param_type or "integer" })
    for name, entry in pairs(record.methods or {}) do
      -- get(id) and delete(id) of the collection already reach one record.
      local same = def.methods and def.methods[name]
      if not (same and same.id) then add_operation(node, name, entry, rec_steps, rec_ids) end
    end
    for name, child in pairs(record.children or {}) do
      add_word(node, name, build(child, copy(path, M.word(name)), copy(rec_steps, { "index", name }), rec_ids))
    end
  end
  table.sort(node.order)
  return node
end

--- What an operation does, in words: its summary from the API description, or
-- its operation id made a phrase ("sync_invoices" -> "Sync invoices").
function M.describe(op)
  local name = op.entry.name or op.name
  if name == "get_entity_list" then return "List the records, page by page" end
  if name:find("^[%w_]+$") then
    local words = name:gsub("_", " ")
    return (words:gsub("^%l", string.upper))
  end
  return name
end

--- The tree of the collection `name` (a name from `collections()`).
function M.collection(name)
  return build(require("qbench.v2.api." .. name), { "v2", M.word(name) }, { { "index", name } }, {})
end

--- The library node an operation acts on, reached from `qb.v2` with the
-- positional `ids` (path parameters in order); and the operation's own id, if any.
function M.target(qb, op, ids)
  local node, i = qb.v2, 0
  for _, step in ipairs(op.steps) do
    if step[1] == "index" then
      node = node[step[2]]
    else
      i = i + 1
      node = node(ids[i])
    end
  end
  if op.own_id then return node, ids[i + 1] end
  return node
end

return M
