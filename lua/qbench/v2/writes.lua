--- The v2 writes: create, update, delete and actions, for every collection.
-- A body is checked against the operation's schema before anything is sent (unless
-- the client was made with validate = false); a bulk body longer than the client's
-- max_batch goes out as several requests, one after the other, and a failure says
-- how many records were written before it (err.written) and which were not (err.records).
-- Answers: 201 and 200 give the `data` array (all requests' records, in order),
-- 204 gives true, 202 (and undocumented bodies) give what came back.
-- @module qbench.v2.writes
-- @local

local null = require("qbench.core").null
local args = require "qbench.args"
local schema = require "qbench.schema"
local url = require "qbench.url"

local M = {}

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

-- What a successful answer gives the caller.
local function result_of(decoded, status)
  if status == 204 or decoded == nil or decoded == null then return true end
  if status ~= 202 and type(decoded) == "table" and type(decoded.data) == "table" then return decoded.data end
  return decoded
end

local function send_one(node, entry, path, body, name, argn)
  local client = node.client
  local req
  if entry.content_type == "multipart/form-data" then
    local text, ctype = multipart(body, name, argn)
    req = client:_prepare(entry[1], path, nil, text, name, argn, ctype)
  else
    req = client:_prepare(entry[1], path, nil, body, name, argn)
  end
  local decoded, status = client:_perform(req)
  if decoded == nil then return nil, status end
  return result_of(decoded, status)
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
    return send_one(node, entry, path, nil, name, argn)
  end
  local bulk = entry.body.type == "array"
  local root = bulk and "records" or "body"
  if type(body) ~= "table" or (bulk and (#body == 0 or next(body) == nil)) then
    args.error(argn, name, string.format("%s must be %s, got %s", root,
      bulk and "a non-empty array of records" or "a table", args.describe(body)))
  end
  if node.client.validate then
    local why = schema.check(body, entry.body, root)
    if why then args.error(argn, name, why) end
  end
  if not bulk or #body <= node.client.max_batch then return send_one(node, entry, path, body, name, argn) end

  -- Bulk bodies over max_batch: one request per slice, in order.
  local max, out, written = node.client.max_batch, {}, 0
  local all_true = true
  for first = 1, #body, max do
    local slice = table.move(body, first, math.min(first + max - 1, #body), 1, {})
    local result, err = send_one(node, entry, path, slice, name, argn)
    if result == nil then
      err.written = written
      err.records = table.move(body, first, #body, 1, {})
      return nil, err
    end
    written = written + #slice
    if result ~= true then
      all_true = false
      if type(result) == "table" then table.move(result, 1, #result, #out + 1, out) end
    end
  end
  return all_true or out
end

return M
