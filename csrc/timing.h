/* Wall-clock time and sleeping, which plain Lua lacks. */
#ifndef QBENCH_TIMING_H
#define QBENCH_TIMING_H

#include <lua.h>

/* time() -> seconds since the epoch, with sub-second precision. */
int qb_time(lua_State *L);

/* sleep(seconds): blocks the calling thread. */
int qb_sleep(lua_State *L);

#endif
