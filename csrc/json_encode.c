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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>

typedef enum { KEY_NONE, KEY_INDEX, KEY_NAME } key_kind;

/* Where the encoder is, so that an error can name the offending element:
 * step d leads into depth d. `table` is the table being encoded at depth d
 * (lua_topointer), so that a table met again on its own path is a cycle. */
typedef struct {
  key_kind kind;
  int stack_slot;    /* KEY_NAME: absolute index of the key string */
  lua_Integer index; /* KEY_INDEX */
  const void *table;
} path_step;

/* Levels of nesting the encoder holds in itself; deeper ones move the path to a buffer. */
#define PATH_INLINE 32

/* An object's key while its members are sorted: the key's bytes, its first 8
 * bytes as a big-endian number (zero-padded), which decides most comparisons
 * alone, and its slot in the encoder's anchor table. */
typedef struct {
  const char *s;
  size_t len;
  uint64_t prefix;
  lua_Integer slot;
} sort_key;

typedef struct {
  lua_State *L;
  qb_strbuf *out;
  /* With sort_keys: the sort_key entries of the objects on the current path, a
   * stack (each object's entries above its parent's), in a buffer owned by a
   * userdata, and the keys themselves at the same places in the anchor table,
   * so that no collection can free a key while it is sorted. Both are made
   * once per encode, not per object. Entries are read by index, never kept as
   * pointers across a nested encode, since the buffer may move as it grows. */
  qb_strbuf *keys;
  int anchor;         /* absolute index of the anchor table */
  size_t nkeys;       /* entries in use in `keys` (and slots 1..nkeys of the anchor) */
  int sort_keys;      /* object keys in bytewise order, for output that diffs well */
  int indent;         /* spaces per level; 0: compact */
  int replace_utf8;   /* invalid UTF-8 becomes U+FFFD instead of an error */
  int null_nonfinite; /* NaN and infinities become null instead of an error */
  lua_Integer replaced; /* how many of those two substitutions were made */
  /* path[d] is the step into depth d, 1..QB_JSON_MAX_DEPTH. The encoder lives on
     the C stack and is small: every allocation (output, path, keys) is owned by
     a userdata made at the start, so a raised error frees it, and a nesting of
     a few levels costs no memory the collector counts. Steps are always read
     through e->path[d], never kept as pointers across a nested encode: the
     path may move as it grows. */
  path_step *path;    /* path_inline, or path_buf's data once the nesting passes PATH_INLINE levels */
  size_t path_cap;    /* steps `path` holds */
  qb_strbuf *path_buf;
  path_step path_inline[PATH_INLINE];
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

/*
 * Length of the well-formed UTF-8 sequence starting at s, or 0 when it is
 * malformed, with *bad set to the length of its maximal subpart: the longest
 * start of a well-formed sequence, at least one byte (Unicode 15, section 3.9,
 * "U+FFFD Substitution of Maximal Subparts", as the WHATWG decoder does). The
 * second byte's range excludes overlong forms, surrogates and code points
 * past U+10FFFF (Table 3-7).
 */
static size_t utf8_sequence(const unsigned char *s, size_t avail, size_t *bad) {
  unsigned char c = s[0], lo = 0x80, hi = 0xBF;
  size_t n, i = 1;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    else if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    else if (c == 0xF4) hi = 0x8F;
  } else {
    *bad = 1;
    return 0;
  }
  if (avail > 1 && s[1] >= lo && s[1] <= hi)
    for (i = 2; i < n && i < avail && (s[i] & 0xC0) == 0x80; i++) {
    }
  if (i == n) return n;
  *bad = i;
  return 0;
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
      size_t bad = 0, n = utf8_sequence(s + i, len - i, &bad);
      if (n == 0) {
        if (!e->replace_utf8) encode_error(e, depth, "invalid UTF-8 in string");
        add(e, (const char *)s + run, i - run);
        add(e, "\xEF\xBF\xBD", 3); /* U+FFFD, as raw UTF-8 like the rest of the text */
        e->replaced++;
        run = i += bad;
        continue;
      }
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

/* An integer in decimal, as LUA_INTEGER_FMT prints it, without printf's cost. */
static void encode_integer(encoder *e, lua_Integer v) {
  char num[24];
  char *p = num + sizeof num;
  /* Negative values count down from 0 in the unsigned type: exact for the minimum too. */
  unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
  do {
    *--p = (char)('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (v < 0) *--p = '-';
  add(e, p, (size_t)(num + sizeof num - p));
}

static void encode_number(encoder *e, int idx, int depth) {
  char num[64];
  int n;
  if (lua_isinteger(e->L, idx)) {
    encode_integer(e, lua_tointeger(e->L, idx));
    return;
  } else {
    double d = (double)lua_tonumber(e->L, idx);
    if (!isfinite(d) && e->null_nonfinite) {
      e->replaced++;
      add(e, "null", 4);
      return;
    }
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
  lua_Integer count = 0, max = 0, names = 0;
  int strings = 0, integers = 0;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) == LUA_TSTRING) {
      strings = 1;
      names++;
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
  *length = integers ? count : names;
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

/* With indent: a line break and the indentation of `depth`. */
static void newline(encoder *e, int depth) {
  static const char spaces[] = "                                                                ";
  size_t n = (size_t)depth * (size_t)e->indent;
  qb_strbuf_addchar(e->L, e->out, '\n');
  for (; n > sizeof spaces - 1; n -= sizeof spaces - 1) add(e, spaces, sizeof spaces - 1);
  add(e, spaces, n);
}

/* Makes room in e->path for steps 0..need-1 (the path moves, once, to its buffer). */
static void grow_path(encoder *e, size_t need) {
  qb_strbuf *b = e->path_buf;
  if (e->path == e->path_inline) qb_strbuf_add(e->L, b, (const char *)e->path_inline, sizeof e->path_inline);
  while (b->len < need * sizeof(path_step)) /* room, whatever is in it: steps are written before they are read */
    qb_strbuf_add(e->L, b, (const char *)e->path_inline, sizeof e->path_inline);
  e->path = (path_step *)(void *)b->data;
  e->path_cap = b->len / sizeof(path_step);
}

/* One "key": value member; the key is at stack slot `key`, the value on top. */
static void encode_member(encoder *e, int key, int depth, int first) {
  path_step *step = &e->path[depth + 1];
  if (!first) qb_strbuf_addchar(e->L, e->out, ',');
  if (e->indent) newline(e, depth + 1);
  step->kind = KEY_NAME;
  step->stack_slot = key;
  encode_string(e, key, depth + 1);
  if (e->indent) add(e, ": ", 2);
  else qb_strbuf_addchar(e->L, e->out, ':');
  encode_value(e, lua_gettop(e->L), depth + 1);
}

/* Bytewise, a prefix first: the order of memcmp, whatever the locale. Equal
 * prefixes (the first 8 bytes, zero-padded) leave it to the whole keys. */
static int compare_keys(const void *pa, const void *pb) {
  const sort_key *a = pa, *b = pb;
  if (a->prefix != b->prefix) return a->prefix < b->prefix ? -1 : 1;
  int r = memcmp(a->s, b->s, a->len < b->len ? a->len : b->len);
  if (r != 0) return r;
  return a->len < b->len ? -1 : a->len > b->len;
}

static uint64_t key_prefix(const char *s, size_t len) {
  uint64_t p = 0;
  for (size_t i = 0; i < 8; i++) p = (p << 8) | (i < len ? (unsigned char)s[i] : 0);
  return p;
}

/* The members of the object at idx in key order; n is its number of keys. */
static void encode_sorted_members(encoder *e, int idx, int depth, lua_Integer n) {
  lua_State *L = e->L;
  if (n <= 1) { /* nothing to sort: {"id": 7} and the like */
    lua_pushnil(L);
    if (lua_next(L, idx) != 0) {
      encode_member(e, lua_gettop(L) - 1, depth, 1);
      lua_pop(L, 2);
    }
    return;
  }
  size_t base = e->nkeys, count = 0;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    lua_pop(L, 1);
    sort_key k;
    k.s = lua_tolstring(L, -1, &k.len); /* a string: table_shape_of said so */
    k.prefix = key_prefix(k.s, k.len);
    k.slot = (lua_Integer)(base + ++count);
    lua_pushvalue(L, -1);
    lua_rawseti(L, e->anchor, k.slot);
    qb_strbuf_add(L, e->keys, (const char *)&k, sizeof k);
  }
  e->nkeys = base + count;
  qsort((sort_key *)(void *)e->keys->data + base, count, sizeof(sort_key), compare_keys);
  for (size_t i = 0; i < count; i++) {
    /* Read again each time: a nested object's entries may have moved the buffer. */
    lua_rawgeti(L, e->anchor, ((const sort_key *)(void *)e->keys->data)[base + i].slot);
    lua_pushvalue(L, -1);
    lua_rawget(L, idx);
    encode_member(e, lua_gettop(L) - 1, depth, i == 0);
    lua_pop(L, 2);
  }
  e->nkeys = base;
  e->keys->len = base * sizeof(sort_key);
}

static void encode_table(encoder *e, int idx, int depth) {
  lua_State *L = e->L;
  if (depth >= QB_JSON_MAX_DEPTH) encode_error(e, depth, "nesting deeper than 1000");
  luaL_checkstack(L, 8, "JSON nesting");
  if ((size_t)depth + 2 > e->path_cap) grow_path(e, (size_t)depth + 2);
  const void *self = lua_topointer(L, idx);
  for (int d = 0; d < depth; d++)
    if (e->path[d].table == self) encode_error(e, depth, "cycle: table contains itself");
  e->path[depth].table = self;

  lua_Integer n;
  if (table_shape_of(e, idx, depth, &n) == SHAPE_ARRAY) {
    qb_strbuf_addchar(L, e->out, '[');
    for (lua_Integer i = 1; i <= n; i++) {
      if (i > 1) qb_strbuf_addchar(L, e->out, ',');
      if (e->indent) newline(e, depth + 1);
      e->path[depth + 1].kind = KEY_INDEX;
      e->path[depth + 1].index = i;
      lua_rawgeti(L, idx, i);
      encode_value(e, lua_gettop(L), depth + 1);
      lua_pop(L, 1);
    }
    if (e->indent && n > 0) newline(e, depth);
    qb_strbuf_addchar(L, e->out, ']');
  } else {
    qb_strbuf_addchar(L, e->out, '{');
    if (e->sort_keys) {
      encode_sorted_members(e, idx, depth, n);
    } else {
      int first = 1;
      lua_pushnil(L);
      while (lua_next(L, idx) != 0) {
        encode_member(e, lua_gettop(L) - 1, depth, first);
        first = 0;
        lua_pop(L, 1);
      }
    }
    if (e->indent && n > 0) newline(e, depth);
    qb_strbuf_addchar(L, e->out, '}');
  }
  e->path[depth + 1].kind = KEY_NONE;
  e->path[depth].table = NULL;
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

/* The value of option `name` when it is one of `choices` (NULL-terminated): its index, or -1 for nil. */
static int option_choice(lua_State *L, const char *name, const char *const choices[]) {
  int r = -1;
  if (lua_getfield(L, 2, name) != LUA_TNIL) {
    const char *v = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    for (r = 0; v && choices[r] && strcmp(v, choices[r]) != 0; r++) {
    }
    if (v == NULL || choices[r] == NULL)
      luaL_argerror(L, 2, lua_pushfstring(L, "%s must be \"%s\" or \"%s\"", name, choices[0], choices[1]));
  }
  lua_pop(L, 1);
  return r;
}

/* Reads encode's options table (stack slot 2); unknown names raise, so a typo is never ignored. */
static void read_options(lua_State *L, encoder *e) {
  static const char *const utf8_modes[] = {"error", "replace", NULL};
  static const char *const nonfinite_modes[] = {"error", "null", NULL};
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, 2) != 0) {
    lua_pop(L, 1);
    const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    if (k == NULL || (strcmp(k, "sort_keys") != 0 && strcmp(k, "indent") != 0 && strcmp(k, "invalid_utf8") != 0 &&
                      strcmp(k, "nonfinite") != 0))
      luaL_argerror(L, 2, lua_pushfstring(L, "unknown option %s", k ? k : luaL_typename(L, -1)));
  }
  int t = lua_getfield(L, 2, "sort_keys");
  luaL_argcheck(L, t == LUA_TNIL || t == LUA_TBOOLEAN, 2, "sort_keys must be a boolean");
  e->sort_keys = lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (lua_getfield(L, 2, "indent") != LUA_TNIL) {
    int ok;
    lua_Integer n = lua_tointegerx(L, -1, &ok);
    luaL_argcheck(L, ok && lua_type(L, -1) == LUA_TNUMBER && n >= 0 && n <= 8, 2,
                  "indent must be an integer from 0 to 8");
    e->indent = (int)n;
  }
  lua_pop(L, 1);
  e->replace_utf8 = option_choice(L, "invalid_utf8", utf8_modes) == 1;
  e->null_nonfinite = option_choice(L, "nonfinite", nonfinite_modes) == 1;
}

/* encode(value [, opts]) -> text | text, replacements (when opts are given). */
int qb_json_encode(lua_State *L) {
  luaL_checkany(L, 1);
  int with_options = !lua_isnoneornil(L, 2);
  lua_settop(L, 2);
  encoder enc;
  encoder *e = &enc;
  e->L = L;
  e->sort_keys = e->indent = e->replace_utf8 = e->null_nonfinite = 0;
  e->replaced = 0;
  if (with_options) read_options(L, e);
  e->out = qb_strbuf_push(L);                       /* slot 3 */
  e->path_buf = qb_strbuf_push(L);                  /* slot 4 */
  e->path = e->path_inline;
  e->path_cap = PATH_INLINE;
  e->keys = NULL;
  e->anchor = 0;
  e->nkeys = 0;
  if (e->sort_keys) {
    e->keys = qb_strbuf_push(L);                    /* slot 5 */
    lua_newtable(L);                                /* slot 6 */
    e->anchor = 6;
  }
  e->path[0].kind = KEY_NONE;
  encode_value(e, 1, 0);
  lua_pushlstring(L, e->out->data ? e->out->data : "", e->out->len);
  qb_strbuf_free(e->out);
  qb_strbuf_free(e->path_buf);
  if (e->keys) qb_strbuf_free(e->keys);
  if (!with_options) return 1;
  lua_pushinteger(L, e->replaced);
  return 2;
}
