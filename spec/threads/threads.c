/*
 * spec-threads: qbench the way embedders run it, one Lua state per OS
 * thread, all states in one process and so sharing qbench.core's and
 * libcurl's process-global state. Each thread makes its own state, loads
 * the core .so given on the command line and the Lua module from --lua-dir,
 * and does `calls` GETs of customer 1 through qbench.new{...}.customer:get,
 * checking that every answer is the same customer.
 *
 * usage: spec-threads [--threads N] [--calls N] [--lua-dir DIR] CORE_SO URL TOKEN
 * Exit status 0 only when every call of every thread succeeded.
 * Built plain for spec/core_threads_spec.lua and with -fsanitize=thread for
 * `make sanitize` (Makefile: threads-tsan).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>
#include <lualib.h>

typedef struct {
  int id;
  const char *core, *url, *token, *lua_dir;
  lua_Integer calls;
  lua_Integer done; /* calls that succeeded */
  char *error;      /* malloc'd message, or NULL */
} worker;

/* Runs in each thread's own state with (core_so, url, token, calls). */
static const char CHUNK[] =
  "local core_so, url, token, calls = ...\n"
  "package.preload['qbench.core'] = assert(package.loadlib(core_so, 'luaopen_qbench_core'))\n"
  "local qbench = require 'qbench'\n"
  "local qb <close> = qbench.new { url = url, token = token, retries = 0 }\n"
  "local want\n"
  "for i = 1, calls do\n"
  "  local c, err = qb.customer:get(1)\n"
  "  if not c then error('call ' .. i .. ': ' .. tostring(err), 0) end\n"
  "  if c.id ~= 1 then error('call ' .. i .. ': customer id ' .. tostring(c.id), 0) end\n"
  "  local got = qbench.encode(c, { sort_keys = true })\n"
  "  want = want or got\n"
  "  if got ~= want then error('call ' .. i .. ': a different answer: ' .. got, 0) end\n"
  "end\n"
  "return calls\n";

static int traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) msg = luaL_tolstring(L, 1, NULL);
  luaL_traceback(L, L, msg, 1);
  return 1;
}

static char *copy(const char *s) {
  char *p = malloc(strlen(s) + 1);
  if (p) strcpy(p, s);
  return p;
}

static void *run(void *arg) {
  worker *w = arg;
  lua_State *L = luaL_newstate();
  if (L == NULL) {
    w->error = copy("luaL_newstate failed");
    return NULL;
  }
  luaL_openlibs(L);
  lua_getglobal(L, "package");
  lua_pushfstring(L, "%s/?.lua;%s/?/init.lua", w->lua_dir, w->lua_dir);
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);
  lua_pushcfunction(L, traceback);
  int status = luaL_loadbuffer(L, CHUNK, sizeof CHUNK - 1, "=spec-threads");
  if (status == LUA_OK) {
    lua_pushstring(L, w->core);
    lua_pushstring(L, w->url);
    lua_pushstring(L, w->token);
    lua_pushinteger(L, w->calls);
    status = lua_pcall(L, 4, 1, 1);
  }
  if (status == LUA_OK) w->done = lua_tointeger(L, -1);
  else w->error = copy(lua_tostring(L, -1) ? lua_tostring(L, -1) : "(an error that is not a string)");
  lua_close(L);
  return NULL;
}

static long count_arg(const char *s) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*end != '\0' || v < 1 || v > 1000000) {
    fprintf(stderr, "spec-threads: not a count from 1 to 1000000: %s\n", s);
    exit(2);
  }
  return v;
}

int main(int argc, char **argv) {
  long nthreads = 4, calls = 1000;
  const char *lua_dir = "lua";
  int i = 1;
  for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
    if (strcmp(argv[i], "--threads") == 0) nthreads = count_arg(argv[i + 1]);
    else if (strcmp(argv[i], "--calls") == 0) calls = count_arg(argv[i + 1]);
    else if (strcmp(argv[i], "--lua-dir") == 0) lua_dir = argv[i + 1];
    else break;
  }
  if (argc - i != 3 || nthreads > 64) {
    fputs("usage: spec-threads [--threads N (<= 64)] [--calls N] [--lua-dir DIR] CORE_SO URL TOKEN\n", stderr);
    return 2;
  }
  worker *w = calloc((size_t)nthreads, sizeof *w);
  pthread_t *tid = calloc((size_t)nthreads, sizeof *tid);
  if (w == NULL || tid == NULL) return 1;
  long started = 0;
  for (; started < nthreads; started++) {
    worker *x = &w[started];
    x->id = (int)started + 1;
    x->core = argv[i];
    x->url = argv[i + 1];
    x->token = argv[i + 2];
    x->lua_dir = lua_dir;
    x->calls = calls;
    if (pthread_create(&tid[started], NULL, run, x) != 0) {
      fprintf(stderr, "spec-threads: pthread_create failed\n");
      break;
    }
  }
  lua_Integer total = 0;
  for (long t = 0; t < started; t++) {
    pthread_join(tid[t], NULL);
    total += w[t].done;
    if (w[t].error) fprintf(stderr, "spec-threads: thread %d: %s\n", w[t].id, w[t].error);
    free(w[t].error);
  }
  printf("spec-threads: %ld threads x %ld calls: %lld succeeded\n", nthreads, calls, (long long)total);
  int ok = started == nthreads && total == (lua_Integer)nthreads * calls;
  free(w);
  free(tid);
  return ok ? 0 : 1;
}
