-- What the C handle says when a transfer fails: the sixth value `final`
-- (retrying cannot help), answers cut inside their headers (libcurl calls
-- those a success), and headers over libcurl's limits (which libcurl calls
-- "Out of memory"). Each case is checked through request and through
-- start + wait_any, which must agree.
local core = require "qbench.core"
local helper = require "helper"
local raw = require "rawserver"

local CUT = "the answer was cut off inside its headers"
local LINE_CAP = "an answer header is larger than libcurl's limit (100 KB)"

local function handle(extra)
  local opts = { raw_headers = true, timeout = 5, connect_timeout = 2, proxy = false }
  for k, v in pairs(extra or {}) do opts[k] = v end
  return core.new(opts)
end

-- Both ways of asking `url`: {request's results}, {wait_any's results after the tag}.
local function both(url, extra)
  local h <close> = handle(extra)
  local single = table.pack(h:request("GET", url))
  h:start(7, "GET", url)
  local multi = table.pack(h:wait_any())
  assert.equal(7, multi[1])
  return single, table.pack(table.unpack(multi, 2, multi.n))
end

-- Asks a raw server that plays `answer` once per way; returns both results.
local function served(answer, extra)
  local srv = raw.start { answer }
  local single, multi = both(srv.url .. "/", extra)
  srv.stop()
  return single, multi
end

local function assert_failure(r, kind, message, code, sent, final)
  assert.equal(6, r.n, "six values")
  assert.is_nil(r[1])
  assert.equal(kind, r[2])
  if message then assert.equal(message, r[3]) end
  assert.equal(code, r[4], r[3])
  assert.equal(sent, r[5])
  assert.equal(final, r[6])
end

describe("failures", function()
  describe("cut inside the headers", function()
    local CASES = {
      { "after the status line", "HTTP/1.1 200 OK\r\n" },
      { "after a header line", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" },
      { "inside a header line", "HTTP/1.1 200 OK\r\nContent-Ty" },
      { "after the LF of a bare-LF header block", "HTTP/1.1 200 OK\nContent-Length: 2\n" },
      { "inside the final block after a 100 Continue", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nX-A: 1\r\n" },
    }
    for _, c in ipairs(CASES) do
      it(c[1] .. ": network, sent, not final", function()
        local single, multi = served(c[2])
        assert_failure(single, "network", CUT, 18, true, false)
        assert_failure(multi, "network", CUT, 18, true, false)
      end)
    end

    it("an answer whose header block ended is whole, even with an empty body", function()
      for _, c in ipairs {
        { "HTTP/1.1 200 OK\r\n\r\n", "HTTP/1.1 200 OK\r\n\r\n", "" },
        { "HTTP/1.1 200 OK\nX-A: 1\n\n", "HTTP/1.1 200 OK\nX-A: 1\n\n", "" },
        { "HTTP/1.1 204 No Content\r\n\r\n", "HTTP/1.1 204 No Content\r\n\r\n", "" },
        { "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
          "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", "ok" },
      } do
        local single, multi = served(c[1])
        for _, r in ipairs { single, multi } do
          assert.equal(3, r.n)
          assert.is_number(r[1])
          assert.equal(c[2], r[2])
          assert.equal(c[3], r[3])
        end
      end
    end)
  end)

  describe("headers over libcurl's limits", function()
    it("one 200 KB header line: network, final, and says so", function()
      local single, multi = served("HTTP/1.1 200 OK\r\nX-Big: " .. string.rep("a", 200000) .. "\r\nContent-Length: 2\r\n\r\nok")
      assert_failure(single, "network", LINE_CAP, 27, true, true)
      assert_failure(multi, "network", LINE_CAP, 27, true, true)
    end)

    it("a 200 KB line that never ends is the same", function()
      local single, multi = served("HTTP/1.1 200 OK\r\nX-Big: " .. string.rep("a", 200000))
      assert_failure(single, "network", LINE_CAP, 27, true, true)
      assert_failure(multi, "network", LINE_CAP, 27, true, true)
    end)

    it("a 200 KB status line", function()
      local single, multi = served("HTTP/1.1 200 " .. string.rep("a", 200000) .. "\r\nContent-Length: 2\r\n\r\nok")
      local message = "the answer's status line is larger than libcurl's limit (100 KB)"
      assert_failure(single, "network", message, 27, true, true)
      assert_failure(multi, "network", message, 27, true, true)
    end)

    it("a 99 KB header line is accepted, byte for byte", function()
      local head = "HTTP/1.1 200 OK\r\nX-Big: " .. string.rep("b", 99 * 1024) .. "\r\nContent-Length: 2\r\n\r\n"
      local single, multi = served(head .. "ok")
      for _, r in ipairs { single, multi } do
        assert.equal(200, r[1])
        assert.equal(head, r[2])
        assert.equal("ok", r[3])
      end
    end)

    it("300 KB of header lines in all (libcurl's cap on a block): network, final", function()
      local lines = string.rep("X-Big: " .. string.rep("c", 50000) .. "\r\n", 8)
      local single, multi = served("HTTP/1.1 200 OK\r\n" .. lines .. "Content-Length: 2\r\n\r\nok")
      for _, r in ipairs { single, multi } do
        assert_failure(r, "network", nil, 56, true, true)
        assert.matches("^the answer's headers are larger than libcurl's limit %(Too large response headers: %d+ > %d+%)$", r[3])
      end
    end)
  end)

  describe("final", function()
    it("an answer over max_response_bytes is final", function()
      local single, multi = served("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" .. string.rep("x", 100),
        { max_response_bytes = 10 })
      local message = "response larger than max_response_bytes (10 bytes); transfer stopped"
      assert_failure(single, "network", message, 23, true, true)
      assert_failure(multi, "network", message, 23, true, true)
    end)

    it("a refused connection is neither sent nor final", function()
      local srv = raw.start { "HTTP/1.1 200 OK\r\n\r\n" }
      local url = srv.url .. "/"
      srv.stop() -- the port is free now: nothing listens
      local single, multi = both(url)
      assert_failure(single, "network", nil, 7, false, false)
      assert_failure(multi, "network", nil, 7, false, false)
    end)

    it("a server error answer is not a failure of the transfer", function()
      local single, multi = served("HTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\nbusy")
      for _, r in ipairs { single, multi } do
        assert.equal(3, r.n)
        assert.equal(503, r[1])
      end
    end)

    describe("TLS", function()
      local dir, self_signed
      local q = helper.shell_quote

      setup(function()
        dir = os.tmpname()
        os.remove(dir)
        assert(os.execute("mkdir -p " .. q(dir)))
        assert(os.execute("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "
          .. q(dir .. "/self.key") .. " -out " .. q(dir .. "/self.pem")
          .. " -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null"))
        self_signed = helper.start { "--tls-cert", dir .. "/self.pem", "--tls-key", dir .. "/self.key", "--token", "t",
          "--quiet", "--die-with-parent" }
      end)

      teardown(function()
        self_signed.stop()
        os.execute("rm -rf " .. q(dir))
      end)

      it("a certificate that does not verify is final", function()
        local single, multi = both(self_signed.url .. "/qbench/api/v1/customer/1")
        assert_failure(single, "tls", nil, 60, false, true) -- CURLE_PEER_FAILED_VERIFICATION
        assert_failure(multi, "tls", nil, 60, false, true)
      end)

      it("a CA file that cannot be read is final", function()
        local single, multi = both(self_signed.url .. "/", { ca_file = dir .. "/missing.pem" })
        assert_failure(single, "tls", nil, 77, false, true) -- CURLE_SSL_CACERT_BADFILE
        assert_failure(multi, "tls", nil, 77, false, true)
      end)

      it("a handshake that merely broke is not final", function()
        -- A plain HTTP answer to the ClientHello: the handshake fails, the certificate was never seen.
        local srv = raw.start { { "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", noread = true } }
        local single, multi = both((srv.url:gsub("^http:", "https:")) .. "/")
        srv.stop()
        assert_failure(single, "tls", nil, 35, false, false) -- CURLE_SSL_CONNECT_ERROR
        assert_failure(multi, "tls", nil, 35, false, false)
      end)

      it("insecure = true gets the answer", function()
        local single, multi = both(self_signed.url .. "/qbench/api/v1/customer/1", { insecure = true })
        assert.equal(401, single[1]) -- no token: the server answered
        assert.equal(401, multi[1])
      end)
    end)
  end)
end)
