-- TLS: verification is on by default, ca_file adds a CA, a certificate for
-- another name is refused, and only an explicit insecure = true turns the
-- checks off. Certificates are made here with the openssl CLI.
local qbench = require "qbench"
local helper = require "helper"

local q = helper.shell_quote

local function sh(cmd)
  assert(os.execute(cmd .. " 2>/dev/null"), "failed: " .. cmd)
end

describe("TLS", function()
  local dir, self_signed, other_name, good

  local EC = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"

  -- A key and a certificate for `san`, signed by the test CA.
  local function signed(name, cn, san)
    local key, csr, cert = dir .. "/" .. name .. ".key", dir .. "/" .. name .. ".csr", dir .. "/" .. name .. ".pem"
    local ext = dir .. "/" .. name .. ".ext"
    local f = assert(io.open(ext, "w"))
    f:write("subjectAltName=" .. san .. "\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    f:close()
    sh("openssl req " .. EC .. " -keyout " .. q(key) .. " -out " .. q(csr) .. " -subj " .. q("/CN=" .. cn))
    sh("openssl x509 -req -in " .. q(csr) .. " -CA " .. q(dir .. "/ca.pem") .. " -CAkey " .. q(dir .. "/ca.key")
      .. " -CAcreateserial -days 2 -out " .. q(cert) .. " -extfile " .. q(ext))
    return cert, key
  end

  local function serve(cert, key)
    return helper.start { "--tls-cert", cert, "--tls-key", key, "--token", "t", "--quiet", "--die-with-parent" }
  end

  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    sh("mkdir -p " .. q(dir))
    sh("openssl req -x509 " .. EC .. " -keyout " .. q(dir .. "/ca.key") .. " -out " .. q(dir .. "/ca.pem")
      .. " -days 2 -subj '/CN=qbench test CA' -addext basicConstraints=critical,CA:TRUE"
      .. " -addext keyUsage=critical,keyCertSign,cRLSign")
    sh("openssl req -x509 " .. EC .. " -keyout " .. q(dir .. "/self.key") .. " -out " .. q(dir .. "/self.pem")
      .. " -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1")
    self_signed = serve(dir .. "/self.pem", dir .. "/self.key")
    good = serve(signed("good", "127.0.0.1", "IP:127.0.0.1"))
    other_name = serve(signed("other", "lims.example.org", "DNS:lims.example.org"))
  end)

  teardown(function()
    for _, sb in ipairs { self_signed, good, other_name } do sb.stop() end
    os.execute("rm -rf " .. q(dir))
  end)

  local function get(sb, extra)
    local opts = { url = sb.url, token = "t", retries = 0, connect_timeout = 5 }
    for k, v in pairs(extra or {}) do opts[k] = v end
    local qb <close> = qbench.new(opts)
    return qb.customer:get(1)
  end

  it("the default client refuses a self-signed certificate: kind tls", function()
    local c, err = get(self_signed)
    assert.is_nil(c)
    assert.equal("tls", err.kind)
    assert.is_nil(err.status)
    c, err = get(self_signed, { insecure = false })
    assert.is_nil(c)
    assert.equal("tls", err.kind)
  end)

  it("never retries a certificate that failed verification: the next try would fail the same", function()
    local c, err = get(self_signed, { retries = 3, sleep = function() error("no wait expected") end })
    assert.is_nil(c)
    assert.equal("tls", err.kind)
    assert.equal(1, err.attempts)
  end)

  it("refuses a certificate from an unknown CA, and accepts it with ca_file", function()
    local c, err = get(good)
    assert.is_nil(c)
    assert.equal("tls", err.kind)
    c = assert(get(good, { ca_file = dir .. "/ca.pem" }))
    assert.equal(1, c.id)
  end)

  it("refuses a valid certificate for another host name", function()
    local c, err = get(other_name, { ca_file = dir .. "/ca.pem" })
    assert.is_nil(c)
    assert.equal("tls", err.kind)
    assert.matches("127.0.0.1", err.message, 1, true)
  end)

  it("a ca_file that cannot be read is a tls error, not a silent fallback", function()
    local c, err = get(good, { ca_file = dir .. "/missing.pem" })
    assert.is_nil(c)
    assert.equal("tls", err.kind)
  end)

  it("only insecure = true turns verification off", function()
    assert.equal(1, assert(get(self_signed, { insecure = true })).id)
    assert.equal(1, assert(get(other_name, { insecure = true })).id)
    local ok, err = pcall(qbench.new, { url = self_signed.url, token = "t", insecure = "yes" })
    assert.is_false(ok)
    assert.matches("option insecure must be a boolean", err)
  end)
end)
