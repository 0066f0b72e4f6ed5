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
 *   encode(value, opts) -> string, replacements. opts (all optional):
 *     sort_keys = true     object keys in bytewise (memcmp) order
 *     indent = 0..8        spaces per level, one member or item per line and
 *                          ": " after keys; 0 is the compact default
 *     invalid_utf8 = "replace"  each maximal subpart of an invalid sequence
 *                          becomes U+FFFD (raw UTF-8); default "error"
 *     nonfinite = "null"   NaN and infinities become null; default "error"
 *   replacements counts the U+FFFD and null substitutions made, so a caller
 *   can warn once; unknown or ill-typed options raise.
 *   decode(string) -> value, or nil, message when the text is not valid JSON.
 *   null           -> the JSON null sentinel (the same value as cjson.null).
 *   array(t), object(t) -> t, marked so that an empty t encodes as [] / {}.
 * Usable as a lua_CFunction (e.g. with luaL_requiref).
 */
int qb_json_open(lua_State *L);

#endif
