/*
 * embed-script-host: the specs' C host of build/libqbench.a (spec/embed_spec.lua).
 * Runs a Lua file in a state set up as examples/embed/host.c sets its own,
 * with package.path and package.cpath empty, plus argparse embedded by the same
 * generator (tools/embed_lua.lua), so that the command's main can run too.
 *   embed-script-host [--no-cjson] SCRIPT [ARG...]
 * The script gets its arguments as `...` and `arg`; its error (with a
 * traceback) goes to stderr, exit status 1; os.exit works as in lua5.4.
 */
#include <stdio.h>
#include <string.h>
#include <lauxlib.h>
#include <lualib.h>
#include <lua-cjson.h> /* luaopen_cjson; Debian: lua-cjson-dev */
#include "qbench.h"

void spec_embed_argparse(lua_State *L); /* generated from Debian's argparse.lua */

static int traceback(lua_State *L) {
  luaL_traceback(L, L, luaL_tolstring(L, 1, NULL), 1);
  return 1;
}

/* Protected; the stack holds with_cjson, the script's name and its arguments. */
static int run(lua_State *L) {
  int with_cjson = lua_toboolean(L, 1);
  const char *script = lua_tostring(L, 2);
  int n = lua_gettop(L) - 2, i;
  luaL_checkstack(L, n + 8, "too many arguments");
  luaL_openlibs(L);
  qbench_preload(L);
  if (with_cjson) qbench_preload_cjson(L, luaopen_cjson);
  spec_embed_argparse(L);
  lua_getglobal(L, "package");
  lua_pushliteral(L, "");
  lua_setfield(L, -2, "path");
  lua_pushliteral(L, "");
  lua_setfield(L, -2, "cpath");
  lua_pop(L, 1);
  lua_createtable(L, n, 1);
  lua_pushvalue(L, 2);
  lua_rawseti(L, -2, 0);
  for (i = 1; i <= n; i++) {
    lua_pushvalue(L, 2 + i);
    lua_rawseti(L, -2, i);
  }
  lua_setglobal(L, "arg");
  if (luaL_loadfilex(L, script, "t") != LUA_OK) return lua_error(L);
  lua_rotate(L, 3, 1); /* the chunk below its arguments */
  lua_call(L, n, 0);
  return 0;
}

int main(int argc, char **argv) {
  int first = 1, with_cjson = 1, i;
  if (argc > 1 && strcmp(argv[1], "--no-cjson") == 0) {
    with_cjson = 0;
    first = 2;
  }
  if (first >= argc) {
    fputs("usage: embed-script-host [--no-cjson] SCRIPT [ARG...]\n", stderr);
    return 2;
  }
  lua_State *L = luaL_newstate();
  if (L == NULL) {
    fputs("embed-script-host: cannot create a Lua state\n", stderr);
    return 1;
  }
  lua_pushcfunction(L, traceback);
  lua_pushcfunction(L, run);
  lua_pushboolean(L, with_cjson);
  if (!lua_checkstack(L, argc + 8)) {
    fputs("embed-script-host: too many arguments\n", stderr);
    lua_close(L);
    return 1;
  }
  for (i = first; i < argc; i++) lua_pushstring(L, argv[i]);
  int status = lua_pcall(L, 1 + argc - first, 0, 1);
  if (status != LUA_OK) fprintf(stderr, "embed-script-host: %s\n", lua_tostring(L, -1));
  lua_close(L);
  return status == LUA_OK ? 0 : 1;
}
