/*
 * qbench.mirror.sqlite: the few calls of libsqlite3 that `qbench mirror`
 * needs: a connection, SQL without parameters (schema, transactions) and
 * prepared statements whose values are bound, never spliced into SQL text.
 *
 *   local db, msg, code = sqlite.open(path, busy_timeout_ms)
 *   db:exec(sql)                       --> true | nil, msg, code
 *   local st = db:prepare(sql)         --> statement | nil, msg, code
 *   st:run(values, n)                  --> changes | nil, msg, code
 *   st:first(values, n)                --> the first row's columns (nothing without a row) | nil, msg, code
 *   st:rows(values, n)                 --> {{col, ...}, ...} | nil, msg, code
 *   st:close(); db:close()             -- also __gc and __close
 *   local lock = sqlite.lock(path)     --> lock | nil, msg, "held"
 *   lock:close()                       -- also __gc and __close
 *
 * `values` is an array read up to `n` (holes are NULL): nil and qbench.null
 * (any light userdata) bind NULL, booleans 1 or 0, integers and floats as
 * such, strings as text with their length (NUL bytes and all). `code` is a
 * word: "busy" (another connection holds the lock past the timeout),
 * "readonly", "full", "cantopen", "corrupt", "constraint", "misuse" or "error".
 *
 * Statements keep their connection alive, and closing the connection closes
 * its statements first (each is on the connection's list): db:close() really
 * closes the database file, never leaving a "zombie" connection that waits for
 * the garbage collector to finalize a forgotten statement, and a statement
 * object used after its connection closed raises instead of reaching freed
 * memory. A zombie keeps the file open; once its POSIX locks are gone (any
 * close() of another descriptor of the file in this process drops them),
 * another process takes itself for the last user, checkpoints and deletes the
 * WAL and the -shm file, and the next connection of this process shares the
 * zombie's stale wal-index: pages of one table end up in another's b-tree.
 *
 * sqlite.lock(path) takes an flock(2) lock on its own file (the mirror's
 * `DB-mirror.lock`, made if missing and never removed), held until closed, so
 * that a second mirror of the same database stops at once instead of
 * interleaving its pages. It is never a descriptor of the database file itself,
 * whose close() would drop the fcntl locks of every SQLite connection of this
 * process to that file.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <sqlite3.h>

#include "mirror/class.h"

#define DB_MT "qbench.mirror.sqlite.Connection"
#define ST_MT "qbench.mirror.sqlite.Statement"
#define LOCK_MT "qbench.mirror.sqlite.Lock"

__attribute__((visibility("default"))) int luaopen_qbench_mirror_sqlite(lua_State *L);

typedef struct stmt_s stmt_t;

typedef struct {
  sqlite3 *db;
  stmt_t *stmts; /* the open statements, closed with the connection */
} conn_t;

/* A statement is on its connection's list from its prepare to its close. Its
 * userdata keeps the connection's alive (user value 1), so `conn` is valid
 * while the statement is listed, whatever order the collector finalizes them. */
struct stmt_s {
  sqlite3_stmt *st;
  conn_t *conn;
  stmt_t *prev, *next;
};

typedef struct {
  int fd;
} lock_t;

static const char *code_word(int rc) {
  switch (rc & 0xff) {
  case SQLITE_BUSY:
  case SQLITE_LOCKED: return "busy";
  case SQLITE_READONLY: return "readonly";
  case SQLITE_FULL: return "full";
  case SQLITE_CANTOPEN: return "cantopen";
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB: return "corrupt";
  case SQLITE_CONSTRAINT: return "constraint";
  case SQLITE_MISUSE: return "misuse";
  default: return "error";
  }
}

/* nil, the connection's message, the code's word. */
static int failure(lua_State *L, sqlite3 *db, int rc) {
  lua_pushnil(L);
  lua_pushstring(L, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  lua_pushstring(L, code_word(rc));
  return 3;
}

static conn_t *check_conn(lua_State *L) {
  conn_t *c = luaL_checkudata(L, 1, DB_MT);
  if (c->db == NULL) luaL_error(L, "attempt to use a closed database connection");
  return c;
}

static stmt_t *check_stmt(lua_State *L) {
  stmt_t *s = luaL_checkudata(L, 1, ST_MT);
  if (s->st == NULL) luaL_error(L, "attempt to use a closed statement");
  return s;
}

/* open(path, busy_timeout_ms) -> connection | nil, msg, code */
static int l_open(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  lua_Integer timeout = luaL_optinteger(L, 2, 5000);
  conn_t *c = lua_newuserdatauv(L, sizeof *c, 0);
  c->db = NULL;
  c->stmts = NULL;
  luaL_setmetatable(L, DB_MT);
  int rc = sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    int n = failure(L, c->db, rc);
    sqlite3_close_v2(c->db); /* a failed open may still have allocated a handle */
    c->db = NULL;
    return n;
  }
  sqlite3_extended_result_codes(c->db, 0);
  sqlite3_busy_timeout(c->db, timeout < 0 ? 0 : timeout > 0x7fffffff ? 0x7fffffff : (int)timeout);
  return 1;
}

static int l_exec(lua_State *L) {
  conn_t *c = check_conn(L);
  const char *sql = luaL_checkstring(L, 2);
  int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK) return failure(L, c->db, rc);
  lua_pushboolean(L, 1);
  return 1;
}

static int l_prepare(lua_State *L) {
  conn_t *c = check_conn(L);
  size_t len;
  const char *sql = luaL_checklstring(L, 2, &len);
  stmt_t *s = lua_newuserdatauv(L, sizeof *s, 1);
  s->st = NULL;
  s->conn = NULL;
  s->prev = s->next = NULL;
  luaL_setmetatable(L, ST_MT);
  lua_pushvalue(L, 1); /* the statement keeps its connection alive */
  lua_setiuservalue(L, -2, 1);
  int rc = sqlite3_prepare_v2(c->db, sql, (int)len, &s->st, NULL);
  if (rc != SQLITE_OK) return failure(L, c->db, rc);
  if (s->st == NULL) return luaL_error(L, "prepare: no SQL statement in the text");
  s->conn = c;
  s->next = c->stmts;
  if (c->stmts != NULL) c->stmts->prev = s;
  c->stmts = s;
  return 1;
}

/* Finalizes the statement and takes it off its connection's list. */
static void finalize(stmt_t *s) {
  if (s->st == NULL) return;
  sqlite3_finalize(s->st);
  s->st = NULL;
  if (s->prev != NULL) s->prev->next = s->next;
  else s->conn->stmts = s->next;
  if (s->next != NULL) s->next->prev = s->prev;
  s->prev = s->next = NULL;
}

static int l_close_conn(lua_State *L) {
  conn_t *c = luaL_checkudata(L, 1, DB_MT);
  if (c->db != NULL) {
    while (c->stmts != NULL) finalize(c->stmts);
    /* No statement left: the connection and its file close now, not as a zombie. */
    sqlite3_close_v2(c->db);
    c->db = NULL;
  }
  return 0;
}

/* Binds values[1..n] (arguments 2 and 3) to the statement. */
static int bind_values(lua_State *L, stmt_t *s) {
  sqlite3_stmt *st = s->st;
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (lua_isnoneornil(L, 2)) return SQLITE_OK;
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_Integer n = luaL_checkinteger(L, 3);
  if (n < 0 || n > sqlite3_bind_parameter_count(st))
    return luaL_error(L, "bind: %d values for %d parameters", (int)n, sqlite3_bind_parameter_count(st));
  for (int i = 1; i <= (int)n; i++) {
    int rc = SQLITE_OK;
    switch (lua_geti(L, 2, i)) {
    case LUA_TNIL:
    case LUA_TLIGHTUSERDATA: rc = sqlite3_bind_null(st, i); break;
    case LUA_TBOOLEAN: rc = sqlite3_bind_int(st, i, lua_toboolean(L, -1)); break;
    case LUA_TNUMBER:
      if (lua_isinteger(L, -1)) rc = sqlite3_bind_int64(st, i, (sqlite3_int64)lua_tointeger(L, -1));
      else rc = sqlite3_bind_double(st, i, (double)lua_tonumber(L, -1));
      break;
    case LUA_TSTRING: {
      size_t len;
      const char *p = lua_tolstring(L, -1, &len);
      /* STATIC: the values table holds the string for the whole call, and
       * every call clears its bindings before it returns (done()). */
      rc = sqlite3_bind_text64(st, i, p, (sqlite3_uint64)len, SQLITE_STATIC, SQLITE_UTF8);
      break;
    }
    default: return luaL_error(L, "bind: value %d is a %s", i, luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

/* Ends a call: the statement is reset and no binding outlives the values table. */
static void done(stmt_t *s) {
  sqlite3_reset(s->st);
  sqlite3_clear_bindings(s->st);
}

/* Ends a failed call: nil, msg, code. */
static int failed(lua_State *L, stmt_t *s, int rc) {
  int n = failure(L, sqlite3_db_handle(s->st), rc);
  done(s);
  return n;
}

static void push_column(lua_State *L, sqlite3_stmt *st, int col) {
  switch (sqlite3_column_type(st, col)) {
  case SQLITE_INTEGER: lua_pushinteger(L, (lua_Integer)sqlite3_column_int64(st, col)); break;
  case SQLITE_FLOAT: lua_pushnumber(L, (lua_Number)sqlite3_column_double(st, col)); break;
  case SQLITE_NULL: lua_pushnil(L); break;
  default: {
    const void *p = sqlite3_column_blob(st, col);
    lua_pushlstring(L, p ? p : "", (size_t)sqlite3_column_bytes(st, col));
  }
  }
}

/* run(values, n) -> changes | nil, msg, code */
static int l_run(lua_State *L) {
  stmt_t *s = check_stmt(L);
  sqlite3 *db = sqlite3_db_handle(s->st);
  int rc = bind_values(L, s);
  if (rc != SQLITE_OK) return failed(L, s, rc);
  while ((rc = sqlite3_step(s->st)) == SQLITE_ROW)
    ;
  if (rc != SQLITE_DONE) return failed(L, s, rc);
  done(s);
  lua_pushinteger(L, sqlite3_changes(db));
  return 1;
}

/* first(values, n) -> the first row's columns, or nothing | nil, msg, code */
static int l_first(lua_State *L) {
  stmt_t *s = check_stmt(L);
  int rc = bind_values(L, s);
  if (rc != SQLITE_OK) return failed(L, s, rc);
  rc = sqlite3_step(s->st);
  if (rc == SQLITE_DONE) {
    done(s);
    return 0;
  }
  if (rc != SQLITE_ROW) return failed(L, s, rc);
  int cols = sqlite3_column_count(s->st);
  luaL_checkstack(L, cols, "too many columns");
  for (int i = 0; i < cols; i++) push_column(L, s->st, i);
  done(s);
  return cols;
}

/* rows(values, n) -> {{col, ...}, ...} | nil, msg, code */
static int l_rows(lua_State *L) {
  stmt_t *s = check_stmt(L);
  int rc = bind_values(L, s);
  if (rc != SQLITE_OK) return failed(L, s, rc);
  lua_newtable(L);
  lua_Integer row = 0;
  while ((rc = sqlite3_step(s->st)) == SQLITE_ROW) {
    int cols = sqlite3_column_count(s->st);
    lua_createtable(L, cols, 0);
    for (int i = 0; i < cols; i++) {
      push_column(L, s->st, i);
      lua_seti(L, -2, i + 1);
    }
    lua_seti(L, -2, ++row);
  }
  if (rc != SQLITE_DONE) return failed(L, s, rc);
  done(s);
  return 1;
}

static int l_close_stmt(lua_State *L) {
  finalize(luaL_checkudata(L, 1, ST_MT));
  return 0;
}

/* lock(path) -> lock | nil, msg, "held" | nil, msg, "error"; path is the lock file's. */
static int l_lock(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  lock_t *k = lua_newuserdatauv(L, sizeof *k, 0);
  k->fd = -1;
  luaL_setmetatable(L, LOCK_MT);
  k->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0666);
  if (k->fd < 0 || flock(k->fd, LOCK_EX | LOCK_NB) != 0) {
    int held = errno == EWOULDBLOCK;
    lua_pushnil(L);
    lua_pushstring(L, held ? "the file is locked by another process" : strerror(errno));
    lua_pushstring(L, held ? "held" : "error");
    if (k->fd >= 0) close(k->fd);
    k->fd = -1;
    return 3;
  }
  return 1;
}

static int l_close_lock(lua_State *L) {
  lock_t *k = luaL_checkudata(L, 1, LOCK_MT);
  if (k->fd >= 0) {
    close(k->fd); /* drops the flock lock */
    k->fd = -1;
  }
  return 0;
}

static const luaL_Reg lock_methods[] = {{"close", l_close_lock}, {NULL, NULL}};

static const luaL_Reg conn_methods[] = {
  {"exec", l_exec}, {"prepare", l_prepare}, {"close", l_close_conn}, {NULL, NULL}};
static const luaL_Reg stmt_methods[] = {
  {"run", l_run}, {"first", l_first}, {"rows", l_rows}, {"close", l_close_stmt}, {NULL, NULL}};

int luaopen_qbench_mirror_sqlite(lua_State *L) {
  mirror_class(L, DB_MT, conn_methods, l_close_conn);
  mirror_class(L, ST_MT, stmt_methods, l_close_stmt);
  mirror_class(L, LOCK_MT, lock_methods, l_close_lock);
  lua_createtable(L, 0, 3);
  lua_pushcfunction(L, l_open);
  lua_setfield(L, -2, "open");
  lua_pushcfunction(L, l_lock);
  lua_setfield(L, -2, "lock");
  lua_pushstring(L, sqlite3_libversion());
  lua_setfield(L, -2, "version");
  return 1;
}
