/*
 * qbench.mirror.rows: the values of a record's columns, at C speed.
 *
 *   rows.fill(record, raw, names, kinds, coercers, out, offset) --> n
 *   rows.unknown(record, known, ignored) --> does the record have a non-null
 *       value under a key that is in neither table? (a column may have to be added)
 *
 * For column i (1..#names) it reads record[names[i]] and stores what the
 * column holds in out[offset + i]. The rules are qbench.mirror.schema's
 * coercers (coercers[i], a Lua function); this file only takes the paths
 * where a coercer would hand the value back unchanged, or turn it into nil:
 *   - nil or qbench.null (light userdata): nil, for every kind;
 *   - kind "integer" and a Lua integer; kind "real" and a finite number;
 *   - kind "text" and a string of valid UTF-8 without NUL;
 *   - kind "boolean" and a boolean (1 or 0);
 *   - kind "json": the member's text in `raw`, the whole record as the json
 *     coercer's encoder wrote it (compact, keys sorted): a member's value there
 *     is exactly that encoder's text for the value, so it is cut out, not
 *     encoded again.
 * Every other value goes through coercers[i]. kinds[i] are the kinds' names.
 */
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <string.h>

__attribute__((visibility("default"))) int luaopen_qbench_mirror_rows(lua_State *L);

/* Valid UTF-8 as Lua's utf8.len (strict) sees it, and no NUL byte. */
static int clean_utf8(const unsigned char *s, size_t len) {
  size_t i = 0;
  while (i < len) {
    unsigned c = s[i];
    if (c == 0) return 0;
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t n;
    unsigned cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1, cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return 0;
    }
    if (len - i <= n) return 0;
    for (size_t k = 1; k <= n; k++) {
      unsigned b = s[i + k];
      if ((b & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    i += n + 1;
  }
  return 1;
}

/* The index just after the JSON string that starts at s[i] ('"'). */
static size_t skip_string(const char *s, size_t n, size_t i) {
  for (i++; i < n; i++) {
    if (s[i] == '\\') i++;
    else if (s[i] == '"') return i + 1;
  }
  return n;
}

/* The index just after the JSON value that starts at s[i] (compact JSON). */
static size_t skip_value(const char *s, size_t n, size_t i) {
  if (i >= n) return n;
  if (s[i] == '"') return skip_string(s, n, i);
  if (s[i] == '{' || s[i] == '[') {
    size_t depth = 0;
    while (i < n) {
      char c = s[i];
      if (c == '"') {
        i = skip_string(s, n, i);
        continue;
      }
      if (c == '{' || c == '[') depth++;
      else if ((c == '}' || c == ']') && --depth == 0) return i + 1;
      i++;
    }
    return n;
  }
  while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']') i++;
  return i;
}

/* The members of a compact JSON object, read in order from a cursor. */
typedef struct {
  const char *s;
  size_t n, pos; /* pos: at the next member's key, or at the final '}' */
} members;

/* Reads the member at m->pos: the key (without its quotes) and the value's span; 0 at the end. */
static int next_member(members *m, const char **key, size_t *klen, size_t *vstart, size_t *vend) {
  size_t i = m->pos;
  if (i >= m->n || m->s[i] != '"') return 0;
  size_t kend = skip_string(m->s, m->n, i);
  if (kend >= m->n || m->s[kend] != ':' || kend < i + 2) return 0;
  *key = m->s + i + 1;
  *klen = kend - i - 2;
  *vstart = kend + 1;
  *vend = skip_value(m->s, m->n, *vstart);
  m->pos = *vend < m->n && m->s[*vend] == ',' ? *vend + 1 : *vend;
  return 1;
}

/* Pushes the value text of member `name` (nil when absent or null). It searches
 * from the cursor, then from the start, so names in key order cost one pass. */
static void push_member(lua_State *L, members *m, const char *name, size_t nlen) {
  size_t first = m->n > 0 && m->s[0] == '{' ? 1 : m->n;
  for (int round = 0; round < 2; round++) {
    members at = *m;
    if (round == 1) at.pos = first;
    const char *key;
    size_t klen, vs, ve;
    while (next_member(&at, &key, &klen, &vs, &ve)) {
      if (klen == nlen && memcmp(key, name, nlen) == 0) {
        m->pos = at.pos;
        if (ve - vs == 4 && memcmp(m->s + vs, "null", 4) == 0) lua_pushnil(L);
        else lua_pushlstring(L, m->s + vs, ve - vs);
        return;
      }
    }
  }
  lua_pushnil(L);
}

enum kind { K_INTEGER, K_REAL, K_TEXT, K_BOOLEAN, K_JSON, K_OTHER };

static enum kind kind_of(const char *k) {
  if (strcmp(k, "integer") == 0) return K_INTEGER;
  if (strcmp(k, "real") == 0) return K_REAL;
  if (strcmp(k, "text") == 0) return K_TEXT;
  if (strcmp(k, "boolean") == 0) return K_BOOLEAN;
  if (strcmp(k, "json") == 0) return K_JSON;
  return K_OTHER;
}

/* Is the value at the top already what a column of kind k holds? Leaves it there. */
static int as_is(lua_State *L, enum kind k) {
  switch (k) {
  case K_INTEGER: return lua_isinteger(L, -1);
  case K_REAL:
    if (lua_type(L, -1) != LUA_TNUMBER) return 0;
    return lua_isinteger(L, -1) || isfinite((double)lua_tonumber(L, -1));
  case K_TEXT: {
    if (lua_type(L, -1) != LUA_TSTRING) return 0;
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    return clean_utf8((const unsigned char *)s, len);
  }
  default: return 0;
  }
}

static int l_fill(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  members m;
  m.s = luaL_checklstring(L, 2, &m.n);
  m.pos = m.n > 0 && m.s[0] == '{' ? 1 : m.n;
  for (int a = 3; a <= 6; a++) luaL_checktype(L, a, LUA_TTABLE);
  lua_Integer offset = luaL_checkinteger(L, 7);
  lua_Integer n = luaL_len(L, 3);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_geti(L, 4, i);
    enum kind k = kind_of(luaL_checkstring(L, -1));
    lua_pop(L, 1);
    lua_geti(L, 3, i);
    if (k == K_JSON) {
      size_t nlen;
      const char *name = luaL_checklstring(L, -1, &nlen);
      push_member(L, &m, name, nlen);
      lua_remove(L, -2);
      lua_seti(L, 6, offset + i);
      continue;
    }
    lua_gettable(L, 1); /* record[names[i]] */
    int t = lua_type(L, -1);
    if (t == LUA_TNIL || t == LUA_TLIGHTUSERDATA) {
      lua_pop(L, 1);
      lua_pushnil(L);
    } else if (k == K_BOOLEAN && t == LUA_TBOOLEAN) {
      int b = lua_toboolean(L, -1);
      lua_pop(L, 1);
      lua_pushinteger(L, b ? 1 : 0);
    } else if (!as_is(L, k)) {
      lua_geti(L, 5, i);
      lua_insert(L, -2);
      lua_call(L, 1, 1); /* coercers[i](value) */
    }
    lua_seti(L, 6, offset + i);
  }
  lua_pushinteger(L, n);
  return 1;
}

static int l_unknown(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checktype(L, 2, LUA_TTABLE);
  luaL_checktype(L, 3, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, 1) != 0) {
    if (lua_type(L, -1) != LUA_TLIGHTUSERDATA) {
      lua_pushvalue(L, -2);
      int known = lua_rawget(L, 2) != LUA_TNIL;
      lua_pop(L, 1);
      if (!known) {
        lua_pushvalue(L, -2);
        known = lua_rawget(L, 3) != LUA_TNIL;
        lua_pop(L, 1);
      }
      if (!known) {
        lua_pushboolean(L, 1);
        return 1;
      }
    }
    lua_pop(L, 1);
  }
  lua_pushboolean(L, 0);
  return 1;
}

int luaopen_qbench_mirror_rows(lua_State *L) {
  lua_createtable(L, 0, 2);
  lua_pushcfunction(L, l_fill);
  lua_setfield(L, -2, "fill");
  lua_pushcfunction(L, l_unknown);
  lua_setfield(L, -2, "unknown");
  return 1;
}
