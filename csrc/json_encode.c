/*
 * Strict JSON encoder. Neither cjson release can tell an empty array from an
 * empty object, and Debian's loses integer precision past 14 digits, so the
 * request side is ours. Anything JSON cannot represent faithfully is an error
 * raised before a request is built, never a silently altered body.
 */
#include "json_internal.h"
#include "qbench_json.h"
#include "strbuf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>

typedef enum { KEY_NONE, KEY_INDEX, KEY_NAME } key_kind;

/* Where the encoder is, so that an error can name the offending element. */
typedef struct {
  key_kind kind;
  lua_Integer index; /* KEY_INDEX */
  int stack_slot;    /* KEY_NAME: absolute index of the key string */
} path_step;

typedef struct {
  lua_State *L;
  qb_strbuf *out;
  int visiting; /* absolute index of the set of tables on the current path */
  path_step path[QB_JSON_MAX_DEPTH + 1];
} encoder;

static int encode_value(encoder *e, int idx, int depth);

/* Raises "<what> at <path>", e.g. "cannot encode a function at $.contacts[2]". */
static int encode_error(encoder *e, int depth, const char *what) {
  lua_State *L = e->L;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addstring(&b, what);
  luaL_addstring(&b, " at $");
  for (int i = 1; i <= depth; i++) {
    const path_step *s = &e->path[i];
    if (s->kind == KEY_INDEX) {
      lua_pushfstring(L, "[%I]", (LUAI_UACINT)s->index);
      luaL_addvalue(&b);
    } else if (s->kind == KEY_NAME) {
      luaL_addchar(&b, '.');
      luaL_addstring(&b, lua_tostring(L, s->stack_slot));
    }
  }
  luaL_pushresult(&b);
  return lua_error(L);
}

static void add(encoder *e, const char *s, size_t n) { qb_strbuf_add(e->L, e->out, s, n); }

/* Length of the UTF-8 sequence starting at s, or 0 when it is malformed. */
static size_t utf8_sequence(const unsigned char *s, size_t avail) {
  unsigned char c = s[0];
  size_t n;
  unsigned long cp, min;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) { n = 2; cp = c & 0x1F; min = 0x80; }
  else if (c >= 0xE0 && c <= 0xEF) { n = 3; cp = c & 0x0F; min = 0x800; }
  else if (c >= 0xF0 && c <= 0xF4) { n = 4; cp = c & 0x07; min = 0x10000; }
  else return 0;
  if (n > avail) return 0;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

static void encode_string(encoder *e, int idx, int depth) {
  size_t len;
  const unsigned char *s = (const unsigned char *)lua_tolstring(e->L, idx, &len);
  static const char hex[] = "0123456789abcdef";
  size_t run = 0; /* start of the pending run of bytes that need no escape */
  qb_strbuf_addchar(e->L, e->out, '"');
  for (size_t i = 0; i < len;) {
    unsigned char c = s[i];
    const char *esc = NULL;
    char uesc[6];
    if (c >= 0x80) {
      size_t n = utf8_sequence(s + i, len - i);
      if (n == 0) encode_error(e, depth, "invalid UTF-8 in string");
      i += n;
      continue;
    }
    switch (c) {
      case '"': esc = "\\\""; break;
      case '\\': esc = "\\\\"; break;
      case '\b': esc = "\\b"; break;
      case '\f': esc = "\\f"; break;
      case '\n': esc = "\\n"; break;
      case '\r': esc = "\\r"; break;
      case '\t': esc = "\\t"; break;
      default:
        if (c < 0x20) {
          memcpy(uesc, "\\u00", 4);
          uesc[4] = hex[c >> 4];
          uesc[5] = hex[c & 0xF];
        }
    }
    if (esc == NULL && c >= 0x20) { i++; continue; }
    add(e, (const char *)s + run, i - run);
    if (esc) add(e, esc, strlen(esc));
    else add(e, uesc, sizeof uesc);
    run = ++i;
  }
  add(e, (const char *)s + run, len - run);
  qb_strbuf_addchar(e->L, e->out, '"');
}

static void encode_number(encoder *e, int idx, int depth) {
  char num[64];
  int n;
  if (lua_isinteger(e->L, idx)) {
    n = snprintf(num, sizeof num, LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(e->L, idx));
  } else {
    double d = (double)lua_tonumber(e->L, idx);
    if (isnan(d)) encode_error(e, depth, "cannot encode NaN");
    if (isinf(d)) encode_error(e, depth, "cannot encode an infinite number");
    /* The shortest of %.15g..%.17g that reads back as the same double. */
    for (int prec = 15; prec <= 17; prec++) {
      n = snprintf(num, sizeof num, "%.*g", prec, d);
      if (strtod(num, NULL) == d) break;
    }
  }
  add(e, num, (size_t)n);
}

typedef enum { SHAPE_ARRAY, SHAPE_OBJECT } table_shape;

/* Decides array or object from the keys; raises on shapes JSON cannot hold. */
static table_shape table_shape_of(encoder *e, int idx, int depth, lua_Integer *length) {
  lua_State *L = e->L;
  lua_Integer count = 0, max = 0;
  int strings = 0, integers = 0;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) == LUA_TSTRING) {
      strings = 1;
    } else if (lua_isinteger(L, -1) && lua_tointeger(L, -1) > 0) {
      lua_Integer k = lua_tointeger(L, -1);
      integers = 1;
      count++;
      if (k > max) max = k;
    } else {
      lua_pop(L, 1);
      encode_error(e, depth, "table key must be a string or a positive integer");
    }
    if (strings && integers) {
      lua_pop(L, 1);
      encode_error(e, depth, "table mixes string and integer keys");
    }
  }
  int marked_array = 0, marked_object = 0;
  if (lua_getmetatable(L, idx)) {
    luaL_getmetatable(L, QB_JSON_ARRAY_MT);
    marked_array = lua_rawequal(L, -1, -2);
    luaL_getmetatable(L, QB_JSON_OBJECT_MT);
    marked_object = lua_rawequal(L, -1, -3);
    lua_pop(L, 3);
  }
  *length = count;
  if (integers) {
    if (max != count) encode_error(e, depth, "table is not a sequence (integer keys with holes)");
    if (marked_object) encode_error(e, depth, "qbench.object table has integer keys");
    return SHAPE_ARRAY;
  }
  if (strings) {
    if (marked_array) encode_error(e, depth, "qbench.array table has string keys");
    return SHAPE_OBJECT;
  }
  return marked_object ? SHAPE_OBJECT : SHAPE_ARRAY;
}

static void encode_table(encoder *e, int idx, int depth) {
  lua_State *L = e->L;
  if (depth >= QB_JSON_MAX_DEPTH) encode_error(e, depth, "nesting deeper than 1000");
  luaL_checkstack(L, 6, "JSON nesting");
  lua_pushvalue(L, idx);
  if (lua_rawget(L, e->visiting) != LUA_TNIL) encode_error(e, depth, "cycle: table contains itself");
  lua_pop(L, 1);
  lua_pushvalue(L, idx);
  lua_pushboolean(L, 1);
  lua_rawset(L, e->visiting);

  lua_Integer n;
  path_step *step = &e->path[depth + 1];
  if (table_shape_of(e, idx, depth, &n) == SHAPE_ARRAY) {
    qb_strbuf_addchar(L, e->out, '[');
    for (lua_Integer i = 1; i <= n; i++) {
      if (i > 1) qb_strbuf_addchar(L, e->out, ',');
      step->kind = KEY_INDEX;
      step->index = i;
      lua_rawgeti(L, idx, i);
      encode_value(e, lua_gettop(L), depth + 1);
      lua_pop(L, 1);
    }
    qb_strbuf_addchar(L, e->out, ']');
  } else {
    int first = 1;
    qb_strbuf_addchar(L, e->out, '{');
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
      if (!first) qb_strbuf_addchar(L, e->out, ',');
      first = 0;
      step->kind = KEY_NAME;
      step->stack_slot = lua_gettop(L) - 1;
      encode_string(e, step->stack_slot, depth + 1);
      qb_strbuf_addchar(L, e->out, ':');
      encode_value(e, lua_gettop(L), depth + 1);
      lua_pop(L, 1);
    }
    qb_strbuf_addchar(L, e->out, '}');
  }
  step->kind = KEY_NONE;

  lua_pushvalue(L, idx);
  lua_pushnil(L);
  lua_rawset(L, e->visiting);
}

static int encode_value(encoder *e, int idx, int depth) {
  lua_State *L = e->L;
  switch (lua_type(L, idx)) {
    case LUA_TSTRING: encode_string(e, idx, depth); break;
    case LUA_TNUMBER: encode_number(e, idx, depth); break;
    case LUA_TBOOLEAN:
      if (lua_toboolean(L, idx)) add(e, "true", 4);
      else add(e, "false", 5);
      break;
    case LUA_TTABLE: encode_table(e, idx, depth); break;
    default: {
      if (lua_type(L, idx) == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == NULL) {
        add(e, "null", 4); /* qbench.null, alias cjson.null */
        break;
      }
      const char *what = lua_pushfstring(L, "cannot encode a %s value", luaL_typename(L, idx));
      encode_error(e, depth, what);
    }
  }
  return 0;
}

int qb_json_encode(lua_State *L) {
  luaL_checkany(L, 1);
  lua_settop(L, 1);
  encoder *e = lua_newuserdatauv(L, sizeof *e, 0); /* slot 2: too big for the C stack */
  e->L = L;
  e->out = qb_strbuf_push(L);                       /* slot 3 */
  lua_newtable(L);                                  /* slot 4 */
  e->visiting = 4;
  e->path[0].kind = KEY_NONE;
  encode_value(e, 1, 0);
  lua_pushlstring(L, e->out->data ? e->out->data : "", e->out->len);
  qb_strbuf_free(e->out);
  return 1;
}
