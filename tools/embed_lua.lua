-- Generates a C file that embeds Lua modules and registers them in
-- package.preload, so that a program needs no Lua file at run time. One
-- generator for every such program: qbench-sandbox (csrc/sandbox/lua/) and
-- build/libqbench.a (lua/qbench/, README "Embedding in a C program").
--
-- usage: lua5.4 tools/embed_lua.lua -o OUT.c --root ROOT --function NAME
--          [--prefix PREFIX] [--include HEADER] [--bytecode] ROOT/a.lua ROOT/b/c.lua ...
--
-- A file is the module `require` finds it as on a path of ROOT/?.lua and
-- ROOT/?/init.lua, with PREFIX in front: ROOT/a.lua is "PREFIXa",
-- ROOT/b/c.lua "PREFIXb.c", ROOT/b/init.lua "PREFIXb". The generated C defines
-- `void NAME(lua_State *L)`, which sets package.preload[module] for each file
-- (HEADER, when given, is included and should declare NAME too). Chunks are
-- named "@" .. the file's path as given, so tracebacks point at the source.
-- With --bytecode the chunks are embedded compiled (string.dump, debug info
-- kept so that tracebacks still name file and line), which spares a program
-- that starts often the compiling of every module at every start; such a C
-- file only loads into the Lua release that ran this generator, so it suits a
-- program built next to it (qbench-sandbox), not a library handed to others
-- (build/libqbench.a keeps the source).
-- The output is the same whatever order the files come in, a file with a Lua
-- syntax error fails the run (nothing is written then), and so do two files
-- that would be the same module.
local USAGE = "usage: embed_lua.lua -o OUT.c --root ROOT --function NAME [--prefix PREFIX] "
  .. "[--include HEADER] [--bytecode] FILE.lua..."

local function fail(msg)
  io.stderr:write("embed_lua.lua: ", msg, "\n")
  os.exit(1)
end

local function parse(argv)
  local opts, files = { prefix = "" }, {}
  local flags = { ["-o"] = "out", ["--root"] = "root", ["--function"] = "func",
    ["--prefix"] = "prefix", ["--include"] = "include" }
  local i = 1
  while i <= #argv do
    local key = flags[argv[i]]
    if argv[i] == "--bytecode" then
      opts.bytecode = true
      i = i + 1
    elseif key then
      if argv[i + 1] == nil then fail(argv[i] .. " needs a value\n" .. USAGE) end
      opts[key] = argv[i + 1]
      i = i + 2
    elseif argv[i]:sub(1, 1) == "-" then
      fail("unknown option " .. argv[i] .. "\n" .. USAGE)
    else
      files[#files + 1] = argv[i]
      i = i + 1
    end
  end
  if not (opts.out and opts.root and opts.func) then fail(USAGE) end
  if not opts.func:match("^[%a_][%w_]*$") then fail("not a C identifier: " .. opts.func) end
  if opts.prefix ~= "" and not opts.prefix:match("^[%a_][%w_]*%.$") then
    fail("the prefix must be a module name and a dot, e.g. \"sandbox.\": " .. opts.prefix)
  end
  opts.root = opts.root:gsub("/+$", "") .. "/"
  return opts, files
end

-- The module `require` loads from `path` (ROOT/a/b.lua -> "a.b", ROOT/a/init.lua -> "a").
local function module_name(opts, path)
  if path:sub(1, #opts.root) ~= opts.root or not path:match("%.lua$") then
    fail(path .. " is not a .lua file under " .. opts.root)
  end
  local parts = {}
  for part in path:sub(#opts.root + 1, -5):gmatch("[^/]+") do
    if not part:match("^[%a_][%w_]*$") then fail(path .. ": \"" .. part .. "\" cannot be part of a module name") end
    parts[#parts + 1] = part
  end
  if parts[#parts] == "init" then parts[#parts] = nil end
  local name = opts.prefix .. table.concat(parts, ".")
  if name == "" or name:sub(-1) == "." then fail(path .. ": an init.lua right under the root has no module name") end
  return name
end

-- A C string literal holding `s`.
local function c_string(s)
  return '"' .. s:gsub('[%c"\\\128-\255]', function(ch) return string.format("\\%03o", ch:byte()) end) .. '"'
end

local function read(path)
  local f, err = io.open(path, "rb")
  if not f then fail(err) end
  local src = f:read("a")
  f:close()
  return src
end

-- `src` as the lines of a C array initializer, 24 bytes a line.
local function c_bytes(src)
  if #src == 0 then return "0" end
  local lines, line = {}, {}
  for j = 1, #src do
    line[#line + 1] = tostring(src:byte(j))
    if #line == 24 then
      lines[#lines + 1] = table.concat(line, ",")
      line = {}
    end
  end
  if #line > 0 then lines[#lines + 1] = table.concat(line, ",") end
  return table.concat(lines, ",\n")
end

local function generate(opts, files)
  local modules, by_name = {}, {}
  for _, path in ipairs(files) do
    local name = module_name(opts, path)
    if by_name[name] then fail(by_name[name] .. " and " .. path .. " are both module " .. name) end
    by_name[name] = path
    local src = read(path)
    -- Fail the build on a syntax error instead of at the first require.
    local chunk, err = load(src, "@" .. path, "t")
    if not chunk then fail(err) end
    if opts.bytecode then src = string.dump(chunk, false) end
    modules[#modules + 1] = { name = name, path = path, src = src }
  end
  table.sort(modules, function(a, b) return a.name < b.name end)

  local out = {
    "/* Generated by tools/embed_lua.lua: do not edit. */\n",
    "#include <lauxlib.h>\n#include <lua.h>\n\n",
  }
  if opts.include then out[#out + 1] = "#include " .. c_string(opts.include) .. "\n\n" end
  out[#out + 1] = "void " .. opts.func .. "(lua_State *L);\n\n"
  local entries = {}
  for i, m in ipairs(modules) do
    out[#out + 1] = string.format("/* %s */\nstatic const unsigned char src_%d[] = {\n%s\n};\n\n",
      (m.path:gsub("[^%w_./-]", "?")), i, c_bytes(m.src))
    entries[#entries + 1] = string.format("\t{%s, %s, src_%d, %d},\n",
      c_string(m.name), c_string("@" .. m.path), i, #m.src)
  end
  out[#out + 1] = [[
struct embedded {
	const char *name;
	const char *chunkname;
	const unsigned char *src;
	size_t len;
};

static const struct embedded modules[] = {
]] .. table.concat(entries) .. [[
	{NULL, NULL, NULL, 0},
};

/* package.preload loader: upvalue 1 is the index into modules[]. It runs the
 * chunk with the loader's own arguments, as require gives them (the module's
 * name, ":preload:"). */
static int load_embedded(lua_State *L)
{
	const struct embedded *m = &modules[lua_tointeger(L, lua_upvalueindex(1))];
	int nargs = lua_gettop(L);
	if (luaL_loadbufferx(L, (const char *)m->src, m->len, m->chunkname, ]] .. (opts.bytecode and '"b"' or '"t"') .. [[) != LUA_OK)
		return lua_error(L);
	lua_insert(L, 1);
	lua_call(L, nargs, 1);
	return 1;
}

]] .. "void " .. opts.func .. [[(lua_State *L)
{
	lua_Integer i;
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
	for (i = 0; modules[i].name != NULL; i++) {
		lua_pushinteger(L, i);
		lua_pushcclosure(L, load_embedded, 1);
		lua_setfield(L, -2, modules[i].name);
	}
	lua_pop(L, 1);
}
]]
  return table.concat(out)
end

local opts, files = parse(arg)
local text = generate(opts, files)
local tmp = opts.out .. ".tmp"
local f, err = io.open(tmp, "wb")
if not f then fail(err) end
local ok, werr = f:write(text)
if ok then ok, werr = f:close() else f:close() end
if not ok then
  os.remove(tmp)
  fail(tmp .. ": " .. tostring(werr))
end
ok, err = os.rename(tmp, opts.out)
if not ok then fail(err) end
