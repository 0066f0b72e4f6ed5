/* Declarations shared by the JSON translation units; not part of any API. */
#ifndef QBENCH_JSON_INTERNAL_H
#define QBENCH_JSON_INTERNAL_H

#include <lua.h>

/* Registry names of the metatables that force an empty table's JSON type. */
#define QB_JSON_ARRAY_MT "qbench.array"
#define QB_JSON_OBJECT_MT "qbench.object"

/* encode(value [, opts]) -> string [, replacements]; see qbench_json.h.
   Needs the two marker metatables registered. */
int qb_json_encode(lua_State *L);

/* Pushes decode(string) -> value | nil, message, bound to its own cjson. */
void qb_json_push_decoder(lua_State *L);

#endif
