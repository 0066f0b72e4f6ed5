/*
 * The sandbox's JSON decoding: the shared decoder (csrc/json_decode.c, the
 * same one the client library uses), then one walk over the text that puts
 * back what a plain Lua table loses, so that the sandbox can check a request
 * as strictly as a JSON schema reads it:
 *   - an empty [] and an empty {} come back marked with the json.array and
 *     json.object metatables, so [[]] is not [{}] and "tags": {} is not a list;
 *   - every number takes the Lua subtype its spelling gives: 2.0 and 1e2 stay
 *     floats (the shared decoder makes every integral number an integer),
 *     9007199254740993 is that integer, not the nearest double.
 * Only the sandbox registers this decoder ("sandbox.json".decode); the client
 * library's decoding is unchanged.
 *
 * The walk reads text the shared decoder has accepted, so it follows the
 * decoded value step by step. With duplicate keys the decoder keeps the last
 * value, and so does the walk: every visit of a key sets its marks and
 * numbers again. A key it cannot match only leaves that part unmarked.
 */
#include <lauxlib.h>
#include <lua.h>

#include "json_internal.h"
#include "qbench_json.h"
#include "sandbox/sandbox.h"

struct walk {
	lua_State *L;
	const char *p;
	const char *end;
	int bad;            /* text the walk does not follow: stop, keep what is done */
};

static void skip_ws(struct walk *w)
{
	while (w->p < w->end && (*w->p == ' ' || *w->p == '\t' || *w->p == '\n' || *w->p == '\r'))
		w->p++;
}

static int peek(const struct walk *w)
{
	return w->p < w->end ? (unsigned char)*w->p : -1;
}

/* Marks the value at `v` (an absolute index, 0 for none) when it is an empty table. */
static void mark_empty(lua_State *L, int v, const char *mt)
{
	if (v == 0 || !lua_istable(L, v))
		return;
	lua_pushnil(L);
	if (lua_next(L, v) != 0) {
		lua_pop(L, 2);
		return;
	}
	luaL_getmetatable(L, mt);
	lua_setmetatable(L, v);
}

static int hex4(const char *s, const char *end, unsigned *out)
{
	unsigned v = 0;
	int i;
	if (end - s < 4)
		return 0;
	for (i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
		else return 0;
	}
	*out = v;
	return 1;
}

static void add_utf8(luaL_Buffer *b, unsigned cp)
{
	if (cp < 0x80) {
		luaL_addchar(b, (char)cp);
	} else if (cp < 0x800) {
		luaL_addchar(b, (char)(0xC0 | (cp >> 6)));
		luaL_addchar(b, (char)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		luaL_addchar(b, (char)(0xE0 | (cp >> 12)));
		luaL_addchar(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		luaL_addchar(b, (char)(0x80 | (cp & 0x3F)));
	} else {
		luaL_addchar(b, (char)(0xF0 | (cp >> 18)));
		luaL_addchar(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
		luaL_addchar(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		luaL_addchar(b, (char)(0x80 | (cp & 0x3F)));
	}
}

/* The end of the string whose opening quote is at w->p (its closing quote), or NULL. */
static const char *string_end(const struct walk *w, int *escaped)
{
	const char *q = w->p + 1;
	*escaped = 0;
	while (q < w->end && *q != '"') {
		if (*q == '\\') {
			*escaped = 1;
			if (++q == w->end)
				break;
		}
		q++;
	}
	return q < w->end ? q : NULL;
}

/*
 * Unescapes s..q into a pushed Lua string, as the decoder does; returns 0
 * (nothing pushed) on an escape it would have refused.
 */
static int push_unescaped(lua_State *L, const char *s, const char *q)
{
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	while (s < q) {
		char e;
		unsigned cp, lo;
		if (*s != '\\') {
			luaL_addchar(&b, *s++);
			continue;
		}
		if (++s >= q)
			goto fail;
		e = *s++;
		switch (e) {
		case 'b': luaL_addchar(&b, '\b'); break;
		case 'f': luaL_addchar(&b, '\f'); break;
		case 'n': luaL_addchar(&b, '\n'); break;
		case 'r': luaL_addchar(&b, '\r'); break;
		case 't': luaL_addchar(&b, '\t'); break;
		case '"': case '\\': case '/': luaL_addchar(&b, e); break;
		case 'u':
			if (!hex4(s, q, &cp))
				goto fail;
			s += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (q - s < 6 || s[0] != '\\' || s[1] != 'u' || !hex4(s + 2, q, &lo)
				    || lo < 0xDC00 || lo > 0xDFFF)
					goto fail;
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				s += 6;
			} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
				goto fail;
			}
			add_utf8(&b, cp);
			break;
		default:
			goto fail;
		}
	}
	luaL_pushresult(&b);
	return 1;
fail:
	luaL_pushresult(&b);
	lua_pop(L, 1);
	return 0;
}

/* Pushes the string at w->p (a key) and moves past it; 0 (nothing pushed) when it cannot. */
static int push_key(struct walk *w)
{
	int escaped;
	const char *q = string_end(w, &escaped);
	const char *s = w->p + 1;
	if (q == NULL)
		return 0;
	w->p = q + 1;
	if (!escaped) {
		lua_pushlstring(w->L, s, (size_t)(q - s));
		return 1;
	}
	return push_unescaped(w->L, s, q);
}

/*
 * The number at w->p: moves past it and, when `slot` holds a number, pushes
 * the number its spelling gives (returns 1), else pushes nothing (returns 0).
 */
static int number(struct walk *w, int slot)
{
	const char *s = w->p;
	while (w->p < w->end) {
		char c = *w->p;
		if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E')
			w->p++;
		else
			break;
	}
	if (slot == 0 || lua_type(w->L, slot) != LUA_TNUMBER || w->p == s)
		return 0;
	lua_pushlstring(w->L, s, (size_t)(w->p - s));
	if (lua_stringtonumber(w->L, lua_tostring(w->L, -1)) == 0) {
		lua_pop(w->L, 1);
		return 0;
	}
	lua_remove(w->L, -2);
	return 1;
}

static int value(struct walk *w, int slot);

/*
 * At the [ or { of `v` (0 for none): moves past it; when `close` follows at
 * once, moves past that too, marks `v` with `mt` and returns 1.
 */
static int empty(struct walk *w, int v, char close, const char *mt)
{
	w->p++;
	skip_ws(w);
	if (peek(w) != close)
		return 0;
	w->p++;
	mark_empty(w->L, v, mt);
	return 1;
}

/* After a member of an array or object: 1 when another follows, 0 at its end. */
static int more(struct walk *w, char close)
{
	skip_ws(w);
	if (peek(w) == ',') {
		w->p++;
		return 1;
	}
	if (peek(w) == close)
		w->p++;
	else
		w->bad = 1;
	return 0;
}

/* The array at w->p, decoded as `v` (0 for none). */
static void array(struct walk *w, int v)
{
	lua_State *L = w->L;
	lua_Integer i;
	int table = v != 0 && lua_istable(L, v);

	if (empty(w, v, ']', QB_JSON_ARRAY_MT))
		return;
	for (i = 1; !w->bad; i++) {
		int item = 0;
		if (table) {
			lua_rawgeti(L, v, i);
			item = lua_gettop(L);
		}
		if (value(w, item))
			lua_rawseti(L, v, i);
		if (table)
			lua_pop(L, 1);
		if (!more(w, ']'))
			return;
	}
}

/* The object at w->p, decoded as `v` (0 for none). */
static void object(struct walk *w, int v)
{
	lua_State *L = w->L;
	int table = v != 0 && lua_istable(L, v);

	if (empty(w, v, '}', QB_JSON_OBJECT_MT))
		return;
	while (!w->bad) {
		int base = lua_gettop(L), key = 0, item = 0;
		skip_ws(w);
		if (peek(w) != '"') {
			w->bad = 1;
			return;
		}
		if (push_key(w))
			key = lua_gettop(L);
		skip_ws(w);
		if (peek(w) != ':') {
			w->bad = 1;
			lua_settop(L, base);
			return;
		}
		w->p++;
		if (table && key) {
			lua_pushvalue(L, key);
			lua_rawget(L, v);
			item = lua_gettop(L);
		}
		if (value(w, item)) { /* only with a slot: `table` and `key` */
			lua_pushvalue(L, key);
			lua_insert(L, -2);
			lua_rawset(L, v);
		}
		lua_settop(L, base);
		if (!more(w, '}'))
			return;
	}
}

/*
 * Walks the value at w->p, decoded as `slot` (0 for none). Returns 1 with a
 * replacement for the slot pushed (a number as spelt), else 0.
 */
static int value(struct walk *w, int slot)
{
	int c;
	luaL_checkstack(w->L, 8, "JSON nesting");
	skip_ws(w);
	c = peek(w);
	if (c == '{') {
		object(w, slot);
	} else if (c == '[') {
		array(w, slot);
	} else if (c == '"') {
		int escaped;
		const char *q = string_end(w, &escaped);
		if (q == NULL)
			w->bad = 1;
		else
			w->p = q + 1;
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		return number(w, slot);
	} else if (c >= 'a' && c <= 'z') {
		while (w->p < w->end && *w->p >= 'a' && *w->p <= 'z')
			w->p++;
	} else {
		w->bad = 1;
	}
	return 0;
}

/* decode(text) -> value | nil, message; upvalue 1: the shared decoder. */
static int decode_exact(lua_State *L)
{
	size_t len;
	const char *text = luaL_checklstring(L, 1, &len);
	struct walk w;
	int v;

	lua_settop(L, 1);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushvalue(L, 1);
	lua_call(L, 1, 2);
	if (lua_isnil(L, 2))
		return 2;
	lua_settop(L, 2);
	v = 2;
	w.L = L;
	w.p = text;
	w.end = text + len;
	w.bad = 0;
	if (value(&w, v))
		lua_replace(L, v);
	lua_settop(L, v);
	return 1;
}

int sb_json_open(lua_State *L)
{
	qb_json_open(L);
	lua_getfield(L, -1, "decode");
	lua_pushcclosure(L, decode_exact, 1);
	lua_setfield(L, -2, "decode");
	return 1;
}
