/*
 * qbench-sandbox: a local fake of the QBench API (v1 Customers, all of v2).
 *
 * The C side is only a host: HTTP (libmicrohttpd), TLS, sleeping, dropping
 * connections and crypto primitives. Every API decision is made by the Lua
 * app (csrc/sandbox/lua/ (one module per file)), embedded into the binary at build time.
 */
#ifndef QBENCH_SANDBOX_H
#define QBENCH_SANDBOX_H

#include <stddef.h>
#include <lua.h>

/* Options from the command line, handed to the Lua app as a table. */
struct sb_config {
	long port;
	long customers;
	long seed;
	const char *token;
	const char *client_id;
	const char *client_secret;
	double token_ttl;         /* seconds, fractions allowed */
	long latency_ms;
	long concurrency_limit;   /* 0 = off */
	long rate_limit_n;        /* 0 = off */
	double rate_limit_s;      /* seconds, fractions allowed */
	const char *tls_cert;
	const char *tls_key;
	long log_limit;
	long v2_scale;            /* multiplies the v2 collections' default sizes */
	const char *v2_sizes;     /* "samples=10000,tests=5" or NULL; checked by the Lua app */
	int strict_schema;        /* v2 answers only hold what the OpenAPI description allows */
	int die_with_parent;
	int quiet;
};

/* native.c: the "sandbox.native" module (HMAC, base64url, clocks, random). */
int sb_native_open(lua_State *L);

/*
 * json_exact.c: the "sandbox.json" module, the shared JSON table (qbench_json.h)
 * whose decode also marks empty [] and {} and keeps numbers as spelt (2.0 is a float).
 */
int sb_json_open(lua_State *L);

/* lua-cjson's entry point (it ships no header), linked from Debian's static archive. */
int luaopen_cjson(lua_State *L);

/* Generated from csrc/sandbox/lua/ (one module per file) by tools/embed_lua.lua. */
void sb_embed_register(lua_State *L);

/* host.c: the HTTP server around one Lua state. */
struct sb_host;

/*
 * Creates the Lua state, loads the app and starts listening on 127.0.0.1.
 * Returns NULL (after printing why on stderr) on failure.
 */
struct sb_host *sb_host_start(const struct sb_config *cfg);
/* The port actually bound (useful with --port 0). */
unsigned sb_host_port(const struct sb_host *host);
/* Stops the daemon, closes the Lua state and frees everything. */
void sb_host_stop(struct sb_host *host);

#endif
