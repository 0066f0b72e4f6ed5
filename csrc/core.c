/*
 * qbench.core: the C half of qbench. HTTP through libcurl and JSON to and
 * from Lua; everything that knows about QBench's endpoints is in Lua.
 */
#include "client.h"
#include "crypto.h"
#include "timing.h"
#include "qbench_json.h"

#include <curl/curl.h>
#include <lauxlib.h>

#define QB_CORE_VERSION "0.1.0"

__attribute__((visibility("default"))) int luaopen_qbench_core(lua_State *L);

int luaopen_qbench_core(lua_State *L) {
  /* Not thread-safe, but idempotent after the first success: hosts that use
     libcurl themselves have normally done it already. */
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return luaL_error(L, "curl_global_init failed");
  qb_json_open(L);
  qb_client_open(L);
  lua_setfield(L, -2, "new");
  qb_client_open_parser(L);
  lua_setfield(L, -2, "parse_headers");
  lua_pushcfunction(L, qb_time);
  lua_setfield(L, -2, "time");
  lua_pushcfunction(L, qb_sleep);
  lua_setfield(L, -2, "sleep");
  lua_pushcfunction(L, qb_hmac_sha256);
  lua_setfield(L, -2, "hmac_sha256");
  lua_pushcfunction(L, qb_b64url_encode);
  lua_setfield(L, -2, "b64url_encode");
  lua_pushliteral(L, QB_CORE_VERSION);
  lua_setfield(L, -2, "_VERSION");
  lua_pushstring(L, curl_version_info(CURLVERSION_NOW)->version);
  lua_setfield(L, -2, "curl_version");
  return 1;
}
