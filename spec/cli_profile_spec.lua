-- Profiles of the `qbench` command: named instances in an INI config file,
-- chosen with --profile or QBENCH_PROFILE; flags beat the environment, which
-- beats the profile. The file is hostile input like any other, and a secret
-- file others may read is refused, naming the file and its mode.
local qbench = require "qbench"
local helper = require "helper"
local process = require "process"

local lines_of = process.lines

describe("qbench profiles", function()
  local sb, dir

  setup(function() sb = helper.sandbox() end)
  before_each(function()
    helper.reset()
    dir = process.temp_dir()
  end)
  after_each(function() process.remove_dir(dir) end)

  local function write(name, text, mode)
    local path = dir .. "/" .. name
    local f = assert(io.open(path, "wb"))
    f:write(text)
    f:close()
    if mode then assert(os.execute(string.format("chmod %s %s", mode, helper.shell_quote(path)))) end
    return path
  end

  -- Runs qbench with only the environment given (and the config file of `dir`).
  local function run(args, env)
    local e = { QBENCH_CONFIG = dir .. "/config.ini" }
    for k, v in pairs(env or {}) do e[k] = v end
    return process.qbench(sb, args, { env = e })
  end

  local function authorization() return helper.last_request().headers.authorization end

  it("--profile NAME takes the url and a token from a 0600 file; QBENCH_PROFILE does the same", function()
    write("lab.token", sb.token .. "\n", "600")
    write("config.ini", "# my instances\n[lab]\nurl = " .. sb.url .. "\ntoken_file = lab.token\n\n"
      .. "[other]\nurl = http://127.0.0.1:1\ntoken_env = NOPE\n")
    local r = run { "--profile", "lab", "customers", "get", "1" }
    assert.equal(0, r.status, r.err)
    assert.equal(1, qbench.decode(r.out).id)
    assert.equal("Bearer " .. sb.token, authorization())
    r = run({ "v2", "tests", "get", "5" }, { QBENCH_PROFILE = "lab" })
    assert.equal(0, r.status, r.err)
    assert.equal(5, qbench.decode(r.out).id)
    assert.falsy((r.out .. r.err):find(sb.token, 1, true))
  end)

  it("flags beat the environment, which beats the profile, for the url and the credentials", function()
    write("config.ini", "[lab]\nurl = http://127.0.0.1:1\ntoken_env = LAB_TOKEN\n")
    -- The environment's url and token win over the profile's.
    local r = run({ "--profile", "lab", "customers", "get", "1" },
      { QBENCH_URL = sb.url, QBENCH_TOKEN = sb.token, LAB_TOKEN = "profile-token" })
    assert.equal(0, r.status, r.err)
    assert.equal("Bearer " .. sb.token, authorization())
    -- The profile's token when the environment has none.
    r = run({ "--profile", "lab", "customers", "get", "1" }, { QBENCH_URL = sb.url, LAB_TOKEN = "profile-token" })
    assert.equal(1, r.status)
    assert.equal("Bearer profile-token", authorization())
    -- Flags win over both.
    r = run({ "--profile", "lab", "--url", sb.url, "--token", sb.token, "customers", "get", "1" },
      { QBENCH_URL = "http://127.0.0.1:1", QBENCH_TOKEN = "env-token", LAB_TOKEN = "profile-token" })
    assert.equal(0, r.status, r.err)
    assert.equal("Bearer " .. sb.token, authorization())
    -- --profile beats QBENCH_PROFILE.
    write("config.ini", "[lab]\nurl = " .. sb.url .. "\ntoken_env = LAB_TOKEN\n[bad]\nurl = http://127.0.0.1:1\n")
    r = run({ "--profile", "lab", "customers", "get", "1" }, { QBENCH_PROFILE = "bad", LAB_TOKEN = sb.token })
    assert.equal(0, r.status, r.err)
  end)

  it("refuses a secret file group or others may read, naming the file and its mode, and sends nothing", function()
    write("config.ini", "[lab]\nurl = " .. sb.url .. "\ntoken_file = " .. dir .. "/lab.token\n")
    for _, mode in ipairs { "644", "640", "604", "660", "620" } do
      local path = write("lab.token", sb.token, mode)
      local r = run { "--profile", "lab", "customers", "get", "1" }
      assert.equal(2, r.status, mode)
      assert.equal("", r.out)
      assert.equal(string.format("qbench: profile [lab]: the token file %s has mode 0%s: others than its owner may read "
        .. "or change it; make it the owner's alone (chmod 600); see 'qbench customers get --help'\n", path, mode), r.err)
    end
    assert.same({}, helper.requests())
    for _, mode in ipairs { "600", "400" } do
      write("lab.token", sb.token, mode)
      local r = run { "--profile", "lab", "customers", "get", "1" }
      assert.equal(0, r.status, mode .. ": " .. r.err)
    end
  end)

  it("does the OAuth flow with the profile's client id and a secret from the environment or a file", function()
    local CLIENT_ID, SECRET = "profile-client", "profile-client-s3cret"
    local oauth = helper.start { "--token", "static", "--client-id", CLIENT_ID, "--client-secret", SECRET,
      "--customers", "3", "--quiet", "--die-with-parent" }
    write("config.ini", "[env]\nurl = " .. oauth.url .. "\nclient_id = " .. CLIENT_ID .. "\nclient_secret_env = LAB_SECRET\n"
      .. "[file]\nurl = " .. oauth.url .. "\nclient_id = " .. CLIENT_ID .. "\nclient_secret_file = ~/lab.secret\n")
    write("lab.secret", SECRET .. "\n", "600")
    for _, case in ipairs { { "env", { LAB_SECRET = SECRET } }, { "file", { HOME = dir } } } do
      helper.reset(nil, oauth)
      local r = run({ "--profile", case[1], "customers", "get", "2" }, case[2])
      assert.equal(0, r.status, case[1] .. ": " .. r.err)
      assert.equal(2, qbench.decode(r.out).id)
      local log = helper.requests(oauth)
      assert.equal("/qbench/oauth2/v1/token", log[1].path)
      assert.falsy((r.out .. r.err):find(SECRET, 1, true))
    end
    oauth.stop()
  end)

  it("finds the file in $XDG_CONFIG_HOME/qbench/ or ~/.config/qbench/ when QBENCH_CONFIG is not set", function()
    assert(os.execute("mkdir -p " .. helper.shell_quote(dir .. "/.config/qbench")))
    write(".config/qbench/config.ini", "[lab]\nurl = " .. sb.url .. "\ntoken_env = LAB_TOKEN\n")
    local r = run({ "--profile", "lab", "customers", "get", "1" },
      { QBENCH_CONFIG = "", XDG_CONFIG_HOME = "", HOME = dir, LAB_TOKEN = sb.token })
    assert.equal(0, r.status, r.err)
    r = run({ "--profile", "lab", "customers", "get", "1" },
      { QBENCH_CONFIG = "", XDG_CONFIG_HOME = dir .. "/.config", HOME = "/nonexistent", LAB_TOKEN = sb.token })
    assert.equal(0, r.status, r.err)
  end)

  it("reads the config file as hostile data: each problem is one usage line with its line number", function()
    local cases = {
      { "[lab]\nurl = x\nurll = y\n", "config.ini line 3: unknown key 'urll': did you mean 'url'?" },
      { "[lab]\nclient_secret = hunter2\n",
        "config.ini line 2: a secret does not go in the config file: give client_secret_file or client_secret_env instead" },
      { "[lab]\ntoken = abc\n", "config.ini line 2: a secret does not go in the config file: give token_file or token_env" },
      { "url = x\n[lab]\n", "config.ini line 1: 'url' comes before any [profile] section" },
      { "[lab]\nurl = a\x1b[2Jb\n", "config.ini line 2: a control character" },
      { "[lab]\nurl = \xff\n", "config.ini line 2: text that is not UTF-8" },
      { "[lab]\n[lab]\n", "config.ini line 2: profile [lab] appears twice" },
      { "[lab]\nurl = a\nurl = b\n", "config.ini line 3: 'url' is given twice in one profile" },
      { "[lab]\nurl =\n", "config.ini line 2: 'url' has no value" },
      { "[lab name]\n", "config.ini line 1: a section is [NAME]" },
      { "[lab]\njust words\n", "config.ini line 2: expected KEY = VALUE" },
      { "[labs]\nurl = x\n[other]\n", "no profile [lab] in " .. "CONFIG" .. ": did you mean 'labs'? (profiles: labs, other)" },
      { "[lab]\nurl = " .. sb.url .. "\n", "profile [lab] has no credentials" },
      { "[lab]\nurl = " .. sb.url .. "\ntoken_env = UNSET_VAR_FOR_QBENCH\n", "profile [lab]: token_env names UNSET_VAR_FOR_QBENCH, which is not set" },
      { "[lab]\nurl = " .. sb.url .. "\ntoken_file = missing.token\n", "profile [lab]: cannot read the token file " },
      { string.rep("# padding\n", 120000), "larger than 1048576 bytes" },
    }
    for _, case in ipairs(cases) do
      local path = write("config.ini", case[1])
      local r = run { "--profile", "lab", "customers", "get", "1" }
      local want = case[2]:gsub("CONFIG", path)
      assert.equal(2, r.status, want)
      assert.equal("", r.out)
      assert.equal(1, #lines_of(r.err), r.err)
      assert.truthy(r.err:find(want, 1, true), r.err)
    end
    os.remove(dir .. "/config.ini")
    local r = run { "--profile", "lab", "customers", "get", "1" }
    assert.equal(2, r.status)
    assert.equal("qbench: --profile lab: no config file " .. dir .. "/config.ini; see 'qbench customers get --help'\n", r.err)
    assert.same({}, helper.requests())
  end)

  it("a named profile's url serves --dry-run, which reads no secret", function()
    write("lab.token", "x", "644") -- would be refused if it were read
    write("config.ini", "[lab]\nurl = " .. sb.url .. "\ntoken_file = lab.token\n")
    local r = run { "--profile", "lab", "v2", "tests", "get", "5", "--dry-run" }
    assert.equal(0, r.status, r.err)
    assert.equal("GET /qbench/api/v2/tests/5\n", r.out)
    assert.same({}, helper.requests())
  end)
end)
