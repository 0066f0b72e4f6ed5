#ifndef QBENCH_CLIENT_H
#define QBENCH_CLIENT_H

#include <stddef.h>
#include <lua.h>

#define QB_CLIENT_MT "qbench.Client"

/* Registers the qbench.Client metatable and pushes the constructor new(opts). */
void qb_client_open(lua_State *L);

/* Pushes parse_headers(raw), for the raw header blocks of a client made with raw_headers = true. */
void qb_client_open_parser(lua_State *L);

/* Pushes { ["lower-case-name"] = "value", ... } for a raw header block as
   libcurl hands it over (status line, "Name: value" lines, CRLFs); repeated
   names are joined with ", ". Never reads past data + len. */
void qb_client_push_headers(lua_State *L, const char *data, size_t len);

#endif
