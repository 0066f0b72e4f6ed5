/*
 * A growable byte buffer owned by a full userdata, so that memory is freed by
 * the garbage collector even when a Lua error unwinds past its user. Unlike a
 * luaL_Buffer it keeps nothing on the stack top, so code may push and pop
 * freely (lua_next loops) between appends.
 */
#ifndef QBENCH_STRBUF_H
#define QBENCH_STRBUF_H

#include <stddef.h>
#include <lua.h>

typedef struct qb_strbuf {
  char *data;
  size_t len;
  size_t cap;
} qb_strbuf;

/* Pushes a new empty buffer userdata and returns it. */
qb_strbuf *qb_strbuf_push(lua_State *L);

/* Appends; raises a memory error on failure (the buffer stays owned). */
void qb_strbuf_add(lua_State *L, qb_strbuf *b, const char *s, size_t n);
void qb_strbuf_addchar(lua_State *L, qb_strbuf *b, char c);

/* Appends without ever raising: for libcurl callbacks. Returns 0 or -1. */
int qb_strbuf_add_nothrow(qb_strbuf *b, const char *s, size_t n);

/* Empties the buffer, keeping its memory for reuse. */
void qb_strbuf_clear(qb_strbuf *b);

/* Frees the memory (idempotent). */
void qb_strbuf_free(qb_strbuf *b);

#endif
