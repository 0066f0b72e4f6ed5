-- qbench-sandbox --strict-schema: every v2 answer validates against the 200
-- schema of QBench's OpenAPI description (api/qbench-api-v2.json), read by
-- this spec's own validator: types, anyOf, required, maxLength, formats and
-- OpenAPI 3.0's nullable rule (the description marks nothing nullable, so no
-- null anywhere). Without the option the sandbox keeps the real API's nulls.
local helper = require "helper"
local core = require "qbench.core"

local call = helper.call
local V2 = helper.V2
local null = core.null

local API_CLIENT = "00000000-0000-4000-8000-000000000001"

local FORMATS = {
  ["date"] = "^%d%d%d%d%-%d%d%-%d%d$",
  ["date-time"] = "^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d[%.%d]*[Z%+%-]",
}

-- A JSON array as the library decodes it: keys 1..n and nothing else.
local function is_list(v)
  if type(v) ~= "table" then return false end
  for k in pairs(v) do
    if math.type(k) ~= "integer" or k < 1 or k > #v then return false end
  end
  return true
end

-- Adds to `errs` every way `v` breaks `schema`.
local function validate(schema, v, path, errs)
  if v == null then
    if schema.nullable ~= true then errs[#errs + 1] = path .. ": null, and not nullable" end
    return
  end
  if schema.anyOf then
    for _, alt in ipairs(schema.anyOf) do
      local sub = {}
      validate(alt, v, path, sub)
      if #sub == 0 then return end
    end
    errs[#errs + 1] = path .. ": fits no anyOf alternative"
    return
  end
  local t = schema.type
  local ok = true
  if t == "integer" then ok = math.type(v) == "integer"
  elseif t == "number" then ok = type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge
  elseif t == "string" then ok = type(v) == "string"
  elseif t == "boolean" then ok = type(v) == "boolean"
  elseif t == "array" then ok = is_list(v)
  elseif t == "object" then ok = type(v) == "table" and v[1] == nil
  end
  if not ok then
    errs[#errs + 1] = path .. ": not " .. tostring(t)
    return
  end
  if t == "string" then
    if schema.maxLength and utf8.len(v) > schema.maxLength then errs[#errs + 1] = path .. ": over maxLength" end
    if FORMATS[schema.format] and not v:match(FORMATS[schema.format]) then
      errs[#errs + 1] = path .. ": not " .. schema.format
    end
  end
  if schema.enum then
    local found = false
    for _, e in ipairs(schema.enum) do found = found or e == v end
    if not found then errs[#errs + 1] = path .. ": not in enum" end
  end
  if t == "array" and schema.items then
    for i, item in ipairs(v) do validate(schema.items, item, path .. "[" .. (i - 1) .. "]", errs) end
  elseif t == "object" and schema.properties then
    for name, item in pairs(v) do
      local s = schema.properties[name]
      if s then validate(s, item, path .. "." .. name, errs) else errs[#errs + 1] = path .. "." .. name .. ": undeclared" end
    end
    for _, name in ipairs(schema.required or {}) do
      if v[name] == nil then errs[#errs + 1] = path .. "." .. name .. ": required" end
    end
  end
end

local function problems(schema, v)
  local errs = {}
  validate(schema, v, "", errs)
  return errs
end

local function path_of(op, id)
  return (op.path:gsub("{([%w_]+)}", function(name)
    if name == "api_client_id" then return API_CLIENT end
    return tostring(id or 1)
  end))
end

-- Every list operation of the description, with its 200 schema.
local function list_operations()
  local out = {}
  for _, op in ipairs(helper.v2_digest()) do
    local answer = op.responses and op.responses["200"]
    local data = type(answer) == "table" and answer.properties and answer.properties.data
    if op.method == "GET" and type(data) == "table" and data.type == "array" then out[#out + 1] = op end
  end
  return out
end

-- Every page of a list: calls check(body) on each; returns the records seen.
-- A sub-list is walked for the first parent id from 1 to 20 that has records.
local function walk(target, op, check)
  local function page_of(id, num)
    local status, body = call("GET", path_of(op, id) .. "?page_size=50&page_num=" .. num, { target = target, token = "t" })
    assert.equal(200, status, path_of(op, id))
    return body
  end
  local id = 1
  for candidate = 1, op.path:find("{", 1, true) and 20 or 1 do
    if page_of(candidate, 1).total_count > 0 then
      id = candidate
      break
    end
  end
  local seen, num = 0, 1
  repeat
    local body = page_of(id, num)
    check(body)
    seen = seen + #body.data
    num = num + 1
  until num > (body.total_pages or 0)
  return seen
end

describe("sandbox --strict-schema", function()
  local sb
  setup(function()
    sb = helper.start { "--token", "t", "--strict-schema", "--quiet", "--die-with-parent" }
  end)
  teardown(function() sb.stop() end)
  before_each(function() helper.reset(nil, sb) end)

  it("answers every record of every list, every page, as its 200 schema allows", function()
    local ops, records, lists_with_records = list_operations(), 0, 0
    assert.is_true(#ops >= 60, #ops .. " list operations")
    for _, op in ipairs(ops) do
      local n = walk(sb, op, function(body)
        local errs = problems(op.responses["200"], body)
        assert(#errs == 0, op.path .. ": " .. table.concat(errs, "; ", 1, math.min(#errs, 5)))
      end)
      records = records + n
      if n > 0 then lists_with_records = lists_with_records + 1 end
    end
    assert.is_true(records > 500, records .. " records")
    assert.equal(#ops, lists_with_records)
  end)

  it("answers every single record, worksheet and mapping as its 200 schema allows", function()
    local checked = 0
    for _, op in ipairs(helper.v2_digest()) do
      local answer = op.responses and op.responses["200"]
      local data = type(answer) == "table" and answer.properties and answer.properties.data
      if op.method == "GET" and type(data) == "table" and data.type == "object" and op.path:find("{", 1, true) then
        local status, body = call("GET", path_of(op), { target = sb, token = "t" })
        assert.equal(200, status, path_of(op))
        local errs = problems(answer, body)
        assert(#errs == 0, op.path .. ": " .. table.concat(errs, "; ", 1, math.min(#errs, 5)))
        checked = checked + 1
      end
    end
    assert.is_true(checked >= 35, checked .. " operations")
  end)

  it("answers created and updated records (nulls where the body gave none) as their schema allows", function()
    local opts = { target = sb, token = "t", body = { { order_id = 2 } } }
    local status, body = call("POST", V2 .. "samples", opts)
    assert.equal(201, status)
    local created = body.data[1]
    assert.is_nil(created.description) -- null in the blank record: left out
    local schemas = {}
    for _, op in ipairs(helper.v2_digest()) do
      if op.path == V2 .. "samples" then schemas[op.method] = op.responses[op.method == "POST" and "201" or "200"] end
    end
    assert.same({}, problems(schemas.POST, body))
    opts.body = { { id = created.id, description = "now set" } }
    status, body = call("PATCH", V2 .. "samples", opts)
    assert.equal(200, status)
    assert.equal("now set", body.data[1].description)
    assert.same({}, problems(schemas.PATCH, body))
  end)

  it("is switched by the reset body: strict_schema false brings the nulls back, {} the command line's choice", function()
    helper.reset({ strict_schema = false }, sb)
    local _, body = call("GET", V2 .. "samples/1", { target = sb, token = "t" })
    local nulls = 0
    for _, v in pairs(body.data) do if v == null then nulls = nulls + 1 end end
    assert.is_true(nulls > 0)
    helper.reset({}, sb)
    _, body = call("GET", V2 .. "samples/1", { target = sb, token = "t" })
    for k, v in pairs(body.data) do assert.are_not.equal(null, v, k) end
  end)
end)

describe("sandbox without --strict-schema", function()
  before_each(function() helper.reset() end)
  teardown(function() helper.reset() end)

  it("keeps the real API's nulls, which the description does not allow", function()
    local op
    for _, o in ipairs(list_operations()) do if o.path == V2 .. "samples" then op = o end end
    local _, body = call("GET", V2 .. "samples?page_size=50")
    local errs = problems(op.responses["200"], body)
    assert.is_true(#errs > 50, #errs .. " problems")
    assert.matches(": null, and not nullable$", errs[1])
  end)

  it("turns strict with strict_schema true in the reset body, and refuses a non-boolean", function()
    helper.reset { strict_schema = true }
    local _, body = call("GET", V2 .. "samples/1")
    for k, v in pairs(body.data) do assert.are_not.equal(null, v, k) end
    local status, _, raw = helper.http("POST", helper.sandbox().url .. "/_sandbox/reset",
      { "Content-Type: application/json" }, '{"strict_schema": 1}')
    assert.equal(400, status)
    assert.matches("strict_schema must be true or false", raw, 1, true)
  end)
end)

describe("sandbox --strict-schema's conform, alone", function()
  -- What the seeded data never shows: values of a wrong type, strings over
  -- maxLength, dates that are not ISO 8601.
  local strict
  local MODULES = { ["sandbox.jsontype"] = "jsontype.lua", ["sandbox.lims.strict"] = "lims/strict.lua" }
  setup(function()
    package.preload["sandbox.json"] = function() return core end
    for name, file in pairs(MODULES) do
      package.preload[name] = function() return dofile("csrc/sandbox/lua/" .. file) end
    end
    strict = require "sandbox.lims.strict"
    strict.set(true)
  end)
  teardown(function()
    for name in pairs(MODULES) do package.preload[name], package.loaded[name] = nil, nil end
    package.preload["sandbox.json"], package.loaded["sandbox.json"] = nil, nil
  end)

  local SCHEMA = { type = "object", required = { "id" }, properties = {
    id = { type = "integer" }, n = { type = "integer" }, name = { type = "string", maxLength = 4 },
    day = { type = "string", format = "date" }, at = { anyOf = { { type = "string", format = "date-time" }, { type = "integer" } } },
    tags = { type = "array", items = { type = "string" } }, link = { type = "object" },
  } }

  it("leaves out nulls, wrong types, bad dates and undeclared fields, and cuts strings in characters", function()
    assert.same({ n = 2, name = "Caf\xc3\xa9", day = "2025-02-14", at = 7, tags = { "a", "c" }, link = { id = 1 }, id = 0 },
      strict.record(SCHEMA, { n = 2, name = "Caf\xc3\xa9 au lait", day = "2025-02-14", at = 7, tags = { "a", 5, "c" },
        link = { id = 1 }, extra = "x" }))
    assert.same({ id = 1 }, strict.record(SCHEMA, { id = 1, n = "2", name = 5, day = "02/14/2025", at = "soon",
      tags = core.null, link = "1" }))
    assert.same({ id = 1, at = "2025-02-14T18:57:00Z" }, strict.record(SCHEMA, { id = 1, at = "2025-02-14T18:57:00Z", n = 2.5 }))
  end)

  it("leaves a value alone without a schema, or when off", function()
    local v = { id = core.null }
    assert.equal(v, strict.record(nil, v))
    strict.set(false)
    assert.equal(v, strict.record(SCHEMA, v))
    strict.set(true)
  end)
end)
