/*
 * qbench.core: the C half of qbench. HTTP through libcurl and JSON to and
 * from Lua; everything that knows about QBench's endpoints is in Lua.
 *
 * Process-global state, all of it here: the once-flag of libcurl's global
 * initialisation, its result and libcurl's version data. Embedders run one
 * Lua state per thread and may open this module in several at once;
 * curl_global_init is not safe to race with itself (nor with curl_easy_init
 * on libcurl builds without the "threadsafe" feature), so it runs exactly
 * once per process, and every later luaopen sees the same result. So does
 * curl_version_info, which fills static memory without a lock. Everything
 * else lives in a state's handles.
 *
 * Outside this file: core.new reads no_proxy/NO_PROXY with getenv (as
 * libcurl itself does on every transfer), which races with a setenv in
 * another thread; hosts change the environment before starting threads.
 */
#include "handle.h"
#include "crypto.h"
#include "timing.h"
#include "qbench_json.h"

#include <pthread.h>
#include <curl/curl.h>
#include <lauxlib.h>

#define QB_CORE_VERSION "0.1.0"

__attribute__((visibility("default"))) int luaopen_qbench_core(lua_State *L);

/* Written inside curl_once only; pthread_once orders every read after the writes. */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result;
static const curl_version_info_data *curl_info;

static void init_curl(void) {
  curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (curl_init_result == CURLE_OK) curl_info = curl_version_info(CURLVERSION_NOW);
}

const curl_version_info_data *qb_curl_info(void) {
  return curl_info;
}

int luaopen_qbench_core(lua_State *L) {
  if (pthread_once(&curl_once, init_curl) != 0) return luaL_error(L, "pthread_once failed");
  /* A failed init is final: libcurl is unusable in this process, say so every time. */
  if (curl_init_result != CURLE_OK)
    return luaL_error(L, "curl_global_init failed: %s", curl_easy_strerror(curl_init_result));
  qb_json_open(L);
  qb_handle_open(L);
  lua_setfield(L, -2, "new");
  qb_handle_open_parser(L);
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
  lua_pushstring(L, curl_info->version);
  lua_setfield(L, -2, "curl_version");
  return 1;
}
