/*
 * The Lua modules of lua/qbench, embedded into build/libqbench.a: generated
 * by tools/embed_lua.lua (the Makefile's `embed` block), used by preload.c.
 */
#ifndef QBENCH_EMBED_MODULES_H
#define QBENCH_EMBED_MODULES_H

#include <lua.h>

/* Sets package.preload[name] for every module of lua/qbench. */
void qb_embed_modules(lua_State *L);

#endif
