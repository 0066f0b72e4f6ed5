#ifndef QBENCH_HANDLE_H
#define QBENCH_HANDLE_H

#include <stddef.h>
#include <curl/curl.h>
#include <lua.h>

/* The C handle made by core.new; the Lua client object (qbench.Client) wraps one. */
#define QB_HANDLE_MT "qbench.Handle"

/* Registers the qbench.Handle metatable and pushes the constructor new(opts). */
void qb_handle_open(lua_State *L);

/* Pushes parse_headers(raw), for the raw header blocks of a handle made with raw_headers = true. */
void qb_handle_open_parser(lua_State *L);

/* Pushes { ["lower-case-name"] = "value", ... } for a raw header block as
   libcurl hands it over (status line, "Name: value" lines, CRLFs); repeated
   names are joined with ", ". Never reads past data + len. */
void qb_push_headers(lua_State *L, const char *data, size_t len);

/* libcurl's version data, taken once at luaopen (core.c). Calling
   curl_version_info from several threads races: it fills static memory without a lock. */
const curl_version_info_data *qb_curl_info(void);

#endif
