/* One sandboxed Lua 5.4 state for an API worker: allow-listed libraries (base, string, table,
 * math, utf8; no os, io, debug, package, file loading, bytecode or string.dump), a memory cap,
 * an instruction budget per call, and the host tables handlers use (docs/lua.md):
 *   db    rows/row/value/json over the worker's read-only connection (bound parameters)
 *   json  encode/decode (jansson), json.null, json.array(t)
 *   api   error(status, code, message), now_ns(), log(level, message), system()
 *   argus_lua *L; argus_lua_new(&L, &limits, rd, msg, sizeof msg);
 *   argus_lua_load(L, "services.lua", src, len, &err);   -- runs the chunk, leaves its result
 *   ... push a function and arguments ...; argus_lua_call(L, nargs, nresults, &err);
 * Every error (Lua, SQL, limits) comes back as one argus_lua_error: status, code, message. */
#ifndef ARGUS_LUA_BRIDGE_H
#define ARGUS_LUA_BRIDGE_H

#include "store_read.h"

#include <lua.h>
#include <stddef.h>
#include <stdint.h>

typedef struct argus_lua_limits {
    size_t memory;         /* bytes a state may hold */
    uint64_t instructions; /* Lua VM instructions per call; 0 = no limit */
    size_t max_rows;       /* rows db.rows may return */
} argus_lua_limits;

/* An error as the HTTP answer shows it: {"error":{"code":code,"message":message}}. */
typedef struct argus_lua_error {
    unsigned status;    /* 400, 404, 500, 503 ... */
    char code[32];      /* "bad_parameter", "internal", "timeout" ... */
    char message[1024]; /* for the client */
    char trace[2048];   /* traceback for the log (internal errors), may be empty */
} argus_lua_error;

typedef struct argus_lua argus_lua;

/* rd (borrowed, may be NULL: db calls then fail) serves the db table. Returns 0 or -1 + msg. */
int argus_lua_new(argus_lua **out, const argus_lua_limits *limits, argus_read *rd, char *msg,
                  size_t msglen);
void argus_lua_free(argus_lua *L);
lua_State *argus_lua_state(argus_lua *L);

/* Compiles src as a text chunk named name (bytecode is refused) and runs it: 0 with its one
 * result on the stack, or -1 with err (nothing pushed). */
int argus_lua_load(argus_lua *L, const char *name, const char *src, size_t len,
                   argus_lua_error *err);
/* Calls the function below nargs arguments on the stack, with a fresh instruction budget and a
 * traceback handler; 0 with nresults pushed, or -1 with err (function and arguments popped). */
int argus_lua_call(argus_lua *L, int nargs, int nresults, argus_lua_error *err);

/* Bytes the state holds now. 1 when it should be replaced (it hit its memory cap and could not
 * give enough back). */
size_t argus_lua_memory(const argus_lua *L);
int argus_lua_exhausted(const argus_lua *L);

/* JSON: encodes the value at idx (tables, strings, numbers, booleans, json.null) into a
 * malloc'd string (*out, *len); 0 or -1 with err. */
int argus_lua_to_json(argus_lua *L, int idx, char **out, size_t *len, argus_lua_error *err);

/* Raises api.error(status, code, message) from C code running inside a call. */
int argus_lua_raise(lua_State *ls, unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Hook for the host (api.c): registers extra functions into the api table. */
typedef void (*argus_lua_extend_fn)(lua_State *ls, void *ctx);
void argus_lua_extend(argus_lua *L, argus_lua_extend_fn fn, void *ctx);

#endif
