-- The C handle made by core.new: its name, and the strings that reach
-- request headers (user_agent, proxy, the token), which may not smuggle in
-- headers of their own (CR, LF) or be cut short by libcurl (NUL).
local core = require "qbench.core"
local raw = require "rawserver"

local OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

-- The raw request a handle made with `opts` sends, after `prepare(h)`.
local function sent_by(opts, prepare)
  local srv = raw.start { OK }
  local h <close> = core.new(opts)
  if prepare then prepare(h) end
  local status, _, body = h:request("GET", srv.url .. "/")
  local got = srv.requests()
  srv.stop()
  assert.equal(200, status, body)
  assert.equal(1, #got)
  return got[1]
end

describe("core handle", function()
  it("is a qbench.Handle, and tostring says so, and when it is closed", function()
    local h = core.new {}
    assert.equal("qbench.Handle", getmetatable(h).__name)
    assert.matches("^qbench%.Handle %(0x%x+%)$", tostring(h))
    h:close()
    assert.equal("qbench.Handle (closed)", tostring(h))
    h:close()
    assert.equal("qbench.Handle (closed)", tostring(h))
  end)

  it("its methods name qbench.Handle when given something else", function()
    local h <close> = core.new {}
    for _, name in ipairs { "request", "start", "wait_any", "pump", "cancel", "set_token", "close" } do
      local ok, err = pcall(h[name], setmetatable({}, { __name = "qbench.Client" }))
      assert.is_false(ok, name)
      assert.matches("qbench.Handle expected, got qbench.Client", err, 1, true)
    end
  end)

  it("a closed handle refuses every method but close", function()
    local h = core.new {}
    h:close()
    for _, call in ipairs {
      function() return h:request("GET", "http://127.0.0.1:9/") end,
      function() return h:start(1, "GET", "http://127.0.0.1:9/") end,
      function() return h:wait_any() end,
      function() return h:pump() end,
      function() return h:cancel(1) end,
      function() return h:set_token("t") end,
    } do
      local ok, err = pcall(call)
      assert.is_false(ok)
      assert.matches("attempt to use a closed qbench client", err, 1, true)
    end
  end)

  describe("user_agent", function()
    for _, bad in ipairs { "agent\r\nX-Injected: 1", "agent\nX-Injected: 1", "agent\rX", "agent\0hidden", "\n" } do
      it("with " .. string.format("%q", bad):gsub("\n", "n") .. " raises at new", function()
        local ok, err = pcall(core.new, { user_agent = bad })
        assert.is_false(ok)
        assert.matches("bad argument #1 to '[%w.]*new' %(user_agent must not contain CR, LF or NUL%)", err)
      end)
    end

    it("is sent exactly as given", function()
      local r = sent_by { user_agent = "lab-script/1.0 (qbench; +tabs\tok)", proxy = false }
      assert.truthy(r:find("\r\nUser-Agent: lab-script/1.0 (qbench; +tabs\tok)\r\n", 1, true), r)
    end)

    it("must be a string", function()
      local ok, err = pcall(core.new, { user_agent = 1 })
      assert.is_false(ok)
      assert.matches("user_agent must be a string", err, 1, true)
    end)
  end)

  it("ca_file with a NUL raises at new", function()
    local ok, err = pcall(core.new, { ca_file = "/etc/ssl/certs/ca-certificates.crt\0.evil" })
    assert.is_false(ok)
    assert.matches("ca_file must not contain NUL", err, 1, true)
  end)

  describe("set_token", function()
    for _, bad in ipairs { "tok\0en", "tok\r\nX-Injected: 1", "tok\nen", "tok\ren", "", "\0" } do
      it("refuses " .. string.format("%q", bad):gsub("\n", "n"), function()
        local h <close> = core.new {}
        local ok, err = pcall(h.set_token, h, bad)
        assert.is_false(ok)
        assert.matches("token must be a non-empty single line", err, 1, true)
      end)
    end

    it("sends the token as one Authorization header, and nil removes it", function()
      local r = sent_by({ proxy = false }, function(h) h:set_token("abc.DEF-123_~+/=") end)
      assert.truthy(r:find("\r\nAuthorization: Bearer abc.DEF-123_~+/=\r\n", 1, true), r)
      r = sent_by({ proxy = false }, function(h)
        h:set_token("abc")
        h:set_token(nil)
      end)
      assert.is_nil(r:find("Authorization", 1, true), r)
    end)

    it("a refused token leaves the previous one in place", function()
      local r = sent_by({ proxy = false }, function(h)
        h:set_token("good")
        assert.is_false(pcall(h.set_token, h, "bad\0"))
      end)
      assert.truthy(r:find("\r\nAuthorization: Bearer good\r\n", 1, true), r)
    end)
  end)
end)
