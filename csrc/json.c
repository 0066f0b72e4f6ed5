/* The JSON table shared by qbench.core and the sandbox: see qbench_json.h. */
#include "json_internal.h"
#include "qbench_json.h"

#include <lauxlib.h>

/* Sets metatable `mt` on the argument (or a new table) and returns it. */
static int mark(lua_State *L, const char *mt) {
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_newtable(L);
  } else {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
  }
  if (lua_getmetatable(L, 1)) {
    luaL_getmetatable(L, mt);
    luaL_argcheck(L, lua_rawequal(L, -1, -2), 1, "table already has a metatable");
    lua_pop(L, 2);
  }
  luaL_setmetatable(L, mt);
  return 1;
}

static int mark_array(lua_State *L) { return mark(L, QB_JSON_ARRAY_MT); }
static int mark_object(lua_State *L) { return mark(L, QB_JSON_OBJECT_MT); }

int qb_json_open(lua_State *L) {
  luaL_newmetatable(L, QB_JSON_ARRAY_MT);
  luaL_newmetatable(L, QB_JSON_OBJECT_MT);
  lua_pop(L, 2);
  lua_createtable(L, 0, 5);
  lua_pushcfunction(L, qb_json_encode);
  lua_setfield(L, -2, "encode");
  qb_json_push_decoder(L);
  lua_setfield(L, -2, "decode");
  lua_pushlightuserdata(L, NULL); /* cjson.null is the NULL light userdata */
  lua_setfield(L, -2, "null");
  lua_pushcfunction(L, mark_array);
  lua_setfield(L, -2, "array");
  lua_pushcfunction(L, mark_object);
  lua_setfield(L, -2, "object");
  return 1;
}
