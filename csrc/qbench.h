/*
 * qbench.h: qbench linked into a C program (build/libqbench.a, `make embed`).
 *
 * The archive holds the C core (qbench.core) and every Lua module of
 * lua/qbench as preloaded chunks; nothing is read from disk at run time.
 * Per Lua state:
 *
 *   luaL_openlibs(L);
 *   qbench_preload(L);                       // qbench, qbench.core, qbench.*
 *   qbench_preload_cjson(L, luaopen_cjson);  // what qbench.core requires
 *   ... require "qbench" ...
 *
 * Link with: build/libqbench.a, lua-cjson (Debian's lua-cjson-dev:
 * -l:liblua5.4-cjson.a), Lua 5.4, libcurl, libcrypto, -lpthread
 * (README "Embedding in a C program").
 * The archive defines these functions and no other global symbol.
 */
#ifndef QBENCH_H
#define QBENCH_H

#include <lua.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define QBENCH_API __attribute__((visibility("default")))
#else
#define QBENCH_API
#endif

/*
 * The C core, as `require "qbench.core"` opens it: pushes the module table.
 * It requires "cjson" (lua-cjson) at once, so cjson must be loadable first:
 * see qbench_preload_cjson. Safe to call from several threads, each with its
 * own Lua state (libcurl is initialised once per process).
 */
QBENCH_API int luaopen_qbench_core(lua_State *L);

/*
 * Sets package.preload for "qbench.core" (luaopen_qbench_core) and for every
 * Lua module of lua/qbench under the name `require` uses ("qbench",
 * "qbench.client", "qbench.v2.api.samples", "qbench.cli", ...); chunks are
 * named after their source path ("@lua/qbench/client.lua"). Needs the
 * package library (luaL_openlibs or luaopen_package). Like luaL_openlibs it
 * raises only on a memory error: call it from a protected function to catch
 * that. Loads nothing yet; `require` does, on first use.
 */
QBENCH_API void qbench_preload(lua_State *L);

/*
 * Sets package.preload.cjson to `open_cjson`, lua-cjson's luaopen_cjson,
 * which the host links (Debian: lua-cjson-dev's liblua5.4-cjson.a and
 * <lua-cjson.h>; lua-cjson's liblua5.4-cjson.so.0 exports it too). With it,
 * and with qbench_preload, `require "qbench"` searches no file:
 * package.path and package.cpath may be empty. A NULL `open_cjson` raises
 * a Lua error.
 */
QBENCH_API void qbench_preload_cjson(lua_State *L, lua_CFunction open_cjson);

#ifdef __cplusplus
}
#endif

#endif
