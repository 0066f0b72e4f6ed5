-- Generates the sandbox's table of QBench API v2 operations from the
-- OpenAPI digest, so that the sandbox serves, checks and fills in exactly
-- what the digest declares.
-- usage: lua5.4 tools/gen_v2_sandbox.lua api/qbench-api-v2.json OUTDIR
-- Writes OUTDIR/operations.lua (module sandbox.v2.operations). The output is
-- sorted and byte-for-byte the same on every run (`make api-check`).
local cjson = require "cjson"

local digest_path, out_dir = arg[1], arg[2]
if not digest_path or not out_dir then
  io.stderr:write("usage: lua5.4 tools/gen_v2_sandbox.lua DIGEST.json OUTDIR\n")
  os.exit(2)
end

local f = assert(io.open(digest_path, "rb"))
local digest = cjson.decode(f:read("a"))
f:close()

local null = cjson.null

-- ---------------------------------------------------------------- schemas

-- The parts of a JSON schema the sandbox uses; prose and response-only
-- decoration are dropped. Integral numbers become integers.
local function number(v)
  if math.type(v) == "float" and v == math.floor(v) then return math.tointeger(v) end
  return v
end

local function compact(s)
  if type(s) ~= "table" then return nil end
  local out = {}
  if type(s.type) == "string" then out.type = s.type end
  if s.format ~= nil and s.format ~= null then out.format = s.format end
  if s.maxLength ~= nil and s.maxLength ~= null then out.maxLength = number(s.maxLength) end
  if type(s.enum) == "table" then
    out.enum = {}
    for i, v in ipairs(s.enum) do out.enum[i] = v end
  end
  if type(s.anyOf) == "table" then
    out.anyOf = {}
    for i, alt in ipairs(s.anyOf) do out.anyOf[i] = compact(alt) end
  end
  if type(s.items) == "table" then out.items = compact(s.items) end
  if type(s.properties) == "table" then
    out.properties = {}
    for k, v in pairs(s.properties) do out.properties[k] = compact(v) end
  end
  if type(s.required) == "table" and #s.required > 0 then
    out.required = {}
    for i, v in ipairs(s.required) do out.required[i] = v end
    table.sort(out.required)
  end
  return out
end

-- ---------------------------------------------------------------- Lua text

local KEYWORDS = {}
for w in ("and break do else elseif end false for function goto if in local nil not or repeat return "
  .. "then true until while"):gmatch("%a+") do KEYWORDS[w] = true end

local function key_text(k)
  if type(k) == "string" and k:match("^[%a_][%w_]*$") and not KEYWORDS[k] then return k end
  return "[" .. string.format("%q", k) .. "]"
end

local function scalar_text(v)
  if type(v) == "string" then return string.format("%q", v) end
  if math.type(v) == "integer" then return tostring(v) end
  if type(v) == "number" then return string.format("%.17g", v) end
  return tostring(v)
end

local function is_list(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n == #t
end

-- One-line Lua text of a table, keys sorted, so equal tables print alike.
local function text(v)
  if type(v) ~= "table" then return scalar_text(v) end
  local parts = {}
  if is_list(v) and #v > 0 then
    for i, item in ipairs(v) do parts[i] = text(item) end
  else
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys)
    for _, k in ipairs(keys) do parts[#parts + 1] = key_text(k) .. " = " .. text(v[k]) end
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

-- Tables (schemas, parameter lists) used by more than one operation are
-- written once, as S[n].
local shared, shared_list = {}, {}
local function shared_ref(t)
  local n = shared[t]
  if not n then
    shared_list[#shared_list + 1] = t
    n = #shared_list
    shared[t] = n
  end
  return "S[" .. n .. "]"
end

-- ---------------------------------------------------------------- operations

local function success(op)
  local codes = {}
  for code in pairs(op.responses or {}) do
    if code:match("^2%d%d$") then codes[#codes + 1] = code end
  end
  table.sort(codes)
  return codes[1]
end

-- The schema of one record in the success answer's "data", if any.
local function record_schema(op, code)
  local s = code and op.responses[code]
  if type(s) ~= "table" or type(s.properties) ~= "table" then return nil end
  local data = s.properties.data
  if type(data) ~= "table" then return nil end
  if data.type == "array" then return compact(data.items) end
  return compact(data)
end

local function params_text(op)
  local out = {}
  for _, p in ipairs(op.params or {}) do
    local e = { name = p.name, ["in"] = p["in"], required = p.required == true }
    if type(p.type) == "string" then e.type = p.type end
    if type(p.items) == "table" and type(p.items.type) == "string" then e.items = p.items.type end
    if type(p.enum) == "table" then e.enum = p.enum end
    if p.default ~= nil and p.default ~= null then e.default = number(p.default) end
    out[#out + 1] = text(e)
  end
  if #out == 0 then return "{}" end
  return "{" .. table.concat(out, ", ") .. "}"
end

local ops = {}
for _, op in ipairs(digest.operations) do ops[#ops + 1] = op end
table.sort(ops, function(a, b)
  if a.path ~= b.path then return a.path < b.path end
  return a.method < b.method
end)

local entries = {}
for _, op in ipairs(ops) do
  local code = success(op)
  local lines = {
    "    method = " .. scalar_text(op.method) .. ", path = " .. scalar_text(op.path) .. ",",
    "    tag = " .. scalar_text(op.tag) .. ", auth = " .. tostring(op.auth ~= false) .. ","
      .. (code and (" status = " .. code .. ",") or ""),
    "    params = " .. shared_ref(params_text(op)) .. ",",
  }
  if type(op.body) == "table" then
    lines[#lines + 1] = "    body = {content_type = " .. scalar_text(op.body.content_type)
      .. ", schema = " .. shared_ref(text(compact(op.body.schema))) .. "},"
  end
  local rec = record_schema(op, code)
  if rec then
    local data = op.responses[code].properties.data
    lines[#lines + 1] = "    record = " .. shared_ref(text(rec)) .. ", list = " .. tostring(data.type == "array") .. ","
  end
  entries[#entries + 1] = "  {\n" .. table.concat(lines, "\n") .. "\n  },"
end

local out = {
  "-- Generated by tools/gen_v2_sandbox.lua from api/qbench-api-v2.json: do not edit.",
  "-- Every operation of QBench's API v2, sorted by path and method:",
  "--   method, path, tag, auth (a bearer token is needed), status (the",
  "--   success status, when the digest gives one), params ({name, in,",
  "--   required, type, items, enum, default}), body ({content_type, schema}),",
  "--   record (the schema of one record of the answer's data) and list",
  "--   (whether data is an array of them).",
  "-- One line per table: equal tables are found by their text.",
  "-- luacheck: no max line length",
  "local S = {} -- tables shared by several operations",
}
for i, t in ipairs(shared_list) do out[#out + 1] = "S[" .. i .. "] = " .. t end
out[#out + 1] = "return {"
for _, e in ipairs(entries) do out[#out + 1] = e end
out[#out + 1] = "}"

local path = out_dir:gsub("/+$", "") .. "/operations.lua"
local tmp = path .. ".tmp"
local w = assert(io.open(tmp, "wb"))
w:write(table.concat(out, "\n"), "\n")
w:close()
assert(os.rename(tmp, path))
