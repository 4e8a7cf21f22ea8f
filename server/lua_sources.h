/* The shipped Lua route files and helpers (lua/), embedded into argus-server at build time by
 * scripts/embed_lua.cmake into the build directory (gen/lua_sources.c). Names are relative to
 * lua/: "services.lua", "lib/time.lua"; sorted by name.
 *   for (size_t i = 0; i < argus_lua_sources_count; i++) load(argus_lua_sources[i].name, ...);
 */
#ifndef ARGUS_LUA_SOURCES_H
#define ARGUS_LUA_SOURCES_H

#include <stddef.h>

typedef struct argus_lua_source {
    const char *name;
    const char *text;
    size_t len;
} argus_lua_source;

extern const argus_lua_source argus_lua_sources[];
extern const size_t argus_lua_sources_count;

#endif
