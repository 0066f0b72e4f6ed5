#ifndef QBENCH_CLIENT_H
#define QBENCH_CLIENT_H

#include <lua.h>

#define QB_CLIENT_MT "qbench.Client"

/* Registers the qbench.Client metatable and pushes the constructor new(opts). */
void qb_client_open(lua_State *L);

#endif
