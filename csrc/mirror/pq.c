/*
 * qbench.mirror.pq: the few calls of libpq that `qbench mirror` needs, in the
 * shape of qbench.mirror.sqlite: a connection, SQL without parameters and
 * prepared statements whose values travel as parameters, never inside SQL.
 *
 *   local db, msg = pq.connect(conninfo)     -- a postgresql:// URL or key=value words
 *   db:exec(sql)                       --> true | nil, msg, sqlstate
 *   local st = db:prepare(sql)         --> statement | nil, msg, sqlstate
 *   st:run(values, n)                  --> rows affected | nil, msg, sqlstate
 *   st:first(values, n)                --> the first row's columns (nothing without a row) | nil, msg, sqlstate
 *   st:rows(values, n)                 --> {{col, ...}, ...} | nil, msg, sqlstate
 *   st:close(); db:close()             -- also __gc and __close
 *
 * Values go as text: `values` holds strings, or nil / qbench.null (any light
 * userdata) for NULL, read up to `n`; the caller turns numbers into text. A
 * string with a NUL byte is refused (text parameters end at the first NUL,
 * and PostgreSQL's text cannot hold one). Result columns come back typed by
 * their type: integers (int2, int4, int8, oid) as Lua integers, float4,
 * float8 and numeric as numbers, everything else as strings; NULL as nil.
 * Server notices are dropped, so "already exists, skipping" never reaches stderr.
 */
#include <lauxlib.h>
#include <lua.h>
#include <libpq-fe.h>
#include <string.h>

#include "mirror/class.h"

#define DB_MT "qbench.mirror.pq.Connection"
#define ST_MT "qbench.mirror.pq.Statement"
#define RES_MT "qbench.mirror.pq.Result"

__attribute__((visibility("default"))) int luaopen_qbench_mirror_pq(lua_State *L);

typedef struct {
  PGconn *conn;
  lua_Integer next_name; /* prepared statements are named s1, s2, ... */
} conn_t;

typedef struct {
  lua_Integer name;
  int nparams;
  int closed;
} stmt_t;

/* A PGresult owned by a userdata from before it exists: a Lua error (out of
 * memory while pushing its values) cannot leak it; its __gc clears it. */
typedef struct {
  PGresult *res;
} res_box;

static res_box *new_box(lua_State *L) {
  res_box *b = lua_newuserdatauv(L, sizeof *b, 0);
  b->res = NULL;
  luaL_setmetatable(L, RES_MT);
  return b;
}

static int l_clear_box(lua_State *L) {
  res_box *b = luaL_checkudata(L, 1, RES_MT);
  if (b->res != NULL) {
    PQclear(b->res);
    b->res = NULL;
  }
  return 0;
}

static void clear(res_box *b) {
  PQclear(b->res);
  b->res = NULL;
}

/* Type OIDs (catalog/pg_type_d.h is a server header). */
enum { OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_OID = 26, OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_NUMERIC = 1700 };

static void ignore_notice(void *arg, const char *message) {
  (void)arg;
  (void)message;
}

/* nil, the message (one line), the SQLSTATE or "connection"; clears the box's result. */
static int failure(lua_State *L, PGconn *conn, res_box *b) {
  PGresult *res = b ? b->res : NULL;
  const char *msg = res ? PQresultErrorMessage(res) : NULL;
  if (msg == NULL || *msg == '\0') msg = PQerrorMessage(conn);
  size_t len = strlen(msg);
  while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' ')) len--;
  lua_pushnil(L);
  lua_pushlstring(L, msg, len);
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  lua_pushstring(L, state ? state : "connection");
  if (b) clear(b);
  return 3;
}

static conn_t *check_conn(lua_State *L, int idx) {
  conn_t *c = luaL_checkudata(L, idx, DB_MT);
  if (c->conn == NULL) luaL_error(L, "attempt to use a closed database connection");
  return c;
}

/* connect(conninfo) -> connection | nil, msg */
static int l_connect(lua_State *L) {
  const char *info = luaL_checkstring(L, 1);
  conn_t *c = lua_newuserdatauv(L, sizeof *c, 0);
  c->conn = NULL;
  c->next_name = 0;
  luaL_setmetatable(L, DB_MT);
  c->conn = PQconnectdb(info);
  if (c->conn == NULL) return luaL_error(L, "out of memory");
  if (PQstatus(c->conn) != CONNECTION_OK) {
    int n = failure(L, c->conn, NULL);
    PQfinish(c->conn);
    c->conn = NULL;
    return n;
  }
  PQsetNoticeProcessor(c->conn, ignore_notice, NULL);
  if (PQsetClientEncoding(c->conn, "UTF8") != 0) {
    int n = failure(L, c->conn, NULL);
    PQfinish(c->conn);
    c->conn = NULL;
    return n;
  }
  return 1;
}

static int ok_result(const res_box *b) {
  if (b->res == NULL) return 0;
  ExecStatusType st = PQresultStatus(b->res);
  return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

static int l_exec(lua_State *L) {
  conn_t *c = check_conn(L, 1);
  const char *sql = luaL_checkstring(L, 2);
  res_box *b = new_box(L);
  b->res = PQexec(c->conn, sql);
  if (!ok_result(b)) return failure(L, c->conn, b);
  clear(b);
  lua_pushboolean(L, 1);
  return 1;
}

static void push_name(lua_State *L, lua_Integer n) {
  lua_pushfstring(L, "s%I", (LUAI_UACINT)n);
}

/* prepare(sql) -> statement | nil, msg, sqlstate */
static int l_prepare(lua_State *L) {
  conn_t *c = check_conn(L, 1);
  const char *sql = luaL_checkstring(L, 2);
  stmt_t *s = lua_newuserdatauv(L, sizeof *s, 1);
  s->name = ++c->next_name;
  s->nparams = 0;
  s->closed = 1;
  luaL_setmetatable(L, ST_MT);
  lua_pushvalue(L, 1); /* the statement keeps its connection */
  lua_setiuservalue(L, -2, 1);
  res_box *b = new_box(L);
  push_name(L, s->name);
  b->res = PQprepare(c->conn, lua_tostring(L, -1), sql, 0, NULL);
  lua_pop(L, 1);
  if (!ok_result(b)) return failure(L, c->conn, b);
  clear(b);
  push_name(L, s->name);
  b->res = PQdescribePrepared(c->conn, lua_tostring(L, -1));
  lua_pop(L, 1);
  if (!ok_result(b)) return failure(L, c->conn, b);
  s->nparams = PQnparams(b->res);
  clear(b);
  s->closed = 0;
  lua_pop(L, 1); /* the box: the statement is on top again */
  return 1;
}

static int l_close_conn(lua_State *L) {
  conn_t *c = luaL_checkudata(L, 1, DB_MT);
  if (c->conn != NULL) {
    PQfinish(c->conn);
    c->conn = NULL;
  }
  return 0;
}

/* Runs the statement at argument 1 with values (2) up to n (3); its result is in
 * the returned box, left on the top of the stack. */
static res_box *execute(lua_State *L, conn_t **cp) {
  stmt_t *s = luaL_checkudata(L, 1, ST_MT);
  if (s->closed) luaL_error(L, "attempt to use a closed statement");
  lua_getiuservalue(L, 1, 1);
  conn_t *c = check_conn(L, -1);
  lua_pop(L, 1);
  *cp = c;
  int n = 0;
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_Integer count = luaL_checkinteger(L, 3);
    if (count < 0 || count > s->nparams) luaL_error(L, "bind: %d values for %d parameters", (int)count, s->nparams);
    n = (int)count;
  }
  /* The values stay in the table for the whole call; the pointer array is owned by a userdata. */
  const char **values = lua_newuserdatauv(L, sizeof(char *) * (size_t)(s->nparams > 0 ? s->nparams : 1), 0);
  for (int i = 0; i < s->nparams; i++) {
    values[i] = NULL;
    if (i >= n) continue;
    int t = lua_geti(L, 2, i + 1);
    if (t == LUA_TSTRING) {
      size_t len;
      const char *p = lua_tolstring(L, -1, &len);
      if (memchr(p, '\0', len) != NULL) luaL_error(L, "bind: value %d holds a NUL byte", i + 1);
      values[i] = p;
    } else if (t != LUA_TNIL && t != LUA_TLIGHTUSERDATA) {
      luaL_error(L, "bind: value %d is a %s (text or nil expected)", i + 1, luaL_typename(L, -1));
    }
    lua_pop(L, 1);
  }
  res_box *b = new_box(L);
  push_name(L, s->name);
  b->res = PQexecPrepared(c->conn, lua_tostring(L, -1), s->nparams, values, NULL, NULL, 0);
  lua_pop(L, 1);
  lua_remove(L, -2); /* the values' pointers; the box stays */
  return b;
}

static void push_value(lua_State *L, PGresult *res, int row, int col) {
  if (PQgetisnull(res, row, col)) {
    lua_pushnil(L);
    return;
  }
  const char *v = PQgetvalue(res, row, col);
  size_t len = (size_t)PQgetlength(res, row, col);
  switch (PQftype(res, col)) {
  case OID_INT8: case OID_INT2: case OID_INT4: case OID_OID:
  case OID_FLOAT4: case OID_FLOAT8: case OID_NUMERIC:
    if (lua_stringtonumber(L, v) != 0) return;
    break;
  default: break;
  }
  lua_pushlstring(L, v, len);
}

static int l_run(lua_State *L) {
  conn_t *c;
  res_box *b = execute(L, &c);
  if (!ok_result(b)) return failure(L, c->conn, b);
  const char *tuples = PQcmdTuples(b->res);
  lua_Integer n = 0;
  for (const char *p = tuples; *p >= '0' && *p <= '9'; p++) n = n * 10 + (*p - '0');
  clear(b);
  lua_pushinteger(L, n);
  return 1;
}

static int l_first(lua_State *L) {
  conn_t *c;
  res_box *b = execute(L, &c);
  if (!ok_result(b)) return failure(L, c->conn, b);
  if (PQntuples(b->res) == 0) {
    clear(b);
    return 0;
  }
  int cols = PQnfields(b->res);
  luaL_checkstack(L, cols, "too many columns");
  for (int i = 0; i < cols; i++) push_value(L, b->res, 0, i);
  clear(b);
  return cols;
}

static int l_rows(lua_State *L) {
  conn_t *c;
  res_box *b = execute(L, &c);
  if (!ok_result(b)) return failure(L, c->conn, b);
  PGresult *res = b->res;
  int rows = PQntuples(res), cols = PQnfields(res);
  lua_createtable(L, rows, 0);
  for (int r = 0; r < rows; r++) {
    lua_createtable(L, cols, 0);
    for (int i = 0; i < cols; i++) {
      push_value(L, res, r, i);
      lua_seti(L, -2, i + 1);
    }
    lua_seti(L, -2, r + 1);
  }
  clear(b);
  return 1;
}

static int l_close_stmt(lua_State *L) {
  stmt_t *s = luaL_checkudata(L, 1, ST_MT);
  s->closed = 1; /* the server forgets it with the session */
  return 0;
}

static const luaL_Reg conn_methods[] = {
  {"exec", l_exec}, {"prepare", l_prepare}, {"close", l_close_conn}, {NULL, NULL}};
static const luaL_Reg no_methods[] = {{NULL, NULL}};
static const luaL_Reg stmt_methods[] = {
  {"run", l_run}, {"first", l_first}, {"rows", l_rows}, {"close", l_close_stmt}, {NULL, NULL}};


int luaopen_qbench_mirror_pq(lua_State *L) {
  mirror_class(L, DB_MT, conn_methods, l_close_conn);
  mirror_class(L, ST_MT, stmt_methods, l_close_stmt);
  mirror_class(L, RES_MT, no_methods, l_clear_box);
  lua_createtable(L, 0, 2);
  lua_pushcfunction(L, l_connect);
  lua_setfield(L, -2, "connect");
  lua_pushinteger(L, PQlibVersion());
  lua_setfield(L, -2, "version");
  return 1;
}
