--- The command line of `qbench`, declared with argparse. Values are checked
-- and converted here, so the commands receive ids as integers and items as
-- tables, and a bad value is a usage error (exit status 2).
-- @module qbench.cli.parser

local argparse = require "argparse"
local format = require "qbench.cli.format"

local M = {}

local CONTACT_FLAGS = { "receive_email", "receive_invoice_email", "portal_user" }

local function positive_integer(what)
  return function(s)
    local n = s:match("^%d+$") and math.tointeger(tonumber(s))
    if not n or n < 1 then return nil, string.format("%s must be a positive integer, got '%s'", what, s) end
    return n
  end
end

local function integer_in(what, lo, hi)
  return function(s)
    local n = s:match("^%d+$") and math.tointeger(tonumber(s))
    if not n or n < lo or n > hi then
      return nil, string.format("%s must be an integer from %d to %d, got '%s'", what, lo, hi, s)
    end
    return n
  end
end

local function finite_number(s)
  local n = tonumber(s)
  if not n or n ~= n or n == math.huge or n == -math.huge or not s:match("^[%d.+-][%deE.+-]*$") then return nil end
  return math.tointeger(n) or n
end

-- "3" or "3:receive_email,portal_user": the flags named become true, the others false.
local function contact_spec(s)
  local id_text, flags_text = s:match("^(%d+):(.*)$")
  id_text = id_text or s
  local id = positive_integer("contact id")(id_text)
  if not id then return nil, string.format("--contact wants CID[:FLAG,...], got '%s'", s) end
  local flags = {}
  for _, name in ipairs(CONTACT_FLAGS) do flags[name] = false end
  for name in (flags_text or ""):gmatch("[^,]+") do
    if flags[name] == nil then
      return nil, string.format("unknown contact flag '%s' (%s)", name, table.concat(CONTACT_FLAGS, ", "))
    end
    flags[name] = true
  end
  return { id = id, flags = flags }
end

-- "ID:BASE:DISCOUNT", e.g. 3:100:12.5
local function discount_item(s)
  local id_text, base_text, discount_text = s:match("^([^:]+):([^:]+):([^:]+)$")
  local id = id_text and positive_integer("id")(id_text)
  local base, discount = base_text and finite_number(base_text), discount_text and finite_number(discount_text)
  if not (id and base and discount) then
    return nil, string.format("--item wants ID:BASE_PRICE:DISCOUNT with numbers, got '%s'", s)
  end
  return { id = id, base_price = base, discount = discount }
end

local function query_pair(s)
  local k, v = s:match("^([^=]+)=(.*)$")
  if not k then return nil, string.format("--query wants KEY=VALUE, got '%s'", s) end
  return { key = k, value = v }
end

local function add_format(cmd, default)
  cmd:option("--format", "Output format: " .. table.concat(format.NAMES, ", ") .. ".", default)
    :choices(format.NAMES)
end

local function add_dry_run(cmd)
  cmd:flag("--dry-run", "Print the request (method, path, JSON body) instead of sending it.")
end

--- The customer fields `create` and `update` set from options of the same name.
M.STRING_FIELDS = {
  { option = "phone", field = "phone" }, { option = "fax", field = "fax" },
  { option = "email", field = "email" }, { option = "address", field = "address" },
  { option = "comments", field = "comments" },
}

local function add_customer_fields(cmd, updating)
  cmd:option("--tag", updating and "Replace the tags with these (repeatable)." or "A tag (repeatable).")
    :count("*")
  cmd:option("--contact", updating and "Replace the linked contacts with these contact ids (repeatable)."
    or "Link an existing contact by id (repeatable).")
    :count("*"):convert(positive_integer("contact id"))
  for _, f in ipairs(M.STRING_FIELDS) do
    cmd:option("--" .. f.option, "The customer's " .. f.field .. ".")
    if updating then cmd:flag("--clear-" .. f.option, "Clear the " .. f.field .. " (send null).") end
  end
  if updating then
    cmd:flag("--clear-tags", "Remove every tag.")

  end
  add_dry_run(cmd)
end

local function add_discounts(parent, kind)
  local noun = kind:gsub("^%l", string.upper)
  local group = parent:command(kind .. "-discounts", noun .. " discounts of a customer.")
  group:command_target("discount_action")
  group:require_command(true)
  for _, verb in ipairs { "create", "update" } do
    local cmd = group:command(verb, string.format("%s %s discounts (%s).", verb == "create" and "Create" or "Update",
      kind, verb == "create" and "POST" or "PATCH"))
    cmd:argument("id", "Customer id."):convert(positive_integer("id"))
    cmd:option("--item", string.format("%s_ID:BASE_PRICE:DISCOUNT, e.g. 3:100:20 (repeatable).", kind:upper()))
      :count("1+"):convert(discount_item)
    add_dry_run(cmd)
  end
  local del = group:command("delete", string.format("Delete %s discounts by %s id.", kind, kind))
  del:argument("id", "Customer id."):convert(positive_integer("id"))
  del:argument(kind .. "_ids", noun .. " ids."):args("+"):convert(positive_integer(kind .. " id"))
  add_dry_run(del)
end

--- Builds the parser. The root's error handler is replaced by the caller.
-- @treturn table the argparse parser
function M.new()
  local p = argparse("qbench", "Command-line client for the QBench LIMS REST API.")
    :epilog([[
Configuration: --url and --token, else the environment: QBENCH_URL, QBENCH_TOKEN
(or QBENCH_CLIENT_ID and QBENCH_CLIENT_SECRET for OAuth). Prefer the environment
for secrets: a command line is visible to other users. Secrets are never printed.

Exit status: 0 success, 1 API or network failure (one line on stderr), 2 usage error.]])
  p:option("--url", "The QBench instance, e.g. https://lab.qbench.net (default $QBENCH_URL).")
  p:option("--token", "A bearer token (default $QBENCH_TOKEN).")
  p:option("--timeout", "Seconds allowed for each call (default 60).")
    :convert(integer_in("--timeout", 1, 86400))
  p:option("--retries", "Tries after a transient failure, 0 to 10 (default: the library's, 3).")
    :convert(integer_in("--retries", 0, 10))
  p:command_target("command")
  p:require_command(true)

  local customers = p:command("customers", "The Customers endpoints.")
  customers:command_target("action")
  customers:require_command(true)

  local list = customers:command("list", "Every customer, page by page, to stdout.")
  add_format(list, "json")
  list:option("--page-size", "Customers per request, 1 to 50.", "50"):convert(integer_in("--page-size", 1, 50))
  list:option("--concurrency", "Pages fetched at once, 1 to 10 (default: the library's). A library "
    .. "without concurrent listing fetches pages one by one, with a note on stderr.")
    :convert(integer_in("--concurrency", 1, 10))
  list:flag("--no-progress", "No progress line, even on a terminal.")

  local get = customers:command("get", "One customer.")
  get:argument("id", "Customer id."):convert(positive_integer("id"))
  add_format(get, "json")

  local create = customers:command("create", "Create a customer; prints its new id.")
  create:option("--name", "The customer's name (required)."):count(1)
  add_customer_fields(create, false)

  local update = customers:command("update", "Change fields of a customer.")
  update:argument("id", "Customer id."):convert(positive_integer("id"))
  update:option("--name", "The customer's new name.")
  add_customer_fields(update, true)

  local delete = customers:command("delete", "Delete a customer.")
  delete:argument("id", "Customer id."):convert(positive_integer("id"))
  add_dry_run(delete)

  local contacts = customers:command("contacts", "Link and unlink contacts.")
  contacts:command_target("contacts_action")
  contacts:require_command(true)
  local add = contacts:command("add", "Link contacts, setting their flags: the flags named become true, "
    .. "the others false.")
  add:argument("id", "Customer id."):convert(positive_integer("id"))
  add:option("--contact", "CID[:FLAG,...] with FLAG among " .. table.concat(CONTACT_FLAGS, ", ")
    .. ", e.g. 3:receive_email,portal_user (repeatable).")
    :count("1+"):convert(contact_spec)
  add_dry_run(add)
  local remove = contacts:command("remove", "Unlink a contact.")
  remove:argument("id", "Customer id."):convert(positive_integer("id"))
  remove:argument("contact_id", "Contact id."):convert(positive_integer("contact id"))
  add_dry_run(remove)

  add_discounts(customers, "assay")
  add_discounts(customers, "panel")

  local request = p:command("request", "Any endpoint; prints the JSON answer.")
  request:argument("method", "GET, POST, PUT, PATCH, DELETE, ...")
    :convert(function(s)
      if not s:match("^%a+$") then return nil, "METHOD must be an HTTP method name, got '" .. s .. "'" end
      return s:upper()
    end)
  request:argument("path", "Under /qbench/api/v1/ (e.g. customer/3), or from the instance root when it starts with /.")
  request:option("--query", "KEY=VALUE, percent-encoded for you (repeatable; a repeated key is sent repeated).")
    :count("*"):convert(query_pair)
  request:option("--data", "A JSON body, or @FILE to read it from a file (@- for stdin).")
  add_dry_run(request)
  return p
end

return M
