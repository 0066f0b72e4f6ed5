#include "strbuf.h"

#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>

#define QB_STRBUF_MT "qbench.Buffer"

static int strbuf_gc(lua_State *L) {
  qb_strbuf_free(luaL_checkudata(L, 1, QB_STRBUF_MT));
  return 0;
}

qb_strbuf *qb_strbuf_push(lua_State *L) {
  qb_strbuf *b = lua_newuserdatauv(L, sizeof *b, 0);
  b->data = NULL;
  b->len = b->cap = 0;
  if (luaL_newmetatable(L, QB_STRBUF_MT)) {
    lua_pushcfunction(L, strbuf_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  return b;
}

static int strbuf_reserve(qb_strbuf *b, size_t extra) {
  if (extra <= b->cap - b->len) return 0;
  if (extra > SIZE_MAX / 2 - b->len) return -1;
  size_t cap = b->cap ? b->cap : 256;
  while (cap - b->len < extra) cap *= 2;
  char *p = realloc(b->data, cap);
  if (p == NULL) return -1;
  b->data = p;
  b->cap = cap;
  return 0;
}

int qb_strbuf_add_nothrow(qb_strbuf *b, const char *s, size_t n) {
  if (strbuf_reserve(b, n) != 0) return -1;
  if (n > 0) memcpy(b->data + b->len, s, n);
  b->len += n;
  return 0;
}

void qb_strbuf_add(lua_State *L, qb_strbuf *b, const char *s, size_t n) {
  if (qb_strbuf_add_nothrow(b, s, n) != 0) luaL_error(L, "not enough memory");
}

void qb_strbuf_addchar(lua_State *L, qb_strbuf *b, char c) {
  if (b->len < b->cap) b->data[b->len++] = c;
  else qb_strbuf_add(L, b, &c, 1);
}

void qb_strbuf_clear(qb_strbuf *b) { b->len = 0; }

void qb_strbuf_free(qb_strbuf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}
