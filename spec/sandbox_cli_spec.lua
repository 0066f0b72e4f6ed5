-- qbench-sandbox: the command line, signals and TLS.
local helper = require "helper"
local core = require "qbench.core"

local q = helper.shell_quote

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

-- Runs the sandbox with args (which must make it exit) -> code, stdout, stderr.
local function run(args)
  local out, err = os.tmpname(), os.tmpname()
  local cmd = { q(helper.binary) }
  for _, a in ipairs(args) do cmd[#cmd + 1] = q(a) end
  local _, _, code = os.execute("timeout 5 " .. table.concat(cmd, " ") .. " >" .. out .. " 2>" .. err)
  local o, e = slurp(out), slurp(err)
  os.remove(out)
  os.remove(err)
  return code, o, e
end

local function sh(script)
  local f = assert(io.popen(script))
  local out = f:read("a")
  f:close()
  return out
end

-- Command lines that must make the sandbox exit (each within 5 s), run all in
-- one shell the first time a result is asked for (two processes per case,
-- not three, and no temporary files per case: the suite runs on loaded
-- machines): batch(args) registers a case and returns a function giving its
-- exit code, stdout and stderr.
local batched, results = {}, nil
local function batch(args)
  batched[#batched + 1] = args
  local i = #batched
  return function()
    if not results then
      local dir = os.tmpname()
      os.remove(dir)
      assert(os.execute("mkdir " .. q(dir)))
      local lines = {}
      for n, a in ipairs(batched) do
        local cmd = { q(helper.binary) }
        for _, arg in ipairs(a) do cmd[#cmd + 1] = q(arg) end
        lines[#lines + 1] = string.format("timeout 5 %s >%s/o%d 2>%s/e%d; echo $? >%s/c%d", table.concat(cmd, " "),
          dir, n, dir, n, dir, n)
      end
      os.execute("sh -c " .. q(table.concat(lines, "\n")))
      results = {}
      for n in ipairs(batched) do
        results[n] = { tonumber(slurp(dir .. "/c" .. n)), slurp(dir .. "/o" .. n), slurp(dir .. "/e" .. n) }
      end
      os.execute("rm -rf " .. q(dir))
    end
    return table.unpack(results[i])
  end
end

describe("sandbox command line", function()
  it("prints its usage for --help and exits 0", function()
    local code, out, err = run { "--help" }
    assert.equal(0, code)
    assert.matches("^usage: qbench%-sandbox %[options%]", out)
    assert.matches("--rate-limit N/SECONDS", out, 1, true)
    assert.equal("", err)
  end)

  for _, case in ipairs {
    { { "--bogus" }, "unknown option '--bogus'" },
    { { "--port", "abc" }, "bad value for --port: 'abc'" },
    { { "--port", "70000" }, "bad value for --port: '70000'" },
    { { "--port" }, "option '--port' needs a value" },
    { { "--customers", "-1" }, "bad value for --customers: '-1'" },
    { { "--latency-ms", "1.5" }, "bad value for --latency-ms: '1.5'" },
    { { "--rate-limit", "300" }, "bad value for --rate-limit: '300'" },
    { { "--rate-limit", "300/0" }, "bad value for --rate-limit: '0'" },
    { { "--concurrency-limit", "0" }, "bad value for --concurrency-limit: '0'" },
    { { "--client-id", "abc" }, "--client-id and --client-secret go together" },
    { { "--tls-cert", "x.pem" }, "--tls-cert and --tls-key go together" },
    { { "--token", "" }, "--token must not be empty" },
    { { "extra" }, "unexpected argument 'extra'" },
    { { "--v2-scale", "0" }, "bad value for --v2-scale: '0'" },
    { { "--v2-scale", "1001" }, "bad value for --v2-scale: '1001'" },
    { { "--v2-sizes" }, "option '--v2-sizes' needs a value" },
    { { "--client-id", "a", "--client-secret", "--quiet" }, "option '--client-secret' needs a value" },
    { { "--token", "--strict-schema" }, "option '--token' needs a value" },
    { { "--seed", "1.5" }, "bad value for --seed: '1.5'" },
    { { "--seed", "99999999999999999999" }, "bad value for --seed: '99999999999999999999'" },
    { { "--log-limit", "-1" }, "bad value for --log-limit: '-1'" },
    { { "--customers", "1e3" }, "bad value for --customers: '1e3'" },
    { { "--latency-ms", "0x10" }, "bad value for --latency-ms: '0x10'" },
    { { "--strict-schema", "yes" }, "unexpected argument 'yes'" },
  } do
    local result = batch(case[1])
    it("exits 2 with the usage on stderr for " .. table.concat(case[1], " "), function()
      local code, out, err = result()
      assert.equal(2, code)
      assert.equal("", out)
      assert.matches("qbench-sandbox: " .. case[2], err, 1, true)
      assert.matches("usage: qbench-sandbox", err, 1, true)
    end)
  end

  for _, flag in ipairs { "--token-ttl", "--rate-limit" } do
    for _, bad in ipairs { "0", "0.0001", "-1", "1e2", "0x10", ".5", "1.", "abc", " 1", "inf", "nan" } do
      local value = flag == "--rate-limit" and "5/" .. bad or bad
      local result = batch { flag, value }
      it("exits 2 naming the seconds for " .. flag .. " " .. value, function()
        local code, out, err = result()
        assert.equal(2, code)
        assert.equal("", out)
        assert.matches("qbench-sandbox: bad value for " .. flag .. ": '" .. bad .. "' (expected seconds from 0.001 to ", err, 1, true)
        assert.is_nil(err:find("traceback", 1, true))
      end)
    end
  end

  it("takes fractions of a second for --token-ttl and --rate-limit, and --strict-schema", function()
    local sb = helper.start { "--token-ttl", "0.25", "--rate-limit", "5/0.2", "--strict-schema", "--quiet",
      "--die-with-parent", "--token", "t" }
    local status, _, headers = helper.call("GET", "/qbench/api/v1/customer/1", { target = sb, token = "t" })
    sb.stop()
    assert.equal(200, status)
    -- What is left of the 0.2 s window the request fell in, to the millisecond.
    local ttl = headers["x-qbapi-throttle-ttl"]
    assert.matches("^0%.%d%d?%d?$", ttl)
    assert.is_true(tonumber(ttl) > 0 and tonumber(ttl) <= 0.2, ttl)
  end)

  it("lists --strict-schema and the fractional seconds in its help", function()
    local _, out = run { "--help" }
    assert.matches("--strict-schema", out, 1, true)
    assert.matches("--token-ttl SECONDS      lifetime of issued access tokens, e.g. 3600 or 0.2", out, 1, true)
    assert.matches("e.g. 300/60 or 5/0.2", out, 1, true)
  end)

  for _, case in ipairs {
    { "samples=many", "--v2-sizes: expected NAME=N[,NAME=N...], got 'samples=many'" },
    { "widgets=3", "--v2-sizes: unknown collection 'widgets'" },
    { "nope=1", "--v2-sizes: unknown collection 'nope'" },
    { "samples=0", "--v2-sizes: samples must be an integer from 1 to 1000000" },
  } do
    local results_of = { batch { "--v2-sizes", case[1], "--quiet" }, batch { "--v2-sizes", case[1], "--die-with-parent" } }
    it("exits 1 with one line naming the problem for --v2-sizes " .. case[1], function()
      for _, result in ipairs(results_of) do
        local code, out, err = result()
        assert.equal(1, code)
        assert.equal("", out)
        assert.matches("^qbench%-sandbox: [^\n]*\n$", err)
        assert.equal("qbench-sandbox: " .. case[2], err:sub(1, #case[2] + 16))
      end
    end)
  end

  it("exits 1 when the port is taken", function()
    local sb = helper.sandbox()
    local code, out, err = run { "--port", tostring(sb.port), "--quiet" }
    assert.equal(1, code)
    assert.equal("", out)
    assert.matches("cannot listen on 127.0.0.1:" .. sb.port, err, 1, true)
  end)

  it("prints exactly one listening line and stops cleanly on SIGTERM (exit 0)", function()
    local out = sh("exec 2>&1; " .. q(helper.binary) .. " --port 0 --quiet & pid=$!; sleep 0.2; "
      .. "kill -TERM $pid; wait $pid; echo \"exit=$?\"")
    assert.matches("^qbench%-sandbox listening on http://127%.0%.0%.1:%d+\nexit=0\n$", out)
  end)

  it("stops cleanly on SIGINT too", function()
    local out = sh(q(helper.binary) .. " --port 0 --quiet >/dev/null & pid=$!; sleep 0.2; "
      .. "kill -INT $pid; wait $pid; echo \"exit=$?\"")
    assert.equal("exit=0\n", out)
  end)

  it("--die-with-parent: exits when the process that started it dies", function()
    local pid = sh("sh -c " .. q(q(helper.binary) .. " --port 0 --quiet --die-with-parent >/dev/null & echo $!; sleep 0.3"))
    pid = assert(tonumber(pid))
    -- Reaped by init or left a zombie: either way no longer running.
    local state
    for _ = 1, 20 do
      state = slurp("/proc/" .. pid .. "/stat"):match("^%d+ %b() (%a)")
      if state == nil or state == "Z" then break end
      os.execute("sleep 0.05")
    end
    assert.is_true(state == nil or state == "Z", "still running: " .. tostring(state))
  end)

  it("loads no module from disk: starts with an empty LUA_CPATH and ignores a LUA_PATH", function()
    -- A cjson.lua first on LUA_PATH that would break the start if the app looked there.
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir " .. q(dir)))
    local f = assert(io.open(dir .. "/cjson.lua", "w"))
    f:write('error("the sandbox read cjson.lua from LUA_PATH")\n')
    f:close()
    local path = q(dir .. "/?.lua")
    local out = sh("exec 2>&1; LUA_CPATH= LUA_CPATH_5_4= LUA_PATH=" .. path .. " LUA_PATH_5_4=" .. path .. " "
      .. q(helper.binary) .. " --port 0 --quiet & pid=$!; sleep 0.2; kill -TERM $pid; wait $pid; echo \"exit=$?\"")
    os.execute("rm -rf " .. q(dir))
    assert.matches("^qbench%-sandbox listening on http://127%.0%.0%.1:%d+\nexit=0\n$", out)
  end)

  it("answers from any working directory (the Lua app is embedded)", function()
    local bin = helper.binary
    if bin:sub(1, 1) ~= "/" then bin = sh("pwd"):gsub("\n$", "") .. "/" .. bin end
    local code, out = (function()
      local f = assert(io.popen("cd / && " .. q(bin) .. " --help"))
      local o = f:read("a")
      local _, _, c = f:close()
      return c, o
    end)()
    assert.equal(0, code)
    assert.matches("usage", out)
    local sb = helper.start { "--quiet", "--die-with-parent", "--token", "t" }
    local status = helper.call("GET", "/qbench/api/v1/customer/1", { target = sb, token = "t" })
    sb.stop()
    assert.equal(200, status)
  end)
end)

describe("sandbox over TLS", function()
  local dir, sb

  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. q(dir)))
    local ok = os.execute("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
      .. " -keyout " .. q(dir .. "/key.pem") .. " -out " .. q(dir .. "/cert.pem")
      .. " -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null")
    assert(ok, "openssl req failed")
    sb = helper.start { "--tls-cert", dir .. "/cert.pem", "--tls-key", dir .. "/key.pem",
      "--token", "t", "--quiet", "--die-with-parent" }
  end)

  teardown(function()
    if sb then sb.stop() end
    os.execute("rm -rf " .. q(dir))
  end)

  it("prints an https listening line", function()
    assert.matches("^https://127%.0%.0%.1:%d+$", sb.url)
  end)

  it("answers over HTTPS to a client trusting the certificate", function()
    local out = sh("curl -s --cacert " .. q(dir .. "/cert.pem") .. " -H 'Authorization: Bearer t' "
      .. q(sb.url .. "/qbench/api/v1/customer/1") .. " -w '\\n%{http_code}'")
    local body, status = out:match("^(.*)\n(%d+)$")
    assert.equal("200", status)
    assert.equal("Example Customer", core.decode(body).customer_name)
    local c = core.new { timeout = 10, ca_file = dir .. "/cert.pem" }
    local st = c:request("GET", sb.url .. "/qbench/api/v1/customer?page_size=1", { "Authorization: Bearer t" })
    c:close()
    assert.equal(200, st)
  end)

  it("is refused by a client that does not trust it", function()
    local status, kind = helper.http("GET", sb.url .. "/qbench/api/v1/customer/1")
    assert.is_nil(status)
    assert.equal("tls", kind)
  end)

  it("fails to start with an unreadable certificate (exit 1)", function()
    local code, _, err = run { "--tls-cert", dir .. "/missing.pem", "--tls-key", dir .. "/key.pem" }
    assert.equal(1, code)
    assert.equal("qbench-sandbox: cannot open " .. dir .. "/missing.pem: No such file or directory\n", err)
  end)

  it("names a certificate or key file that holds none, or a key of another certificate (exit 1)", function()
    local other = dir .. "/other-key.pem"
    assert(os.execute("openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:prime256v1 -out " .. q(other)
      .. " 2>/dev/null"))
    for _, case in ipairs {
      { dir .. "/key.pem", dir .. "/key.pem", "qbench-sandbox: " .. dir .. "/key.pem holds no PEM certificate" },
      { dir .. "/cert.pem", dir .. "/cert.pem", "qbench-sandbox: " .. dir .. "/cert.pem holds no unencrypted PEM private key" },
      { dir .. "/cert.pem", other, "qbench-sandbox: the key in " .. other .. " does not belong to the certificate in "
        .. dir .. "/cert.pem" },
    } do
      local code, out, err = run { "--tls-cert", case[1], "--tls-key", case[2], "--quiet" }
      assert.equal(1, code)
      assert.equal("", out)
      assert.equal(case[3] .. "\n", err)
    end
  end)
end)
