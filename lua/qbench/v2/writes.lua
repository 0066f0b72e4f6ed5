--- The v2 writes: create, update, delete and actions, for every collection.
--
-- Before anything is sent, the whole body is checked against the operation's schema
-- (unless the client was made with validate = false), shaped for the wire (an empty
-- table where the schema wants an object goes out as `{}`) and encoded: a body JSON
-- cannot hold raises, naming the record's index in the caller's whole array
-- (`records[73].x`), whichever request it would have gone in. A bulk body longer than
-- the client's max_batch then goes out as several requests, one after the other.
--
-- Answers, as the generated table's `answer` says: "records" gives the `data` array
-- (every request's records, in order; an answer without an array of objects there is a
-- decode error), "whole" gives the answer as it came; 204 and empty answers give true;
-- other answers give their `data`, or themselves when they have none.
--
-- A bulk write sent as several requests (more records than max_batch) that fails
-- returns nil and the error with:
--   err.written   how many records are known written (their requests succeeded)
--   err.results   the records the answers of those requests returned, in order
--   err.records   the records known not written: never sent, or refused
--   err.in_doubt  the records of the failed request when its outcome is unknown
--                 (err.outcome == "unknown": a lost answer, a gateway's 500/502/504, or
--                 a 2xx whose answer could not be decoded or was not what the call gives)
-- Every record is in exactly one of results, records and in_doubt (when the answers
-- carry records; after 204 answers results may be empty while written counts them).
-- @module qbench.v2.writes
-- @local

local core = require "qbench.core"
local args = require "qbench.args"
local Resource = require "qbench.resource"
local schema = require "qbench.schema"
local url = require "qbench.url"

local null = core.null

local M = {}

-- The encoder's options for request bodies: sorted keys, as the client sends every
-- table body, so that the same call always sends the same bytes.
local WIRE = { sort_keys = true }

-- A multipart/form-data body of string fields (v2's token endpoints want one).
local function multipart(fields, fname, argn)
  local boundary = string.format("qbench-%08x%08x", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))
  local names = {}
  for k, v in pairs(fields) do
    if type(k) ~= "string" or type(v) ~= "string" then
      args.error(argn, fname, "body fields of a form must be strings, got " .. args.describe(k) .. " = " .. args.describe(v))
    end
    names[#names + 1] = k
  end
  table.sort(names)
  local parts = {}
  for _, k in ipairs(names) do
    parts[#parts + 1] = string.format('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n',
      boundary, k:gsub('["\r\n]', url.escape), fields[k])
  end
  parts[#parts + 1] = "--" .. boundary .. "--\r\n"
  return table.concat(parts), "multipart/form-data; boundary=" .. boundary
end

-- The JSON text of `value`, or raises naming the place JSON cannot hold: the encoder
-- says "at $[3].x", which `place("[3].x")` turns into the caller's name for it.
local function encoded(value, place, fname, argn)
  local ok, text = pcall(core.encode, value, WIRE)
  if ok then return text end
  local why, at = tostring(text):match("^(.-) at %$(.*)$")
  args.error(argn, fname, string.format("%s: cannot send it as JSON: %s", place(at or ""), why or tostring(text)))
end

-- What a successful answer gives the caller; nil and why for one that is not what the
-- operation gives.
local function result_of(entry, decoded, status)
  if status == 204 or decoded == null then return true end
  if entry.answer == "whole" then return decoded end
  if entry.answer == "records" then
    local why = type(decoded) ~= "table" and "the answer is not an object"
      or Resource.records_problem(decoded.data, "data")
    if why then return nil, why end
    return decoded.data
  end
  if type(decoded) == "table" and type(decoded.data) == "table" then return decoded.data end
  return decoded
end

-- Sends one prepared request; the result, or nil and the error object. A POST or PATCH
-- whose 2xx answer is unusable may have been carried out: its outcome is unknown.
local function perform(node, entry, req)
  local decoded, status = node.client:_perform(req)
  local err
  if decoded ~= nil then
    local result, why = result_of(entry, decoded, status)
    if result ~= nil then return result end
    err = select(2, Resource.unexpected(why, req, decoded, status))
  else
    err = status
  end
  if err.kind == "decode" and err.status and err.status >= 200 and err.status < 300
      and (req.method == "POST" or req.method == "PATCH") then
    err.outcome = "unknown"
  end
  return nil, err
end

-- The request of a body that is not a bulk array: JSON, a form, or none.
local function single_request(node, entry, path, body, name, argn)
  local client = node.client
  local req
  if body == nil then
    req = client:_prepare(entry[1], path, nil, nil, name, argn)
  elseif entry.content_type == "multipart/form-data" then
    local text, ctype = multipart(body, name, argn)
    req = client:_prepare(entry[1], path, nil, text, name, argn, ctype)
  else
    local text = encoded(schema.shape(body, entry.body), function(at) return "body" .. at end, name, argn)
    req = client:_prepare(entry[1], path, nil, text, name, argn)
  end
  -- The token endpoints take no token (the digest's auth: false).
  return entry.no_auth and client:_anonymous(req) or req
end

-- A bulk body: every record (checked before) shaped, then one request per slice of
-- max_batch records, all encoded and prepared before the first is sent. An error names
-- the record by its index in the caller's whole array.
local function bulk(node, entry, path, records, name, argn)
  local client, item = node.client, entry.body.items or {}
  local max, slices = client.max_batch, {}
  for first = 1, #records, max do
    local last = math.min(first + max - 1, #records)
    local slice = core.array {}
    for i = first, last do slice[i - first + 1] = schema.shape(records[i], item) end
    local text = encoded(slice, function(at)
      local k, rest = at:match("^%[(%d+)%](.*)$")
      if not k then return "records" .. at end
      return string.format("records[%d]%s", first + tonumber(k) - 1, rest)
    end, name, argn)
    slices[#slices + 1] = { first = first, last = last, req = client:_prepare(entry[1], path, nil, text, name, argn) }
  end

  if #slices == 1 then return perform(node, entry, slices[1].req) end
  local results, written, any_records = {}, 0, false
  for _, slice in ipairs(slices) do
    local result, err = perform(node, entry, slice.req)
    if result == nil then
      local doubt = err.outcome == "unknown"
      err.written, err.results = written, results
      err.in_doubt = doubt and table.move(records, slice.first, slice.last, 1, {}) or {}
      err.records = table.move(records, doubt and slice.last + 1 or slice.first, #records, 1, {})
      return nil, err
    end
    written = written + (slice.last - slice.first + 1)
    if entry.answer == "records" and result ~= true then
      any_records = true
      table.move(result, 1, #result, #results + 1, results)
    end
  end
  return any_records and results or true
end

--- Calls the write `entry` (method, path template, body schema, id parameter) of `node`
-- as method `name`, with the caller's arguments: [id,] [body].
function M.call(node, name, entry, check_id, fill, ...)
  local argn, extra = 1, nil
  local a = table.pack(...)
  if entry.id then
    extra = { [entry.id] = check_id(a[1], 1, name) }
    argn = 2
  end
  local path = fill(entry[2], node.scope, extra)
  local body = a[argn]
  if not entry.body then
    if body ~= nil then args.error(argn, name, "this call takes no body") end
    return perform(node, entry, single_request(node, entry, path, nil, name, argn))
  end
  local is_bulk = entry.body.type == "array"
  local root = is_bulk and "records" or "body"
  local len = type(body) == "table" and args.sequence_length(body)
  if type(body) ~= "table" or (is_bulk and (not len or len == 0)) then
    args.error(argn, name, string.format("%s must be %s, got %s", root,
      is_bulk and "a non-empty array of records" or "a table", args.describe(body)))
  end
  if node.client.validate then
    local why = schema.check(body, entry.body, root)
    if why then args.error(argn, name, why) end
  end
  if is_bulk then return bulk(node, entry, path, body, name, argn) end
  return perform(node, entry, single_request(node, entry, path, body, name, argn))
end

return M
