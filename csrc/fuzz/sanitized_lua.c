/*
 * A minimal stand-in for the lua5.4 interpreter, built with the sanitizers
 * for `make sanitize` and put first on PATH there. Debian's lua5.4 is not
 * instrumented; preloading the ASan runtime into it would preload it into
 * every program the suite starts too (sh, curl, script, openssl), and some
 * of those deadlock or report their own leaks under it. With this binary
 * only Lua processes, and so only our code, run sanitized.
 *
 * Supports what the suite uses: lua5.4 [-e code | -l mod | -v]... [script [args]],
 * and Ctrl-C as lua.c answers it: SIGINT during a chunk raises "interrupted!"
 * at the next Lua instruction (the qbench command's specs rely on that).
 * The state is closed at the end (also on os.exit(n, true)), so that
 * LeakSanitizer sees only real leaks.
 */
#define _POSIX_C_SOURCE 200809L /* sigaction under -std=c11 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>
#include <lualib.h>

static int report(lua_State *L, int status) {
  if (status != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "lua5.4: %s\n", msg ? msg : "(error object is not a string)");
    lua_pop(L, 1);
  }
  return status;
}

static int traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) msg = luaL_tolstring(L, 1, NULL);
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/* The state a SIGINT interrupts; a signal handler can reach nothing else. */
static lua_State *interrupted_state = NULL;

static void set_signal(int sig, void (*handler)(int)) {
  struct sigaction sa;
  sa.sa_handler = handler;
  sa.sa_flags = 0;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, NULL);
}

/* A hook raises at the next instruction: a handler must not touch the state itself. */
static void stop_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  luaL_error(L, "interrupted!");
}

static void on_interrupt(int sig) {
  set_signal(sig, SIG_DFL); /* a second Ctrl-C ends the process */
  lua_sethook(interrupted_state, stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

static int docall(lua_State *L, int narg, int nres) {
  int base = lua_gettop(L) - narg;
  lua_pushcfunction(L, traceback);
  lua_insert(L, base);
  interrupted_state = L;
  set_signal(SIGINT, on_interrupt);
  int status = lua_pcall(L, narg, nres, base);
  set_signal(SIGINT, SIG_DFL);
  lua_remove(L, base);
  return status;
}

/* -e CODE runs CODE; -l NAME sets global NAME = require(NAME), as lua.c does. */
static int run_option(lua_State *L, char which, const char *val) {
  int status;
  if (which == 'e') {
    status = luaL_loadbuffer(L, val, strlen(val), "=(command line)");
    if (status == LUA_OK) status = docall(L, 0, 0);
  } else {
    lua_getglobal(L, "require");
    lua_pushstring(L, val);
    status = docall(L, 1, 1);
    if (status == LUA_OK) lua_setglobal(L, val);
  }
  return report(L, status);
}

int main(int argc, char **argv) {
  lua_State *L = luaL_newstate();
  if (L == NULL) return 1;
  luaL_openlibs(L);
  int script = 1;
  while (script < argc && argv[script][0] == '-') {
    if (strcmp(argv[script], "--") == 0) { script++; break; }
    if (strcmp(argv[script], "-") == 0) break;
    if (strcmp(argv[script], "-e") == 0 || strcmp(argv[script], "-l") == 0) script++; /* its value */
    script++;
  }
  /* arg: the script at 0, its arguments after, the interpreter's before. */
  int s = script < argc ? script : 0;
  lua_createtable(L, argc - s, s + 1);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - s);
  }
  lua_setglobal(L, "arg");

  int status = LUA_OK;
  for (int i = 1; i < script && status == LUA_OK; i++) {
    const char *opt = argv[i];
    if (strcmp(opt, "-v") == 0) {
      puts(LUA_COPYRIGHT);
    } else if ((strcmp(opt, "-e") == 0 || strcmp(opt, "-l") == 0) && i + 1 < argc) {
      status = run_option(L, opt[1], argv[++i]);
    } else if (opt[1] == 'e' || opt[1] == 'l') {
      status = run_option(L, opt[1], opt + 2); /* -e'code' / -lname written as one word */
    } else {
      fprintf(stderr, "lua5.4 (sanitized): unsupported option %s\n", opt);
      status = LUA_ERRRUN;
    }
  }
  if (status == LUA_OK && script < argc) {
    const char *name = strcmp(argv[script], "-") == 0 ? NULL : argv[script];
    status = luaL_loadfile(L, name);
    if (status == LUA_OK) {
      int n = argc - script - 1;
      luaL_checkstack(L, n + 3, "too many arguments");
      for (int i = script + 1; i < argc; i++) lua_pushstring(L, argv[i]);
      status = docall(L, n, LUA_MULTRET);
    }
    report(L, status);
  }
  lua_close(L);
  return status == LUA_OK ? EXIT_SUCCESS : EXIT_FAILURE;
}
