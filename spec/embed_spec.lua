-- qbench linked into a C program (README "Embedding in a C program"):
-- build/libqbench.a, examples/embed/host.c run against its own sandbox, the
-- specs' host spec/embed/script_host.c (a Lua file run in such a state, with
-- package.path and package.cpath empty), and the generator tools/embed_lua.lua.
local helper = require "helper"
local process = require "process"

local q = helper.shell_quote

-- The build this busted run uses: the directory of QBENCH_CPATH's first entry
-- (build/sanitize under make sanitize, whose hosts are sanitized too).
local BUILD = ((os.getenv("QBENCH_CPATH") or "build/?.so"):match("^[^;]+"):gsub("/%?%.so$", ""))
local HOST = BUILD .. "/embed/host"
local SCRIPT_HOST = BUILD .. "/embed/script-host"
local LIB = BUILD .. "/libqbench.a"
local TOKEN = "embed-token"
local API = "/qbench/api/v1/"

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

local function run(argv, env) return process.run(argv, { env = env, timeout = 60 }) end

-- Runs `source` (Lua) in the specs' host; returns {out, err, status}.
local function script(source, args, opts)
  local file = process.temp_file(source)
  local argv = { SCRIPT_HOST }
  if opts and opts.no_cjson then argv[#argv + 1] = "--no-cjson" end
  argv[#argv + 1] = file
  for _, a in ipairs(args or {}) do argv[#argv + 1] = a end
  local r = run(argv, opts and opts.env)
  os.remove(file)
  r.file = file
  return r
end

-- Written apart from tools/embed_lua.lua: the module `require` finds at `path`
-- on a path of lua/?.lua and lua/?/init.lua.
local function module_of(path)
  return (path:gsub("^lua/", ""):gsub("%.lua$", ""):gsub("/init$", ""):gsub("/", "."))
end

local function lua_files()
  local p = assert(io.popen("find lua/qbench -name '*.lua' | sort"))
  local files = process.lines(p:read("a"))
  p:close()
  return files
end

describe("embedding (make embed)", function()
  local sb

  setup(function()
    for _, path in ipairs { LIB, HOST, SCRIPT_HOST } do
      if not exists(path) then assert(os.execute("make -s " .. q(path) .. " >/dev/null")) end
    end
    sb = helper.start { "--port", "0", "--customers", "120", "--token", TOKEN, "--seed", "5",
      "--die-with-parent", "--quiet" }
  end)
  teardown(function() sb.stop() end)
  before_each(function() helper.reset(nil, sb) end)

  -- Every customer of the sandbox through raw HTTP (not qbench), in id order.
  local function sandbox_customers()
    local all, page = {}, 1
    repeat
      local status, body = helper.call("GET", API .. "customer?page_num=" .. page .. "&page_size=50",
        { target = sb, token = TOKEN })
      assert.equal(200, status)
      for _, c in ipairs(body.data) do all[#all + 1] = c end
      page = page + 1
    until page > body.total_pages
    helper.reset(nil, sb)
    return all
  end

  describe("build/libqbench.a", function()
    it("defines qbench.h's three functions and no other global symbol", function()
      local p = assert(io.popen("nm -g --defined-only " .. q(LIB) .. " 2>&1"))
      local defined = {}
      for line in p:read("a"):gmatch("[^\n]+") do
        local name = line:match("^%x+ %a (.+)$")
        if name then defined[#defined + 1] = name end
      end
      p:close()
      table.sort(defined)
      assert.same({ "luaopen_qbench_core", "qbench_preload", "qbench_preload_cjson" }, defined)
    end)
  end)

  describe("examples/embed/host.c", function()
    it("builds with the README's cc line, and carries cjson inside", function()
      local f = assert(io.open("README.md", "rb"))
      local section = f:read("a"):match("\n## Embedding in a C program\n(.-)\n## ")
      f:close()
      local line = assert(section:match("\n(cc [^\n]-\\\n[^\n]+)\n"), "no cc line in the README's section")
      local out = os.tmpname()
      local cmd = line:gsub("\\\n", " "):gsub(" %-o host host%.c ", " -o " .. q(out) .. " examples/embed/host.c ")
      assert.is_truthy(cmd:find(out, 1, true))
      local r = run { "sh", "-c", cmd }
      assert.equal(0, r.status, r.err)
      local p = assert(io.popen("ldd " .. q(out)))
      local libs = p:read("a")
      p:close()
      local listed = run { out, sb.url, TOKEN }
      os.remove(out)
      assert.equal(0, listed.status, listed.err)
      assert.equal(120, #process.lines(listed.out))
      assert.matches("liblua5%.4%.so", libs)
      assert.is_nil(libs:find("cjson", 1, true))
    end)

    it("prints every customer of every page, id and name, from URL and TOKEN arguments", function()
      local expected = {}
      for _, c in ipairs(sandbox_customers()) do expected[#expected + 1] = c.id .. "\t" .. c.customer_name end
      assert.equal(120, #expected)
      local r = run { HOST, sb.url, TOKEN }
      assert.equal("", r.err)
      assert.equal(0, r.status)
      assert.same(expected, process.lines(r.out))
      local queries = {}
      for _, req in ipairs(helper.requests(sb)) do
        assert.equal("GET", req.method)
        assert.equal(API .. "customer", req.path)
        assert.equal("Bearer " .. TOKEN, req.headers.authorization)
        queries[#queries + 1] = req.query
      end
      table.sort(queries)
      assert.same({ "page_num=1&page_size=50", "page_num=2&page_size=50", "page_num=3&page_size=50" }, queries)
    end)

    it("takes the URL and token from QBENCH_URL and QBENCH_TOKEN", function()
      helper.reset({ customers = 2 }, sb)
      local r = run({ HOST }, { QBENCH_URL = sb.url, QBENCH_TOKEN = TOKEN })
      assert.equal(0, r.status, r.err)
      assert.equal(2, #process.lines(r.out))
      assert.equal(1, #helper.requests(sb))
    end)

    it("prints its usage and exits 2 without a URL or token, sending nothing", function()
      for _, argv in ipairs { { HOST }, { HOST, sb.url }, { HOST, sb.url, TOKEN, "extra" } } do
        local r = run(argv)
        assert.equal(2, r.status)
        assert.equal("", r.out)
        assert.matches("^usage: .*host %[URL %[TOKEN%]%] %(default: %$QBENCH_URL, %$QBENCH_TOKEN%)\n$", r.err)
      end
      assert.same({}, helper.requests(sb))
    end)

    it("writes a name's control characters as '?'", function()
      helper.reset({ customers = 1 }, sb)
      local status = helper.call("PUT", API .. "customer/1",
        { target = sb, token = TOKEN, body = { customer_name = "Evil\27]0;owned\7 Labs\r\nx" } })
      assert.equal(200, status)
      local r = run { HOST, sb.url, TOKEN }
      assert.equal(0, r.status, r.err)
      assert.equal("1\tEvil?]0;owned? Labs??x\n", r.out)
    end)

    it("exits 1 on a failed call, with the error and a traceback through lua/qbench source paths", function()
      local r = run { HOST, sb.url, "wrong-token" }
      assert.equal(1, r.status)
      assert.equal("", r.out)
      assert.matches("^host: qbench: GET " .. API .. "customer%?page_num=1&page_size=50 HTTP 401 %(auth%)", r.err)
      assert.matches("\n\tlua/qbench/[%w_/]+%.lua:%d+: in ", r.err)
      assert.matches("\n\thost:%d+: in main chunk\n", r.err)
      assert.is_nil(r.err:find("wrong-token", 1, true))
    end)

    it("runs no module file: a trap on LUA_PATH and LUA_CPATH stays untouched", function()
      local dir = process.temp_dir()
      local log = dir .. "/searched"
      write(dir .. "/trap.lua", string.format(
        "local f = assert(io.open(%q, 'a')); f:write(..., '\\n'); f:close(); error('found on disk: ' .. ...)", log))
      -- Templates without '?': every search for any module, Lua or C, ends in the trap.
      local env = { LUA_PATH = dir .. "/trap.lua", LUA_PATH_5_4 = dir .. "/trap.lua",
        LUA_CPATH = dir .. "/trap.lua", LUA_CPATH_5_4 = dir .. "/trap.lua" }
      -- The control: a plain lua5.4 looking for qbench on those paths falls into it.
      local control = run({ "lua5.4", "-e", "require 'qbench'" }, env)
      assert.equal(1, control.status)
      assert.equal("qbench\n", process.read_file(log))
      os.remove(log)
      local r = run({ HOST, sb.url, TOKEN }, env)
      local searched = process.read_file(log)
      process.remove_dir(dir)
      assert.equal("", searched)
      assert.equal(0, r.status, r.err)
      assert.equal(120, #process.lines(r.out))
    end)
  end)

  describe("qbench_preload", function()
    it("preloads every module of lua/qbench under the name require uses, and qbench.core", function()
      local expected = { "argparse", "cjson", "qbench.core" } -- the specs' host adds argparse and cjson
      for _, path in ipairs(lua_files()) do expected[#expected + 1] = module_of(path) end
      table.sort(expected)
      local r = script [[
        local names = {}
        for name in pairs(package.preload) do names[#names + 1] = name end
        table.sort(names)
        print(table.concat(names, "\n"))
      ]]
      assert.equal(0, r.status, r.err)
      assert.same(expected, process.lines(r.out))
      assert.is_true(#expected > 80)
    end)

    it("every module loads with package.path and package.cpath empty; the loop adapters want only cqueues or luv", function()
      local names = {}
      for _, path in ipairs(lua_files()) do names[#names + 1] = module_of(path) end
      local r = script([[
        assert(package.path == "" and package.cpath == "")
        for _, name in ipairs { ... } do
          local ok, err = pcall(require, name)
          if not ok then print(name, (tostring(err):match("module '([^']+)' not found"))) end
        end
      ]], names)
      assert.equal(0, r.status, r.err)
      assert.equal("qbench.loop.cqueues\tcqueues\nqbench.loop.luv\tluv\n", r.out)
    end)

    it("names chunks after their source: a bad argument points at the caller's line", function()
      local r = script [[
        local qbench = require "qbench"
        local ok, err = pcall(function()
          local qb = qbench.new { url = 5 } -- not a tail call: the caller's line stays on the stack
          return qb
        end)
        print(ok, err)
      ]]
      assert.equal(0, r.status, r.err)
      assert.equal("false\t" .. r.file .. ":3: bad argument #1 to 'new' (option url must be a string, got 5)\n", r.out)
    end)

    it("without cjson preloaded, require 'qbench' fails naming package.preload['cjson']", function()
      local r = script([[require "qbench"]], nil, { no_cjson = true })
      assert.equal(1, r.status)
      assert.matches("module 'cjson' not found:\n\tno field package.preload['cjson']", r.err, 1, true)
      assert.matches("\n\tlua/qbench/init.lua:%d+: in main chunk\n", r.err)
    end)

    it("runs the command's main as bin/qbench does", function()
      local env = { QBENCH_URL = sb.url, QBENCH_TOKEN = TOKEN }
      local args = { "customers", "list", "--format", "csv", "--columns", "id,customer_name" }
      local embedded = script([[os.exit(require("qbench.cli").main(arg), true)]], args, { env = env })
      local argv = { "lua5.4", "bin/qbench" }
      for _, a in ipairs(args) do argv[#argv + 1] = a end
      local plain = run(argv, env)
      assert.equal(0, embedded.status, embedded.err)
      assert.equal(0, plain.status, plain.err)
      assert.equal(121, #process.lines(embedded.out))
      assert.equal(plain.out, embedded.out)
      assert.equal(plain.err, embedded.err)
      local usage = script([[os.exit(require("qbench.cli").main(arg), true)]], { "customers", "frobnicate" })
      assert.equal(2, usage.status)
      assert.matches("^qbench: ", usage.err)
    end)
  end)

  describe("qbench mirror in such a host", function()
    it("declares the command and loads no C module of the mirror until one runs", function()
      local r = script [[
        assert(package.path == "" and package.cpath == "")
        local mirror = require "qbench.mirror"
        require("qbench.cli.parser").new({ "mirror", "--help" }, "qbench", { complete = true }) -- every command
        print(#mirror.collections() > 20, package.loaded["qbench.mirror.rows"], package.loaded["qbench.mirror.sqlite"],
          package.loaded["qbench.mirror.pq"])
      ]]
      assert.equal(0, r.status, r.err)
      assert.equal("true\tnil\tnil\tnil\n", r.out)
    end)

    it("a mirror run without them is one clear error naming the module, exit 1", function()
      local db = os.tmpname()
      os.remove(db)
      local r = script([[os.exit(require("qbench.cli").main(arg), true)]], { "mirror", db, "teams" },
        { env = { QBENCH_URL = sb.url, QBENCH_TOKEN = TOKEN } })
      assert.equal(1, r.status, r.err)
      assert.equal("qbench: mirror " .. db .. " (database): qbench mirror needs its C module qbench.mirror.rows, "
        .. "which is not installed (module 'qbench.mirror.rows' not found)\n", r.err)
      assert.equal("", r.out)
      assert.is_false(exists(db)) -- nothing made
      assert.is_false(exists(db .. "-mirror.lock"))
    end)
  end)

  describe("tools/embed_lua.lua", function()
    local dir
    before_each(function()
      dir = process.temp_dir()
      os.execute("mkdir -p " .. q(dir .. "/root/pkg/sub"))
      write(dir .. "/root/top.lua", "return 'top'\n")
      write(dir .. "/root/pkg/init.lua", "return 'pkg'\n")
      write(dir .. "/root/pkg/sub/leaf.lua", "return ...\n")
    end)
    after_each(function() process.remove_dir(dir) end)

    local function generate(files, out)
      local argv = { "lua5.4", "tools/embed_lua.lua", "-o", out or dir .. "/out.c", "--root", dir .. "/root",
        "--function", "preload_all", "--prefix", "x." }
      for _, f in ipairs(files) do argv[#argv + 1] = dir .. "/root/" .. f end
      return run(argv)
    end

    local function entries(c)
      local list = {}
      for name, chunk in c:gmatch('\n\t{"([^"]+)", "([^"]+)", src_%d+, %d+},') do list[#list + 1] = name .. " " .. chunk end
      return list
    end

    it("names modules as require does, chunks after their path, in one order whatever the files' order", function()
      assert.equal(0, generate({ "top.lua", "pkg/init.lua", "pkg/sub/leaf.lua" }, dir .. "/a.c").status)
      assert.equal(0, generate({ "pkg/sub/leaf.lua", "top.lua", "pkg/init.lua" }, dir .. "/b.c").status)
      local a, b = process.read_file(dir .. "/a.c"), process.read_file(dir .. "/b.c")
      assert.equal(a, b)
      local root = dir .. "/root/"
      assert.same({ "x.pkg @" .. root .. "pkg/init.lua", "x.pkg.sub.leaf @" .. root .. "pkg/sub/leaf.lua",
        "x.top @" .. root .. "top.lua" }, entries(a))
      assert.matches("\nvoid preload_all%(lua_State %*L%)\n{", a)
    end)

    it("fails on a Lua syntax error, naming the file and line, and writes nothing", function()
      write(dir .. "/root/pkg/sub/leaf.lua", "local x = 1\nreturn x +\n")
      local r = generate { "top.lua", "pkg/sub/leaf.lua" }
      assert.equal(1, r.status)
      assert.matches("^embed_lua%.lua: " .. (dir .. "/root/pkg/sub/leaf.lua"):gsub("%p", "%%%0") .. ":3: ", r.err)
      assert.is_false(exists(dir .. "/out.c"))
    end)

    it("fails when two files would be one module, or a file is not under the root", function()
      write(dir .. "/root/pkg.lua", "return 'other pkg'\n")
      local r = generate { "pkg.lua", "pkg/init.lua" }
      assert.equal(1, r.status)
      assert.matches("are both module x.pkg\n$", r.err)
      write(dir .. "/elsewhere.lua", "return 1\n")
      r = run { "lua5.4", "tools/embed_lua.lua", "-o", dir .. "/out.c", "--root", dir .. "/root",
        "--function", "f", dir .. "/elsewhere.lua" }
      assert.equal(1, r.status)
      assert.matches("is not a %.lua file under ", r.err)
      assert.is_false(exists(dir .. "/out.c"))
    end)
  end)
end)
