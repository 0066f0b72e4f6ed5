/*
 * qbench.Client: libcurl easy handles that keep their connections alive.
 *
 * Single calls go through one easy handle with curl_easy_perform. Parallel
 * calls (page walks, get_many) go through a multi handle, one easy handle per
 * transfer, duplicated from the first so they carry the same options. All of
 * them share one connection cache, TLS session cache and DNS cache, so a
 * connection opened by one is reused by the others.
 *
 * libcurl calls back into us while it owns the C stack; a Lua error raised
 * there would longjmp through libcurl and leave it corrupt. So the callbacks
 * only append to malloc'd buffers and record failures, and everything that
 * can raise happens before or after libcurl runs.
 */
#include "client.h"
#include "strbuf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <lauxlib.h>

#define DEFAULT_MAX_RESPONSE_BYTES (32u * 1024u * 1024u)

/* Where one transfer's answer goes, filled by the callbacks. */
typedef struct {
  qb_strbuf body;                /* the answer being received */
  qb_strbuf head;                /* raw header lines of the final answer */
  size_t max_response_bytes;
  int too_large;                 /* set by a callback that refused more */
  char errbuf[CURL_ERROR_SIZE];
} qb_sink;

/* One parallel transfer; owned by its client from start to close. */
typedef struct qb_transfer {
  struct qb_transfer *next;
  CURL *easy;
  lua_Integer tag;
  struct curl_slist *headers;
  char *payload;                 /* a copy: the Lua string is not kept alive */
  qb_sink sink;
} qb_transfer;

typedef struct {
  CURL *curl;                    /* NULL when closed */
  CURLSH *share;                 /* connections, TLS sessions and DNS, for all handles */
  CURLM *multi;                  /* made on the first parallel transfer */
  char *auth_header;             /* "Authorization: Bearer ..." or NULL */
  struct curl_slist *headers;    /* the last single request's, kept to be freed */
  qb_sink sink;
  qb_transfer *active;           /* transfers in the multi handle */
  qb_transfer *idle;             /* finished ones, kept for their easy handles */
  int raw_headers;               /* answer headers as the raw block, parsed by whoever needs them */
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

static void sink_reset(qb_sink *k) {
  qb_strbuf_clear(&k->body);
  qb_strbuf_clear(&k->head);
  k->too_large = 0;
  k->errbuf[0] = '\0';
}

static void transfer_free(qb_transfer *t) {
  if (t->easy) curl_easy_cleanup(t->easy);
  curl_slist_free_all(t->headers);
  free(t->payload);
  qb_strbuf_free(&t->sink.body);
  qb_strbuf_free(&t->sink.head);
  free(t);
}

static void free_transfers(qb_client *c, qb_transfer *list) {
  while (list) {
    qb_transfer *next = list->next;
    if (c->multi && list->easy) curl_multi_remove_handle(c->multi, list->easy);
    transfer_free(list);
    list = next;
  }
}

static void client_release(qb_client *c) {
  free_transfers(c, c->active);
  free_transfers(c, c->idle);
  c->active = c->idle = NULL;
  if (c->multi) curl_multi_cleanup(c->multi);
  c->multi = NULL;
  if (c->curl) curl_easy_cleanup(c->curl);
  c->curl = NULL;
  if (c->share) curl_share_cleanup(c->share); /* last: no handle may still use it */
  c->share = NULL;
  curl_slist_free_all(c->headers);
  c->headers = NULL;
  wipe_free(c->auth_header);
  c->auth_header = NULL;
  qb_strbuf_free(&c->sink.body);
  qb_strbuf_free(&c->sink.head);
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
  qb_sink *k = ud;
  size_t n = size * nmemb;
  if (n > k->max_response_bytes - k->body.len || k->body.len > k->max_response_bytes) {
    k->too_large = 1;
    return 0; /* makes libcurl abort the transfer with CURLE_WRITE_ERROR */
  }
  return qb_strbuf_add_nothrow(&k->body, data, n) == 0 ? n : 0;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud) {
  qb_sink *k = ud;
  size_t n = size * nmemb;
  /* A redirect or a 100 Continue starts a new header block: keep the last. */
  if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) qb_strbuf_clear(&k->head);
  if (n > k->max_response_bytes - k->head.len || k->head.len > k->max_response_bytes) {
    k->too_large = 1;
    return 0;
  }
  return qb_strbuf_add_nothrow(&k->head, data, n) == 0 ? n : 0;
}

/* Points an easy handle's callbacks and error text at a sink. */
static void attach_sink(CURL *h, qb_sink *k) {
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, k->errbuf);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, k);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, k);
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
  lua_getfield(L, 1, "raw_headers");
  c->raw_headers = lua_toboolean(L, -1);
  lua_pop(L, 1);
  const char *user_agent = opt_string(L, 1, "user_agent");
  c->sink.max_response_bytes = DEFAULT_MAX_RESPONSE_BYTES;
  if (lua_getfield(L, 1, "max_response_bytes") != LUA_TNIL) {
    int ok;
    lua_Integer n = lua_tointegerx(L, -1, &ok);
    luaL_argcheck(L, ok && n > 0, 1, "max_response_bytes must be a positive integer");
    c->sink.max_response_bytes = (size_t)n;
  }
  lua_pop(L, 1);

  c->share = curl_share_init();
  c->curl = curl_easy_init();
  if (c->share == NULL || c->curl == NULL) return luaL_error(L, "libcurl initialisation failed");
  /* One thread uses these handles at a time (Lua's), so the share needs no locks. */
  curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
  curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  CURL *h = c->curl;
  curl_easy_setopt(h, CURLOPT_SHARE, c->share);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* no SIGALRM for timeouts: safe in threaded hosts */
  attach_sink(h, &c->sink);
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

/* parse_headers(raw) -> { ["lower-case-name"] = "value", ... }: for clients made with raw_headers. */
static int qb_parse_headers(lua_State *L) {
  size_t len;
  const char *raw = luaL_checklstring(L, 1, &len);
  qb_client_push_headers(L, raw, len);
  return 1;
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

static void swap_buffers(qb_strbuf *a, qb_strbuf *b) {
  qb_strbuf t = *a;
  *a = *b;
  *b = t;
}

/* A request's arguments, checked before anything is allocated or sent. */
typedef struct {
  const char *method;
  const char *url;
  const char *body;  /* NULL: none */
  size_t body_len;
  int headers;       /* stack index of the header array, or 0 */
  lua_Integer nheaders;
} request_args;

/* Reads (method, url [, headers [, body]]) from stack index `first` on. */
static request_args check_request_args(lua_State *L, int first) {
  request_args a = {0};
  size_t mlen, ulen;
  a.method = luaL_checklstring(L, first, &mlen);
  a.url = luaL_checklstring(L, first + 1, &ulen);
  a.body = luaL_optlstring(L, first + 3, NULL, &a.body_len);
  luaL_argcheck(L, strlen(a.url) == ulen, first + 1, "URL contains a NUL byte");
  luaL_argcheck(L, mlen > 0 && mlen < 16, first, "invalid HTTP method");
  for (size_t i = 0; i < mlen; i++) luaL_argcheck(L, is_token_char((unsigned char)a.method[i]), first, "invalid HTTP method");
  if (!lua_isnoneornil(L, first + 2)) {
    a.headers = first + 2;
    luaL_checktype(L, a.headers, LUA_TTABLE);
    a.nheaders = (lua_Integer)lua_rawlen(L, a.headers);
    for (lua_Integer i = 1; i <= a.nheaders; i++) {
      size_t len;
      if (lua_rawgeti(L, a.headers, i) != LUA_TSTRING) luaL_argerror(L, a.headers, "headers must be strings");
      const char *hv = lua_tolstring(L, -1, &len);
      luaL_argcheck(L, strcspn(hv, "\r\n") == len && strchr(hv, ':') != NULL, a.headers,
                    "each header must be one 'Name: value' line");
      lua_pop(L, 1);
    }
  }
  return a;
}

/* The request's headers plus ours, or NULL when memory ran out. Never raises. */
static struct curl_slist *header_list(lua_State *L, const qb_client *c, const request_args *a) {
  struct curl_slist *list = NULL, *grown;
  for (lua_Integer i = 1; i <= a->nheaders + 2; i++) {
    const char *line;
    if (i <= a->nheaders) {
      lua_rawgeti(L, a->headers, i); /* a string already checked: no allocation, no error */
      line = lua_tostring(L, -1);
      lua_pop(L, 1);                 /* still anchored in the header table */
    } else if (i == a->nheaders + 1) {
      if (c->auth_header == NULL) continue;
      line = c->auth_header;
    } else {
      line = "Expect:"; /* no 100-continue round trip for large bodies */
    }
    grown = curl_slist_append(list, line);
    if (grown == NULL) {
      curl_slist_free_all(list);
      return NULL;
    }
    list = grown;
  }
  return list;
}

/* Sets URL, headers, method and body; `body` must outlive the transfer. */
static void configure_request(CURL *h, const request_args *a, const char *body, struct curl_slist *headers) {
  const char *method = a->method;
  curl_easy_setopt(h, CURLOPT_URL, a->url);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  int no_body_method = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 || strcmp(method, "DELETE") == 0;
  if (a->body == NULL && no_body_method) {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)a->body_len);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
  }
  curl_easy_setopt(h, CURLOPT_NOBODY, strcmp(method, "HEAD") == 0 ? 1L : 0L);
  int plain = strcmp(method, a->body ? "POST" : "GET") == 0;
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, plain ? NULL : method);
  /* libcurl silently sends a request again when a reused connection dies
     before any answer byte; for a write that may already have been carried
     out, that would do it twice. A new connection is never retried so. */
  int idempotent = no_body_method || strcmp(method, "PUT") == 0 || strcmp(method, "OPTIONS") == 0;
  curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, idempotent ? 0L : 1L);
}

/* What a finished transfer says, copied out of libcurl and the sink. */
typedef struct {
  CURLcode rc;
  long status;
  long sent;
  int too_large;
  size_t limit;
  char reason[CURL_ERROR_SIZE];
} outcome;

static void take_outcome(outcome *o, CURL *h, CURLcode rc, const qb_sink *k) {
  o->rc = rc;
  o->status = o->sent = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &o->status);
  curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &o->sent); /* 0: the server cannot have acted on it */
  o->too_large = k->too_large;
  o->limit = k->max_response_bytes;
  const char *why = k->errbuf[0] ? k->errbuf : curl_easy_strerror(rc);
  size_t why_len = strnlen(why, sizeof o->reason - 1);
  memcpy(o->reason, why, why_len);
  o->reason[why_len] = '\0';
}

/* Pushes status, headers, body | nil, kind, message, curl_code, sent. */
static int push_outcome(lua_State *L, const outcome *o, const qb_strbuf *body, const qb_strbuf *head, int raw_headers) {
  if (o->rc != CURLE_OK) {
    luaL_pushfail(L);
    if (o->too_large) {
      lua_pushliteral(L, "network");
      lua_pushfstring(L, "response larger than max_response_bytes (%I bytes); transfer stopped",
                      (LUAI_UACINT)o->limit);
    } else {
      lua_pushstring(L, error_kind(o->rc));
      lua_pushstring(L, o->reason);
    }
    lua_pushinteger(L, (lua_Integer)o->rc);
    lua_pushboolean(L, o->sent > 0);
    return 5;
  }
  lua_pushinteger(L, o->status);
  if (raw_headers) lua_pushlstring(L, head->data ? head->data : "", head->len);
  else qb_client_push_headers(L, head->data, head->len);
  lua_pushlstring(L, body->data ? body->data : "", body->len);
  return 3;
}

/*
 * request(method, url [, headers [, body]]) -> status, headers, body
 *                                           | nil, kind, message, curl_code, sent
 */
static int qb_client_request(lua_State *L) {
  qb_check_client(L, 1);
  request_args a = check_request_args(L, 2);

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
  c->headers = header_list(L, c, &a);
  if (c->headers == NULL) return luaL_error(L, "not enough memory");
  CURL *h = c->curl;
  sink_reset(&c->sink);
  configure_request(h, &a, a.body, c->headers); /* the body stays on the Lua stack */
  CURLcode rc = curl_easy_perform(h);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);

  outcome o;
  take_outcome(&o, h, rc, &c->sink);
  int raw_headers = c->raw_headers;
  swap_buffers(&c->sink.body, answer_body);
  swap_buffers(&c->sink.head, answer_head);
  c = NULL; /* may be closed by a finalizer from here on */

  int n = push_outcome(L, &o, answer_body, answer_head, raw_headers);
  /* Hand the memory back for the next request unless it is large or the client went away. */
  qb_client *back = lua_touserdata(L, 1);
  if (back->curl != NULL) {
    if (back->sink.body.data == NULL && answer_body->cap <= 1024 * 1024) swap_buffers(&back->sink.body, answer_body);
    if (back->sink.head.data == NULL && answer_head->cap <= 1024 * 1024) swap_buffers(&back->sink.head, answer_head);
  }
  return n;
}

/* Moves a transfer out of the multi handle onto the idle list, keeping its easy handle. */
static void transfer_retire(qb_client *c, qb_transfer *t) {
  qb_transfer **p = &c->active;
  while (*p && *p != t) p = &(*p)->next;
  if (*p) *p = t->next;
  curl_multi_remove_handle(c->multi, t->easy);
  curl_slist_free_all(t->headers);
  t->headers = NULL;
  free(t->payload);
  t->payload = NULL;
  if (t->sink.body.cap > 1024 * 1024) qb_strbuf_free(&t->sink.body);
  t->next = c->idle;
  c->idle = t;
}

/* An idle transfer, or a new one whose easy handle copies the client's options. */
static qb_transfer *transfer_get(qb_client *c) {
  qb_transfer *t = c->idle;
  if (t) {
    c->idle = t->next;
    t->next = NULL;
    return t;
  }
  t = calloc(1, sizeof *t);
  if (t == NULL) return NULL;
  t->easy = curl_easy_duphandle(c->curl);
  if (t->easy == NULL) {
    free(t);
    return NULL;
  }
  t->sink.max_response_bytes = c->sink.max_response_bytes;
  curl_easy_setopt(t->easy, CURLOPT_SHARE, c->share); /* not copied by duphandle */
  curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
  attach_sink(t->easy, &t->sink);
  return t;
}

/* start(tag, method, url [, headers [, body]]): begins a parallel transfer; see wait_any. */
static int qb_client_start(lua_State *L) {
  qb_client *c = qb_check_client(L, 1);
  lua_Integer tag = luaL_checkinteger(L, 2);
  request_args a = check_request_args(L, 3);
  for (qb_transfer *t = c->active; t; t = t->next) luaL_argcheck(L, t->tag != tag, 2, "tag already in use");
  if (c->multi == NULL && (c->multi = curl_multi_init()) == NULL) return luaL_error(L, "curl_multi_init failed");

  /* Nothing below raises until the transfer is linked into c->active or freed. */
  qb_transfer *t = transfer_get(c);
  if (t == NULL) return luaL_error(L, "not enough memory");
  t->tag = tag;
  t->headers = header_list(L, c, &a);
  if (a.body) {
    t->payload = malloc(a.body_len ? a.body_len : 1);
    if (t->payload) memcpy(t->payload, a.body, a.body_len);
  }
  if (t->headers == NULL || (a.body && t->payload == NULL)) {
    transfer_free(t);
    return luaL_error(L, "not enough memory");
  }
  sink_reset(&t->sink);
  configure_request(t->easy, &a, t->payload, t->headers);
  CURLMcode mc = curl_multi_add_handle(c->multi, t->easy);
  if (mc != CURLM_OK) {
    transfer_free(t);
    return luaL_error(L, "curl_multi_add_handle: %s", curl_multi_strerror(mc));
  }
  t->next = c->active;
  c->active = t;
  /* Sends what can be sent now, so the server works while the caller does. */
  int running;
  curl_multi_perform(c->multi, &running);
  return 0;
}

/* The first finished transfer, or NULL; its code goes to *rc. */
static qb_transfer *next_finished(qb_client *c, CURLcode *rc) {
  int left;
  CURLMsg *m;
  while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
    if (m->msg != CURLMSG_DONE) continue;
    char *priv = NULL;
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
    if (priv == NULL) continue; /* not one of ours: cannot happen, never dereferenced */
    *rc = m->data.result;
    return (qb_transfer *)(void *)priv;
  }
  return NULL;
}

/*
 * wait_any() -> tag, status, headers, body | tag, nil, kind, message, curl_code, sent
 * Blocks until one parallel transfer finishes; returns nothing when none is under way.
 */
static int qb_client_wait_any(lua_State *L) {
  qb_check_client(L, 1);
  lua_settop(L, 1);
  qb_strbuf *answer_body = qb_strbuf_push(L);
  qb_strbuf *answer_head = qb_strbuf_push(L);
  qb_client *c = qb_check_client(L, 1);
  if (c->active == NULL) return 0;

  CURLcode rc = CURLE_OK;
  qb_transfer *t = next_finished(c, &rc);
  while (t == NULL) {
    int running = 0;
    CURLMcode mc = curl_multi_perform(c->multi, &running);
    if (mc == CURLM_OK) {
      t = next_finished(c, &rc);
      if (t == NULL) mc = curl_multi_poll(c->multi, NULL, 0, 1000, NULL);
    }
    if (mc != CURLM_OK) return luaL_error(L, "libcurl multi: %s", curl_multi_strerror(mc));
  }

  outcome o;
  take_outcome(&o, t->easy, rc, &t->sink);
  int raw_headers = c->raw_headers;
  lua_Integer tag = t->tag;
  swap_buffers(&t->sink.body, answer_body);
  swap_buffers(&t->sink.head, answer_head);
  transfer_retire(c, t);
  c = NULL; /* may be closed by a finalizer from here on */

  lua_pushinteger(L, tag);
  return 1 + push_outcome(L, &o, answer_body, answer_head, raw_headers);
}

/* cancel(tag): stops that transfer if it is still under way. */
static int qb_client_cancel(lua_State *L) {
  qb_client *c = qb_check_client(L, 1);
  lua_Integer tag = luaL_checkinteger(L, 2);
  for (qb_transfer *t = c->active; t; t = t->next) {
    if (t->tag == tag) {
      transfer_retire(c, t);
      lua_pushboolean(L, 1);
      return 1;
    }
  }
  lua_pushboolean(L, 0);
  return 1;
}

static const luaL_Reg client_methods[] = {
  {"request", qb_client_request},
  {"start", qb_client_start},
  {"wait_any", qb_client_wait_any},
  {"cancel", qb_client_cancel},
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

void qb_client_open_parser(lua_State *L) {
  lua_pushcfunction(L, qb_parse_headers);
}
