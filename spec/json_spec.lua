-- JSON both ways through qbench.core: cjson decoding normalised for Lua 5.4,
-- and the strict encoder.
local qbench = require "qbench"
local cjson = require "cjson"

local encode, decode = qbench.encode, qbench.decode

describe("JSON decoding", function()
  it("gives Lua integers for integral numbers and floats for the rest", function()
    local v = decode('{"id": 1, "price": 12.5, "nested": [[7]], "neg": -3, "exp": 1e3}')
    assert.equal("integer", math.type(v.id))
    assert.equal(1, v.id)
    assert.equal("float", math.type(v.price))
    assert.equal("integer", math.type(v.nested[1][1]))
    assert.equal(-3, v.neg)
    assert.equal("integer", math.type(v.exp))
    assert.equal(1000, v.exp)
  end)

  it("keeps integral numbers beyond 2^53 as floats", function()
    local v = decode("[9007199254740992, 18014398509481984, 1e300]")
    assert.equal("integer", math.type(v[1]))
    assert.equal("float", math.type(v[2]))
    assert.equal("float", math.type(v[3]))
  end)

  it("normalises a top-level number too", function()
    assert.equal("integer", math.type(decode("42")))
  end)

  it("decodes null to qbench.null, which is cjson.null", function()
    local v = decode('{"fax": null, "tags": []}')
    assert.equal(qbench.null, v.fax)
    assert.equal(cjson.null, qbench.null)
    assert.same({}, v.tags)
    assert.is_nil(v.missing)
  end)

  it("keeps fields it does not know, including JSON inside strings", function()
    local v = decode('{"last_updated": "1739559420", "initial_quickbooks_details": "{\\"a\\": 1}"}')
    assert.equal("1739559420", v.last_updated)
    assert.equal('{"a": 1}', v.initial_quickbooks_details)
  end)

  it("returns nil and a message for invalid JSON", function()
    local v, err = decode("{nope")
    assert.is_nil(v)
    assert.matches("Expected", err)
    assert.is_nil((decode("NaN")))
    assert.is_nil((decode("")))
  end)

  it("refuses nesting deeper than 1000 without overflowing the C stack", function()
    local v, err = decode(string.rep("[", 100000) .. string.rep("]", 100000))
    assert.is_nil(v)
    assert.matches("nested", err)
  end)

  it("does not depend on settings made on the shared cjson module", function()
    cjson.decode_max_depth(2)
    local ok, v = pcall(decode, "[[[[1]]]]")
    cjson.decode_max_depth(1000)
    assert.is_true(ok)
    assert.equal(1, v[1][1][1][1])
  end)
end)

describe("JSON encoding", function()
  local function roundtrip(v) return decode(encode(v)) end

  it("writes integers exactly, even past 14 digits", function()
    assert.equal("123456789012345678", encode(123456789012345678))
    assert.equal("-9223372036854775808", encode(math.mininteger))
    assert.equal("9223372036854775807", encode(math.maxinteger))
    assert.equal("[0,-1,-10,10,-100,9,1000000]", encode({ 0, -1, -10, 10, -100, 9, 1000000 }))
    assert.equal("[1]", encode({ 1.0 }))
  end)

  it("writes floats that read back as the same double", function()
    for _, d in ipairs { 0.1, 1 / 3, 12.5, 1e300, -2.5e-300, 2 ^ 60 } do
      assert.equal(d, tonumber(encode(d)))
    end
    assert.equal("0.1", encode(0.1))
  end)

  it("escapes strings per RFC 8259 and keeps UTF-8", function()
    assert.equal('"a\\"b\\\\c\\n\\t\\u0001é/"', encode('a"b\\c\n\t\1é/'))
    assert.equal('"\\u0000"', encode("\0"))
  end)

  it("turns sequences into arrays and string-keyed tables into objects", function()
    assert.equal("[1,2,3]", encode({ 1, 2, 3 }))
    assert.equal('{"a":1}', encode({ a = 1 }))
    assert.same({ a = { 1, { b = "x" } } }, roundtrip({ a = { 1, { b = "x" } } }))
  end)

  it("writes an empty table as [] unless marked with qbench.object", function()
    assert.equal("[]", encode({}))
    assert.equal("{}", encode(qbench.object {}))
    assert.equal("[]", encode(qbench.array {}))
    local text = encode({ tags = {}, extra = qbench.object {} })
    assert.is_truthy(text == '{"tags":[],"extra":{}}' or text == '{"extra":{},"tags":[]}', text)
  end)

  it("writes qbench.null as null and booleans as themselves", function()
    assert.equal('[null,true,false]', encode({ qbench.null, true, false }))
  end)

  local function fails(v, pattern)
    local ok, err = pcall(encode, v)
    assert.is_false(ok)
    assert.matches(pattern, err)
  end

  it("raises on tables JSON cannot hold, naming where", function()
    fails({ [1] = 1, [3] = 3 }, "not a sequence")
    fails({ 1, x = 2 }, "mixes string and integer keys")
    fails({ [1.5] = 1 }, "key must be")
    fails({ [true] = 1 }, "key must be")
    fails({ a = { b = { print } } }, "cannot encode a function value at %$%.a%.b%[1%]")
    fails(qbench.object { 1 }, "qbench.object table has integer keys")
    fails(qbench.array { a = 1 }, "qbench.array table has string keys")
  end)

  it("raises on NaN, infinities, userdata, coroutines and invalid UTF-8", function()
    fails({ 0 / 0 }, "NaN")
    fails({ x = math.huge }, "infinite")
    fails({ -math.huge }, "infinite")
    fails({ io.stdout }, "userdata")
    fails({ coroutine.create(print) }, "thread")
    fails("\255", "invalid UTF%-8")
    fails("\237\160\128", "invalid UTF%-8") -- an encoded surrogate
  end)

  it("raises on cycles and on nesting deeper than 1000", function()
    local t = {}
    t.self = t
    fails(t, "cycle")
    local deep = {}
    local cur = deep
    for _ = 1, 1001 do cur[1] = {}; cur = cur[1] end
    fails(deep, "nesting deeper than 1000")
    local ok_depth = {}
    cur = ok_depth
    for _ = 1, 998 do cur[1] = {}; cur = cur[1] end
    assert.is_string(encode(ok_depth))
  end)

  it("names the place of an error and of a cycle however deep it is, sorted or not", function()
    -- 60 levels: an object, then an array, in turn; a function at the bottom.
    local root, want = {}, "$"
    local cur = root
    for i = 1, 60 do
      local child = {}
      if i % 2 == 1 then
        cur["k" .. i] = child
        want = want .. ".k" .. i
      else
        cur[1] = child
        want = want .. "[1]"
      end
      cur = child
    end
    cur.f = print
    for _, opts in ipairs { {}, { sort_keys = true } } do
      local ok, err = pcall(encode, root, opts)
      assert.is_false(ok)
      assert.equal("cannot encode a function value at " .. want .. ".f", err:match("cannot encode.*$"))
    end
    cur.f = root -- a cycle back to the top, 61 levels down
    for _, opts in ipairs { {}, { sort_keys = true } } do
      local ok, err = pcall(encode, root, opts)
      assert.is_false(ok)
      assert.equal("cycle: table contains itself at " .. want .. ".f", err:match("cycle.*$"))
    end
  end)

  it("allows the same table twice when it is not a cycle", function()
    local shared = { 1 }
    assert.equal("[[1],[1]]", encode({ shared, shared }))
  end)

  it("refuses to re-mark a table that has another metatable", function()
    assert.has_error(function() qbench.array(setmetatable({}, {})) end)
  end)
end)
