/*
 * JSON decoding through lua-cjson, normalised for Lua 5.4.
 *
 * Debian's cjson 2.1.0 predates Lua 5.3 integers and hands back 1.0 for 1;
 * cjson 2.1.0.14+ gives 1. We turn every integral number within the 53-bit
 * range (where a double is exact) into an integer so both give the same tables.
 * The cjson instance is private (cjson.new()), so a user's settings on the
 * shared cjson module cannot change what we decode, and ours cannot leak out.
 */
#include "json_internal.h"
#include "qbench_json.h"

#include <math.h>
#include <string.h>
#include <lauxlib.h>

#define EXACT_INTEGER_LIMIT 9007199254740992.0 /* 2^53 */

static void normalise(lua_State *L, int idx);

static void normalise_slot(lua_State *L, int table, int value) {
  if (lua_type(L, value) == LUA_TTABLE) {
    normalise(L, value);
  } else if (lua_type(L, value) == LUA_TNUMBER && !lua_isinteger(L, value)) {
    lua_Number d = lua_tonumber(L, value);
    if (d == floor(d) && fabs(d) <= EXACT_INTEGER_LIMIT) {
      lua_pushvalue(L, value - 1);               /* key */
      lua_pushinteger(L, (lua_Integer)d);
      lua_rawset(L, table);                      /* replacing an existing field is allowed during lua_next */
    }
  }
}

/* cjson's own depth limit bounds this recursion. */
static void normalise(lua_State *L, int idx) {
  luaL_checkstack(L, 4, "JSON nesting");
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    normalise_slot(L, idx, lua_gettop(L));
    lua_pop(L, 1);
  }
}

static int decode(lua_State *L) {
  size_t len;
  const char *text = luaL_checklstring(L, 1, &len);
  lua_settop(L, 1);
  /* cjson stops reading at a NUL byte, so "{}\0anything" would pass as "{}".
     A raw NUL is never valid JSON (inside strings it must be \u0000). */
  const char *nul = memchr(text, '\0', len);
  if (nul != NULL) {
    luaL_pushfail(L);
    lua_pushfstring(L, "NUL byte in JSON text at character %I", (LUAI_UACINT)(nul - text + 1));
    return 2;
  }
  lua_pushvalue(L, lua_upvalueindex(1)); /* the private cjson.decode */
  lua_pushvalue(L, 1);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
    luaL_pushfail(L);
    lua_insert(L, -2);
    if (!lua_isstring(L, -1)) {
      lua_pop(L, 1);
      lua_pushliteral(L, "invalid JSON");
    }
    return 2;
  }
  int value = lua_gettop(L);
  if (lua_type(L, value) == LUA_TTABLE) {
    normalise(L, value);
  } else if (lua_type(L, value) == LUA_TNUMBER && !lua_isinteger(L, value)) {
    lua_Number d = lua_tonumber(L, value);
    if (d == floor(d) && fabs(d) <= EXACT_INTEGER_LIMIT) lua_pushinteger(L, (lua_Integer)d);
  }
  return 1;
}

/* Calls cjson_instance[name](arg) for a setting. */
static void configure(lua_State *L, int cjson, const char *name, int arg) {
  lua_getfield(L, cjson, name);
  if (lua_isfunction(L, -1)) {
    lua_pushinteger(L, arg);
    lua_call(L, 1, 0);
  } else {
    lua_pop(L, 1);
  }
}

void qb_json_push_decoder(lua_State *L) {
  lua_getglobal(L, "require");
  lua_pushliteral(L, "cjson");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "new");
  if (!lua_isfunction(L, -1)) luaL_error(L, "lua-cjson without cjson.new()");
  lua_call(L, 0, 1);
  int cjson = lua_gettop(L);
  configure(L, cjson, "decode_max_depth", QB_JSON_MAX_DEPTH);
  lua_getfield(L, cjson, "decode_invalid_numbers");
  if (lua_isfunction(L, -1)) {
    lua_pushboolean(L, 0); /* NaN, Infinity and hex are not JSON */
    lua_call(L, 1, 0);
  } else {
    lua_pop(L, 1);
  }
  lua_getfield(L, cjson, "decode");
  lua_pushcclosure(L, decode, 1);
  lua_replace(L, -3);
  lua_pop(L, 1);
}
