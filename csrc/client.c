/*
 * qbench.Client: one libcurl easy handle, reused for every request so the
 * connection stays alive between calls.
 *
 * libcurl calls back into us while it owns the C stack; a Lua error raised
 * there would longjmp through libcurl and leave it corrupt. So the callbacks
 * only append to malloc'd buffers and record failures, and everything that
 * can raise happens before or after curl_easy_perform.
 */
#include "client.h"
#include "strbuf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <lauxlib.h>

#define DEFAULT_MAX_RESPONSE_BYTES (32u * 1024u * 1024u)

typedef struct {
  CURL *curl;                    /* NULL when closed */
  char *auth_header;             /* "Authorization: Bearer ..." or NULL */
  struct curl_slist *headers;    /* the last request's, kept to be freed */
  qb_strbuf body;                /* the answer being received */
  qb_strbuf head;                /* raw header lines of the final answer */
  size_t max_response_bytes;
  int too_large;                 /* set by the write callback */
  char errbuf[CURL_ERROR_SIZE];
} qb_client;

static qb_client *qb_check_client(lua_State *L, int idx) {
  qb_client *c = luaL_checkudata(L, idx, QB_CLIENT_MT);
  if (c->curl == NULL) luaL_error(L, "attempt to use a closed qbench client");
  return c;
}

static void wipe_free(char *secret) {
  if (secret == NULL) return;
  volatile char *p = secret;
  while (*p) *p++ = 0;
  free(secret);
}

static void client_release(qb_client *c) {
  if (c->curl) curl_easy_cleanup(c->curl);
  c->curl = NULL;
  curl_slist_free_all(c->headers);
  c->headers = NULL;
  wipe_free(c->auth_header);
  c->auth_header = NULL;
  qb_strbuf_free(&c->body);
  qb_strbuf_free(&c->head);
}

static int qb_client_close(lua_State *L) {
  client_release(luaL_checkudata(L, 1, QB_CLIENT_MT));
  return 0;
}

static int qb_client_tostring(lua_State *L) {
  qb_client *c = luaL_checkudata(L, 1, QB_CLIENT_MT);
  if (c->curl == NULL) lua_pushliteral(L, "qbench.Client (closed)");
  else lua_pushfstring(L, "qbench.Client (%p)", (void *)c);
  return 1;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud) {
  qb_client *c = ud;
  size_t n = size * nmemb;
  if (n > c->max_response_bytes - c->body.len || c->body.len > c->max_response_bytes) {
    c->too_large = 1;
    return 0; /* makes libcurl abort the transfer with CURLE_WRITE_ERROR */
  }
  return qb_strbuf_add_nothrow(&c->body, data, n) == 0 ? n : 0;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud) {
  qb_client *c = ud;
  size_t n = size * nmemb;
  /* A redirect or a 100 Continue starts a new header block: keep the last. */
  if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) qb_strbuf_clear(&c->head);
  if (n > c->max_response_bytes - c->head.len || c->head.len > c->max_response_bytes) {
    c->too_large = 1;
    return 0;
  }
  return qb_strbuf_add_nothrow(&c->head, data, n) == 0 ? n : 0;
}

static lua_Number opt_seconds(lua_State *L, int opts, const char *name, lua_Number dflt) {
  lua_Number v;
  if (lua_getfield(L, opts, name) == LUA_TNIL) v = dflt;
  else {
    luaL_argexpected(L, lua_type(L, -1) == LUA_TNUMBER, 1, "number for timeouts");
    v = lua_tonumber(L, -1);
    luaL_argcheck(L, v >= 0 && v < 1e9, 1, lua_pushfstring(L, "%s out of range", name));
  }
  lua_pop(L, 1);
  return v;
}

static const char *opt_string(lua_State *L, int opts, const char *name) {
  const char *s = NULL;
  if (lua_getfield(L, opts, name) != LUA_TNIL) {
    if (lua_type(L, -1) != LUA_TSTRING) luaL_argerror(L, 1, lua_pushfstring(L, "%s must be a string", name));
    s = lua_tostring(L, -1);
  }
  lua_pop(L, 1); /* still referenced by the options table, so s stays valid */
  return s;
}

static void setup_tls(lua_State *L, qb_client *c, int opts) {
  const char *ca_file = opt_string(L, opts, "ca_file");
  if (ca_file) {
    /* An extra CA: keep trusting the system's directory of CAs beside it. */
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    curl_easy_setopt(c->curl, CURLOPT_CAINFO, ca_file);
    curl_easy_setopt(c->curl, CURLOPT_CAPATH, v->capath ? v->capath : "/etc/ssl/certs");
  }
  lua_getfield(L, opts, "insecure");
  if (lua_toboolean(L, -1)) {
    curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  lua_pop(L, 1);
}

/* new(opts) -> client. Created closed, so a failure midway leaves nothing for __gc to misread. */
static int qb_client_new(lua_State *L) {
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_newtable(L);
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  qb_client *c = lua_newuserdatauv(L, sizeof *c, 0);
  memset(c, 0, sizeof *c);
  luaL_setmetatable(L, QB_CLIENT_MT);

  lua_Number timeout = opt_seconds(L, 1, "timeout", 60);
  lua_Number connect_timeout = opt_seconds(L, 1, "connect_timeout", 10);
  const char *user_agent = opt_string(L, 1, "user_agent");
  c->max_response_bytes = DEFAULT_MAX_RESPONSE_BYTES;
  if (lua_getfield(L, 1, "max_response_bytes") != LUA_TNIL) {
    int ok;
    lua_Integer n = lua_tointegerx(L, -1, &ok);
    luaL_argcheck(L, ok && n > 0, 1, "max_response_bytes must be a positive integer");
    c->max_response_bytes = (size_t)n;
  }
  lua_pop(L, 1);

  c->curl = curl_easy_init();
  if (c->curl == NULL) return luaL_error(L, "curl_easy_init failed");
  CURL *h = c->curl;
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* no SIGALRM for timeouts: safe in threaded hosts */
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(connect_timeout * 1000));
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, ""); /* every encoding this libcurl can decode */
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  if (user_agent) curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent);
  setup_tls(L, c, 1);
  return 1;
}

/* set_token(token | nil): the bearer token lives only here, never in a Lua table of ours. */
static int qb_client_set_token(lua_State *L) {
  qb_client *c = qb_check_client(L, 1);
  char *header = NULL;
  if (!lua_isnoneornil(L, 2)) {
    size_t len;
    const char *token = luaL_checklstring(L, 2, &len);
    luaL_argcheck(L, len > 0 && strcspn(token, "\r\n") == len && strlen(token) == len, 2,
                  "token must be a non-empty single line");
    static const char prefix[] = "Authorization: Bearer ";
    header = malloc(sizeof prefix + len);
    if (header == NULL) return luaL_error(L, "not enough memory");
    memcpy(header, prefix, sizeof prefix - 1);
    memcpy(header + sizeof prefix - 1, token, len + 1);
  }
  wipe_free(c->auth_header);
  c->auth_header = header;
  return 0;
}

static int is_token_char(int ch) { return isalpha(ch) || ch == '-' || ch == '_'; }

void qb_client_push_headers(lua_State *L, const char *data, size_t len) {
  lua_newtable(L);
  int t = lua_gettop(L);
  const char *p = data, *end = data + len;
  while (p && p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    const char *next = eol ? eol + 1 : end;
    if (eol == NULL) eol = end;
    while (eol > p && (eol[-1] == '\r' || eol[-1] == '\n')) eol--;
    const char *colon = memchr(p, ':', (size_t)(eol - p));
    int status_line = (size_t)(eol - p) >= 5 && memcmp(p, "HTTP/", 5) == 0;
    if (colon && colon > p && !status_line) {
      luaL_Buffer name;
      luaL_buffinit(L, &name);
      for (const char *q = p; q < colon; q++) luaL_addchar(&name, (char)tolower((unsigned char)*q));
      luaL_pushresult(&name);
      const char *v = colon + 1;
      while (v < eol && (*v == ' ' || *v == '\t')) v++;
      lua_pushvalue(L, -1);
      if (lua_rawget(L, t) == LUA_TSTRING) { /* a repeated header: join as HTTP allows */
        lua_pushliteral(L, ", ");
        lua_pushlstring(L, v, (size_t)(eol - v));
        lua_concat(L, 3);
      } else {
        lua_pop(L, 1);
        lua_pushlstring(L, v, (size_t)(eol - v));
      }
      lua_rawset(L, t);
    }
    p = next;
  }
}

static const char *error_kind(CURLcode rc) {
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT: return "timeout";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED:
      return "tls";
    default: return "network";
  }
}

/*
 * request(method, url [, headers [, body]]) -> status, headers, body
 *                                           | nil, kind, message, curl_code, sent
 */
static void swap_buffers(qb_strbuf *a, qb_strbuf *b) {
  qb_strbuf t = *a;
  *a = *b;
  *b = t;
}

static int qb_client_request(lua_State *L) {
  qb_check_client(L, 1);
  size_t mlen, ulen, blen = 0;
  const char *method = luaL_checklstring(L, 2, &mlen);
  const char *url = luaL_checklstring(L, 3, &ulen);
  const char *body = luaL_optlstring(L, 5, NULL, &blen);
  luaL_argcheck(L, strlen(url) == ulen, 3, "URL contains a NUL byte");
  luaL_argcheck(L, mlen > 0 && mlen < 16, 2, "invalid HTTP method");
  for (size_t i = 0; i < mlen; i++) luaL_argcheck(L, is_token_char((unsigned char)method[i]), 2, "invalid HTTP method");
  lua_Integer nheaders = 0;
  if (!lua_isnoneornil(L, 4)) {
    luaL_checktype(L, 4, LUA_TTABLE);
    nheaders = (lua_Integer)lua_rawlen(L, 4);
    for (lua_Integer i = 1; i <= nheaders; i++) {
      size_t len;
      if (lua_rawgeti(L, 4, i) != LUA_TSTRING) luaL_argerror(L, 4, "headers must be strings");
      const char *hv = lua_tolstring(L, -1, &len);
      luaL_argcheck(L, strcspn(hv, "\r\n") == len && strchr(hv, ':') != NULL, 4,
                    "each header must be one 'Name: value' line");
      lua_pop(L, 1);
    }
  }

  /*
   * The answer is moved into these stack-owned buffers before anything that
   * allocates Lua memory. An allocation may run a finalizer, and a finalizer
   * may close this client or send another request on it; neither may free or
   * overwrite the bytes being pushed, and a memory error must not leak them.
   */
  lua_settop(L, 5);
  qb_strbuf *answer_body = qb_strbuf_push(L); /* slot 6 */
  qb_strbuf *answer_head = qb_strbuf_push(L); /* slot 7 */
  /* Checked again: the arguments' conversions and the buffers may have run a finalizer. */
  qb_client *c = qb_check_client(L, 1);

  /* From here to curl_easy_perform's return nothing raises: memory is owned by c. */
  curl_slist_free_all(c->headers);
  c->headers = NULL;
  int oom = 0;
  struct curl_slist *list = NULL, *grown;
#define APPEND(line)                                          \
  do {                                                        \
    if (!oom && (grown = curl_slist_append(list, (line))))    \
      list = grown;                                           \
    else                                                      \
      oom = 1;                                                \
  } while (0)
  for (lua_Integer i = 1; i <= nheaders; i++) {
    lua_rawgeti(L, 4, i); /* a string already checked: no allocation, no error */
    APPEND(lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  if (c->auth_header) APPEND(c->auth_header);
  APPEND("Expect:"); /* no 100-continue round trip for large bodies */
#undef APPEND
  c->headers = list;
  if (oom) return luaL_error(L, "not enough memory");

  CURL *h = c->curl;
  qb_strbuf_clear(&c->body);
  qb_strbuf_clear(&c->head);
  c->too_large = 0;
  c->errbuf[0] = '\0';
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers);
  int no_body_method = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 || strcmp(method, "DELETE") == 0;
  if (body == NULL && no_body_method) {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : ""); /* body stays on the Lua stack */
  }
  curl_easy_setopt(h, CURLOPT_NOBODY, strcmp(method, "HEAD") == 0 ? 1L : 0L);
  int plain = strcmp(method, body ? "POST" : "GET") == 0;
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, plain ? NULL : method);
  /* libcurl silently sends a request again when a reused connection dies
     before any answer byte; for a write that may already have been carried
     out, that would do it twice. A new connection is never retried so. */
  int idempotent = no_body_method || strcmp(method, "PUT") == 0 || strcmp(method, "OPTIONS") == 0;
  curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, idempotent ? 0L : 1L);

  CURLcode rc = curl_easy_perform(h);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);

  /* Everything the results need, taken before the first Lua allocation. */
  long status = 0, sent = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &sent); /* 0: the server cannot have acted on it */
  int too_large = c->too_large;
  size_t limit = c->max_response_bytes;
  char reason[CURL_ERROR_SIZE];
  const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);
  size_t why_len = strnlen(why, sizeof reason - 1);
  memcpy(reason, why, why_len);
  reason[why_len] = '\0';
  swap_buffers(&c->body, answer_body);
  swap_buffers(&c->head, answer_head);
  c = NULL; /* may be closed by a finalizer from here on */

  if (rc != CURLE_OK) {
    luaL_pushfail(L);
    if (too_large) {
      lua_pushliteral(L, "network");
      lua_pushfstring(L, "response larger than max_response_bytes (%I bytes); transfer stopped",
                      (LUAI_UACINT)limit);
    } else {
      lua_pushstring(L, error_kind(rc));
      lua_pushstring(L, reason);
    }
    lua_pushinteger(L, (lua_Integer)rc);
    lua_pushboolean(L, sent > 0);
    return 5; /* the partial answer goes with the buffers' userdata */
  }
  lua_pushinteger(L, status);
  qb_client_push_headers(L, answer_head->data, answer_head->len);
  lua_pushlstring(L, answer_body->data ? answer_body->data : "", answer_body->len);
  /* Hand the memory back for the next request unless it is large or the client went away. */
  qb_client *back = lua_touserdata(L, 1);
  if (back->curl != NULL) {
    if (back->body.data == NULL && answer_body->cap <= 1024 * 1024) swap_buffers(&back->body, answer_body);
    if (back->head.data == NULL && answer_head->cap <= 1024 * 1024) swap_buffers(&back->head, answer_head);
  }
  return 3;
}

static const luaL_Reg client_methods[] = {
  {"request", qb_client_request},
  {"set_token", qb_client_set_token},
  {"close", qb_client_close},
  {NULL, NULL},
};

static const luaL_Reg client_meta[] = {
  {"__gc", qb_client_close},
  {"__close", qb_client_close},
  {"__tostring", qb_client_tostring},
  {"__index", NULL},
  {NULL, NULL},
};

void qb_client_open(lua_State *L) {
  luaL_newmetatable(L, QB_CLIENT_MT);
  luaL_setfuncs(L, client_meta, 0);
  luaL_newlib(L, client_methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  lua_pushcfunction(L, qb_client_new);
}
