/*
 * libFuzzer target: arbitrary bytes as a program that builds Lua values
 * (strings with any bytes, integers, any doubles including NaN and
 * infinities, nested and shared tables, cycles, holes, mixed keys,
 * qbench.array/object marks, null, functions) and hands them to
 * qbench.encode.
 *
 * Oracles: no crash or leak (sanitizers); encode either raises a string
 * error or returns JSON that decodes to a value equal to the input (numbers
 * compared as doubles, since decoding is exact only within 2^53), and that
 * encodes again without error.
 *
 * The same value also goes through encode(v, opts), the options taken from
 * the input's last byte (sort_keys, indent 0..7, invalid_utf8 = "replace",
 * nonfinite = "null"). Oracles: the output is valid UTF-8 that decodes; the
 * replacement count is 0 exactly when the plain encode succeeds, and then
 * the round trip gives the input back and compact unsorted output is
 * byte-identical to the plain one; options never make encode fail where
 * the plain one succeeded; sorted output of a decoded value is a fixed point.
 */
#include "fuzz/fuzz_lua.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char SETUP[] =
  "local qbench = require 'qbench'\n"
  "local function same(a, b, seen)\n"
  "  if type(a) == 'number' and type(b) == 'number' then\n"
  "    if math.type(a) == 'integer' and math.type(b) == 'integer' then return a == b end\n"
  "    return a + 0.0 == b + 0.0\n"
  "  end\n"
  "  if type(a) ~= 'table' or type(b) ~= 'table' then return a == b end\n"
  "  for k, v in pairs(a) do if not same(v, b[k]) then return false end end\n"
  "  for k in pairs(b) do if a[k] == nil then return false end end\n"
  "  return true\n"
  "end\n"
  "function entry(v)\n"
  "  local ok, text = pcall(qbench.encode, v)\n"
  "  if not ok then\n"
  "    if type(text) ~= 'string' then error('encode raised a non-string') end\n"
  "    return\n"
  "  end\n"
  "  local back, why = qbench.decode(text)\n"
  "  if back == nil then error('encoder output does not decode (' .. tostring(why) .. '): ' .. text) end\n"
  "  if not same(v, back) then error('round trip changed the value: ' .. text) end\n"
  "  qbench.encode(back)\n"
  "end\n"
  "function entry_opts(v, flags)\n"
  "  local opts = {sort_keys = flags & 1 ~= 0, indent = (flags >> 1) & 7,\n"
  "    invalid_utf8 = flags & 16 ~= 0 and 'replace' or 'error', nonfinite = flags & 32 ~= 0 and 'null' or nil}\n"
  "  local ok0, plain = pcall(qbench.encode, v)\n"
  "  local ok, text, count = pcall(qbench.encode, v, opts)\n"
  "  if not ok then\n"
  "    if type(text) ~= 'string' then error('encode with options raised a non-string') end\n"
  "    if ok0 then error('options made encode fail: ' .. text) end\n"
  "    return\n"
  "  end\n"
  "  if math.type(count) ~= 'integer' or count < 0 then error('bad replacement count') end\n"
  "  if not utf8.len(text) then error('output is not valid UTF-8: ' .. text) end\n"
  "  local back, why = qbench.decode(text)\n"
  "  if back == nil then error('output with options does not decode (' .. tostring(why) .. '): ' .. text) end\n"
  "  if (count == 0) ~= ok0 then error('count ' .. count .. ' but the plain encode ' .. (ok0 and 'succeeded' or 'failed')) end\n"
  "  if count == 0 then\n"
  "    if not same(v, back) then error('round trip with options changed the value: ' .. text) end\n"
  "    if not opts.sort_keys and opts.indent == 0 and text ~= plain then error('options changed compact output') end\n"
  "  end\n"
  "  if opts.sort_keys then\n"
  "    local again = qbench.encode(back, opts)\n"
  "    if qbench.encode(qbench.decode(again), opts) ~= again then error('sorted output is not canonical: ' .. again) end\n"
  "  end\n"
  "end\n";

static lua_State *L;

typedef struct {
  const uint8_t *p, *end;
} reader;

static int rd_byte(reader *r) { return r->p < r->end ? *r->p++ : 0; }

static void rd_bytes(reader *r, void *out, size_t n) {
  memset(out, 0, n);
  size_t have = (size_t)(r->end - r->p);
  if (n > have) n = have;
  memcpy(out, r->p, n);
  r->p += n;
}

/* Runs the value program; leaves the value to encode on top of the stack. */
static int build(lua_State *S) {
  reader *r = lua_touserdata(S, 1);
  lua_settop(S, 1);
  lua_newtable(S); /* 2: the root, always a table to collect values into */
  int base = lua_gettop(S);
  int steps = 0;
  while (r->p < r->end && steps++ < 4096) {
    luaL_checkstack(S, 8, "fuzz");
    int op = rd_byte(r);
    int top = lua_gettop(S);
    switch (op % 16) {
      case 0: lua_pushboolean(S, op & 0x10); break;
      case 1: { int64_t i; rd_bytes(r, &i, sizeof i); lua_pushinteger(S, (lua_Integer)i); break; }
      case 2: { double d; rd_bytes(r, &d, sizeof d); lua_pushnumber(S, d); break; }
      case 3: { /* a short string of raw bytes */
        size_t n = (size_t)rd_byte(r) % 64, have = (size_t)(r->end - r->p);
        if (n > have) n = have;
        lua_pushlstring(S, (const char *)r->p, n);
        r->p += n;
        break;
      }
      case 4: lua_newtable(S); break;
      case 5: /* t[k] = v with t, k, v the three values below the top */
        if (top - base >= 3 && lua_istable(S, top - 2) && !lua_isnil(S, top - 1) &&
            !(lua_type(S, top - 1) == LUA_TNUMBER && lua_tonumber(S, top - 1) != lua_tonumber(S, top - 1))) {
          lua_rawset(S, top - 2);
        }
        break;
      case 6: /* append the top to the table below it */
        if (top - base >= 2 && lua_istable(S, top - 1)) lua_rawseti(S, top - 1, (lua_Integer)lua_rawlen(S, top - 1) + 1);
        break;
      case 7: lua_pushlightuserdata(S, NULL); break; /* qbench.null */
      case 8: case 9: /* mark as qbench.array / qbench.object */
        if (top > base && lua_istable(S, top) && !lua_getmetatable(S, top)) {
          luaL_setmetatable(S, op % 16 == 8 ? "qbench.array" : "qbench.object");
        } else if (top > base && lua_istable(S, top)) {
          lua_pop(S, 1);
        }
        break;
      case 10: lua_pushcfunction(S, build); break;
      case 11: /* a copy of a value further down: shared tables and cycles */
        if (top > base) lua_pushvalue(S, base + 1 + rd_byte(r) % (top - base));
        break;
      case 12: { /* wrap the top in n arrays: deep nesting */
        int n = rd_byte(r) * 5;
        if (top > base) {
          for (int i = 0; i < n; i++) {
            lua_createtable(S, 1, 0);
            lua_insert(S, -2);
            lua_rawseti(S, -2, 1);
          }
        }
        break;
      }
      case 13: /* store the top in the root under a string key */
        if (top > base) {
          char key[2] = {(char)('a' + rd_byte(r) % 8), 0};
          lua_setfield(S, base, key);
        }
        break;
      case 14: if (top > base) lua_pop(S, 1); break;
      default: lua_pushinteger(S, (lua_Integer)(int8_t)rd_byte(r)); break;
    }
  }
  if (lua_gettop(S) > base) return 1; /* the last value built */
  lua_pushvalue(S, base);
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (L == NULL) L = fuzz_lua_open(SETUP);
  reader r = {data, data + size};
  int top = lua_gettop(L);
  lua_pushcfunction(L, build);
  lua_pushlightuserdata(L, &r);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) fuzz_fail(L, "building the value raised");
  lua_pushvalue(L, -1);
  lua_getglobal(L, "entry");
  lua_insert(L, -2);
  if (lua_pcall(L, 1, 0, 0) != LUA_OK) fuzz_fail(L, "oracle failed");
  lua_getglobal(L, "entry_opts");
  lua_insert(L, -2);
  lua_pushinteger(L, size > 0 ? data[size - 1] : 0);
  if (lua_pcall(L, 2, 0, 0) != LUA_OK) fuzz_fail(L, "oracle with options failed");
  lua_settop(L, top);
  return 0;
}
