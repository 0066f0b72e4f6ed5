-- qbench-sandbox v2: every operation of the digest answers. Paths and
-- bodies are built from api/qbench-api-v2.json itself, not from the
-- sandbox's generated table, so a table that lost an operation fails here.
local helper = require "helper"
local core = require "qbench.core"

local call = helper.call

-- A value for each path parameter that names a seeded record (record 1 of
-- every collection is linked to record 1 of the others).
local function path_of(op, api_client_id)
  return (op.path:gsub("{([%w_]+)}", function(name)
    if name == "api_client_id" then return api_client_id end
    if name == "data_type" then return "samples" end
    return "1"
  end))
end

local function api_client_id()
  local _, body = call("GET", helper.V2 .. "api-clients?page_size=1")
  return body.data[1].id
end

local CLIENT_ID, SECRET = "walker", "walk-secret"
local GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"

-- The multipart body of a token endpoint: a signed grant, or for the
-- refresh endpoint the refresh token a grant just gave.
local function token_form(op, sb)
  local grant = { { "grant_type", GRANT }, { "assertion", helper.jwt(CLIENT_ID, SECRET) } }
  if not op.path:match("/refresh$") then return helper.multipart(grant) end
  local body, headers = helper.multipart(grant)
  local _, answer = call("POST", helper.V2 .. "auth/token", { target = sb, token = false, body = body, headers = headers })
  return helper.multipart { { "refresh_token_id", answer.refresh_token } }
end

local function expected_status(op)
  for code in pairs(op.responses or {}) do
    if code:match("^2") then return tonumber(code) end
  end
  return 200
end

describe("sandbox v2 walk", function()
  local ops = helper.v2_digest()

  it("the digest has the 169 operations the task counts", function()
    local n = { GET = 0, POST = 0, PATCH = 0, DELETE = 0, lists = 0 }
    for _, op in ipairs(ops) do
      n[op.method] = n[op.method] + 1
      for _, p in ipairs(op.params or {}) do
        if p.name == "page_num" and op.method == "GET" then n.lists = n.lists + 1 end
      end
    end
    assert.same({ GET = 108, POST = 31, PATCH = 14, DELETE = 16, lists = 70 }, n)
  end)

  it("answers 200 to every GET with existing ids, lists with the v2 envelope", function()
    helper.reset()
    local client = api_client_id()
    local failures = {}
    for _, op in ipairs(ops) do
      if op.method == "GET" then
        local path = path_of(op, client)
        local status, body = call("GET", path)
        local list = false
        for _, p in ipairs(op.params or {}) do if p.name == "page_num" then list = true end end
        if status ~= 200 or type(body) ~= "table" or body.data == nil then
          failures[#failures + 1] = path .. " -> " .. tostring(status)
        elseif list and not (math.type(body.page_number) == "integer" and math.type(body.total_count) == "integer"
            and math.type(body.total_pages) == "integer") then
          failures[#failures + 1] = path .. " -> no list envelope"
        end
      end
    end
    assert.same({}, failures)
  end)

  it("answers its 2xx to a minimal valid body on every write", function()
    local sb = helper.start { "--token", "t", "--client-id", CLIENT_ID, "--client-secret", SECRET,
      "--quiet", "--die-with-parent" }
    local failures, count = {}, 0
    for _, op in ipairs(ops) do
      if op.method ~= "GET" then
        count = count + 1
        helper.reset(nil, sb)
        local _, clients = call("GET", helper.V2 .. "api-clients?page_size=1", { target = sb, token = "t" })
        local path = path_of(op, clients.data[1].id)
        local opts = { target = sb, token = "t" }
        local ctype = op.body and op.body ~= core.null and op.body.content_type
        if ctype == "application/json" then
          opts.body = helper.v2_minimal(op.body.schema)
        elseif ctype == "multipart/form-data" then
          opts.body, opts.headers = token_form(op, sb)
        end
        local status, body, _, raw = call(op.method, path, opts)
        if status ~= expected_status(op) then
          failures[#failures + 1] = op.method .. " " .. path .. " -> " .. tostring(status) .. " " .. tostring(raw)
        elseif status == 204 and raw ~= "" then
          failures[#failures + 1] = op.method .. " " .. path .. " -> 204 with a body"
        elseif status ~= 204 and (type(body) ~= "table") then
          failures[#failures + 1] = op.method .. " " .. path .. " -> not JSON"
        end
      end
    end
    sb.stop()
    assert.equal(61, count)
    assert.same({}, failures)
  end)
end)
