/*
 * What the mirror's database drivers (sqlite.c, pq.c) share: a metatable for
 * their connection and statement classes, whose __gc and __close both close.
 */
#ifndef QB_MIRROR_CLASS_H
#define QB_MIRROR_CLASS_H

#include <lauxlib.h>
#include <lua.h>

static inline void mirror_class(lua_State *L, const char *name, const luaL_Reg *methods, lua_CFunction close) {
  luaL_newmetatable(L, name);
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, close);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, close);
  lua_setfield(L, -2, "__close");
  lua_pop(L, 1);
}

#endif
