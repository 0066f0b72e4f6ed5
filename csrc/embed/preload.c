/* qbench_preload and qbench_preload_cjson: the API of build/libqbench.a (qbench.h). */
#include "qbench.h"
#include "embed/modules.h"

#include <lauxlib.h>

void qbench_preload(lua_State *L) {
  qb_embed_modules(L);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, luaopen_qbench_core);
  lua_setfield(L, -2, "qbench.core");
  lua_pop(L, 1);
}

void qbench_preload_cjson(lua_State *L, lua_CFunction open_cjson) {
  if (open_cjson == NULL) {
    luaL_error(L, "qbench_preload_cjson: open_cjson is NULL (pass lua-cjson's luaopen_cjson)");
    return;
  }
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, open_cjson);
  lua_setfield(L, -2, "cjson");
  lua_pop(L, 1);
}
