/*
 * The HTTP host: libmicrohttpd, one thread per connection, and one Lua state
 * behind a mutex. Per complete request the Lua app is called under the lock
 * and the answer is copied out; delays and faults are carried out after the
 * lock is released so that slow answers never serialise the other
 * connections.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include <lauxlib.h>
#include <lualib.h>
#include <microhttpd.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "sandbox/sandbox.h"

/* Larger bodies are refused with 413: the sandbox is not a storage test. */
#define SB_MAX_BODY ((size_t)16 * 1024 * 1024)

struct sb_host {
	struct MHD_Daemon *daemon;
	lua_State *L;
	pthread_mutex_t lock;
	int handler_ref;
	atomic_int inflight;
	atomic_int stopping;     /* cuts stalls short so shutdown is prompt */
	char *tls_cert;
	char *tls_key;
	unsigned port;
};

/* One HTTP request; created by the URI log callback, freed on completion. */
struct sb_request {
	char *target;            /* raw request target: path[?query] */
	char *body;
	size_t body_len, body_cap;
	const char **hdrs;       /* name, value, name, value ... (MHD owns them) */
	size_t nhdrs, hdrs_cap;  /* counts of strings, not pairs */
	int seen;                /* the first (header-only) handler call is done */
	int counted;             /* included in host->inflight */
	int too_large;
	int hdr_oom;
};

enum sb_action { SB_ACT_NONE, SB_ACT_DROP, SB_ACT_TRUNCATE, SB_ACT_BIG };

/* The app's answer, copied out of Lua so the lock can be released. */
struct sb_response {
	int status;
	char *body;
	size_t body_len;
	char *ctype;
	char **headers;          /* name, value, ... */
	size_t nheaders;
	enum sb_action action;
	uint64_t big_len;        /* SB_ACT_BIG: bytes of body to stream */
	long delay_ms;
};

static void response_free(struct sb_response *r)
{
	size_t i;
	free(r->body);
	free(r->ctype);
	for (i = 0; i < r->nheaders; i++)
		free(r->headers[i]);
	free(r->headers);
	memset(r, 0, sizeof *r);
}

static void request_free(struct sb_request *req)
{
	if (req == NULL)
		return;
	free(req->target);
	free(req->body);
	free(req->hdrs);
	free(req);
}

/*
 * Sleeps in short slices: MHD_stop_daemon joins the connection threads, and a
 * long "stall:" fault must not hold up a SIGTERM (or a test runner's cleanup).
 */
static void sleep_ms(struct sb_host *host, long ms)
{
	while (ms > 0 && !atomic_load(&host->stopping)) {
		long slice = ms < 50 ? ms : 50;
		struct timespec ts;
		ts.tv_sec = 0;
		ts.tv_nsec = slice * 1000000L;
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		ms -= slice;
	}
}

static char *dup_bytes(const char *s, size_t len)
{
	char *p = malloc(len + 1);
	if (p != NULL) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

/* ---- Lua bridge ------------------------------------------------------- */

static int traceback(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);
	if (msg == NULL)
		msg = luaL_tolstring(L, 1, NULL);
	luaL_traceback(L, L, msg, 1);
	return 1;
}

struct dispatch_ctx {
	struct sb_host *host;
	const char *method;
	struct sb_request *req;
	int inflight;
	int remote_port;
	struct sb_response *resp;
};

static void push_lower(lua_State *L, const char *s)
{
	size_t len = strlen(s), i;
	luaL_Buffer b;
	char *p = luaL_buffinitsize(L, &b, len);
	for (i = 0; i < len; i++)
		p[i] = (char)tolower((unsigned char)s[i]);
	luaL_pushresultsize(&b, len);
}

static char *copy_lua_string(lua_State *L, int idx, size_t *len_out)
{
	size_t len;
	const char *s = lua_tolstring(L, idx, &len);
	char *p;
	if (s == NULL)
		return NULL;
	p = dup_bytes(s, len);
	if (p == NULL)
		luaL_error(L, "out of memory copying the response");
	if (len_out != NULL)
		*len_out = len;
	return p;
}

/*
 * Runs in protected mode: builds the arguments, calls
 * handler(method, path, query, headers, body, inflight, remote_port) and copies out
 * status, body, content_type, headers, action, delay_ms.
 */
static int dispatch(lua_State *L)
{
	struct dispatch_ctx *ctx = lua_touserdata(L, 1);
	struct sb_request *req = ctx->req;
	struct sb_response *resp = ctx->resp;
	const char *target = req->target;
	const char *q = strchr(target, '?');
	size_t i;
	lua_Integer n;

	lua_rawgeti(L, LUA_REGISTRYINDEX, ctx->host->handler_ref);
	lua_pushstring(L, ctx->method);
	if (q != NULL) {
		lua_pushlstring(L, target, (size_t)(q - target));
		lua_pushstring(L, q + 1);
	} else {
		lua_pushstring(L, target);
		lua_pushliteral(L, "");
	}
	lua_createtable(L, 0, (int)(req->nhdrs / 2));
	for (i = 0; i + 1 < req->nhdrs; i += 2) {
		push_lower(L, req->hdrs[i]);
		lua_pushvalue(L, -1);
		if (lua_rawget(L, -3) == LUA_TNIL) {
			lua_pop(L, 1);
			lua_pushstring(L, req->hdrs[i + 1]);
		} else {
			/* Repeated header lines fold into one, as RFC 9110 allows. */
			lua_pushliteral(L, ", ");
			lua_pushstring(L, req->hdrs[i + 1]);
			lua_concat(L, 3);
		}
		lua_rawset(L, -3);
	}
	lua_pushlstring(L, req->body != NULL ? req->body : "", req->body_len);
	lua_pushinteger(L, ctx->inflight);
	lua_pushinteger(L, ctx->remote_port);
	lua_call(L, 7, 6);

	resp->status = (int)lua_tointeger(L, -6);
	resp->body = copy_lua_string(L, -5, &resp->body_len);
	resp->ctype = copy_lua_string(L, -4, NULL);
	if (lua_istable(L, -3)) {
		n = (lua_Integer)lua_rawlen(L, -3);
		if (n > 0) {
			resp->headers = calloc((size_t)n, sizeof *resp->headers);
			if (resp->headers == NULL)
				return luaL_error(L, "out of memory copying headers");
			for (i = 0; i < (size_t)n; i++) {
				lua_rawgeti(L, -3, (lua_Integer)i + 1);
				resp->headers[i] = copy_lua_string(L, -1, NULL);
				resp->nheaders = i + 1;
				lua_pop(L, 1);
				if (resp->headers[i] == NULL)
					return luaL_error(L, "response header %d is not a string", (int)i + 1);
			}
		}
	}
	if (lua_type(L, -2) == LUA_TSTRING) {
		const char *a = lua_tostring(L, -2);
		if (strcmp(a, "drop") == 0)
			resp->action = SB_ACT_DROP;
		else if (strcmp(a, "truncate") == 0)
			resp->action = SB_ACT_TRUNCATE;
		else if (strncmp(a, "big:", 4) == 0) {
			resp->action = SB_ACT_BIG;
			resp->big_len = strtoull(a + 4, NULL, 10);
		}
	}
	resp->delay_ms = (long)lua_tointeger(L, -1);
	return 0;
}

static void call_app(struct sb_host *host, const char *method, struct sb_request *req,
                     int inflight, int remote_port, struct sb_response *resp)
{
	lua_State *L = host->L;
	struct dispatch_ctx ctx = {host, method, req, inflight, remote_port, resp};
	int base = lua_gettop(L);

	lua_pushcfunction(L, traceback);
	lua_pushcfunction(L, dispatch);
	lua_pushlightuserdata(L, &ctx);
	if (lua_pcall(L, 1, 0, base + 1) != LUA_OK) {
		fprintf(stderr, "qbench-sandbox: error in the Lua app (%s %s): %s\n",
		        method, req->target, lua_tostring(L, -1));
		response_free(resp);
		resp->status = 500;
	}
	lua_settop(L, base);
}

/* ---- MHD callbacks ---------------------------------------------------- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct sb_request *req = calloc(1, sizeof *req);
	(void)cls;
	(void)conn;
	if (req == NULL)
		return NULL;
	req->target = strdup(uri != NULL ? uri : "");
	if (req->target == NULL) {
		free(req);
		return NULL;
	}
	return req;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct sb_host *host = cls;
	struct sb_request *req = *req_cls;
	(void)conn;
	(void)toe;
	if (req != NULL && req->counted)
		atomic_fetch_sub(&host->inflight, 1);
	request_free(req);
	*req_cls = NULL;
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind,
                                      const char *key, const char *value)
{
	struct sb_request *req = cls;
	(void)kind;
	if (req->nhdrs + 2 > req->hdrs_cap) {
		size_t cap = req->hdrs_cap ? req->hdrs_cap * 2 : 32;
		const char **p = realloc(req->hdrs, cap * sizeof *p);
		if (p == NULL) {
			req->hdr_oom = 1;
			return MHD_NO;
		}
		req->hdrs = p;
		req->hdrs_cap = cap;
	}
	req->hdrs[req->nhdrs++] = key;
	req->hdrs[req->nhdrs++] = value != NULL ? value : "";
	return MHD_YES;
}

static int append_body(struct sb_request *req, const char *data, size_t len)
{
	if (req->too_large || len > SB_MAX_BODY - req->body_len) {
		req->too_large = 1;
		return 0;
	}
	if (req->body_len + len > req->body_cap) {
		size_t cap = req->body_cap ? req->body_cap : 1024;
		char *p;
		while (cap < req->body_len + len)
			cap *= 2;
		p = realloc(req->body, cap);
		if (p == NULL)
			return -1;
		req->body = p;
		req->body_cap = cap;
	}
	memcpy(req->body + req->body_len, data, len);
	req->body_len += len;
	return 0;
}

static enum MHD_Result queue_static(struct MHD_Connection *conn, unsigned status,
                                    const char *json)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(json), (void *)json, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* The "truncate" fault: Content-Length promises the whole body, half is sent. */
struct truncated {
	char *data;
	size_t send;
};

static ssize_t truncated_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct truncated *t = cls;
	size_t n;
	if (pos >= t->send)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = t->send - (size_t)pos;
	if (n > max)
		n = max;
	memcpy(buf, t->data + pos, n);
	return (ssize_t)n;
}

static void truncated_free(void *cls)
{
	struct truncated *t = cls;
	free(t->data);
	free(t);
}

/*
 * The "big:N" fault: N bytes of a valid JSON array ("[0,0,...,0]", a space
 * before the "]" when N is even), generated as it is sent, so a 100 MB
 * answer costs the sandbox no memory.
 */
static ssize_t big_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	const uint64_t *len = cls;
	uint64_t inner = *len >= 2 ? *len - 2 : 0;
	size_t n = 0;
	if (pos >= *len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	for (; n < max && pos < *len; n++, pos++) {
		if (pos == 0)
			buf[n] = '[';
		else if (pos == *len - 1)
			buf[n] = ']';
		else if (pos - 1 == inner - 1 && inner % 2 == 0)
			buf[n] = ' ';
		else
			buf[n] = (pos - 1) % 2 == 0 ? '0' : ',';
	}
	return (ssize_t)n;
}

static struct MHD_Response *build_response(struct sb_response *resp)
{
	struct MHD_Response *r;
	size_t i;

	if (resp->action == SB_ACT_BIG) {
		uint64_t *len = malloc(sizeof *len);
		if (len == NULL)
			return NULL;
		*len = resp->big_len;
		r = MHD_create_response_from_callback(*len, 64 * 1024, big_reader, len, free);
		if (r == NULL)
			free(len);
	} else if (resp->action == SB_ACT_TRUNCATE) {
		struct truncated *t = malloc(sizeof *t);
		uint64_t promised;
		if (t == NULL)
			return NULL;
		t->data = resp->body;
		t->send = resp->body_len / 2;
		promised = resp->body_len > t->send ? resp->body_len : t->send + 1;
		resp->body = NULL;
		r = MHD_create_response_from_callback(promised, 4096, truncated_reader,
		                                      t, truncated_free);
		if (r == NULL)
			truncated_free(t);
	} else if (resp->body != NULL && resp->body_len > 0) {
		r = MHD_create_response_from_buffer(resp->body_len, resp->body,
		                                    MHD_RESPMEM_MUST_FREE);
		if (r != NULL)
			resp->body = NULL; /* MHD frees it now */
	} else {
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	if (r == NULL)
		return NULL;
	if (resp->ctype != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->ctype);
	for (i = 0; i + 1 < resp->nheaders; i += 2)
		MHD_add_response_header(r, resp->headers[i], resp->headers[i + 1]);
	return r;
}

/* The client's port, so specs can tell whether a client reuses connections. */
static int remote_port(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;
	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
	return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
	struct sb_host *host = cls;
	struct sb_request *req = *req_cls;
	struct sb_response resp;
	struct MHD_Response *r;
	enum MHD_Result ret;
	int inflight = 0;
	(void)url;
	(void)version;

	if (req == NULL)
		return MHD_NO; /* the URI callback ran out of memory */
	if (!req->seen) {
		req->seen = 1;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		if (append_body(req, upload_data, *upload_data_size) < 0)
			return MHD_NO;
		*upload_data_size = 0;
		return MHD_YES;
	}

	if (req->too_large)
		return queue_static(conn, 413,
		                    "{\"message\":\"request body too large\"}");
	MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, req);
	if (req->hdr_oom)
		return MHD_NO;

	/* Control endpoints must not count against the API's concurrency limit. */
	if (strncmp(req->target, "/_sandbox/", 10) != 0) {
		inflight = atomic_fetch_add(&host->inflight, 1);
		req->counted = 1;
	}

	memset(&resp, 0, sizeof resp);
	pthread_mutex_lock(&host->lock);
	call_app(host, method, req, inflight, remote_port(conn), &resp);
	pthread_mutex_unlock(&host->lock);

	if (resp.delay_ms > 0)
		sleep_ms(host, resp.delay_ms);
	if (resp.action == SB_ACT_DROP) {
		response_free(&resp);
		return MHD_NO;
	}
	if (resp.status == 500 && resp.body == NULL) {
		response_free(&resp);
		return queue_static(conn, 500,
		                    "{\"message\":\"internal sandbox error (see its stderr)\"}");
	}
	if (resp.status < 100 || resp.status > 599)
		resp.status = 500;
	r = build_response(&resp);
	if (r == NULL) {
		response_free(&resp);
		return MHD_NO;
	}
	ret = MHD_queue_response(conn, (unsigned)resp.status, r);
	MHD_destroy_response(r);
	response_free(&resp);
	return ret;
}

/* ---- setup ------------------------------------------------------------ */

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL) {
		fprintf(stderr, "qbench-sandbox: cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (cap - len < 4096) {
			char *p;
			cap = cap ? cap * 2 : 8192;
			p = realloc(buf, cap);
			if (p == NULL) {
				free(buf);
				fclose(f);
				fprintf(stderr, "qbench-sandbox: out of memory reading %s\n", path);
				return NULL;
			}
			buf = p;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "qbench-sandbox: cannot read %s\n", path);
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static void set_int(lua_State *L, const char *k, long v)
{
	lua_pushinteger(L, (lua_Integer)v);
	lua_setfield(L, -2, k);
}

/* Whole seconds as an integer (so 3600 stays 3600 in JSON), fractions as a float. */
static void set_seconds(lua_State *L, const char *k, double v)
{
	lua_Integer n;
	if (lua_numbertointeger(v, &n) && (double)n == v)
		lua_pushinteger(L, n);
	else
		lua_pushnumber(L, (lua_Number)v);
	lua_setfield(L, -2, k);
}

static void set_str(lua_State *L, const char *k, const char *v)
{
	if (v == NULL)
		return;
	lua_pushstring(L, v);
	lua_setfield(L, -2, k);
}

/*
 * Runs in protected mode: require "sandbox.app" and app.init(config), which
 * returns the handler, or nil and why the configuration is refused.
 */
static int load_app(lua_State *L)
{
	const struct sb_config *cfg = lua_touserdata(L, 1);

	luaL_openlibs(L);
	/*
	 * Every module comes from package.preload, lua-cjson (which the shared JSON
	 * decoder requires) too, linked in: no search of the disk at start, no
	 * dlopen, and no LUA_PATH or LUA_CPATH can put another module in the app.
	 */
	lua_getglobal(L, "package");
	lua_pushliteral(L, "");
	lua_setfield(L, -2, "path");
	lua_pushliteral(L, "");
	lua_setfield(L, -2, "cpath");
	lua_pop(L, 1);
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
	lua_pushcfunction(L, sb_native_open);
	lua_setfield(L, -2, "sandbox.native");
	lua_pushcfunction(L, sb_json_open);
	lua_setfield(L, -2, "sandbox.json");
	lua_pushcfunction(L, luaopen_cjson);
	lua_setfield(L, -2, "cjson");
	lua_pop(L, 1);
	sb_embed_register(L);

	lua_getglobal(L, "require");
	lua_pushliteral(L, "sandbox.app");
	lua_call(L, 1, 1);
	lua_getfield(L, -1, "init");
	lua_createtable(L, 0, 16);
	set_int(L, "customers", cfg->customers);
	set_int(L, "seed", cfg->seed);
	set_str(L, "token", cfg->token);
	set_str(L, "client_id", cfg->client_id);
	set_str(L, "client_secret", cfg->client_secret);
	set_seconds(L, "token_ttl", cfg->token_ttl);
	set_int(L, "latency_ms", cfg->latency_ms);
	set_int(L, "concurrency_limit", cfg->concurrency_limit);
	set_int(L, "rate_limit_n", cfg->rate_limit_n);
	set_seconds(L, "rate_limit_s", cfg->rate_limit_s);
	set_int(L, "log_limit", cfg->log_limit);
	set_int(L, "v2_scale", cfg->v2_scale);
	set_str(L, "v2_sizes", cfg->v2_sizes);
	set_int(L, "strict_schema", cfg->strict_schema);
	lua_call(L, 1, 2);
	if (!lua_isfunction(L, -2) && !lua_isstring(L, -1))
		return luaL_error(L, "sandbox.app.init did not return a handler");
	return 2;
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

/* Checks the PEM texts before libmicrohttpd gets them, so a bad file is named. */
static int check_tls(const struct sb_config *cfg, const char *cert, const char *key)
{
	BIO *bio = BIO_new_mem_buf(cert, -1);
	X509 *x509 = bio != NULL ? PEM_read_bio_X509(bio, NULL, no_passphrase, NULL) : NULL;
	EVP_PKEY *pkey = NULL;
	int ok = 0;

	BIO_free(bio);
	if (x509 == NULL) {
		fprintf(stderr, "qbench-sandbox: %s holds no PEM certificate\n", cfg->tls_cert);
		goto done;
	}
	bio = BIO_new_mem_buf(key, -1);
	pkey = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;
	BIO_free(bio);
	if (pkey == NULL) {
		fprintf(stderr, "qbench-sandbox: %s holds no unencrypted PEM private key\n", cfg->tls_key);
		goto done;
	}
	if (X509_check_private_key(x509, pkey) != 1) {
		fprintf(stderr, "qbench-sandbox: the key in %s does not belong to the certificate in %s\n",
		        cfg->tls_key, cfg->tls_cert);
		goto done;
	}
	ok = 1;
done:
	X509_free(x509);
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	return ok;
}

struct sb_host *sb_host_start(const struct sb_config *cfg)
{
	struct sb_host *host = calloc(1, sizeof *host);
	struct sockaddr_in addr;
	unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD
	                     | MHD_USE_POLL;
	const union MHD_DaemonInfo *info;

	if (host == NULL) {
		fprintf(stderr, "qbench-sandbox: out of memory\n");
		return NULL;
	}
	pthread_mutex_init(&host->lock, NULL);
	atomic_init(&host->inflight, 0);
	atomic_init(&host->stopping, 0);
	host->handler_ref = LUA_NOREF;

	host->L = luaL_newstate();
	if (host->L == NULL) {
		fprintf(stderr, "qbench-sandbox: cannot create a Lua state\n");
		goto fail;
	}
	lua_pushcfunction(host->L, traceback);
	lua_pushcfunction(host->L, load_app);
	lua_pushlightuserdata(host->L, (void *)cfg);
	if (lua_pcall(host->L, 1, 2, 1) != LUA_OK) {
		fprintf(stderr, "qbench-sandbox: cannot load the app: %s\n",
		        lua_tostring(host->L, -1));
		goto fail;
	}
	if (!lua_isfunction(host->L, -2)) {
		/* A refused configuration (--v2-sizes): one line, no traceback. */
		fprintf(stderr, "qbench-sandbox: %s\n", lua_tostring(host->L, -1));
		goto fail;
	}
	lua_pop(host->L, 1);
	host->handler_ref = luaL_ref(host->L, LUA_REGISTRYINDEX);
	lua_settop(host->L, 0);
	/* A request answers with little garbage; generational GC keeps pauses short. */
	lua_gc(host->L, LUA_GCGEN, 0, 0);

	if (!cfg->quiet)
		flags |= MHD_USE_ERROR_LOG;
	if (cfg->tls_cert != NULL) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			fprintf(stderr, "qbench-sandbox: this libmicrohttpd has no TLS support\n");
			goto fail;
		}
		host->tls_cert = read_file(cfg->tls_cert);
		if (host->tls_cert == NULL)
			goto fail;
		host->tls_key = read_file(cfg->tls_key);
		if (host->tls_key == NULL || !check_tls(cfg, host->tls_cert, host->tls_key))
			goto fail;
		flags |= MHD_USE_TLS;
	}

	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)cfg->port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	if (host->tls_cert != NULL) {
		host->daemon = MHD_start_daemon(flags, (uint16_t)cfg->port, NULL, NULL,
			on_request, host,
			MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
			MHD_OPTION_URI_LOG_CALLBACK, on_uri, host,
			MHD_OPTION_NOTIFY_COMPLETED, on_completed, host,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120,
			MHD_OPTION_HTTPS_MEM_CERT, host->tls_cert,
			MHD_OPTION_HTTPS_MEM_KEY, host->tls_key,
			MHD_OPTION_END);
	} else {
		host->daemon = MHD_start_daemon(flags, (uint16_t)cfg->port, NULL, NULL,
			on_request, host,
			MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
			MHD_OPTION_URI_LOG_CALLBACK, on_uri, host,
			MHD_OPTION_NOTIFY_COMPLETED, on_completed, host,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120,
			MHD_OPTION_END);
	}
	if (host->daemon == NULL) {
		fprintf(stderr, "qbench-sandbox: cannot listen on 127.0.0.1:%ld%s\n", cfg->port,
		        host->tls_cert != NULL ? " (or libmicrohttpd refused the TLS certificate and key)" : "");
		goto fail;
	}
	info = MHD_get_daemon_info(host->daemon, MHD_DAEMON_INFO_BIND_PORT);
	if (info == NULL || info->port == 0) {
		fprintf(stderr, "qbench-sandbox: cannot tell which port was bound\n");
		goto fail;
	}
	host->port = info->port;
	return host;

fail:
	sb_host_stop(host);
	return NULL;
}

unsigned sb_host_port(const struct sb_host *host)
{
	return host->port;
}

void sb_host_stop(struct sb_host *host)
{
	if (host == NULL)
		return;
	atomic_store(&host->stopping, 1);
	if (host->daemon != NULL)
		MHD_stop_daemon(host->daemon);
	if (host->L != NULL)
		lua_close(host->L);
	pthread_mutex_destroy(&host->lock);
	free(host->tls_cert);
	free(host->tls_key);
	free(host);
}
