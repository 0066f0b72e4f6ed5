/* qbench inside a C program, reading no Lua file: lists the customers of `host URL TOKEN`
 * (or `$QBENCH_URL` and `$QBENCH_TOKEN`). Built by make embed; README "Embedding in a C program". */
#include <stdio.h>
#include <stdlib.h>
#include <lauxlib.h>
#include <lualib.h>
#include <lua-cjson.h> /* luaopen_cjson; Debian: lua-cjson-dev */
#include "qbench.h"

static const char script[] =
  "package.path, package.cpath = '', ''  -- modules come from package.preload only\n"
  "local url, token = ...\n"
  "local qb <close> = require('qbench').new{url = url, token = token}\n"
  "for c in qb.customer:list{page_size = 50} do\n"
  "  print(c.id, (tostring(c.customer_name):gsub('%c', '?')))  -- no control characters\n"
  "end\n";

static int run(lua_State *L) { /* protected: url and token are on the stack */
  luaL_openlibs(L);
  qbench_preload(L);
  qbench_preload_cjson(L, luaopen_cjson);
  if (luaL_loadbufferx(L, script, sizeof script - 1, "=host", "t") != LUA_OK) return lua_error(L);
  lua_insert(L, 1);
  lua_call(L, 2, 0);
  return 0;
}

static int traceback(lua_State *L) {
  luaL_traceback(L, L, luaL_tolstring(L, 1, NULL), 1);
  return 1;
}

int main(int argc, char **argv) {
  const char *url = argc > 1 ? argv[1] : getenv("QBENCH_URL");
  const char *token = argc > 2 ? argv[2] : getenv("QBENCH_TOKEN");
  if (url == NULL || token == NULL || argc > 3) {
    fputs("usage: host [URL [TOKEN]] (default: $QBENCH_URL, $QBENCH_TOKEN)\n", stderr);
    return 2;
  }
  lua_State *L = luaL_newstate();
  if (L == NULL) return fputs("host: cannot create a Lua state\n", stderr), 1;
  lua_pushcfunction(L, traceback);
  lua_pushcfunction(L, run);
  lua_pushstring(L, url);
  lua_pushstring(L, token);
  int status = lua_pcall(L, 2, 0, 1);
  if (status != LUA_OK) fprintf(stderr, "host: %s\n", lua_tostring(L, -1));
  lua_close(L);
  return status == LUA_OK ? 0 : 1;
}
