-- The shapes of answers, checked once in the resource layer for v1 and v2 alike: a page
-- is an object whose `data` is an array of objects, a record is an object. Anything
-- else is an error of kind "decode" that names the page and the position; a walk never
-- ends silently on it, and never hands out a record that is not an object. Served by
-- the scripted raw server (spec/rawserver.lua), which sends exactly the bytes given.
local qbench = require "qbench"
local raw = require "rawserver"

local V2 = "/qbench/api/v2"

local function answer(json)
  return string.format("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", #json, json)
end

local function page(n, total, data)
  return answer(string.format('{"page_number": %d, "total_count": 99, "total_pages": %d, "data": %s}', n, total, data))
end

-- A client on a raw server playing `entries`; returns the client and the server.
local function client_on(entries, opts)
  local srv = raw.start(entries)
  local o = { url = srv.url, token = "t", retries = 0 }
  for k, v in pairs(opts or {}) do o[k] = v end
  return qbench.new(o), srv
end

-- The request lines the raw server received, "GET /path?query".
local function request_lines(srv)
  local out = {}
  for i, r in ipairs(srv.requests()) do out[i] = r:match("^(%u+ [^ ]+) HTTP") end
  return out
end

describe("answers of the wrong shape are decode errors (v1 and v2)", function()
  local function walk_error(fn)
    local ok, err = pcall(fn)
    assert.is_false(ok)
    assert.is_true(qbench.is_error(err), tostring(err))
    return err
  end

  it("a v2 page whose data is a JSON object ends no walk silently: list raises, all returns nil, err", function()
    local qb <close>, srv = client_on { page(1, 2, '{"id": 1, "name": "x"}') }
    local seen = 0
    local err = walk_error(function() for _ in qb.v2.samples:list { concurrency = 1 } do seen = seen + 1 end end)
    assert.equal(0, seen)
    assert.equal("decode", err.kind)
    assert.equal("unexpected answer: page 1: data is not an array (got an object)", err.message)
    assert.equal(V2 .. "/samples?page_num=1&page_size=50", err.path)
    local all, err2 = qb.v2.samples:all()
    assert.is_nil(all)
    assert.equal("decode", err2.kind)
    local p, err3 = qb.v2.samples:page { page_num = 4 }
    assert.is_nil(p)
    assert.equal("unexpected answer: page 4: data is not an array (got an object)", err3.message)
    srv.stop()
  end)

  it("a v1 customer page whose data is an object is the same decode error", function()
    local qb <close>, srv = client_on { page(1, 3, '{"1": {"id": 1}}') }
    local err = walk_error(function() for _ in qb.customer:list() do end end)
    assert.equal("decode", err.kind)
    assert.equal("unexpected answer: page 1: data is not an array (got an object)", err.message)
    assert.equal("/qbench/api/v1/customer?page_num=1&page_size=50", err.path)
    srv.stop()
  end)

  it("pages without data, or not objects at all, are decode errors too", function()
    for _, body in ipairs { '{"total_pages": 1}', '[{"id": 1}]', '"data"', '{"data": "abc"}', '{"data": null}' } do
      local qb <close>, srv = client_on { answer(body) }
      local p, err = qb.v2.samples:page()
      assert.is_nil(p, body)
      assert.equal("decode", err.kind, body)
      assert.matches("^unexpected answer: page 1: ", err.message)
      srv.stop()
    end
  end)

  it("records that are not objects (null, 5, an array) are a decode error naming the page and position", function()
    local qb <close>, srv = client_on { page(1, 1, '[{"id": 1}, null, 5]') }
    local got = {}
    local err = walk_error(function() for s in qb.v2.samples:list() do got[#got + 1] = s end end)
    assert.same({}, got, "no record of a bad page is handed out")
    assert.equal("unexpected answer: page 1: data[2] is not an object (got qbench.null)", err.message)
    srv.stop()
    local qb2 <close>, srv2 = client_on { page(1, 1, '[{"id": 1}, {"id": 2}, [3]]') }
    local all, err2 = qb2.customer:all()
    assert.is_nil(all)
    assert.equal("unexpected answer: page 1: data[3] is not an object (got an array)", err2.message)
    srv2.stop()
  end)

  it("a later page, fetched one at a time, is named by its number", function()
    local qb <close>, srv = client_on { page(1, 3, '[{"id": 1}]'), page(2, 3, '[{"id": 2}]'), page(3, 3, '[{"id": 3}, 5]') }
    local ids = {}
    local err = walk_error(function() for s in qb.v2.samples:list { concurrency = 1 } do ids[#ids + 1] = s.id end end)
    assert.same({ 1, 2 }, ids)
    assert.equal("unexpected answer: page 3: data[2] is not an object (got 5)", err.message)
    assert.equal(V2 .. "/samples?page_num=3&page_size=50", err.path)
    srv.stop()
  end)

  it("pages fetched in parallel are named by their number too, from any page_num", function()
    -- Page 5 tells total_pages; 6 and 7 are fetched at once and both are bad: 6 comes out first.
    local qb <close>, srv = client_on { page(5, 7, '[{"id": 5}]'), page(0, 7, '{"id": 6}') }
    local ids = {}
    local err = walk_error(function()
      for s in qb.v2.samples:list { page_num = 5, page_size = 10, concurrency = 4 } do ids[#ids + 1] = s.id end
    end)
    assert.same({ 5 }, ids)
    assert.equal("decode", err.kind)
    assert.equal("unexpected answer: page 6: data is not an array (got an object)", err.message)
    assert.equal(V2 .. "/samples?page_num=6&page_size=10", err.path)
    -- Page 7 was asked for at the same time; whether its request got through before the
    -- walk cancelled it depends on timing.
    local lines = request_lines(srv)
    table.sort(lines)
    assert.equal("GET " .. V2 .. "/samples?page_num=5&page_size=10", lines[1])
    assert.equal("GET " .. V2 .. "/samples?page_num=6&page_size=10", lines[2])
    assert.is_true(#lines <= 3)
    srv.stop()
  end)

  it("a v2 get whose data is not an object is a decode error, for get, a record's get and get_many", function()
    for _, body in ipairs { '{"data": [1, 2]}', '{"data": 5}', '{"data": null}', '[{"id": 1}]', '{"id": 1}' } do
      local qb <close>, srv = client_on { answer(body) }
      local s, err = qb.v2.samples:get(3)
      assert.is_nil(s, body)
      assert.equal("decode", err.kind)
      assert.matches("^unexpected answer: ", err.message)
      assert.equal(V2 .. "/samples/3", err.path)
      local ws, err2 = qb.v2.tests(5).worksheet.data:get()
      assert.is_nil(ws, body)
      assert.equal("decode", err2.kind)
      local many = qb.v2.samples:get_many { 1, 2 }
      assert.is_true(qbench.is_error(many[1]), body)
      assert.equal("decode", many[2].kind)
      assert.equal(V2 .. "/samples/2", many[2].path)
      srv.stop()
    end
    local qb <close>, srv = client_on { answer('{"data": [1, 2]}') }
    local _, err = qb.v2.samples:get(3)
    assert.equal("unexpected answer: data is not an object (got an array)", err.message)
    srv.stop()
  end)

  it("a v1 customer that is not an object is a decode error", function()
    for _, body in ipairs { "[1, 2]", "5", '"customer"', "null" } do
      local qb <close>, srv = client_on { answer(body) }
      local c, err = qb.customer:get(1)
      assert.is_nil(c, body)
      assert.equal("decode", err.kind)
      assert.equal("/qbench/api/v1/customer/1", err.path)
      local many = qb.customer:get_many { 1 }
      assert.equal("decode", many[1].kind)
      srv.stop()
    end
  end)

  it("well-formed answers, an empty page among them, still pass", function()
    local qb <close>, srv = client_on { page(1, 2, '[{"id": 1}, {}]'), page(2, 2, "[]") }
    local got = assert(qb.v2.samples:all { concurrency = 1 })
    assert.equal(2, #got)
    assert.equal(1, got[1].id)
    srv.stop()
  end)
end)
