/* The two primitives a JWT needs. No home-made crypto: the MAC is OpenSSL's. */
#include "crypto.h"

#include <limits.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <lauxlib.h>

int qb_hmac_sha256(lua_State *L) {
  size_t klen, dlen;
  const char *key = luaL_checklstring(L, 1, &klen);
  const char *data = luaL_checklstring(L, 2, &dlen);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int maclen = 0;
  luaL_argcheck(L, klen <= INT_MAX, 1, "key too long");
  if (HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)data, dlen, mac, &maclen) == NULL)
    return luaL_error(L, "HMAC-SHA256 failed");
  lua_pushlstring(L, (const char *)mac, maclen);
  return 1;
}

int qb_b64url_encode(lua_State *L) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  size_t len;
  const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &len);
  luaL_Buffer b;
  char *out = luaL_buffinitsize(L, &b, (len + 2) / 3 * 4);
  size_t o = 0, i = 0;
  for (; i + 2 < len; i += 3) {
    unsigned long v = ((unsigned long)s[i] << 16) | ((unsigned long)s[i + 1] << 8) | s[i + 2];
    out[o++] = alphabet[(v >> 18) & 63];
    out[o++] = alphabet[(v >> 12) & 63];
    out[o++] = alphabet[(v >> 6) & 63];
    out[o++] = alphabet[v & 63];
  }
  if (len - i > 0) { /* 1 or 2 bytes left: 2 or 3 characters, no '=' padding */
    unsigned long v = (unsigned long)s[i] << 16;
    if (len - i == 2) v |= (unsigned long)s[i + 1] << 8;
    out[o++] = alphabet[(v >> 18) & 63];
    out[o++] = alphabet[(v >> 12) & 63];
    if (len - i == 2) out[o++] = alphabet[(v >> 6) & 63];
  }
  luaL_pushresultsize(&b, o);
  return 1;
}
