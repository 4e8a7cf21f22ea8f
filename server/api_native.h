/* The host functions the API adds to each worker's Lua "api" table beyond lua_bridge.c's:
 *   api.system()   process, database and ingest figures for GET /api/system and /metrics
 *   api.config()   every configuration key with its value (secrets redacted)
 *   api.stream(sql, {values}, after_id)   answers the request with a live tail (sse.h)
 *   api.purge{older_than_ns = n} / api.purge{all = true}   deletes through the writer
 * and the options of the API read from the configuration.
 *   argus_api_native n; argus_api_native_init(&n, &cfg, writer);
 *   argus_lua_extend(L, argus_api_native_register, &n);
 */
#ifndef ARGUS_API_NATIVE_H
#define ARGUS_API_NATIVE_H

#include "api.h"
#include "config.h"
#include "writer.h"

#include "sse.h"

#include <lua.h>

typedef struct argus_api_native {
    const argus_config *cfg; /* borrowed */
    argus_writer *writer;    /* borrowed, may be NULL */
    argus_sse_hub *hub;      /* the live tail (owned) */
} argus_api_native;

/* Starts the live-tail hub and subscribes it to the writer's commits. 0, or -1 with msg. */
int argus_api_native_init(argus_api_native *n, const argus_config *cfg, argus_writer *w,
                          const argus_api_options *o, char *msg, size_t msglen);
/* Called by argus_api_stop: ends what the natives started (streams, purges). */
void argus_api_native_stop(argus_api_native *n);
void argus_api_native_free(argus_api_native *n);
/* An argus_lua_extend_fn: ctx is the argus_api_native. */
void argus_api_native_register(lua_State *ls, void *ctx);
/* 1 when a native answered the current request itself (a stream); clears the mark. */
int argus_api_native_taken(lua_State *ls);

/* Fills the API's options from the configuration keys that set them. */
void argus_api_options_from_config(argus_api_options *o, const argus_config *cfg);

#endif
