-- core.new{proxy = ...}: nil follows libcurl's environment variables except
-- that loopback never goes through a proxy; false is never a proxy; a URL is
-- that proxy for everything. A raw server plays the proxy (it sees the
-- absolute-form request line), another the target; the environment is set
-- in a child lua5.4, since Lua cannot set its own.
local helper = require "helper"
local raw = require "rawserver"

local q = helper.shell_quote

local PROXY_ANSWER = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nproxy"
local TARGET_ANSWER = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\ntarget"

-- Runs in the child: GETs each URL of T_URLS with a handle whose proxy option is
-- T_PROXY ("nil", "false" or a URL) and prints "URL STATUS BODY" per line.
local CHILD = [[
package.cpath = (os.getenv("QBENCH_CPATH") or "build/?.so") .. ";" .. package.cpath
local core = require "qbench.core"
local mode = os.getenv("T_PROXY")
local opts = { timeout = 5, connect_timeout = 2 }
if mode == "false" then opts.proxy = false elseif mode ~= "nil" then opts.proxy = mode end
local h = core.new(opts)
for url in os.getenv("T_URLS"):gmatch("%S+") do
  local status, _, body = h:request("GET", url)
  io.write(url, " ", tostring(status), " ", tostring(body), "\n")
end
h:close()
]]

local PROXY_VARS = { "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
  "no_proxy", "NO_PROXY" }

-- {URL = "STATUS BODY"} from the child run with `env` (and no other proxy variable).
local function run(env, proxy, urls)
  local words = { "timeout 30 env" }
  for _, name in ipairs(PROXY_VARS) do words[#words + 1] = "-u " .. name end
  for k, v in pairs(env) do words[#words + 1] = q(k .. "=" .. v) end
  words[#words + 1] = q("T_PROXY=" .. proxy)
  words[#words + 1] = q("T_URLS=" .. table.concat(urls, " "))
  words[#words + 1] = "lua5.4 -e " .. q(CHILD) .. " 2>&1"
  local p = assert(io.popen(table.concat(words, " ")))
  local out = p:read("a")
  assert.is_true(p:close(), out)
  local got = {}
  for url, rest in out:gmatch("(%S+) ([^\n]*)\n") do got[url] = rest end
  return got
end

-- Request lines of a raw server's log.
local function request_lines(srv)
  local lines = {}
  for _, r in ipairs(srv.requests()) do lines[#lines + 1] = r:match("^[^\r\n]*") end
  return lines
end

describe("proxy", function()
  local proxy, target
  before_each(function()
    proxy = raw.start { PROXY_ANSWER }
    target = raw.start { TARGET_ANSWER }
  end)
  after_each(function()
    proxy.stop()
    target.stop()
  end)

  describe("nil: the environment's", function()
    it("loopback bypasses http_proxy; other hosts go through it", function()
      local p = target.port
      local got = run({ http_proxy = proxy.url }, "nil", {
        "http://127.0.0.1:" .. p .. "/v4", "http://127.0.0.9:" .. p .. "/v4-net", "http://localhost:" .. p .. "/name",
        "http://[::1]:" .. p .. "/v6", "http://0.0.0.0:" .. p .. "/other",
      })
      assert.equal("200 target", got["http://127.0.0.1:" .. p .. "/v4"])
      assert.equal("200 target", got["http://localhost:" .. p .. "/name"])
      assert.equal("200 proxy", got["http://0.0.0.0:" .. p .. "/other"])
      -- 127.0.0.9 and ::1 are loopback too: never the proxy, whatever became of them directly
      assert.not_equal("200 proxy", got["http://127.0.0.9:" .. p .. "/v4-net"])
      assert.not_equal("200 proxy", got["http://[::1]:" .. p .. "/v6"])
      assert.same({ "GET http://0.0.0.0:" .. p .. "/other HTTP/1.1" }, request_lines(proxy))
      local direct = request_lines(target)
      assert.equal("GET /v4 HTTP/1.1", direct[1])
      assert.equal("GET /name HTTP/1.1", direct[#direct])
    end)

    it("keeps the environment's no_proxy, lower or upper case", function()
      local url = "http://0.0.0.0:" .. target.port .. "/listed"
      for _, var in ipairs { "no_proxy", "NO_PROXY" } do
        local got = run({ http_proxy = proxy.url, [var] = "example.org, 0.0.0.0" }, "nil", { url })
        assert.equal("200 target", got[url], var)
      end
      local got = run({ http_proxy = proxy.url, no_proxy = "*" }, "nil", { url })
      assert.equal("200 target", got[url], "*")
      assert.same({}, request_lines(proxy))
      assert.equal(3, #request_lines(target))
    end)
  end)

  it("false: never a proxy", function()
    local url = "http://0.0.0.0:" .. target.port .. "/direct"
    local got = run({ http_proxy = proxy.url, ALL_PROXY = proxy.url }, "false", { url })
    assert.equal("200 target", got[url])
    assert.same({}, request_lines(proxy))
    assert.same({ "GET /direct HTTP/1.1" }, request_lines(target))
  end)

  it("a URL: that proxy for everything, loopback included, whatever no_proxy says", function()
    local url = "http://127.0.0.1:" .. target.port .. "/via"
    local got = run({ no_proxy = "127.0.0.1,localhost" }, proxy.url, { url })
    assert.equal("200 proxy", got[url])
    local sent = proxy.requests()
    assert.equal(1, #sent)
    local start = "GET " .. url .. " HTTP/1.1\r\nHost: 127.0.0.1:" .. target.port .. "\r\n"
    assert.equal(start, sent[1]:sub(1, #start))
    assert.same({}, request_lines(target))
  end)

  it("anything else raises at new", function()
    local core = require "qbench.core"
    for _, bad in ipairs { true, 42, "", "http://127.0.0.1:1\r\nX-Injected: 1", "http://p\0x" } do
      local ok, err = pcall(core.new, { proxy = bad })
      assert.is_false(ok)
      assert.matches("bad argument #1 to '[%w.]*new' %(proxy ", err)
    end
  end)
end)
