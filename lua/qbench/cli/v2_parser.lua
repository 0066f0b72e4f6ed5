--- The `qbench v2` words, declared from the generated operation tables (see
-- qbench.cli.v2_tree): one command per collection, and under the collection
-- the command line names, its sub-collections and operations, with the ids
-- they need as positional arguments, `--filter` for query parameters (listed
-- with their types and enums in --help) and --data, --file, --csv for bodies
-- (their fields listed in --help).
-- @module qbench.cli.v2_parser
-- @local

local options = require "qbench.cli.options"
local v2_tree = require "qbench.cli.v2_tree"

local M = {}

local command = options.command
local hidden_names = true -- set by declare
local words_below -- the parser context's `below`, set by declare

-- The project's reading of QBench's date filters (QBench does not document one;
-- the sandbox takes the same).
local DATE_TEXT = "date, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (UTC, optional Z)"
local UNIX_TEXT = "Unix time in seconds: updated at or after it"

local function type_text(p, name)
  if p.type == "array" then return "array of " .. tostring(p.items and (p.items.type or p.items) or "string") end
  if p.enum then return table.concat(p.enum, " | ") end
  if p.anyOf then
    local names = {}
    for i, alt in ipairs(p.anyOf) do names[i] = alt.type or "any" end
    return table.concat(names, " or ")
  end
  if p.type == "boolean" then return "boolean: true or false" end
  if p.type == "string" and name then
    if name:find("_start$") or name:find("_end$") then return DATE_TEXT end
    if name == "last_updated" then return UNIX_TEXT end
  end
  return p.type or "any"
end

local function listing(title, names, describe)
  table.sort(names)
  local entries = {}
  for i, n in ipairs(names) do entries[i] = { n, describe(n) } end
  return options.listing(title, entries)
end

local function filters_epilog(query)
  local names = {}
  for name in pairs(query or {}) do
    if name ~= "page_num" and name ~= "page_size" then names[#names + 1] = name end
  end
  if #names == 0 then return nil end
  return listing("Filters (--filter NAME=VALUE; an array takes a,b,c or the option repeated):", names,
    function(n) return type_text(query[n], n) end)
end

local function body_epilog(body)
  local item = body.type == "array" and body.items or body
  local props = item.properties or {}
  local names = {}
  for name in pairs(props) do names[#names + 1] = name end
  if #names == 0 then return nil end
  local text = listing(body.type == "array"
      and "Record fields (--data, --file or --csv; every record is checked first, nothing is sent if one is invalid):"
      or "Body fields (--data or --file):", names,
    function(n) return type_text(props[n]) end)
  if item.required and #item.required > 0 then
    text = text .. "\n" .. options.wrap("Required: ", table.concat(item.required, ", "))
  end
  return text
end

local function add_id_arguments(cmd, op)
  for _, id in ipairs(op.ids) do
    local words = id.name:gsub("_", " ")
    if id.type == "string" then
      cmd:argument(id.name, "The " .. words .. " (text, e.g. an API client's UUID).")
        :convert(options.non_empty(id.name))
    else
      cmd:argument(id.name, "The " .. words .. " (a positive integer).")
        :convert(options.positive_integer(id.name))
    end
  end
end

-- `full`: the operation's arguments, options and epilog too (not only its name and summary).
local function add_v2_operation(parent, op, full)
  local entry = op.entry
  -- The summary goes in the parent's list of commands (in a narrow column); the
  -- description, with the path, heads the operation's own help.
  local cmd = command(parent, v2_tree.word(op.name),
    string.format("%s: %s %s.", v2_tree.describe(op), entry[1], entry[2]), op.path,
    function(result) result._v2_operation = result._v2_operation or op end)
  cmd:summary(string.format("%s (%s).", v2_tree.describe(op), entry[1]))
  if hidden_names then cmd:hidden_name(op.name) end -- the library's name is accepted too
  if not full then return end
  add_id_arguments(cmd, op)
  local epilog
  if op.kind == "list" or (op.kind == "get" and entry.query) then
    cmd:option("--filter", "NAME=VALUE: a query parameter of the operation (repeatable; see below).")
      :count("*"):convert(options.pair("--filter", "NAME=VALUE"))
    epilog = filters_epilog(entry.query)
  end
  if op.kind == "list" then
    options.add_output(cmd, { where = true })
    options.add_paging(cmd, "Records", { limit = true })
    options.add_dry_run(cmd, "Print the first list request instead of sending it.")
  elseif op.kind == "get" then
    options.add_output(cmd)
    options.add_dry_run(cmd, "Print the request instead of sending it.")
  else
    local csv_input = false
    if entry.body then
      local inputs = {
        cmd:option("--data", "The records as JSON: an array, or one object."),
        cmd:option("--file", "A JSON file (an array, or one object), or NDJSON (.ndjson, .jsonl: one record a line); - for stdin."),
      }
      if entry.body.type == "array" then
        csv_input = true
        inputs[3] = cmd:option("--csv", "A CSV file, one record a row under a header row of field names; cells are "
          .. "typed by the fields (integers, numbers, true/false, ';'-separated arrays, JSON objects); an empty cell "
          .. "is not sent; the ' qbench's CSV output puts before formula-like text is removed.")
      end
      cmd:mutex(table.unpack(inputs))
      epilog = body_epilog(entry.body)
    end
    options.add_output(cmd, { csv_input = csv_input })
    options.add_dry_run(cmd)
  end
  if epilog then cmd:epilog(epilog) end
end

-- The words of the command line below the library name `name`, when `rest` names
-- it by its word or by that name (see qbench.cli.parser's context.below).
local function named(rest, name)
  return words_below(rest, v2_tree.word(name), name)
end

-- `rest`: the words of the command line below `node`: only the word they name
-- is declared in full, the others by their name and summary (a level's --help
-- lists no more, and a word not on the command line is never parsed).
local function add_v2_node(parent, node, rest)
  for _, name in ipairs(node.order) do
    local item = node.words[name]
    local below = named(rest, name)
    if item.operation then
      add_v2_operation(parent, item, below ~= nil)
    else
      local cmd = command(parent, v2_tree.word(name),
        "The operations on " .. tostring(item.api_path) .. ".", item.path)
      cmd:summary("The operations on " .. v2_tree.word(name) .. ".")
      if hidden_names then cmd:hidden_name(name) end
      cmd:require_command(true)
      if below then add_v2_node(cmd, item, below) end
    end
  end
end

--- Adds the `v2` command to the parser `p`; when `context.full("v2")`, every
-- collection, and every word of the collection named on the command line
-- (`context.words[2]`), or of every collection with `context.complete` (which
-- also leaves out the hidden alternative names: the library's, with `_`).
function M.declare(p, context)
  hidden_names, words_below = not context.complete, context.below
  local v2 = command(p, "v2", "QBench's API v2: every operation of its OpenAPI description (doc/v2-operations.md), "
    .. "as 'qbench v2 COLLECTION [SUB-COLLECTION] VERB [IDS]', e.g. 'qbench v2 samples list', "
    .. "'qbench v2 customers contacts list 7', 'qbench v2 invoices sync 5'.", { "v2" })
  v2:command_target("collection")
  v2:require_command(true)
  local rest = context.below(context.words, "v2")
  if not rest then return end
  for _, name in ipairs(v2_tree.collections()) do
    local word = v2_tree.word(name)
    local cmd = command(v2, word, "The operations of the " .. word .. " collection.", { "v2", word })
    if hidden_names then cmd:hidden_name(name) end
    cmd:require_command(true)
    local below = named(rest, name)
    if below then add_v2_node(cmd, v2_tree.collection(name), below) end
  end
end

return M
