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

/*
 * Ctrl-C during a wait in C. The standalone interpreter (lua.c) answers SIGINT
 * by setting a hook on the state, to raise "interrupted!" at the next Lua
 * instruction; a wait inside C would run to its end first. A wait notes the
 * hook it started with (qb_interrupt_begin) and returns early once it changed
 * (qb_interrupted): back in Lua, the hook runs. Reading the hook is what the
 * signal handler's lua_sethook is made for; nothing else of the state is touched.
 */
typedef struct {
  lua_State *L;
  lua_Hook hook;
} qb_interrupt;

void qb_interrupt_begin(qb_interrupt *w, lua_State *L);
int qb_interrupted(const qb_interrupt *w);

#endif
