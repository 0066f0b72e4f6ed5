-- The overlay of QBench behaviour the v2 description does not say (tools/v2_quirks.lua):
-- what each quirk makes a call do, the generator's refusal of an overlay that does not
-- fit the digest, and the reference it writes (doc/v2-operations.md: one anchor per
-- collection, its filters and body fields, and its quirks).
local qbench = require "qbench"
local helper = require "helper"

local V2 = "/qbench/api/v2"

local function read(path)
  local f <close> = assert(io.open(path, "rb"))
  return f:read("a")
end

local function write(path, text)
  local f <close> = assert(io.open(path, "wb"))
  assert(f:write(text))
end

describe("v2 quirks", function()
  describe("what the overlay makes calls do", function()
    local sb, qb, v2
    setup(function()
      sb = helper.sandbox()
      qb = qbench.new { url = sb.url, token = sb.token }
      v2 = qb.v2
    end)
    teardown(function() qb:close() end)
    before_each(function() helper.reset() end)

    it("send-email's 202 receipt is given back whole", function()
      local answer = assert(v2.invoices(5):send_email { emails = { "lab@example.com" } })
      assert.is_string(answer.data.message)
      assert.is_not_nil(answer.data.queueId)
    end)

    it("the token endpoints send a form and give the token object back whole", function()
      local token = assert(v2.auth.token:create { grant_type = "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion = "x.y.z" })
      assert.is_string(token.access_token)
      assert.is_nil(token.data)
      local r = helper.requests()[1]
      assert.equal(V2 .. "/auth/token", r.path)
      assert.matches("^multipart/form%-data; boundary=", r.headers["content-type"])
      assert.matches('name="assertion"\r\n\r\nx%.y%.z\r\n', r.body)
      local info = assert(v2.auth.token.info:get())
      assert.is_true(info.active)
      assert.is_nil(info.data)
    end)

    it("the token endpoints carry no token: none is fetched for them, none is sent", function()
      local oauth = helper.start { "--client-id", "cid", "--client-secret", "sec", "--die-with-parent", "--quiet" }
      local anon <close> = qbench.new { url = oauth.url, client_id = "cid", client_secret = "sec" }
      local token, err = anon.v2.auth.token:create { grant_type = "urn:ietf:params:oauth:grant-type:jwt-bearer",
        assertion = "x.y.z" }
      local log = helper.requests(oauth)
      oauth.stop()
      assert.is_nil(token) -- the sandbox checks the assertion when it has a client id: x.y.z is no JWT
      assert.equal(400, err.status)
      assert.equal(1, #log, "no token request came first")
      assert.equal(V2 .. "/auth/token", log[1].path)
      assert.is_nil(log[1].headers.authorization)
    end)

    it("labels print under the name the overlay gives, with data_type as its first argument", function()
      assert(v2.labels(3):print("sample", { { id = 1, count = 2 } }))
      assert.equal(V2 .. "/labels/3/sample", helper.requests()[1].path)
      local ok, err = pcall(function() return v2.labels(3):create {} end)
      assert.is_false(ok)
      assert.matches("v2 labels%(3%) has no 'create' %(it has: print%)", err)
    end)
  end)

  describe("the generator", function()
    local dir
    before_each(function()
      dir = os.tmpname()
      os.remove(dir)
      assert(os.execute("mkdir -p '" .. dir .. "'"))
      write(dir .. "/gen_v2_client.lua", read("tools/gen_v2_client.lua"))
    end)
    after_each(function() os.execute("rm -rf '" .. dir .. "'") end)

    -- Runs the generator with `overlay` as its tools/v2_quirks.lua; true or false, and stderr.
    local function generate(overlay)
      write(dir .. "/v2_quirks.lua", overlay)
      local cmd = string.format("lua5.4 '%s/gen_v2_client.lua' api/qbench-api-v2.json '%s/api' '%s/doc.md' 2>'%s/err'",
        dir, dir, dir, dir)
      local ok = os.execute(cmd)
      return ok == true, read(dir .. "/err")
    end

    local overlay = read("tools/v2_quirks.lua")
    local function with(entry) return (overlay:gsub("\n}%s*$", "\n" .. entry .. "\n}\n")) end

    it("writes exactly the committed tables and reference from the digest and the overlay", function()
      local ok, err = generate(overlay)
      assert.is_true(ok, err)
      for _, name in ipairs(require("qbench.v2").collections()) do
        assert.equal(read("lua/qbench/v2/api/" .. name .. ".lua"), read(dir .. "/api/" .. name .. ".lua"), name)
      end
      assert.equal(read("doc/v2-operations.md"), read(dir .. "/doc.md"))
    end)

    for _, case in ipairs {
      { "a quirk without its why", with '  samples = { ["GET /samples/{sample_id}"] = { answer = "whole" } },',
        "needs a why" },
      { "an operation the digest does not have", with '  samples = { ["GET /samples/{nope}"] = { why = "x" } },',
        "no operation GET /samples/{nope} under samples" },
      { "an operation under another collection", with '  orders = { ["GET /samples/{sample_id}"] = { why = "x" } },',
        "no operation GET /samples/{sample_id} under orders" },
      { "an unknown field", with '  samples = { ["GET /samples/{sample_id}"] = { why = "x", colour = "red" } },',
        "unknown field or wrong type: colour" },
      { "an unknown answer", with '  samples = { ["GET /samples/{sample_id}"] = { why = "x", answer = "some" } },',
        "unknown answer some" },
      { "a collection the digest does not have", with '  sample = { ["GET /samples"] = { why = "x" } },',
        "no collection sample" },
      { "a string path parameter it does not describe", (overlay:gsub("\n  api_clients = {.-\n  },\n", "\n")),
        "the path parameter api_client_id of /api%-clients/{api_client_id} is not an integer" },
      { "a parameter the digest does not have", (overlay:gsub("data_type = {", "data_typo = {")),
        "no string path parameter data_typo" },
      { "a single read with no answer documented or said", (overlay:gsub('answer = "record",', "")),
        "no documented answer for GET /qbench/api/v2/auth/token/info" },
    } do
      it("refuses " .. case[1], function()
        assert.are_not.equal(overlay, case[2], "the case changes the overlay")
        local ok, err = generate(case[2])
        assert.is_false(ok)
        assert.matches(case[3], err)
      end)
    end
  end)

  describe("the reference, doc/v2-operations.md", function()
    local doc = read("doc/v2-operations.md")

    -- The text of collection `name`'s section.
    local function section(name)
      local from = assert(doc:find('<a name="' .. name .. '"></a>', 1, true), "no anchor for " .. name)
      local to = doc:find("<a name=", from + 1, true) or #doc + 1
      return doc:sub(from, to - 1)
    end

    it("has one anchor per collection, linked from the list of collections", function()
      for _, name in ipairs(require("qbench.v2").collections()) do
        local _, n = doc:gsub('<a name="' .. name .. '"></a>', "")
        assert.equal(1, n, name)
        assert.is_truthy(doc:find("[" .. name .. "](#" .. name .. ")", 1, true), name)
        assert.is_truthy(section(name):find("\n### " .. name .. "\n", 1, true), name)
      end
    end)

    it("lists each operation's filters with their types and values", function()
      local samples = section("samples")
      assert.is_truthy(samples:find("#### `GET /samples`: `v2.samples:list{...}, :page, :pages, :all`", 1, true))
      assert.is_truthy(samples:find("| `order_ids` | array of integer |  |", 1, true))
      assert.is_truthy(samples:find("| `sort_order` | string | `ASC`, `DESC` |", 1, true))
      assert.is_truthy(samples:find("| `last_updated_start` | string | `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS` (UTC, optional `Z`) |", 1, true))
      assert.is_nil(samples:find("| `page_size` |", 1, true))
    end)

    it("lists each write's body fields with their types, values and whether required", function()
      local samples = section("samples")
      assert.is_truthy(samples:find("#### `POST /samples`: `v2.samples:create(records)`\n\nEach record's fields", 1, true))
      assert.is_truthy(samples:find("| `order_id` | integer |  |  |", 1, true))
      assert.is_truthy(section("invoices"):find("| `template_id` | integer |  | yes |", 1, true))
      local customers = section("customers")
      assert.is_truthy(customers:find("| `customer_name` | string (at most 250 characters) |  |  |", 1, true))
      local invoices = section("invoices")
      assert.is_truthy(invoices:find("The body's fields, one JSON object:", 1, true))
    end)

    it("says each collection's quirks under it", function()
      assert.is_truthy(section("labels"):find("- `POST /labels/{label_id}/{data_type}`: The write's path ends in a parameter", 1, true))
      assert.is_truthy(section("api_clients"):find("- `api_client_id`: QBench names an API client by a string id", 1, true))
      assert.is_nil(section("samples"):find("What QBench does here", 1, true))
    end)
  end)
end)
