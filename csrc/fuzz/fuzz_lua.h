/*
 * Shared set-up of the libFuzzer targets: one Lua state for the whole run,
 * with the instrumented qbench.core preloaded and the Lua module read from
 * the source tree (QB_LUA_DIR, set by the Makefile), so what is fuzzed is
 * exactly what users run.
 */
#ifndef QBENCH_FUZZ_LUA_H
#define QBENCH_FUZZ_LUA_H

#include <stdio.h>
#include <stdlib.h>
#include <lauxlib.h>
#include <lualib.h>

#ifndef QB_LUA_DIR
#define QB_LUA_DIR "lua"
#endif

int luaopen_qbench_core(lua_State *L);

/* A failed oracle: libFuzzer records the input and stops. */
static inline void fuzz_fail(lua_State *L, const char *what) {
  fprintf(stderr, "qbench fuzz: %s: %s\n", what, lua_tostring(L, -1) ? lua_tostring(L, -1) : "?");
  abort();
}

/* Creates the state and runs `setup`, which must leave the global function `entry` defined. */
static inline lua_State *fuzz_lua_open(const char *setup) {
  lua_State *L = luaL_newstate();
  if (L == NULL) abort();
  luaL_openlibs(L);
  luaL_requiref(L, "qbench.core", luaopen_qbench_core, 0);
  lua_pop(L, 1);
  lua_getglobal(L, "package");
  lua_pushliteral(L, QB_LUA_DIR "/?.lua;" QB_LUA_DIR "/?/init.lua");
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);
  if (luaL_dostring(L, setup) != LUA_OK) fuzz_fail(L, "set-up failed");
  /* Small steps keep collection (and finalizers) happening inside each input. */
  lua_gc(L, LUA_GCINC, 0, 0);
  return L;
}

#endif
