/* Wall-clock time and sleeping, which plain Lua lacks, and the monotonic
   clock the C core measures waits with. */
#ifndef QBENCH_TIMING_H
#define QBENCH_TIMING_H

#include <lua.h>

/* time() -> seconds since the epoch, with sub-second precision. */
int qb_time(lua_State *L);

/* sleep(seconds): blocks the calling thread. */
int qb_sleep(lua_State *L);

/* Seconds on CLOCK_MONOTONIC: for durations only, immune to clock changes. */
double qb_monotonic(void);

#endif
