--- The `qbench customers ...` command line (v1 Customers), declared with
-- argparse. Values are checked and converted here, so the handlers receive
-- ids as integers and items as tables, and a bad value is a usage error.
-- @module qbench.cli.customers_parser
-- @local

local options = require "qbench.cli.options"

local M = {}

local command = options.command
local positive_integer, non_empty = options.positive_integer, options.non_empty
local add_dry_run, add_output, add_paging = options.add_dry_run, options.add_output, options.add_paging

local CONTACT_FLAGS = { "receive_email", "receive_invoice_email", "portal_user" }

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
  local base, discount = base_text and options.finite_number(base_text), discount_text and options.finite_number(discount_text)
  if not (id and base and discount) then
    return nil, string.format("--item wants ID:BASE_PRICE:DISCOUNT with numbers, got '%s'", s)
  end
  return { id = id, base_price = base, discount = discount }
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
    cmd:option("--add-tag", "Add this tag, keeping the others (repeatable; reads the customer first).")
      :count("*"):convert(non_empty("--add-tag"))
    cmd:option("--remove-tag", "Remove this tag, keeping the others (repeatable; reads the customer first).")
      :count("*"):convert(non_empty("--remove-tag"))
  end
  add_dry_run(cmd)
end

-- `rest`: the words of the command line below `parent`; `below`: the parser context's.
local function add_discounts(parent, kind, rest, below)
  local noun = kind:gsub("^%l", string.upper)
  local words = { "customers", kind .. "-discounts" }
  local group = command(parent, kind .. "-discounts", noun .. " discounts of a customer.", words)
  group:command_target("discount_action")
  group:require_command(true)
  rest = below(rest, kind .. "-discounts")
  if not rest then return end
  for _, verb in ipairs { "create", "update" } do
    local cmd = command(group, verb, string.format("%s %s discounts (%s).", verb == "create" and "Create" or "Update",
      kind, verb == "create" and "POST" or "PATCH"), { "customers", kind .. "-discounts", verb })
    if below(rest, verb) then
      cmd:argument("id", "Customer id."):convert(positive_integer("id"))
      cmd:option("--item", string.format("%s_ID:BASE_PRICE:DISCOUNT, e.g. 3:100:20 (repeatable).", kind:upper()))
        :count("1+"):convert(discount_item)
      add_dry_run(cmd)
    end
  end
  local del = command(group, "delete", string.format("Delete %s discounts by %s id.", kind, kind),
    { "customers", kind .. "-discounts", "delete" })
  if below(rest, "delete") then
    del:argument("id", "Customer id."):convert(positive_integer("id"))
    del:argument(kind .. "_ids", noun .. " ids."):args("+"):convert(positive_integer(kind .. " id"))
    add_dry_run(del)
  end
end

--- Declares `customers` under the parser `p`; its subcommands are declared in
-- full when named on the command line (see qbench.cli.parser's `context.below`).
function M.declare(p, context)
  local customers = command(p, "customers", "The v1 Customers endpoints.", { "customers" })
  customers:command_target("action")
  customers:require_command(true)
  local below = context.below
  local rest = below(context.words, "customers")
  if not rest then return end

  local list = command(customers, "list", "Every customer, page by page, to stdout.", { "customers", "list" })
  if below(rest, "list") then
    add_output(list, { where = true })
    add_paging(list, "Customers", { limit = true })
    add_dry_run(list, "Print the first list request instead of sending it.")
  end

  local get = command(customers, "get", "One customer.", { "customers", "get" })
  if below(rest, "get") then
    get:argument("id", "Customer id."):convert(positive_integer("id"))
    add_output(get)
    add_dry_run(get, "Print the request instead of sending it.")
  end

  local create = command(customers, "create", "Create a customer; prints its new id.", { "customers", "create" })
  if below(rest, "create") then
    create:option("--name", "The customer's name (required)."):count(1)
    add_customer_fields(create, false)
  end

  local update = command(customers, "update", "Change fields of a customer. --add-tag and --remove-tag "
    .. "read the customer, change its tags and write them back, reporting the change on stderr "
    .. "(nothing is written when nothing changes).", { "customers", "update" })
  if below(rest, "update") then
    update:argument("id", "Customer id."):convert(positive_integer("id"))
    update:option("--name", "The customer's new name.")
    add_customer_fields(update, true)
  end

  local tag = command(customers, "tag", "Add and remove tags on every customer that matches: one line per "
    .. "changed customer and a summary on stderr; a failure never stops the others (exit 1 if any failed).",
    { "customers", "tag" })
  if below(rest, "tag") then
    tag:option("--match", "FIELD~LUA_PATTERN or FIELD=VALUE, e.g. 'customer_name~^ACME' (repeatable, every one must hold).")
      :count("1+")
    tag:option("--add-tag", "A tag to add (repeatable)."):count("*"):convert(non_empty("--add-tag"))
    tag:option("--remove-tag", "A tag to remove (repeatable)."):count("*"):convert(non_empty("--remove-tag"))
    add_paging(tag, "Customers")
    add_dry_run(tag, "List for real, but print the writes (METHOD /path, then the JSON body) instead of sending them.")
  end

  local import = command(customers, "import", "Create one customer per row of a CSV file whose header row names "
    .. "the fields (customer_name is required; tags are split on ';'; contact_ids link contacts; an empty cell "
    .. "is not sent; id, deleted, date_created and last_updated are skipped). Reports each row on stderr; a "
    .. "failing row never stops the others (exit 1 if any failed).", { "customers", "import" })
  if below(rest, "import") then
    import:argument("file", "The CSV file (RFC 4180, UTF-8), or - for stdin.")
    import:flag("--csv-raw", "Take the cells as they are. Without it, the ' that qbench's CSV output puts "
      .. "before text starting like a formula (=, +, -, @, TAB, CR) is removed, so an export imports exactly.")
    add_dry_run(import, "Print the requests (METHOD /path, then the JSON body) instead of sending them; "
      .. "every row is checked and reported as in a real run.")
  end

  local delete = command(customers, "delete", "Delete a customer.", { "customers", "delete" })
  if below(rest, "delete") then
    delete:argument("id", "Customer id."):convert(positive_integer("id"))
    add_dry_run(delete)
  end

  local contacts = command(customers, "contacts", "Link and unlink contacts.", { "customers", "contacts" })
  contacts:command_target("contacts_action")
  contacts:require_command(true)
  local contacts_rest = below(rest, "contacts")
  if contacts_rest then
    local add = command(contacts, "add", "Link contacts, setting their flags: the flags named become true, "
      .. "the others false.", { "customers", "contacts", "add" })
    if below(contacts_rest, "add") then
      add:argument("id", "Customer id."):convert(positive_integer("id"))
      add:option("--contact", "CID[:FLAG,...] with FLAG among " .. table.concat(CONTACT_FLAGS, ", ")
        .. ", e.g. 3:receive_email,portal_user (repeatable).")
        :count("1+"):convert(contact_spec)
      add_dry_run(add)
    end
    local remove = command(contacts, "remove", "Unlink a contact.", { "customers", "contacts", "remove" })
    if below(contacts_rest, "remove") then
      remove:argument("id", "Customer id."):convert(positive_integer("id"))
      remove:argument("contact_id", "Contact id."):convert(positive_integer("contact id"))
      add_dry_run(remove)
    end
  end

  add_discounts(customers, "assay", rest, below)
  add_discounts(customers, "panel", rest, below)
end

return M
