/*
 * qbench.Handle: libcurl easy handles that keep their connections alive.
 * The Lua client (qbench.Client, lua/qbench/client.lua) wraps one.
 *
 * Single calls go through one easy handle with curl_easy_perform. Parallel
 * calls (page walks, get_many) go through a multi handle, one easy handle per
 * transfer, duplicated from the first so they carry the same options. All of
 * them share one connection cache, TLS session cache and DNS cache, so a
 * connection opened by one is reused by the others.
 *
 * libcurl calls back into us while it owns the C stack; a Lua error raised
 * there would longjmp through libcurl and leave it corrupt. So the callbacks
 * only append to malloc'd buffers and record what they saw, and everything
 * that can raise happens before or after libcurl runs.
 *
 * Parallel transfers only move while the caller is inside wait_any (or pump,
 * or start); between those calls the caller's loop body runs. libcurl's
 * timeouts count from a transfer's start, wall-clock, so a slow loop body
 * would time out transfers whose answers arrived long ago. They therefore
 * run without libcurl's clocks, and each has a budget of waiting that only
 * the time blocked in wait_any consumes (see charge).
 *
 * A handle can also be driven by a host's event loop (drive_externally):
 * libcurl's socket and timer callbacks then record which sockets it wants
 * watched and when its timer is due; the Lua side hands that to the loop,
 * and the loop's callbacks call act(). Such a loop reads every socket as soon
 * as it is ready, so those transfers keep libcurl's own clocks. A blocking
 * wait_any on such a handle polls the same recorded sockets itself, so both
 * kinds of waiting can take turns on one multi handle.
 */
#include "handle.h"
#include "strbuf.h"
#include "timing.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>
#include <lauxlib.h>

#define DEFAULT_MAX_RESPONSE_BYTES (32u * 1024u * 1024u)
/* libcurl's own connect timeout when connect_timeout = 0 asks for its default. */
#define LIBCURL_DEFAULT_CONNECT_MS 300000L
/* "No connect timeout" for parallel transfers: their budget does the job. */
#define NO_CONNECT_TIMEOUT_MS 0x7FFFFFFFL
/* Never through a proxy when proxy = nil: our sandbox and test servers live here. */
#define LOOPBACK_NOPROXY "127.0.0.0/8,::1,localhost"
/* How libcurl 7.88 (with the CVE-2023-38039 fix) words its cap on a whole header block. */
#define CURL_HEADERS_CAP_TEXT "Too large response headers"

/* Where one transfer's answer goes, filled by the callbacks. */
typedef struct {
  qb_strbuf body;                /* the answer being received */
  qb_strbuf head;                /* raw header lines of the final answer */
  size_t max_response_bytes;
  int too_large;                 /* set by a callback that refused more */
  int status_seen;               /* the current header block's status line arrived */
  int head_done;                 /* ... and so did the blank line that ends it */
  char errbuf[CURL_ERROR_SIZE];
} qb_sink;

/* Why a transfer failed when libcurl's code alone would say it wrong. */
typedef enum {
  FAIL_NONE,             /* libcurl's code and text say it */
  FAIL_TOO_LARGE,        /* over max_response_bytes, stopped by a callback */
  FAIL_HEAD_CUT,         /* CURLE_OK, but the final header block never ended */
  FAIL_LINE_CAP,         /* a header line over libcurl's CURL_MAX_HTTP_HEADER */
  FAIL_STATUS_CAP,       /* the status line itself over it */
  FAIL_HEADERS_CAP,      /* all header lines together over libcurl's cap */
  FAIL_CONNECT_BUDGET,   /* a parallel transfer waited its connect_timeout out */
  FAIL_BUDGET            /* ... or its timeout */
} failure;

/* One parallel transfer; owned by its handle from start to close. */
typedef struct qb_transfer {
  struct qb_transfer *next;
  CURL *easy;
  lua_Integer tag;
  struct curl_slist *headers;
  char *payload;                 /* a copy: the Lua string is not kept alive */
  qb_sink sink;
  int in_multi;                  /* added to the multi handle and not yet removed */
  int finished;                  /* its outcome is known and waits for wait_any */
  int connected;                 /* seen connected: its connect budget is spent no more */
  unsigned long finished_seq;    /* wait_any hands outcomes out in this order */
  CURLcode rc;
  failure expired;               /* FAIL_NONE, FAIL_CONNECT_BUDGET or FAIL_BUDGET */
  double limit;                  /* seconds of waiting allowed; 0: no limit */
  double connect_limit;          /* ... before the connection is made */
  double waited;                 /* seconds charged so far */
  double connect_waited;         /* ... of them before it was connected */
} qb_transfer;

/* A socket libcurl wants watched, and for what (CURL_POLL_IN, _OUT, _INOUT). */
typedef struct {
  curl_socket_t fd;
  int what;
} qb_watch;

/* A growable array of them, filled by libcurl's socket callback: C memory only. */
typedef struct {
  qb_watch *items;
  size_t n, cap;
} qb_watchlist;

typedef struct {
  CURL *curl;                    /* NULL when closed */
  CURLSH *share;                 /* connections, TLS sessions and DNS, for all handles */
  CURLM *multi;                  /* made on the first parallel transfer */
  char *auth_header;             /* "Authorization: Bearer ..." or NULL */
  struct curl_slist *headers;    /* the last single request's, kept to be freed */
  qb_sink sink;
  qb_transfer *active;           /* started and not yet collected: running or finished */
  qb_transfer *idle;             /* collected ones, kept for their easy handles */
  unsigned long finished_seq;
  long timeout_ms;               /* 0: none */
  long connect_timeout_ms;       /* 0: libcurl's default */
  int raw_headers;               /* answer headers as the raw block, parsed by whoever needs them */
  int external;                  /* driven by an event loop through act() (drive_externally) */
  qb_watchlist watched;          /* external: every socket libcurl wants watched now */
  qb_watchlist changes;          /* external: what changed since the last interest() */
  long timer_ms;                 /* external: libcurl's timer wish, -1 for none */
  int timer_changed;             /* ... changed since the last interest() */
  int lost_change;               /* a callback could not record a change (no memory) */
  qb_watchlist closing;          /* external: sockets libcurl is done with, closed by close_sockets() */
} qb_handle;

static qb_handle *checkhandle(lua_State *L, int idx) {
  qb_handle *c = luaL_checkudata(L, idx, QB_HANDLE_MT);
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
  k->too_large = k->status_seen = k->head_done = 0;
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

static void free_transfers(qb_handle *c, qb_transfer *list) {
  while (list) {
    qb_transfer *next = list->next;
    if (list->in_multi) curl_multi_remove_handle(c->multi, list->easy);
    transfer_free(list);
    list = next;
  }
}

static void handle_release(qb_handle *c) {
  /* From here on libcurl's closes are immediate: nothing watches any more, and the
     shared connection cache closes its sockets only at curl_share_cleanup, below. */
  c->external = 0;
  free_transfers(c, c->active);
  free_transfers(c, c->idle);
  c->active = c->idle = NULL;
  if (c->multi) curl_multi_cleanup(c->multi);
  c->multi = NULL;
  for (size_t i = 0; i < c->closing.n; i++) close(c->closing.items[i].fd);
  free(c->watched.items);
  free(c->changes.items);
  free(c->closing.items);
  memset(&c->watched, 0, sizeof c->watched);
  memset(&c->changes, 0, sizeof c->changes);
  memset(&c->closing, 0, sizeof c->closing);
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

static int handle_close(lua_State *L) {
  handle_release(luaL_checkudata(L, 1, QB_HANDLE_MT));
  return 0;
}

static int handle_tostring(lua_State *L) {
  qb_handle *c = luaL_checkudata(L, 1, QB_HANDLE_MT);
  if (c->curl == NULL) lua_pushliteral(L, "qbench.Handle (closed)");
  else lua_pushfstring(L, "qbench.Handle (%p)", (void *)c);
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
  /* A 1xx, a proxy's CONNECT answer or a redirect starts a new header block: keep the last. */
  if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
    qb_strbuf_clear(&k->head);
    k->status_seen = 1;
    k->head_done = 0;
  } else if ((n == 2 && data[0] == '\r' && data[1] == '\n') || (n == 1 && data[0] == '\n')) {
    /* libcurl returns CURLE_OK for an answer cut before this line; only we can tell. */
    k->head_done = 1;
  }
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

/* Milliseconds for libcurl, rounded up: a positive time must never become 0, which means "none". */
static long seconds_to_ms(lua_Number s) {
  if (!(s > 0)) return 0;
  lua_Number ms = ceil(s * 1000);
  if (ms >= (lua_Number)LONG_MAX) return LONG_MAX;
  return ms < 1 ? 1 : (long)ms;
}

static lua_Number opt_seconds(lua_State *L, int opts, const char *name, lua_Number dflt) {
  lua_Number v;
  if (lua_getfield(L, opts, name) == LUA_TNIL) v = dflt;
  else {
    if (lua_type(L, -1) != LUA_TNUMBER) luaL_argerror(L, 1, lua_pushfstring(L, "%s must be a number", name));
    v = lua_tonumber(L, -1);
    luaL_argcheck(L, v >= 0 && v < 1e9, 1, lua_pushfstring(L, "%s out of range", name));
  }
  lua_pop(L, 1);
  return v;
}

static const char *opt_lstring(lua_State *L, int opts, const char *name, size_t *len) {
  const char *s = NULL;
  *len = 0;
  if (lua_getfield(L, opts, name) != LUA_TNIL) {
    if (lua_type(L, -1) != LUA_TSTRING) luaL_argerror(L, 1, lua_pushfstring(L, "%s must be a string", name));
    s = lua_tolstring(L, -1, len);
  }
  lua_pop(L, 1); /* still referenced by the options table, so s stays valid */
  return s;
}

/* A string that goes into a request header: CR or LF would let it add
   headers of its own, and libcurl would silently cut it at a NUL. */
static const char *opt_header_value(lua_State *L, int opts, const char *name) {
  size_t len;
  const char *s = opt_lstring(L, opts, name, &len);
  if (s && strcspn(s, "\r\n") != len) /* strcspn stops at a NUL too */
    luaL_argerror(L, 1, lua_pushfstring(L, "%s must not contain CR, LF or NUL", name));
  return s;
}

static void setup_tls(lua_State *L, qb_handle *c, int opts) {
  size_t len;
  const char *ca_file = opt_lstring(L, opts, "ca_file", &len);
  if (ca_file) {
    luaL_argcheck(L, strlen(ca_file) == len, 1, "ca_file must not contain NUL");
    /* An extra CA: keep trusting the system's directory of CAs beside it. */
    const curl_version_info_data *v = qb_curl_info();
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

/*
 * proxy = nil: libcurl's environment variables (http_proxy, https_proxy,
 * ALL_PROXY, no_proxy), except that loopback never goes through a proxy.
 * CURLOPT_NOPROXY replaces no_proxy/NO_PROXY instead of adding to it, so the
 * environment's list is read here (once, at new) and the loopback names
 * appended. proxy = false: never a proxy. A URL: that proxy for everything.
 */
static void setup_proxy(lua_State *L, qb_handle *c, int opts) {
  int type = lua_getfield(L, opts, "proxy");
  int off = type == LUA_TBOOLEAN && !lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (type == LUA_TSTRING) {
    const char *proxy = opt_header_value(L, opts, "proxy"); /* credentials in it become a header */
    luaL_argcheck(L, *proxy != '\0', 1, "proxy must be a URL (false for no proxy)");
    curl_easy_setopt(c->curl, CURLOPT_PROXY, proxy);
    curl_easy_setopt(c->curl, CURLOPT_NOPROXY, "");
  } else if (off) {
    curl_easy_setopt(c->curl, CURLOPT_PROXY, "");
  } else if (type == LUA_TNIL) {
    const char *env = getenv("no_proxy"); /* libcurl's order: lower case first */
    if (env == NULL) env = getenv("NO_PROXY");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    if (env && strcmp(env, "*") == 0) {
      luaL_addchar(&b, '*'); /* libcurl honours "*" only alone */
    } else {
      if (env && *env) {
        luaL_addstring(&b, env);
        luaL_addchar(&b, ',');
      }
      luaL_addstring(&b, LOOPBACK_NOPROXY);
    }
    luaL_pushresult(&b);
    curl_easy_setopt(c->curl, CURLOPT_NOPROXY, lua_tostring(L, -1)); /* libcurl copies it */
    lua_pop(L, 1);
  } else {
    luaL_argerror(L, 1, "proxy must be a URL string, false (no proxy) or nil (the environment's)");
  }
}

static int watch_set(qb_watchlist *list, curl_socket_t fd, int what);

/*
 * libcurl closes a connection's socket whenever it is done with it. An event
 * loop may still have that descriptor registered (and the number may be
 * reused at once by the next socket), so on an externally driven handle the
 * close waits until the loop has been told to stop watching (close_sockets).
 */
static int on_close_socket(void *userp, curl_socket_t fd) {
  qb_handle *c = userp;
  if (c->external && watch_set(&c->closing, fd, 0) == 0) return 0;
  return close(fd);
}

/* new(opts) -> handle. Created closed, so a failure midway leaves nothing for __gc to misread. */
static int handle_new(lua_State *L) {
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_newtable(L);
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  qb_handle *c = lua_newuserdatauv(L, sizeof *c, 0);
  memset(c, 0, sizeof *c);
  luaL_setmetatable(L, QB_HANDLE_MT);

  lua_Number timeout = opt_seconds(L, 1, "timeout", 60);
  lua_Number connect_timeout = opt_seconds(L, 1, "connect_timeout", 10);
  lua_getfield(L, 1, "raw_headers");
  c->raw_headers = lua_toboolean(L, -1);
  lua_pop(L, 1);
  const char *user_agent = opt_header_value(L, 1, "user_agent");
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
  curl_easy_setopt(h, CURLOPT_CLOSESOCKETFUNCTION, on_close_socket);
  curl_easy_setopt(h, CURLOPT_CLOSESOCKETDATA, c);
  c->timeout_ms = seconds_to_ms(timeout);
  c->connect_timeout_ms = seconds_to_ms(connect_timeout);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, ""); /* every encoding this libcurl can decode */
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  /* libcurl would squash "/../" and "/./" (RFC 3986 dot segments): what a plan or an
     error shows must be what goes out, and a path id must never climb out of its path. */
  curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
  if (user_agent) curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent);
  setup_tls(L, c, 1);
  setup_proxy(L, c, 1);
  return 1;
}

/* set_token(token | nil): the bearer token lives only here, never in a Lua table of ours. */
static int handle_set_token(lua_State *L) {
  qb_handle *c = checkhandle(L, 1);
  char *header = NULL;
  if (!lua_isnoneornil(L, 2)) {
    size_t len;
    const char *token = luaL_checklstring(L, 2, &len);
    luaL_argcheck(L, len > 0 && strcspn(token, "\r\n") == len && strlen(token) == len, 2,
                  "token must be a non-empty single line");
    static const char prefix[] = "Authorization: Bearer ";
    c = checkhandle(L, 1); /* a number converted to a string may have run a finalizer */
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

void qb_push_headers(lua_State *L, const char *data, size_t len) {
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

/* parse_headers(raw) -> { ["lower-case-name"] = "value", ... }: for handles made with raw_headers. */
static int parse_headers(lua_State *L) {
  size_t len;
  const char *raw = luaL_checklstring(L, 1, &len);
  qb_push_headers(L, raw, len);
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

/* Certificates and their checks give the same verdict on every try; a
   handshake that merely broke (CURLE_SSL_CONNECT_ERROR) may not break again. */
static int is_final_tls(CURLcode rc) {
  switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
      return 1;
    default: return 0;
  }
}

/*
 * libcurl 7.88 refuses a header line longer than CURL_MAX_HTTP_HEADER with
 * CURLE_OUT_OF_MEMORY and no error text: the code of a failed malloc. Such a
 * line can only be under way when the request went out and the header block
 * has not ended; and if memory can be had right now, the cap is by far the
 * likelier cause. The probe is freed at once; volatile keeps it from being
 * optimised away.
 */
static int header_cap_hit(CURLcode rc, const qb_sink *k, long sent) {
  if (rc != CURLE_OUT_OF_MEMORY || sent <= 0 || k->head_done || k->errbuf[0] != '\0') return 0;
  void *volatile probe = malloc(4 * CURL_MAX_HTTP_HEADER);
  int spare = probe != NULL;
  free(probe);
  return spare;
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
  int own_authorization; /* the headers have an Authorization line: the token stays out */
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
      if (len >= 14 && strncasecmp(hv, "Authorization:", 14) == 0) a.own_authorization = 1;
      lua_pop(L, 1);
    }
  }
  return a;
}

/* The optional per-attempt timeout at `idx`: milliseconds, or 0 when absent. */
static long opt_attempt_timeout(lua_State *L, int idx) {
  if (lua_isnoneornil(L, idx)) return 0;
  lua_Number s = lua_tonumber(L, idx);
  luaL_argcheck(L, lua_type(L, idx) == LUA_TNUMBER && s > 0 && s < 1e9, idx,
                "timeout_seconds must be a positive number of seconds");
  return seconds_to_ms(s);
}

/* The request's headers plus ours, or NULL when memory ran out. Never raises. */
static struct curl_slist *header_list(lua_State *L, const qb_handle *c, const request_args *a) {
  struct curl_slist *list = NULL, *grown;
  for (lua_Integer i = 1; i <= a->nheaders + 2; i++) {
    const char *line;
    if (i <= a->nheaders) {
      lua_rawgeti(L, a->headers, i); /* a string already checked: no allocation, no error */
      line = lua_tostring(L, -1);
      lua_pop(L, 1);                 /* still anchored in the header table */
    } else if (i == a->nheaders + 1) {
      if (c->auth_header == NULL || a->own_authorization) continue;
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
  failure why;
  long status;
  long sent;
  size_t limit;
  lua_Integer waited_ms;   /* FAIL_*BUDGET */
  curl_off_t received;     /* FAIL_BUDGET */
  char reason[CURL_ERROR_SIZE];
} outcome;

static void take_outcome(outcome *o, CURL *h, CURLcode rc, const qb_sink *k) {
  o->rc = rc;
  o->status = o->sent = 0;
  o->waited_ms = 0;
  o->received = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &o->status);
  curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &o->sent); /* 0: the server cannot have acted on it */
  o->limit = k->max_response_bytes;
  const char *why = k->errbuf[0] ? k->errbuf : curl_easy_strerror(rc);
  size_t why_len = strnlen(why, sizeof o->reason - 1);
  memcpy(o->reason, why, why_len);
  o->reason[why_len] = '\0';
  if (k->too_large) o->why = FAIL_TOO_LARGE;
  /* libcurl says CURLE_OK for a cut after a CRLF, and "transfer closed with N
     bytes remaining" when the cut block had a Content-Length (bare LFs). */
  else if (!k->head_done && (rc == CURLE_OK || (rc == CURLE_PARTIAL_FILE && k->status_seen))) o->why = FAIL_HEAD_CUT;
  else if (rc == CURLE_OK) o->why = FAIL_NONE;
  else if (header_cap_hit(rc, k, o->sent)) o->why = k->status_seen ? FAIL_LINE_CAP : FAIL_STATUS_CAP;
  else if (rc == CURLE_RECV_ERROR && strncmp(k->errbuf, CURL_HEADERS_CAP_TEXT, sizeof CURL_HEADERS_CAP_TEXT - 1) == 0)
    o->why = FAIL_HEADERS_CAP;
  else o->why = FAIL_NONE;
}

/* Pushes nil, kind, message, curl_code, sent, final. */
static int push_failure(lua_State *L, const outcome *o) {
  CURLcode code = o->rc;
  int sent = o->sent > 0, final = 0;
  luaL_pushfail(L);
  switch (o->why) {
    case FAIL_TOO_LARGE:
      lua_pushliteral(L, "network");
      lua_pushfstring(L, "response larger than max_response_bytes (%I bytes); transfer stopped",
                      (LUAI_UACINT)o->limit);
      final = 1;
      break;
    case FAIL_HEAD_CUT:
      lua_pushliteral(L, "network");
      lua_pushliteral(L, "the answer was cut off inside its headers");
      code = CURLE_PARTIAL_FILE; /* libcurl said CURLE_OK */
      sent = 1;
      break;
    case FAIL_LINE_CAP:
    case FAIL_STATUS_CAP:
      lua_pushliteral(L, "network");
      lua_pushfstring(L, "%s is larger than libcurl's limit (%d KB)",
                      o->why == FAIL_LINE_CAP ? "an answer header" : "the answer's status line",
                      CURL_MAX_HTTP_HEADER / 1024);
      final = 1;
      break;
    case FAIL_HEADERS_CAP:
      lua_pushliteral(L, "network");
      lua_pushfstring(L, "the answer's headers are larger than libcurl's limit (%s)", o->reason);
      final = 1;
      break;
    case FAIL_CONNECT_BUDGET:
      lua_pushliteral(L, "timeout");
      lua_pushfstring(L, "Connection timed out after %I milliseconds of waiting", (LUAI_UACINT)o->waited_ms);
      break;
    case FAIL_BUDGET:
      lua_pushliteral(L, "timeout");
      lua_pushfstring(L, "Operation timed out after %I milliseconds of waiting with %I bytes received",
                      (LUAI_UACINT)o->waited_ms, (LUAI_UACINT)o->received);
      break;
    case FAIL_NONE:
      lua_pushstring(L, error_kind(o->rc));
      lua_pushstring(L, o->reason);
      final = is_final_tls(o->rc);
      break;
  }
  lua_pushinteger(L, (lua_Integer)code);
  lua_pushboolean(L, sent);
  lua_pushboolean(L, final);
  return 6;
}

/* Pushes status, headers, body | nil, kind, message, curl_code, sent, final. */
static int push_outcome(lua_State *L, const outcome *o, const qb_strbuf *body, const qb_strbuf *head, int raw_headers) {
  if (o->rc != CURLE_OK || o->why != FAIL_NONE) return push_failure(L, o);
  lua_pushinteger(L, o->status);
  if (raw_headers) lua_pushlstring(L, head->data ? head->data : "", head->len);
  else qb_push_headers(L, head->data, head->len);
  lua_pushlstring(L, body->data ? body->data : "", body->len);
  return 3;
}

/* libcurl's progress callback during a blocking request: a non-zero answer ends
   the transfer (CURLE_ABORTED_BY_CALLBACK), which Ctrl-C does (see timing.h).
   libcurl calls it at least once a second while it waits. */
static int on_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
  (void)dltotal;
  (void)dlnow;
  (void)ultotal;
  (void)ulnow;
  return qb_interrupted(clientp);
}

/*
 * request(method, url [, headers [, body [, timeout_seconds]]])
 *   -> status, headers, body | nil, kind, message, curl_code, sent, final
 * timeout_seconds replaces the handle's timeout for this request only.
 */
static int handle_request(lua_State *L) {
  checkhandle(L, 1);
  request_args a = check_request_args(L, 2);
  long timeout_ms = opt_attempt_timeout(L, 6);

  /*
   * The answer is moved into these stack-owned buffers before anything that
   * allocates Lua memory. An allocation may run a finalizer, and a finalizer
   * may close this handle or send another request on it; neither may free or
   * overwrite the bytes being pushed, and a memory error must not leak them.
   */
  lua_settop(L, 6);
  qb_strbuf *answer_body = qb_strbuf_push(L); /* slot 7 */
  qb_strbuf *answer_head = qb_strbuf_push(L); /* slot 8 */
  /* Checked again: the arguments' conversions and the buffers may have run a finalizer. */
  qb_handle *c = checkhandle(L, 1);

  /* From here to curl_easy_perform's return nothing raises: memory is owned by c. */
  curl_slist_free_all(c->headers);
  c->headers = header_list(L, c, &a);
  if (c->headers == NULL) return luaL_error(L, "not enough memory");
  CURL *h = c->curl;
  sink_reset(&c->sink);
  configure_request(h, &a, a.body, c->headers); /* the body stays on the Lua stack */
  if (timeout_ms) curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  qb_interrupt interrupt;
  qb_interrupt_begin(&interrupt, L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &interrupt);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  CURLcode rc = curl_easy_perform(h);
  /* Transfers duplicate this handle's options: none may keep a pointer into this frame. */
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 1L);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, NULL);
  if (timeout_ms) curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);

  outcome o;
  take_outcome(&o, h, rc, &c->sink);
  int raw_headers = c->raw_headers;
  swap_buffers(&c->sink.body, answer_body);
  swap_buffers(&c->sink.head, answer_head);
  c = NULL; /* may be closed by a finalizer from here on */

  int n = push_outcome(L, &o, answer_body, answer_head, raw_headers);
  /* Hand the memory back for the next request unless it is large or the handle went away. */
  qb_handle *back = lua_touserdata(L, 1);
  if (back->curl != NULL) {
    if (back->sink.body.data == NULL && answer_body->cap <= 1024 * 1024) swap_buffers(&back->sink.body, answer_body);
    if (back->sink.head.data == NULL && answer_head->cap <= 1024 * 1024) swap_buffers(&back->sink.head, answer_head);
  }
  return n;
}

/* Takes a transfer out of the multi handle with its outcome; wait_any hands it out. */
static void transfer_finish(qb_handle *c, qb_transfer *t, CURLcode rc, failure expired) {
  if (t->in_multi) curl_multi_remove_handle(c->multi, t->easy); /* its connection is free for others now */
  t->in_multi = 0;
  t->finished = 1;
  t->finished_seq = ++c->finished_seq;
  t->rc = rc;
  t->expired = expired;
}

/* Moves what libcurl has finished from its message queue onto our transfers. */
static void collect_finished(qb_handle *c) {
  int left;
  CURLMsg *m;
  while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
    if (m->msg != CURLMSG_DONE) continue;
    CURLcode rc = m->data.result;
    char *priv = NULL;
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
    if (priv == NULL) continue; /* not one of ours: cannot happen, never dereferenced */
    transfer_finish(c, (qb_transfer *)(void *)priv, rc, FAIL_NONE);
  }
}

/* The transfer that finished first and is not collected yet, or NULL. */
static qb_transfer *first_finished(const qb_handle *c) {
  qb_transfer *first = NULL;
  for (qb_transfer *t = c->active; t; t = t->next)
    if (t->finished && (first == NULL || t->finished_seq < first->finished_seq)) first = t;
  return first;
}

/* Connected and past any TLS handshake: the request has started to go out. */
static int is_connected(qb_transfer *t) {
  if (!t->connected) {
    curl_off_t pretransfer = 0;
    long request_size = 0;
    curl_easy_getinfo(t->easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
    curl_easy_getinfo(t->easy, CURLINFO_REQUEST_SIZE, &request_size);
    t->connected = pretransfer > 0 || request_size > 0;
  }
  return t->connected;
}

/*
 * Charges `dt` seconds spent blocked in wait_any to every running transfer,
 * and finishes those whose budget ran out. Only waiting counts: while the
 * caller is away, answers wait in the socket buffers, and a transfer must
 * not be failed for the caller's own slowness.
 */
static void charge(qb_handle *c, double dt) {
  for (qb_transfer *t = c->active; t; t = t->next) {
    if (t->finished) continue;
    t->waited += dt;
    if (!is_connected(t)) {
      t->connect_waited += dt;
      if (t->connect_waited >= t->connect_limit) {
        transfer_finish(c, t, CURLE_OPERATION_TIMEDOUT, FAIL_CONNECT_BUDGET);
        continue;
      }
    }
    if (t->limit > 0 && t->waited >= t->limit) transfer_finish(c, t, CURLE_OPERATION_TIMEDOUT, FAIL_BUDGET);
  }
}

/* How long wait_any may block before some budget must be looked at again. */
static int poll_ms(const qb_handle *c) {
  double least = 1.0;
  for (qb_transfer *t = c->active; t; t = t->next) {
    if (t->finished) continue;
    if (t->limit > 0) least = fmin(least, t->limit - t->waited);
    if (!is_connected(t)) least = fmin(least, t->connect_limit - t->connect_waited);
  }
  double ms = ceil(least * 1000);
  return ms < 1 ? 1 : (int)ms;
}

/* Moves a transfer off the active list onto the idle one, keeping its easy handle. */
static void transfer_retire(qb_handle *c, qb_transfer *t) {
  qb_transfer **p = &c->active;
  while (*p && *p != t) p = &(*p)->next;
  if (*p) *p = t->next;
  if (t->in_multi) curl_multi_remove_handle(c->multi, t->easy);
  t->in_multi = t->finished = 0;
  curl_slist_free_all(t->headers);
  t->headers = NULL;
  free(t->payload);
  t->payload = NULL;
  if (t->sink.body.cap > 1024 * 1024) qb_strbuf_free(&t->sink.body);
  if (t->sink.head.cap > 1024 * 1024) qb_strbuf_free(&t->sink.head);
  t->next = c->idle;
  c->idle = t;
}

/* An idle transfer, or a new one whose easy handle copies the handle's options. */
static qb_transfer *transfer_get(qb_handle *c) {
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
  /* Budgets instead of libcurl's clocks (see charge). */
  curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, 0L);
  curl_easy_setopt(t->easy, CURLOPT_CONNECTTIMEOUT_MS, NO_CONNECT_TIMEOUT_MS);
  attach_sink(t->easy, &t->sink);
  return t;
}

/*
 * start(tag, method, url [, headers [, body [, timeout_seconds]]]): begins a
 * parallel transfer; see wait_any. timeout_seconds replaces the handle's
 * timeout as this transfer's budget of waiting.
 */
static int handle_start(lua_State *L) {
  checkhandle(L, 1);
  lua_Integer tag = luaL_checkinteger(L, 2);
  request_args a = check_request_args(L, 3);
  long timeout_ms = opt_attempt_timeout(L, 7);
  qb_handle *c = checkhandle(L, 1); /* the conversions above may have run a finalizer */
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
  t->finished = t->connected = 0;
  t->expired = FAIL_NONE;
  t->waited = t->connect_waited = 0;
  if (c->external) {
    /* A loop reads every socket as soon as it is ready: libcurl's own clocks are right. */
    t->limit = 0;
    t->connect_limit = HUGE_VAL;
    curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, timeout_ms ? timeout_ms : c->timeout_ms);
    curl_easy_setopt(t->easy, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
  } else {
    t->limit = (double)(timeout_ms ? timeout_ms : c->timeout_ms) / 1000;
    t->connect_limit = (double)(c->connect_timeout_ms ? c->connect_timeout_ms : LIBCURL_DEFAULT_CONNECT_MS) / 1000;
    curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, 0L);
    curl_easy_setopt(t->easy, CURLOPT_CONNECTTIMEOUT_MS, NO_CONNECT_TIMEOUT_MS);
  }
  configure_request(t->easy, &a, t->payload, t->headers);
  CURLMcode mc = curl_multi_add_handle(c->multi, t->easy);
  if (mc != CURLM_OK) {
    transfer_free(t);
    return luaL_error(L, "curl_multi_add_handle: %s", curl_multi_strerror(mc));
  }
  t->in_multi = 1;
  t->next = c->active;
  c->active = t;
  /* Sends what can be sent now, so the server works while the caller does. A loop
     is told instead (libcurl's timer, due at once) and starts it on its next turn. */
  int running;
  if (!c->external && curl_multi_perform(c->multi, &running) == CURLM_OK) collect_finished(c);
  return 0;
}

static int hand_out(lua_State *L, qb_handle *c, qb_transfer *t, qb_strbuf *answer_body, qb_strbuf *answer_head);

/* Sets `fd` to `what` in `list`, adding it when new. 0, or -1 without memory. */
static int watch_set(qb_watchlist *list, curl_socket_t fd, int what) {
  for (size_t i = 0; i < list->n; i++) {
    if (list->items[i].fd == fd) {
      list->items[i].what = what;
      return 0;
    }
  }
  if (list->n == list->cap) {
    size_t cap = list->cap ? list->cap * 2 : 8;
    qb_watch *grown = realloc(list->items, cap * sizeof *grown);
    if (grown == NULL) return -1;
    list->items = grown;
    list->cap = cap;
  }
  list->items[list->n].fd = fd;
  list->items[list->n].what = what;
  list->n++;
  return 0;
}

/* libcurl's socket callback: records the wish, for Lua (interest) and for wait_any. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
  qb_handle *c = userp;
  (void)easy;
  (void)socketp;
  if (what == CURL_POLL_REMOVE) {
    for (size_t i = 0; i < c->watched.n; i++) {
      if (c->watched.items[i].fd == fd) {
        c->watched.items[i] = c->watched.items[--c->watched.n];
        break;
      }
    }
  } else if (watch_set(&c->watched, fd, what) != 0) {
    c->lost_change = 1;
  }
  /* The changes list keeps removals too: the loop must stop watching. */
  if (watch_set(&c->changes, fd, what) != 0) c->lost_change = 1;
  return 0;
}

/* libcurl's timer callback: when it next wants act(-1). */
static int on_timer(CURLM *multi, long timeout_ms, void *userp) {
  qb_handle *c = userp;
  (void)multi;
  c->timer_ms = timeout_ms;
  c->timer_changed = 1;
  return 0;
}

/* Runs libcurl on one socket (or its timer, fd -1) and collects what finished. */
static CURLMcode socket_action(qb_handle *c, curl_socket_t fd, int mask) {
  int running;
  CURLMcode mc = curl_multi_socket_action(c->multi, fd, mask, &running);
  if (mc == CURLM_OK) collect_finished(c);
  return mc;
}

/* A blocking wait on an externally driven handle: poll(2) over the sockets
   libcurl asked for, until one is ready or its timer is due, then act. */
static CURLMcode wait_sockets(qb_handle *c, struct pollfd *fds) {
  nfds_t n = (nfds_t)c->watched.n;
  for (nfds_t i = 0; i < n; i++) {
    int what = c->watched.items[i].what;
    fds[i].fd = c->watched.items[i].fd;
    fds[i].events = (short)(((what & CURL_POLL_IN) ? POLLIN : 0) | ((what & CURL_POLL_OUT) ? POLLOUT : 0));
    fds[i].revents = 0;
  }
  int timeout = c->timer_ms < 0 || c->timer_ms > 1000 ? 1000 : (int)c->timer_ms;
  int ready = poll(fds, n, timeout);
  if (ready <= 0) return socket_action(c, CURL_SOCKET_TIMEOUT, 0);
  CURLMcode mc = CURLM_OK;
  for (nfds_t i = 0; i < n && mc == CURLM_OK; i++) {
    if (fds[i].revents == 0) continue;
    int mask = ((fds[i].revents & POLLIN) ? CURL_CSELECT_IN : 0) | ((fds[i].revents & POLLOUT) ? CURL_CSELECT_OUT : 0)
             | ((fds[i].revents & (POLLERR | POLLHUP | POLLNVAL)) ? CURL_CSELECT_ERR : 0);
    mc = socket_action(c, fds[i].fd, mask);
  }
  if (mc == CURLM_OK && c->timer_ms == 0) mc = socket_action(c, CURL_SOCKET_TIMEOUT, 0);
  return mc;
}

/* close_sockets(): closes the sockets libcurl gave up, once the loop no longer watches them. */
static int handle_close_sockets(lua_State *L) {
  qb_handle *c = checkhandle(L, 1);
  for (size_t i = 0; i < c->closing.n; i++) close(c->closing.items[i].fd);
  c->closing.n = 0;
  return 0;
}

/* drive_externally(): from now on an event loop drives this handle's parallel
   transfers through interest() and act(); see the file's header. */
static int handle_drive_externally(lua_State *L) {
  qb_handle *c = checkhandle(L, 1);
  luaL_argcheck(L, c->active == NULL, 1, "transfers are under way");
  if (c->multi == NULL && (c->multi = curl_multi_init()) == NULL) return luaL_error(L, "curl_multi_init failed");
  c->external = 1;
  c->timer_ms = -1;
  curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
  curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer);
  curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
  return 0;
}

static const char *events_name(int what) {
  switch (what) {
    case CURL_POLL_IN: return "r";
    case CURL_POLL_OUT: return "w";
    case CURL_POLL_INOUT: return "rw";
    default: return "";
  }
}

/*
 * interest() -> {fd, events, fd, events, ...}, timer
 * What changed since the last call: sockets to watch for "r", "w" or "rw",
 * or "" to stop watching; timer: seconds until act(-1) is due, false for
 * none, nil when unchanged.
 */
static int handle_interest(lua_State *L) {
  qb_handle *c = checkhandle(L, 1);
  if (c->lost_change) return luaL_error(L, "not enough memory to follow libcurl's sockets");
  lua_createtable(L, (int)(c->changes.n * 2), 0);
  c = checkhandle(L, 1);
  for (size_t i = 0; i < c->changes.n; i++) {
    lua_pushinteger(L, (lua_Integer)c->changes.items[i].fd);
    lua_rawseti(L, -2, (lua_Integer)(2 * i + 1));
    lua_pushstring(L, events_name(c->changes.items[i].what));
    lua_rawseti(L, -2, (lua_Integer)(2 * i + 2));
  }
  c->changes.n = 0;
  if (!c->timer_changed) return 1;
  c->timer_changed = 0;
  if (c->timer_ms < 0) lua_pushboolean(L, 0);
  else lua_pushnumber(L, (lua_Number)c->timer_ms / 1000);
  return 2;
}

/* act(fd, events): lets libcurl act on a ready socket ("r", "w", "rw"), or on its timer when fd is -1. */
static int handle_act(lua_State *L) {
  qb_handle *c = checkhandle(L, 1);
  lua_Integer fd = luaL_checkinteger(L, 2);
  const char *events = luaL_optstring(L, 3, "");
  luaL_argcheck(L, c->external, 1, "not driven by an event loop (drive_externally)");
  int mask = (strchr(events, 'r') ? CURL_CSELECT_IN : 0) | (strchr(events, 'w') ? CURL_CSELECT_OUT : 0);
  CURLMcode mc = socket_action(c, fd < 0 ? CURL_SOCKET_TIMEOUT : (curl_socket_t)fd, fd < 0 ? 0 : mask);
  if (mc != CURLM_OK) return luaL_error(L, "libcurl multi: %s", curl_multi_strerror(mc));
  return 0;
}

/*
 * finished() -> tag, status, headers, body | tag, nil, kind, message, curl_code, sent, final
 * The transfer that finished first and was not handed out yet; nothing when none has.
 */
static int handle_finished(lua_State *L) {
  checkhandle(L, 1);
  lua_settop(L, 1);
  qb_strbuf *answer_body = qb_strbuf_push(L);
  qb_strbuf *answer_head = qb_strbuf_push(L);
  qb_handle *c = checkhandle(L, 1);
  qb_transfer *t = first_finished(c);
  if (t == NULL) return 0;
  return hand_out(L, c, t, answer_body, answer_head);
}

/*
 * wait_any() -> tag, status, headers, body
 *             | tag, nil, kind, message, curl_code, sent, final
 * Blocks until one parallel transfer finishes (the one that finished first
 * when several have); returns nothing when none is under way.
 */
static int handle_wait_any(lua_State *L) {
  checkhandle(L, 1);
  lua_settop(L, 1);
  qb_strbuf *answer_body = qb_strbuf_push(L);
  qb_strbuf *answer_head = qb_strbuf_push(L);
  qb_handle *c = checkhandle(L, 1);
  if (c->active == NULL) return 0;

  /* Ctrl-C (see timing.h): back to Lua with nothing, where the interpreter's hook raises. */
  qb_interrupt interrupt;
  qb_interrupt_begin(&interrupt, L);
  qb_transfer *t;
  if (c->external) {
    /* Room for every socket libcurl may want, owned by Lua so an error cannot leak it. */
    struct pollfd *fds = NULL;
    size_t cap = 0;
    while ((t = first_finished(c)) == NULL) {
      if (cap < c->watched.n) {
        cap = c->watched.n * 2;
        fds = lua_newuserdatauv(L, cap * sizeof *fds, 0);
        c = checkhandle(L, 1); /* the allocation may have run a finalizer */
        if (c->active == NULL) return 0;
        continue;
      }
      CURLMcode mc = wait_sockets(c, fds);
      if (mc != CURLM_OK) return luaL_error(L, "libcurl multi: %s", curl_multi_strerror(mc));
      if (qb_interrupted(&interrupt)) return 0;
    }
  } else {
    while ((t = first_finished(c)) == NULL) {
      double started = qb_monotonic();
      int running = 0;
      CURLMcode mc = curl_multi_perform(c->multi, &running);
      if (mc == CURLM_OK) {
        collect_finished(c);
        if (first_finished(c) == NULL) mc = curl_multi_poll(c->multi, NULL, 0, poll_ms(c), NULL);
      }
      if (mc != CURLM_OK) return luaL_error(L, "libcurl multi: %s", curl_multi_strerror(mc));
      charge(c, qb_monotonic() - started);
      if (qb_interrupted(&interrupt)) return 0;
    }
  }
  return hand_out(L, c, t, answer_body, answer_head);
}

/* Pushes tag and outcome of finished transfer `t` and retires it. */
static int hand_out(lua_State *L, qb_handle *c, qb_transfer *t, qb_strbuf *answer_body, qb_strbuf *answer_head) {
  outcome o;
  take_outcome(&o, t->easy, t->rc, &t->sink);
  if (t->expired != FAIL_NONE) {
    o.why = t->expired;
    o.waited_ms = (lua_Integer)(t->waited * 1000 + 0.5);
    curl_easy_getinfo(t->easy, CURLINFO_SIZE_DOWNLOAD_T, &o.received);
  }
  int raw_headers = c->raw_headers;
  lua_Integer tag = t->tag;
  swap_buffers(&t->sink.body, answer_body);
  swap_buffers(&t->sink.head, answer_head);
  transfer_retire(c, t);
  /* From here on `c` may be closed by a finalizer: it is not used again. */

  lua_pushinteger(L, tag);
  return 1 + push_outcome(L, &o, answer_body, answer_head, raw_headers);
}

/*
 * pump() -> ready, running: reads whatever has arrived for every parallel
 * transfer without blocking, so answers come into memory while the caller's
 * loop runs. Charges no budget. `ready` transfers have finished and wait for
 * wait_any, which then returns at once; `running` ones are still under way.
 */
static int handle_pump(lua_State *L) {
  qb_handle *c = checkhandle(L, 1);
  lua_Integer ready = 0, running = 0;
  if (c->multi != NULL && c->active != NULL) {
    int still;
    CURLMcode mc = curl_multi_perform(c->multi, &still);
    if (mc != CURLM_OK) return luaL_error(L, "libcurl multi: %s", curl_multi_strerror(mc));
    collect_finished(c);
  }
  for (qb_transfer *t = c->active; t; t = t->next) {
    if (t->finished) ready++;
    else running++;
  }
  lua_pushinteger(L, ready);
  lua_pushinteger(L, running);
  return 2;
}

/* cancel(tag) -> true | false: stops that transfer, or drops its uncollected outcome. */
static int handle_cancel(lua_State *L) {
  qb_handle *c = checkhandle(L, 1);
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

static const luaL_Reg handle_methods[] = {
  {"request", handle_request},
  {"start", handle_start},
  {"wait_any", handle_wait_any},
  {"pump", handle_pump},
  {"drive_externally", handle_drive_externally},
  {"interest", handle_interest},
  {"act", handle_act},
  {"finished", handle_finished},
  {"close_sockets", handle_close_sockets},
  {"cancel", handle_cancel},
  {"set_token", handle_set_token},
  {"close", handle_close},
  {NULL, NULL},
};

static const luaL_Reg handle_meta[] = {
  {"__gc", handle_close},
  {"__close", handle_close},
  {"__tostring", handle_tostring},
  {"__index", NULL},
  {NULL, NULL},
};

void qb_handle_open(lua_State *L) {
  luaL_newmetatable(L, QB_HANDLE_MT);
  luaL_setfuncs(L, handle_meta, 0);
  luaL_newlib(L, handle_methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  lua_pushcfunction(L, handle_new);
}

void qb_handle_open_parser(lua_State *L) {
  lua_pushcfunction(L, parse_headers);
}
