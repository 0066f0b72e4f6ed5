#!/usr/bin/env bash
# `make rock`: installs the rock with the README's own command into a temporary
# tree, then uses the installed tree only: require the module, list the
# sandbox's customers, run the `qbench` command. Nothing from the source tree is
# on the path. The command is the line of README.md's "Install with LuaRocks"
# section marked "# make rock runs this line" (Debian's packages for the
# dependencies, --deps-mode none), run as written plus --tree, so that the
# README cannot drift from what CI runs.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$src/$build ;; esac
work=$(mktemp -d)
sandbox_pid=
cleanup() {
  if [ -n "$sandbox_pid" ]; then kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
fail() { echo "rock smoke test: $*" >&2; exit 1; }

# The rockspec names every module of lua/qbench/ and every C source of the Makefile's CORE_SRCS.
core_srcs=$(make -s -C "$src" --no-print-directory -f - print-core-srcs <<'MK'
include Makefile
print-core-srcs:
	@echo $(CORE_SRCS)
MK
)
dirs=$(lua5.4 - "$src" "$core_srcs" <<'LUA'
local src, core_srcs = arg[1], arg[2]
local spec = {}
assert(loadfile(src .. "/rockspec/qbench-scm-1.rockspec", "t", spec))()
local listed, problems = {}, {}
for name, file in pairs(spec.build.modules) do
  if type(file) == "string" then listed[file] = name end
end
local p = io.popen("cd '" .. src .. "' && find lua/qbench -name '*.lua' | sort")
for file in p:lines() do
  if not listed[file] then problems[#problems + 1] = "not in build.modules: " .. file end
end
p:close()
local want, have = {}, {}
for f in core_srcs:gmatch("%S+") do want[#want + 1] = f end
for _, f in ipairs(spec.build.modules["qbench.core"].sources) do have[#have + 1] = f end
table.sort(want); table.sort(have)
if table.concat(want, " ") ~= table.concat(have, " ") then
  problems[#problems + 1] = "qbench.core sources " .. table.concat(have, " ") .. " differ from CORE_SRCS " .. table.concat(want, " ")
end
for _, m in ipairs(problems) do io.stderr:write(m, "\n") end
if #problems > 0 then os.exit(false) end
-- The top directories the build reads, for the copy below: the rockspec's own, the
-- modules' files, sources and relative include directories, the command, copy_directories.
local dirs, seen = {}, {}
local function need(path)
  local top = type(path) == "string" and not path:find("^%$") and path:match("^([^/]+)/")
  if top and not seen[top] then seen[top] = true; dirs[#dirs + 1] = top end
end
need("rockspec/qbench-scm-1.rockspec")
for _, m in pairs(spec.build.modules) do
  if type(m) == "string" then need(m) else
    for _, f in ipairs(m.sources or {}) do need(f) end
    for _, d in ipairs(m.incdirs or {}) do need(d .. "/") end
  end
end
for _, f in pairs(spec.build.install and spec.build.install.bin or {}) do need(f) end
for _, d in ipairs(spec.build.copy_directories or {}) do need(d .. "/") end
table.sort(dirs)
print(table.concat(dirs, " "))
LUA
) || fail "rockspec/qbench-scm-1.rockspec is out of date"

# The README's command: the one line of a code block of its install section that
# carries the marker, without the marker.
marker='# make rock runs this line'
marked=$(awk '/^## Install with LuaRocks$/ { in_section = 1; next }
              /^## / { in_section = 0 }
              in_section && /^```/ { in_code = !in_code; next }
              in_section && in_code' "$src/README.md" | grep -F -- "$marker" || true)
count=$(printf '%s' "$marked" | grep -c . || true)
[ "$count" = 1 ] || fail "README.md's \"Install with LuaRocks\" section has $count lines marked '$marker' in a code block, not 1"
install=${marked%%"$marker"*}
install=${install%"${install##*[![:space:]]}"}
case "$install" in
  "luarocks "*" make "*rockspec/qbench-scm-1.rockspec*) ;;
  *) fail "the README's marked line is not a luarocks make of rockspec/qbench-scm-1.rockspec: $install" ;;
esac
# The dependencies come from Debian's packages: without fetching, whatever the line says.
case " $install " in *" --deps-mode none "* | *" --deps-mode=none "*) ;; *) install="$install --deps-mode none" ;; esac

# luarocks make compiles next to the sources, so it builds a copy: every directory
# the rockspec names.
mkdir "$work/src"
for d in $dirs; do cp -r "$src/$d" "$work/src/"; done
echo "rock smoke test: $install --tree <temporary tree>"
(cd "$work/src" && eval "$install"' --tree "$work/tree"' >"$work/make.log" 2>&1) \
  || { cat "$work/make.log" >&2; fail "the README's luarocks make failed"; }
echo "rock smoke test: installed into a temporary tree"
# Only qbench's own modules: nothing of the sandbox or the tests leaks into the tree.
strays=$(cd "$work/tree/share/lua/5.4" && ls | grep -v '^qbench$' || true)
[ -z "$strays" ] || fail "the rock installs modules that are not qbench's: $strays"

"$build/qbench-sandbox" --port 0 --customers 7 --token smoke-token --die-with-parent --quiet >"$work/sandbox.out" &
sandbox_pid=$!
url=
for _ in $(seq 50); do
  url=$(sed -n 's/^qbench-sandbox listening on //p' "$work/sandbox.out")
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || fail "the sandbox did not start"

cd "$work"   # so that ./?.lua is not the source tree either
unset LUA_PATH LUA_CPATH LUA_PATH_5_4 LUA_CPATH_5_4 QBENCH_CLIENT_ID QBENCH_CLIENT_SECRET
eval "$(luarocks --lua-version 5.4 --tree "$work/tree" path)"
case "$LUA_PATH;$LUA_CPATH" in *"$src"*) fail "the source tree is on the module path" ;; esac
export QBENCH_URL=$url QBENCH_TOKEN=smoke-token

lua5.4 - "$work/tree" <<'LUA' || fail "the installed module does not work"
local tree = arg[1]
local qbench = require "qbench"
for _, name in ipairs { "qbench", "qbench.cli" } do
  local file = assert(package.searchpath(name, package.path))
  assert(file:sub(1, #tree) == tree, name .. " loaded from " .. file)
end
for _, name in ipairs { "qbench.core", "qbench.mirror.rows", "qbench.mirror.sqlite", "qbench.mirror.pq" } do
  local file = assert(package.searchpath(name, package.cpath))
  assert(file:sub(1, #tree) == tree, name .. " loaded from " .. file)
end
local qb <close> = qbench.new { url = os.getenv "QBENCH_URL", token = os.getenv "QBENCH_TOKEN" }
local n = 0
for _ in qb.customer:list { page_size = 3 } do n = n + 1 end
assert(n == 7, "listed " .. n .. " customers, expected 7")
print("rock smoke test: require \"qbench\" from the tree listed " .. n .. " customers")
LUA

[ "$(command -v qbench)" = "$work/tree/bin/qbench" ] || fail "qbench is not the installed command"
qbench --help >/dev/null || fail "qbench --help failed"
lines=$(qbench customers list --format ndjson --page-size 5 | wc -l)
[ "$lines" = 7 ] || fail "qbench customers list printed $lines lines, expected 7"
qbench customers get 3 >/dev/null || fail "qbench customers get failed"
set +e
qbench customers get 99 2>/dev/null; status=$?
set -e
[ "$status" = 1 ] || fail "qbench customers get 99 exited $status, expected 1"
qbench mirror --no-progress "$work/lab.db" teams >/dev/null || fail "qbench mirror failed"
teams=$(sqlite3 "$work/lab.db" 'SELECT count(*) FROM teams')
[ "$teams" = 4 ] || fail "qbench mirror copied $teams teams, expected 4"
echo "rock smoke test: the installed qbench command listed $lines customers and mirrored $teams teams; ok"
