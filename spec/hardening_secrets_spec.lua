-- No secret out: across the fault matrix, with both kinds of authentication,
-- no string the library produces (errors and everything in them, tostring
-- of every object, on_request's info, QBENCH_DEBUG's lines, argument
-- errors) contains the token, the client secret or an issued access token.
local helper = require "helper"

local TOKEN = "tok-SECRET-7f3a9c1e"
local CLIENT_ID = "lab-script"
local CLIENT_SECRET = "cs-SECRET-b6d2e804"

describe("secrets", function()
  local sb

  setup(function()
    sb = helper.start { "--port", "0", "--token", TOKEN, "--client-id", CLIENT_ID,
      "--client-secret", CLIENT_SECRET, "--quiet", "--die-with-parent" }
  end)
  teardown(function() sb.stop() end)

  it("never appear in anything the library says", function()
    local errfile, issued_file = os.tmpname(), os.tmpname()
    local cmd = string.format("SB_URL=%s TOKEN=%s CLIENT_ID=%s CLIENT_SECRET=%s ISSUED_FILE=%s QBENCH_DEBUG=1 "
      .. "lua5.4 spec/hardening_secrets_probe.lua 2>%s", helper.shell_quote(sb.url), TOKEN, CLIENT_ID,
      CLIENT_SECRET, helper.shell_quote(issued_file), helper.shell_quote(errfile))
    local p = assert(io.popen(cmd))
    local said = p:read("a")
    local ok = p:close()
    local f = assert(io.open(errfile))
    local debug = f:read("a")
    f:close()
    os.remove(errfile)
    assert.is_true(ok, "the probe failed: " .. debug:sub(-2000))

    -- The run did go through the failures it is meant to cover.
    for _, kind in ipairs { "network", "timeout", "decode", "http", "auth", "rate_limit" } do
      assert.matches("(" .. kind .. ")", said, 1, true)
    end
    assert.matches("token request refused", said, 1, true)
    assert.matches("closed qbench client", said, 1, true)
    assert.matches("qbench: GET /qbench/api/v1/customer/1 %-> 503", debug)

    local secrets = { TOKEN, CLIENT_SECRET }
    for token in io.lines(issued_file) do secrets[#secrets + 1] = token end
    os.remove(issued_file)
    assert.is_true(#secrets > 2, "an access token was issued and used")
    for _, s in ipairs(secrets) do
      assert.is_nil(said:find(s, 1, true), "a secret in what the library returned: " .. s)
      assert.is_nil(debug:find(s, 1, true), "a secret in the QBENCH_DEBUG output: " .. s)
    end
  end)
end)
