/*
 * JSON <-> Lua conversion shared by the qbench.core module and the sandbox.
 *
 * Decoding is delegated to lua-cjson (an independent instance made with
 * cjson.new(), so user settings on the global cjson never leak in); the result
 * is normalised so that Debian's cjson 2.1.0 and LuaRocks' 2.1.0.14+ give the
 * same tables on Lua 5.4. Encoding is our own strict encoder.
 */
#ifndef QBENCH_JSON_H
#define QBENCH_JSON_H

#include <lua.h>

/* Deepest nesting accepted by both directions. */
#define QB_JSON_MAX_DEPTH 1000

/*
 * Pushes a table { encode, decode, null, array, object } onto the stack.
 *   encode(value)  -> string; raises a clear error on values JSON cannot hold.
 *   decode(string) -> value, or nil, message when the text is not valid JSON.
 *   null           -> the JSON null sentinel (the same value as cjson.null).
 *   array(t), object(t) -> t, marked so that an empty t encodes as [] / {}.
 * Usable as a lua_CFunction (e.g. with luaL_requiref).
 */
int qb_json_open(lua_State *L);

#endif
