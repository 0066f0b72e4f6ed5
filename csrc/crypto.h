/* HMAC-SHA256 and base64url for JWTs, shared by qbench.core and the sandbox. */
#ifndef QBENCH_CRYPTO_H
#define QBENCH_CRYPTO_H

#include <lua.h>

/* hmac_sha256(key, data) -> 32 raw bytes (OpenSSL's libcrypto). */
int qb_hmac_sha256(lua_State *L);

/* b64url_encode(bytes) -> text without padding, as JWT requires. */
int qb_b64url_encode(lua_State *L);

#endif
