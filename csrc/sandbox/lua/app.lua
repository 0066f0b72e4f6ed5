-- The sandbox's behaviour: routing, auth, validation, limits, faults and the
-- control endpoints. The C host calls the handler returned by init() once
-- per complete request, under a lock:
--   handler(method, path, query, headers, body, inflight, remote_port)
--     -> status, body, content_type, headers ({name, value, ...} or nil),
--        action (nil | "drop" | "truncate"), delay_ms
-- `headers` has lower-case names; `inflight` counts the other API requests
-- being answered right now; `remote_port` is the client's TCP port.
--
-- Order of checks for an API request (anything outside /_sandbox/):
--   log it -> fault (if a rule matches) -> concurrency limit -> rate limit
--   -> route (404 / 405) -> bearer token (401) -> Content-Type and JSON
--   body (400) -> the endpoint (its own 400 / 404).
-- Faults: "drop", "garbage", "html", "NNN" and "429[:S]" answer instead of
-- the endpoint (nothing is carried out); "stall:MS" and "truncate" carry
-- the request out, then answer late or cut short; "ok" answers normally;
-- "lua-error" raises an error in the app (the host answers 500).
-- Faulted requests are logged but do not count against the limits.
--
-- Control endpoints (no token, never logged, never faulted or limited):
--   GET    /_sandbox/requests  -> [{method, path, query, headers, body, remote_port}]
--   POST   /_sandbox/reset     optional {"customers": N, "seed": S, "total_pages": "number"|"null"|"missing"}
--   POST   /_sandbox/faults    {"match": "METHOD /path*", "sequence": [...]}
--   DELETE /_sandbox/faults
local native = require "sandbox.native"
local json = require "sandbox.json"
local Store = require "sandbox.store"
local oauth = require "sandbox.oauth"

local null = json.null
local encode, decode = json.encode, json.decode
local JSON = "application/json"
local API = "/qbench/api/v1/"

local M = {}

local cfg            -- the command line, from C
local store          -- Store
local tokens = {}    -- issued access token -> monotonic expiry
local log, log_first, log_last = {}, 1, 0
local faults = {}    -- { {method=, pattern=, with_query=, seq=, pos=} ... }
local window_start, window_count = -math.huge, 0
local static_auth    -- "Bearer <token>", the common case compared in one go
-- How list answers give total_pages: "number" (the documented way), or
-- "null" / "missing" as some QBench resources do, for clients' fallbacks.
local total_pages_mode = "number"

-- ---------------------------------------------------------------- helpers

local function message(status, text, headers)
  return status, encode { message = text }, headers
end

local OK = encode { message = "OK" }

local function is_int(v) return math.type(v) == "integer" end
local function is_num(v) return type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge end
local function is_object(v) return type(v) == "table" and v[1] == nil end

-- A table decoded from a JSON array (or an empty one: {} and [] decode alike).
local function is_array(v)
  if type(v) ~= "table" then return false end
  local n = 0
  for _ in pairs(v) do n = n + 1 end
  return n == #v
end

local function urldecode(s)
  s = s:gsub("+", " ")
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

-- All values of `key` in a raw query string, in order.
local function query_values(query, key)
  local out = {}
  if query == "" then return out end
  for pair in query:gmatch("[^&]+") do
    local k, v = pair:match("^([^=]*)=?(.*)$")
    if urldecode(k) == key then out[#out + 1] = urldecode(v) end
  end
  return out
end

-- ---------------------------------------------------------------- log

local function log_request(method, path, query, headers, body, remote_port)
  if cfg.log_limit <= 0 then return end
  log_last = log_last + 1
  log[log_last] = { method = method, path = path, query = query, headers = headers, body = body,
    remote_port = remote_port }
  if log_last - log_first + 1 > cfg.log_limit then
    log[log_first] = nil
    log_first = log_first + 1
  end
end

local function log_json()
  local out = {}
  for i = log_first, log_last do
    local e = log[i]
    if getmetatable(e.headers) == nil then json.object(e.headers) end
    out[#out + 1] = e
  end
  return encode(json.array(out))
end

-- ---------------------------------------------------------------- faults

local function glob(p)
  return "^" .. p:gsub("[%^%$%(%)%%%.%[%]%+%-%?]", "%%%0"):gsub("%*", ".*") .. "$"
end

local REASONS = {
  [400] = "Bad Request", [401] = "Unauthorized", [403] = "Forbidden", [404] = "Not Found",
  [408] = "Request Timeout", [409] = "Conflict", [429] = "Too Many Requests",
  [500] = "Internal Server Error", [502] = "Bad Gateway", [503] = "Service Unavailable",
  [504] = "Gateway Timeout",
}

-- Hostile 200 answers for the client's hardening specs ("json:NAME"); "big:N"
-- (N bytes of a JSON array, streamed by the host) and "deep:N" (arrays
-- nested N deep) are sized in the fault itself.
local HOSTILE = {
  ["json:bad-utf8"] = '{"id": 1, "customer_name": "\xff\xfe bad \xc0\xaf utf-8 \xed\xa0\x80"}',
  ["json:nul"] = '{"id": 1, "customer_name": "a\\u0000b", "comments": "c\0d"}',
  ["json:huge-numbers"] = '{"id": 1, "big": 123456789012345678901234567890, "huge": 1e400, '
    .. '"tiny": 1e-400, "past53": 9007199254740993, "minint": -9223372036854775808, "negzero": -0}',
  ["json:duplicate-keys"] = '{"id": 1, "id": 2, "customer_name": "first", "customer_name": "second"}',
}
local HOSTILE_NAMES = "bad-utf8, nul, huge-numbers, duplicate-keys"

-- Validates one sequence entry; returns nil or an error text.
local function check_fault(entry)
  if type(entry) ~= "string" then return "sequence entries must be strings" end
  if entry == "ok" or entry == "drop" or entry == "truncate" or entry == "garbage"
    or entry == "html" or entry == "lua-error" then return nil end
  if entry:match("^stall:%d+$") then return nil end
  if entry:match("^429:%d+$") then return nil end
  if entry == "400:invalid_grant" or entry == "400:header_format" then return nil end
  if HOSTILE[entry] then return nil end
  local n = tonumber(entry:match("^big:(%d+)$") or entry:match("^deep:(%d+)$"))
  if n then
    if entry:sub(1, 4) == "big:" and n <= 1 << 40 then return nil end
    if entry:sub(1, 5) == "deep:" and n <= 10000000 then return nil end
    return "fault '" .. entry .. "' is too large (big: up to 2^40 bytes, deep: up to 10000000 levels)"
  end
  local code = tonumber(entry:match("^(%d%d%d)$"))
  if code and code >= 200 and code <= 599 then return nil end
  return "unknown fault '" .. entry .. "' (ok, drop, truncate, garbage, html, stall:MS, NNN, 429:SECONDS, 400:invalid_grant, 400:header_format, big:BYTES, deep:LEVELS, json:"
    .. HOSTILE_NAMES .. ")"
end

local function next_fault(method, path, query)
  for i, f in ipairs(faults) do
    if (f.method == "*" or f.method == method) then
      local subject = path
      if f.with_query and query ~= "" then subject = path .. "?" .. query end
      if subject:match(f.pattern) then
        local entry = f.seq[f.pos]
        f.pos = f.pos + 1
        if f.pos > #f.seq then table.remove(faults, i) end
        return entry
      end
    end
  end
  return nil
end

local GARBAGE = '{"total_count": 75, "data": [{"id": 1, "customer_name": "Exa<<garbage>>'
local HTML_502 = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
  .. "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"

-- ---------------------------------------------------------------- validation

-- Reads optional string-or-null fields of a customer body into `out`.
local STRING_FIELDS = { "address", "phone", "fax", "comments", "email" }

local function check_customer_fields(body, out, creating)
  local name = body.customer_name
  if name == nil then
    if creating then return "customer_name is required" end
  elseif type(name) ~= "string" or not name:match("%S") then
    return "customer_name must be a non-empty string"
  else
    out.customer_name = name
  end
  for _, k in ipairs(STRING_FIELDS) do
    local v = body[k]
    if v ~= nil then
      if v ~= null and type(v) ~= "string" then return k .. " must be a string or null" end
      out[k] = v
    end
  end
  local tags = body.tags
  if tags ~= nil then
    if tags == null then tags = {} end
    if not is_array(tags) then return "tags must be an array of strings" end
    for i, t in ipairs(tags) do
      if type(t) ~= "string" then return string.format("tags[%d] must be a string", i) end
    end
    out.tags = tags
  end
  return nil
end

-- contacts: [{id = <existing contact>, first_name = ..., ...}]
local CONTACT_STRINGS = { first_name = true, last_name = true, email_address = true }

local function check_contacts_list(contacts)
  if not is_array(contacts) then return nil, "contacts must be an array of contact objects" end
  for i, ct in ipairs(contacts) do
    if not is_object(ct) then return nil, string.format("contacts[%d] must be an object", i) end
    if ct.id == nil then return nil, string.format("contacts[%d].id is required", i) end
    if not is_int(ct.id) then return nil, string.format("contacts[%d].id must be an integer", i) end
    if not store.contacts[ct.id] then
      return nil, string.format("contacts[%d].id: contact %d does not exist", i, ct.id)
    end
    for k, v in pairs(ct) do
      if CONTACT_STRINGS[k] and v ~= null and type(v) ~= "string" then
        return nil, string.format("contacts[%d].%s must be a string or null", i, k)
      end
    end
  end
  return contacts
end

-- Applies contact field updates and replaces the customer's contact links,
-- keeping the flags of contacts that stay linked.
local function apply_contacts(c, contacts)
  local old = {}
  for _, link in ipairs(c.contacts) do old[link.contact_id] = link end
  local links, seen = {}, {}
  for _, ct in ipairs(contacts) do
    local target = store.contacts[ct.id]
    for k, v in pairs(ct) do
      if k ~= "id" then target[k] = v end
    end
    if not seen[ct.id] then
      seen[ct.id] = true
      links[#links + 1] = old[ct.id] or { contact_id = ct.id, receive_email = false,
        receive_invoice_email = false, portal_user = false }
    end
  end
  c.contacts = links
end

local function apply_fields(c, fields)
  for k, v in pairs(fields) do c[k] = v end
end

-- ---------------------------------------------------------------- handlers

local handlers = {}

function handlers.get_customer(id)
  local s = store:encoded(id)
  if not s then return message(404, "customer " .. id .. " not found") end
  return 200, s
end

function handlers.list_customers(query)
  local page_num, page_size = 1, 50
  local v = query_values(query, "page_num")[1]
  if v ~= nil then
    page_num = v:match("^%d+$") and math.tointeger(tonumber(v))
    if not page_num or page_num < 1 then
      return message(400, "page_num must be an integer >= 1")
    end
  end
  v = query_values(query, "page_size")[1]
  if v ~= nil then
    page_size = v:match("^%d+$") and math.tointeger(tonumber(v))
    if not page_size or page_size < 1 or page_size > 50 then
      return message(400, "page_size must be an integer from 1 to 50")
    end
  end
  local total = store:count()
  local parts = {}
  for i, id in ipairs(store:page(page_num, page_size)) do parts[i] = store:encoded(id) end
  local pages = total_pages_mode == "number" and tostring((total + page_size - 1) // page_size) or "null"
  if total_pages_mode == "missing" then
    return 200, string.format('{"total_count":%d,"data":[%s]}', total, table.concat(parts, ","))
  end
  return 200, string.format('{"total_count":%d,"total_pages":%s,"data":[%s]}', total, pages, table.concat(parts, ","))
end

-- The fields and contacts of a create or update body, checked: fields, contacts | nil, error text.
local function customer_changes(body, creating)
  local fields = {}
  local err = check_customer_fields(body, fields, creating)
  if err then return nil, err end
  local contacts
  if body.contacts ~= nil then
    contacts, err = check_contacts_list(body.contacts)
    if err then return nil, err end
  end
  return fields, contacts
end

function handlers.create_customer(body)
  local fields, contacts = customer_changes(body, true)
  if not fields then return message(400, contacts) end
  local c = store:create(fields)
  apply_fields(c, fields)
  if contacts then apply_contacts(c, contacts) end
  store:touch()
  return 200, encode { id = c.id }
end

function handlers.update_customer(id, body)
  local c = store:get(id)
  if not c then return message(404, "customer " .. id .. " not found") end
  local fields, contacts = customer_changes(body, false)
  if not fields then return message(400, contacts) end
  apply_fields(c, fields)
  if contacts then apply_contacts(c, contacts) end
  store:touch(c)
  return 200, OK
end

function handlers.delete_customer(id)
  if not store:get(id) then return message(404, "customer " .. id .. " not found") end
  store:delete(id)
  return 200, OK
end

-- Checks {"id": <customer>} and returns the customer or an error answer.
local function body_customer(body)
  if body.id == nil then return nil, message(400, "id is required") end
  if not is_int(body.id) then return nil, message(400, "id must be an integer") end
  local c = store:get(body.id)
  if not c then return nil, message(404, "customer " .. body.id .. " not found") end
  return c
end

local CONTACT_FLAGS = { receive_email = true, receive_invoice_email = true, portal_user = true }

function handlers.add_contacts(body)
  local c, s, b = body_customer(body)
  if not c then return s, b end
  local contacts = body.contacts
  if contacts == nil then return message(400, "contacts is required") end
  if type(contacts) ~= "table" or next(contacts) == nil then
    return message(400, "contacts must be a non-empty object keyed by contact id")
  end
  local ids = {}
  for key, flags in pairs(contacts) do
    local cid = type(key) == "string" and key:match("^%d+$") and math.tointeger(tonumber(key))
    if not cid then
      return message(400, "contacts must be an object keyed by contact id (got key "
        .. tostring(key) .. ")")
    end
    if not store.contacts[cid] then
      return message(400, string.format("contacts.%s: contact %d does not exist", key, cid))
    end
    if not is_object(flags) then
      return message(400, string.format("contacts.%s must be an object of flags", key))
    end
    for name, v in pairs(flags) do
      if not CONTACT_FLAGS[name] then
        return message(400, string.format(
          "contacts.%s.%s is not a contact flag (receive_email, receive_invoice_email, portal_user)",
          key, tostring(name)))
      end
      if type(v) ~= "boolean" then
        return message(400, string.format("contacts.%s.%s must be a boolean", key, name))
      end
    end
    ids[#ids + 1] = { cid = cid, flags = flags }
  end
  table.sort(ids, function(x, y) return x.cid < y.cid end)
  for _, e in ipairs(ids) do
    local cid, flags = e.cid, e.flags
    local link
    for _, l in ipairs(c.contacts) do
      if l.contact_id == cid then link = l end
    end
    if not link then
      link = { contact_id = cid, receive_email = false, receive_invoice_email = false,
        portal_user = false }
      c.contacts[#c.contacts + 1] = link
    end
    for name, v in pairs(flags) do link[name] = v end
  end
  store:touch(c)
  return 200, OK
end

function handlers.remove_contact(body)
  local c, s, b = body_customer(body)
  if not c then return s, b end
  local cid = body.contact_id
  if cid == nil then return message(400, "contact_id is required") end
  if not is_int(cid) then return message(400, "contact_id must be an integer") end
  for i, link in ipairs(c.contacts) do
    if link.contact_id == cid then
      table.remove(c.contacts, i)
      store:touch(c)
      return 200, OK
    end
  end
  return message(400, string.format("contact_id: contact %d is not a contact of customer %d", cid, c.id))
end

-- Assay and panel discounts share one implementation.
local KINDS = {
  assays = { list = "assay_discounts", key = "assay_id", ids = "assay_ids", field = "assays",
    noun = "assay", catalog = "assays" },
  panels = { list = "panel_discounts", key = "panel_id", ids = "panel_ids", field = "panels",
    noun = "panel", catalog = "panels" },
}

local function find_discount(items, item_id)
  for i, d in ipairs(items) do
    if d.item_id == item_id then return d, i end
  end
end

function handlers.discounts(method, id, kind, query, body)
  local k = KINDS[kind]
  local c = store:get(id)
  if not c then return message(404, "customer " .. id .. " not found") end
  local items = c[k.field]

  if method == "DELETE" then
    local raw = query_values(query, k.ids)
    if #raw == 0 then return message(400, k.ids .. " is required") end
    local del = {}
    for i, v in ipairs(raw) do
      local n = v:match("^%d+$") and math.tointeger(tonumber(v))
      if not n then return message(400, string.format("%s[%d] must be an integer", k.ids, i)) end
      if not find_discount(items, n) then
        return message(400, string.format("%s: customer %d has no discount for %s %d",
          k.ids, id, k.noun, n))
      end
      del[n] = true
    end
    local keep = {}
    for _, d in ipairs(items) do
      if not del[d.item_id] then keep[#keep + 1] = d end
    end
    c[k.field] = keep
    store:touch(c)
    return 200, OK
  end

  local list = body[k.list]
  if list == nil then return message(400, k.list .. " is required") end
  if not is_array(list) or #list == 0 then
    return message(400, k.list .. " must be a non-empty array")
  end
  local seen = {}
  for i, d in ipairs(list) do
    local where = string.format("%s[%d]", k.list, i)
    if not is_object(d) then return message(400, where .. " must be an object") end
    local item_id = d[k.key]
    if item_id == nil then return message(400, where .. "." .. k.key .. " is required") end
    if not is_int(item_id) then return message(400, where .. "." .. k.key .. " must be an integer") end
    if not store[k.catalog][item_id] then
      return message(400, string.format("%s.%s: %s %d does not exist", where, k.key, k.noun, item_id))
    end
    if seen[item_id] then
      return message(400, string.format("%s.%s: %s %d appears twice", where, k.key, k.noun, item_id))
    end
    seen[item_id] = true
    local exists = find_discount(items, item_id) ~= nil
    if method == "POST" and exists then
      return message(400, string.format("%s.%s: customer %d already has a discount for %s %d (use PATCH)",
        where, k.key, id, k.noun, item_id))
    elseif method == "PATCH" and not exists then
      return message(400, string.format("%s.%s: customer %d has no discount for %s %d (use POST)",
        where, k.key, id, k.noun, item_id))
    end
    for _, f in ipairs { "base_price", "discount" } do
      local v = d[f]
      if v == nil and method == "POST" then return message(400, where .. "." .. f .. " is required") end
      if v ~= nil and not is_num(v) then return message(400, where .. "." .. f .. " must be a number") end
    end
  end
  for _, d in ipairs(list) do
    local item_id = d[k.key]
    local cur = find_discount(items, item_id)
    if not cur then
      cur = { item_id = item_id }
      items[#items + 1] = cur
    end
    if d.base_price ~= nil then cur.base_price = d.base_price end
    if d.discount ~= nil then cur.discount = d.discount end
  end
  table.sort(items, function(a, b) return a.item_id < b.item_id end)
  store:touch(c)
  return 200, OK
end

-- ---------------------------------------------------------------- routing

-- Methods each route answers; others get 405 with this Allow header.
local ROUTES = {
  customer_list = { GET = true, POST = true, allow = "GET, POST" },
  customer_one = { GET = true, PUT = true, DELETE = true, allow = "GET, PUT, DELETE" },
  contacts_add = { POST = true, allow = "POST" },
  contact_remove = { POST = true, allow = "POST" },
  discounts = { POST = true, PATCH = true, DELETE = true, allow = "POST, PATCH, DELETE" },
  token = { POST = true, allow = "POST" },
}

-- Returns the route's name, the customer id in the path and the discount
-- kind, or nil for an unknown path.
local function route(path)
  if path:sub(1, #API) == API then
    local rest = path:sub(#API + 1)
    if rest == "customer" then return "customer_list" end
    local id = rest:match("^customer/(%d+)$")
    if id then return "customer_one", math.tointeger(tonumber(id)) end
    if rest == "customer/contacts/add" then return "contacts_add" end
    if rest == "customer/contact/remove" then return "contact_remove" end
    local kind
    id, kind = rest:match("^customer/(%d+)/(%a+)$")
    if id and (kind == "assays" or kind == "panels") then
      return "discounts", math.tointeger(tonumber(id)), kind
    end
  elseif path == "/qbench/oauth2/v1/token" and cfg.client_id then
    return "token"
  end
  return nil
end

local function authorized(headers)
  local auth = headers.authorization
  if auth == nil then return false, "Authorization header is missing" end
  if auth == static_auth then return true end
  local scheme, token = auth:match("^(%S+)%s+(%S+)%s*$")
  if not scheme or scheme:lower() ~= "bearer" then
    return false, "Invalid Authorization header format (expected 'Bearer <token>')"
  end
  if token == cfg.token then return true end
  local expiry = tokens[token]
  if expiry == nil then return false, "The access token is invalid" end
  if expiry <= native.monotonic() then
    tokens[token] = nil
    return false, "The access token has expired"
  end
  return true
end

local UNAUTHORIZED_HEADERS = { "WWW-Authenticate", 'Bearer error="invalid_token"' }

local function parse_json_body(headers, body)
  local ctype = headers["content-type"]
  if not ctype or not ctype:lower():match("^application/json%s*;?") then
    return nil, message(400, "Content-Type must be application/json")
  end
  local v, err = decode(body)
  if v == nil then return nil, message(400, "request body is not valid JSON: " .. tostring(err)) end
  if type(v) ~= "table" or not body:match("^%s*{") then
    return nil, message(400, "request body must be a JSON object")
  end
  return v
end

-- The API proper, after faults and limits.
local function api(method, path, query, headers, body)
  local name, id, kind = route(path)
  if not name then return message(404, "no such endpoint: " .. path) end
  local r = ROUTES[name]
  if not r[method] then
    return message(405, "method " .. method .. " is not allowed on " .. path, { "Allow", r.allow })
  end
  if name == "token" then return oauth.token(cfg, tokens, headers, body) end

  local ok, why = authorized(headers)
  if not ok then
    return 401, encode { error = "invalid_token", error_description = why }, UNAUTHORIZED_HEADERS
  end

  if name == "customer_one" and method == "GET" then return handlers.get_customer(id) end
  if name == "customer_list" and method == "GET" then return handlers.list_customers(query) end
  if method == "DELETE" then
    if name == "customer_one" then return handlers.delete_customer(id) end
    return handlers.discounts(method, id, kind, query, nil)
  end

  local b, s, eb, eh = parse_json_body(headers, body)
  if not b then return s, eb, eh end
  if name == "customer_list" then return handlers.create_customer(b) end
  if name == "customer_one" then return handlers.update_customer(id, b) end
  if name == "contacts_add" then return handlers.add_contacts(b) end
  if name == "contact_remove" then return handlers.remove_contact(b) end
  return handlers.discounts(method, id, kind, query, b)
end

-- ---------------------------------------------------------------- control

local function reset(opts)
  opts = opts or {}
  store = Store.new(opts.customers or cfg.customers, opts.seed or cfg.seed)
  total_pages_mode = opts.total_pages or "number"
  log, log_first, log_last = {}, 1, 0
  faults = {}
  window_start, window_count = -math.huge, 0
end

local function control(method, path, body)
  if path == "/_sandbox/requests" then
    if method ~= "GET" then return message(405, "use GET", { "Allow", "GET" }) end
    return 200, log_json()
  elseif path == "/_sandbox/reset" then
    if method ~= "POST" then return message(405, "use POST", { "Allow", "POST" }) end
    local opts = {}
    if body:match("%S") then
      local v = decode(body)
      if type(v) ~= "table" or not body:match("^%s*{") then
        return message(400, "reset body must be a JSON object {customers, seed}")
      end
      if v.customers ~= nil and (not is_int(v.customers) or v.customers < 0 or v.customers > 1000000) then
        return message(400, "customers must be an integer from 0 to 1000000")
      end
      if v.seed ~= nil and not is_int(v.seed) then return message(400, "seed must be an integer") end
      local tp = v.total_pages
      if tp ~= nil and tp ~= "number" and tp ~= "null" and tp ~= "missing" then
        return message(400, "total_pages must be \"number\", \"null\" or \"missing\"")
      end
      opts = v
    end
    reset(opts)
    return 200, OK
  elseif path == "/_sandbox/faults" then
    if method == "DELETE" then
      faults = {}
      return 200, OK
    elseif method ~= "POST" then
      return message(405, "use POST or DELETE", { "Allow", "POST, DELETE" })
    end
    local v = decode(body)
    if type(v) ~= "table" then return message(400, "faults body must be a JSON object") end
    local m, p
    if type(v.match) == "string" then m, p = v.match:match("^(%S+)%s+(%S+)$") end
    if not m then return message(400, "match must be 'METHOD PATH', e.g. 'GET /qbench/api/v1/customer/7'") end
    if not is_array(v.sequence) or #v.sequence == 0 then
      return message(400, "sequence must be a non-empty array")
    end
    for _, e in ipairs(v.sequence) do
      local err = check_fault(e)
      if err then return message(400, err) end
    end
    local seq = {}
    for i, e in ipairs(v.sequence) do seq[i] = e end
    faults[#faults + 1] = { method = m:upper(), pattern = glob(p), with_query = p:find("?", 1, true) ~= nil,
      seq = seq, pos = 1 }
    return 200, OK
  end
  return message(404, "no such sandbox endpoint: " .. path)
end

-- ---------------------------------------------------------------- entry

local function fault_answer(f)
  if f == "garbage" then return 200, GARBAGE, JSON end
  if HOSTILE[f] then return 200, HOSTILE[f], JSON end
  local levels = math.tointeger(tonumber(f:match("^deep:(%d+)$")))
  if levels then return 200, string.rep("[", levels) .. string.rep("]", levels), JSON end
  if f == "html" then return 502, HTML_502, "text/html" end
  local secs = f:match("^429:(%d+)$")
  if secs then
    return 429, encode { error = string.format(
        "ratelimit exceeded 300 per 60 seconds [current count: 301. Retry in %s seconds]", secs) },
      JSON, { "Retry-After", secs, "X-QBAPI-Throttle-Request-Count", "301", "X-QBAPI-Throttle-TTL", secs }
  end
  -- The two ways some QBench instances reject an expired or malformed token.
  if f == "400:invalid_grant" then
    return 400, encode { error = "invalid_grant", error_description = "Token is expired (sandbox fault)" }, JSON
  end
  if f == "400:header_format" then
    return 400, encode { message = "Invalid Authorization header format (sandbox fault)" }, JSON
  end
  local code = math.tointeger(tonumber(f))
  if code == 429 then
    return 429, encode { error = "exceeded concurrent request limit of 10" }, JSON
  end
  return code, encode { message = (REASONS[code] or "Error") .. " (sandbox fault)" }, JSON
end

local function handle(method, path, query, headers, body, inflight, remote_port)
  if path:sub(1, 10) == "/_sandbox/" then
    local s, b, h = control(method, path, body)
    return s, b, JSON, h, nil, 0
  end
  log_request(method, path, query, headers, body, remote_port)
  local delay = cfg.latency_ms
  local action

  if faults[1] then
    local f = next_fault(method, path, query)
    if f and f ~= "ok" then
      if f == "drop" then return 0, "", nil, nil, "drop", delay end
      if f:sub(1, 4) == "big:" then return 200, "", JSON, nil, f, delay end
      -- Proves that a bug in the app becomes a 500, not a dead sandbox.
      if f == "lua-error" then error("sandbox fault: lua-error") end
      if f == "truncate" then
        action = "truncate"
      elseif f:sub(1, 6) == "stall:" then
        delay = delay + math.tointeger(tonumber(f:sub(7)))
      else
        local s, b, ct, h = fault_answer(f)
        return s, b, ct, h, nil, delay
      end
    end
  end

  local limit = cfg.concurrency_limit
  if limit > 0 and inflight >= limit then
    return 429, encode { error = "exceeded concurrent request limit of " .. limit }, JSON, nil, nil, delay
  end

  local rate_headers
  local n = cfg.rate_limit_n
  if n > 0 then
    local span = cfg.rate_limit_s
    local now = native.monotonic()
    if now >= window_start + span then window_start, window_count = now, 0 end
    window_count = window_count + 1
    local ttl = math.max(1, math.ceil(window_start + span - now))
    rate_headers = { "X-QBAPI-Throttle-Request-Count", tostring(window_count),
      "X-QBAPI-Throttle-TTL", tostring(ttl) }
    if window_count > n then
      return 429, encode { error = string.format(
          "ratelimit exceeded %d per %d seconds [current count: %d. Retry in %d seconds]",
          n, span, window_count, ttl) }, JSON, rate_headers, nil, delay
    end
  end

  local status, out, extra = api(method, path, query, headers, body)
  if rate_headers then
    if extra then
      for _, v in ipairs(extra) do rate_headers[#rate_headers + 1] = v end
    end
    extra = rate_headers
  end
  return status, out, JSON, extra, action, delay
end

function M.init(config)
  cfg = config
  static_auth = "Bearer " .. cfg.token
  reset()
  return handle
end

return M
