#include "timing.h"

#include <errno.h>
#include <time.h>
#include <lauxlib.h>

int qb_time(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
  return 1;
}

void qb_interrupt_begin(qb_interrupt *w, lua_State *L) {
  w->L = L;
  w->hook = lua_gethook(L);
}

int qb_interrupted(const qb_interrupt *w) {
  return w != NULL && w->L != NULL && lua_gethook(w->L) != w->hook;
}

int qb_sleep(lua_State *L) {
  lua_Number s = luaL_checknumber(L, 1);
  luaL_argcheck(L, s >= 0 && s < 1e7, 1, "seconds out of range");
  struct timespec ts;
  ts.tv_sec = (time_t)s;
  ts.tv_nsec = (long)((s - (lua_Number)ts.tv_sec) * 1e9);
  qb_interrupt w;
  qb_interrupt_begin(&w, L);
  /* A signal cuts the sleep short; Ctrl-C (a new hook) ends it, anything else sleeps on. */
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !qb_interrupted(&w)) {
  }
  return 0;
}

double qb_monotonic(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
