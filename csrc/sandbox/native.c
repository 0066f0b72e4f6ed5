/*
 * "sandbox.native": the few primitives the Lua app cannot do well in Lua.
 * HMAC and randomness come from OpenSSL's libcrypto so that the token
 * endpoint checks signatures exactly as a real server would.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "crypto.h"
#include "sandbox/sandbox.h"

static int b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '-') return 62;
	if (c == '_') return 63;
	return -1;
}

/*
 * b64url_decode(text) -> bytes, or nil when the text is not unpadded
 * base64url (a JWT with '=' or '+' in it is malformed, so reject it).
 */
static int l_b64url_decode(lua_State *L)
{
	size_t len, i;
	const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &len);
	luaL_Buffer b;
	char *out;
	size_t o = 0;
	unsigned long acc = 0;
	int bits = 0;

	if (len % 4 == 1) {
		lua_pushnil(L);
		return 1;
	}
	out = luaL_buffinitsize(L, &b, len / 4 * 3 + 3);
	for (i = 0; i < len; i++) {
		int v = b64url_value(s[i]);
		if (v < 0) {
			lua_pushnil(L);
			return 1;
		}
		acc = ((acc << 6) | (unsigned long)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	luaL_pushresultsize(&b, o);
	return 1;
}

/* equal(a, b) -> boolean, in constant time for equal lengths */
static int l_equal(lua_State *L)
{
	size_t la, lb;
	const char *a = luaL_checklstring(L, 1, &la);
	const char *b = luaL_checklstring(L, 2, &lb);
	lua_pushboolean(L, la == lb && CRYPTO_memcmp(a, b, la) == 0);
	return 1;
}

/* now() -> wall-clock seconds (float): JWT iat/exp are wall-clock times */
static int l_now(lua_State *L)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
	return 1;
}

/* monotonic() -> seconds (float) that never jump: rate windows, token expiry */
static int l_monotonic(lua_State *L)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
	return 1;
}

/* uuid4() -> a random UUID string, the shape of QBench's access tokens */
static int l_uuid4(lua_State *L)
{
	unsigned char r[16];
	static const char hex[] = "0123456789abcdef";
	char out[36];
	size_t i, o = 0;

	if (RAND_bytes(r, (int)sizeof r) != 1)
		return luaL_error(L, "RAND_bytes failed");
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	for (i = 0; i < sizeof r; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[r[i] >> 4];
		out[o++] = hex[r[i] & 15];
	}
	lua_pushlstring(L, out, o);
	return 1;
}

int sb_native_open(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{"hmac_sha256", qb_hmac_sha256}, /* shared with qbench.core (csrc/crypto.c) */
		{"b64url_encode", qb_b64url_encode},
		{"b64url_decode", l_b64url_decode},
		{"equal", l_equal},
		{"now", l_now},
		{"monotonic", l_monotonic},
		{"uuid4", l_uuid4},
		{NULL, NULL},
	};
	luaL_newlib(L, fns);
	return 1;
}
