/* Host functions for the API's Lua handlers; see api_native.h.
 *   local s = api.system(); return {uptime_s = (api.now_ns() - s.started_ns) // 1000000000}
 */
#include "api_native.h"

#include "lua_bridge.h"
#include "stats.h"
#include "store.h"
#include "store_read.h"
#include "thread.h"

#include <stdlib.h>

#include <lauxlib.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#ifndef ARGUS_VERSION
#define ARGUS_VERSION "0.1.0"
#endif
#define TAKEN_KEY "argus.taken"

/* Ingest rates: stored items per second between two looks at least RATE_MIN_NS apart. */
#define RATE_MIN_NS 1000000000LL
static pthread_mutex_t rate_mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t rate_at_ns;
static uint64_t rate_stored[ARGUS_SIGNAL_COUNT];
static double rate_value[ARGUS_SIGNAL_COUNT];

/* The writer's on-commit callback (writer thread): hands the new log ids to the hub. */
static void on_commit(void *ctx, argus_signal sig, int64_t first_id, int64_t last_id)
{
    (void)first_id;
    if (sig == ARGUS_SIGNAL_LOGS)
        argus_sse_hub_publish(ctx, last_id);
}

int argus_api_native_init(argus_api_native *n, const argus_config *cfg, argus_writer *w,
                          const argus_api_options *o, char *msg, size_t msglen)
{
    n->cfg = cfg;
    n->writer = w;
    argus_sse_options so = {.max_clients = o->sse_max_clients,
                            .keepalive_ms = o->sse_keepalive_ms,
                            .statement_ms = o->statement_ms};
    if (argus_sse_hub_start(&n->hub, cfg, &so, msg, msglen) != 0)
        return -1;
    if (w)
        argus_writer_on_commit(w, on_commit, n->hub);
    return 0;
}

void argus_api_native_stop(argus_api_native *n)
{
    if (n->writer)
        argus_writer_on_commit(n->writer, NULL, NULL);
    argus_sse_hub_stop(n->hub);
}

void argus_api_native_free(argus_api_native *n)
{
    argus_sse_hub_free(n->hub);
    n->hub = NULL;
}

static argus_http_request *current_request(lua_State *ls)
{
    lua_getfield(ls, LUA_REGISTRYINDEX, "argus.request");
    argus_http_request *r = lua_touserdata(ls, -1);
    lua_pop(ls, 1);
    if (!r)
        argus_lua_raise(ls, 500, "internal", "api: no request is being handled");
    return r;
}

static void mark_taken(lua_State *ls)
{
    lua_pushboolean(ls, 1);
    lua_setfield(ls, LUA_REGISTRYINDEX, TAKEN_KEY);
}

/* api.stream(sql, values, after_id): the request becomes a live tail of sql's rows. */
static int api_stream(lua_State *ls)
{
    argus_api_native *n = lua_touserdata(ls, lua_upvalueindex(1));
    const char *sql = luaL_checkstring(ls, 1);
    luaL_checktype(ls, 2, LUA_TTABLE);
    lua_Integer after = luaL_checkinteger(ls, 3);
    argus_sse_value vals[64];
    size_t nv = lua_rawlen(ls, 2);
    if (nv > 64)
        return argus_lua_raise(ls, 400, "bad_parameter", "q: too many filter terms");
    for (size_t i = 0; i < nv; i++) {
        lua_rawgeti(ls, 2, (lua_Integer)i + 1);
        argus_sse_value *v = &vals[i];
        memset(v, 0, sizeof *v);
        if (lua_isinteger(ls, -1)) {
            v->type = ARGUS_SSE_INT;
            v->i = lua_tointeger(ls, -1);
        } else if (lua_type(ls, -1) == LUA_TNUMBER) {
            v->type = ARGUS_SSE_FLOAT;
            v->d = lua_tonumber(ls, -1);
        } else if (lua_type(ls, -1) == LUA_TSTRING) {
            v->type = ARGUS_SSE_TEXT;
            v->s = lua_tolstring(ls, -1, &v->len); /* stays alive: the table holds it */
        } else {
            v->type = ARGUS_SSE_NULL;
        }
        lua_pop(ls, 1);
    }
    argus_http_request *r = current_request(ls);
    char msg[256];
    int status;
    if (argus_sse_subscribe(n->hub, r, sql, vals, nv, after, &status, msg, sizeof msg) != 0)
        return argus_lua_raise(ls, (unsigned)status, status == 503 ? "busy" : "internal", "%s",
                               msg);
    mark_taken(ls);
    return 0;
}

typedef struct purge_call {
    argus_http_request *req;
    argus_api_native *n;
    int64_t cutoff_ns;
} purge_call;

/* Writer thread: the purge finished (or stopped). */
static void purge_done(void *ctx, const argus_purge_result *r)
{
    purge_call *pc = ctx;
    if (r->all && pc->n->hub)
        argus_sse_hub_reset(pc->n->hub);
    if (!r->ok) {
        argus_http_header h = {"Retry-After", "1"};
        argus_http_error(pc->req, 503, "unavailable", &h, 1, "the purge stopped: %s", r->message);
    } else {
        char cutoff[32], body[512];
        snprintf(cutoff, sizeof cutoff, r->all ? "null" : "\"%lld\"", (long long)pc->cutoff_ns);
        int len = snprintf(body, sizeof body,
                           "{\"cutoff_ns\":%s,\"deleted\":{\"spans\":%llu,\"logs\":%llu,"
                           "\"traces\":%llu,\"rollups\":%llu,\"patterns\":%llu},"
                           "\"chunks\":%u,\"seconds\":%.3f}",
                           cutoff, (unsigned long long)r->spans, (unsigned long long)r->logs,
                           (unsigned long long)r->traces, (unsigned long long)r->rollups,
                           (unsigned long long)r->patterns, r->chunks, r->seconds);
        argus_http_respond(pc->req, 200, "application/json", body, (size_t)len, NULL, 0);
    }
    free(pc);
}

/* api.purge{all = true} or api.purge{before_ns = n}: answers the request when done. */
static int api_purge(lua_State *ls)
{
    argus_api_native *n = lua_touserdata(ls, lua_upvalueindex(1));
    luaL_checktype(ls, 1, LUA_TTABLE);
    argus_purge_request pr = {0};
    lua_getfield(ls, 1, "all");
    pr.all = lua_toboolean(ls, -1);
    lua_getfield(ls, 1, "before_ns");
    if (!pr.all) {
        if (!lua_isinteger(ls, -1) || lua_tointeger(ls, -1) <= 0)
            return luaL_error(ls, "api.purge: before_ns must be a positive integer");
        pr.before_ns = lua_tointeger(ls, -1);
    }
    lua_pop(ls, 2);
    if (!n->writer)
        return argus_lua_raise(ls, 503, "unavailable", "no writer: data cannot be deleted here");
    argus_http_request *r = current_request(ls);
    purge_call *pc = malloc(sizeof *pc);
    if (!pc)
        return argus_lua_raise(ls, 500, "internal", "out of memory");
    *pc = (purge_call){r, n, pr.before_ns};
    char msg[256];
    if (argus_writer_purge(n->writer, &pr, purge_done, pc, msg, sizeof msg) != 0) {
        free(pc);
        return argus_lua_raise(ls, 503, "unavailable", "%s", msg);
    }
    mark_taken(ls);
    return 0;
}

void argus_api_options_from_config(argus_api_options *o, const argus_config *cfg)
{
    if (cfg->api.workers)
        o->workers = cfg->api.workers;
    if (cfg->api.queue)
        o->queue = cfg->api.queue;
    if (cfg->api.lua_memory)
        o->lua_memory = (size_t)cfg->api.lua_memory;
    if (cfg->api.lua_instructions)
        o->lua_instructions = cfg->api.lua_instructions;
    if (cfg->api.sql_timeout_ms)
        o->statement_ms = cfg->api.sql_timeout_ms;
    if (cfg->api.sse_max_clients)
        o->sse_max_clients = cfg->api.sse_max_clients;
    if (cfg->api.sse_keepalive_ms)
        o->sse_keepalive_ms = cfg->api.sse_keepalive_ms;
    snprintf(o->lua_dir, sizeof o->lua_dir, "%s", cfg->api.lua_dir);
}

int argus_api_native_taken(lua_State *ls)
{
    int taken = lua_getfield(ls, LUA_REGISTRYINDEX, TAKEN_KEY) != LUA_TNIL;
    lua_pop(ls, 1);
    if (taken) {
        lua_pushnil(ls);
        lua_setfield(ls, LUA_REGISTRYINDEX, TAKEN_KEY);
    }
    return taken;
}

static argus_api_native *native(lua_State *ls)
{
    return lua_touserdata(ls, lua_upvalueindex(1));
}

static void set_int(lua_State *ls, const char *k, int64_t v)
{
    lua_pushinteger(ls, (lua_Integer)v);
    lua_setfield(ls, -2, k);
}

static void set_str(lua_State *ls, const char *k, const char *v)
{
    lua_pushstring(ls, v);
    lua_setfield(ls, -2, k);
}

static int64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
}

/* "mysql://user:secret@host/db" -> "mysql://user:***@host/db". */
static void redact_url(const char *url, char *out, size_t n)
{
    const char *scheme = strstr(url, "://");
    const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
    const char *colon = scheme ? strchr(scheme + 3, ':') : NULL;
    if (at && colon && colon < at)
        snprintf(out, n, "%.*s:***%s", (int)(colon - url), url, at);
    else
        snprintf(out, n, "%s", url);
}

/* api.system() */
static int api_system(lua_State *ls)
{
    argus_api_native *n = native(ls);
    argus_stats_snapshot s;
    argus_stats_read(&s);
    int64_t now = argus_wall_ns(), mono = argus_mono_ns();
    double rates[ARGUS_SIGNAL_COUNT];
    pthread_mutex_lock(&rate_mu);
    if (rate_at_ns == 0 || mono - rate_at_ns >= RATE_MIN_NS) {
        for (int i = 0; i < ARGUS_SIGNAL_COUNT; i++) {
            rate_value[i] = rate_at_ns == 0 ? 0
                                            : (double)(s.signal[i].stored - rate_stored[i]) * 1e9 /
                                                  (double)(mono - rate_at_ns);
            rate_stored[i] = s.signal[i].stored;
        }
        rate_at_ns = mono;
    }
    memcpy(rates, rate_value, sizeof rates);
    pthread_mutex_unlock(&rate_mu);

    lua_createtable(ls, 0, 16);
    set_str(ls, "version", ARGUS_VERSION);
    set_int(ls, "started_ns", s.started_unix_ns);
    set_int(ls, "now_ns", now);
    char why[256];
    const argus_store_driver *d = argus_store_driver_for(n->cfg->db_url, why, sizeof why);
    set_str(ls, "backend", d && d->read ? d->read->name : n->cfg->db_scheme);
    set_str(ls, "db_path", n->cfg->db_path);
    char wal[1100];
    snprintf(wal, sizeof wal, "%s-wal", n->cfg->db_path);
    set_int(ls, "db_size", file_size(n->cfg->db_path));
    set_int(ls, "wal_size", file_size(wal));
    lua_createtable(ls, 0, ARGUS_SIGNAL_COUNT);
    for (int i = 0; i < ARGUS_SIGNAL_COUNT; i++) {
        lua_createtable(ls, 0, 8);
        set_int(ls, "requests", (int64_t)s.signal[i].requests);
        set_int(ls, "bad_requests", (int64_t)s.signal[i].bad_requests);
        set_int(ls, "received", (int64_t)s.signal[i].received);
        set_int(ls, "stored", (int64_t)s.signal[i].stored);
        set_int(ls, "rejected", (int64_t)s.signal[i].rejected);
        set_int(ls, "dropped", (int64_t)s.signal[i].dropped);
        set_int(ls, "refused", (int64_t)s.signal[i].refused);
        lua_pushnumber(ls, rates[i]);
        lua_setfield(ls, -2, "per_second");
        lua_setfield(ls, -2, argus_signal_name((argus_signal)i));
    }
    lua_setfield(ls, -2, "ingest");
    lua_createtable(ls, 0, 3);
    set_int(ls, "requests", (int64_t)s.queue_requests);
    set_int(ls, "items", (int64_t)s.queue_items);
    set_int(ls, "bytes", (int64_t)s.queue_bytes);
    lua_setfield(ls, -2, "queue");
    set_int(ls, "batches", (int64_t)s.batches);
    set_int(ls, "failed_batches", (int64_t)s.failed_batches);
    set_int(ls, "last_commit_ns", s.last_commit_unix_ns);
    set_int(ls, "retention_s", (int64_t)n->cfg->retention_s);
    set_int(ls, "stream_clients", n->hub ? argus_sse_clients(n->hub) : 0);
    lua_createtable(ls, 0, 4);
    set_int(ls, "last_id", s.insight_last_id);
    set_int(ls, "logs_max_id", s.insight_logs_max_id);
    set_int(ls, "batches", (int64_t)s.insight_batches);
    set_int(ls, "errors", (int64_t)s.insight_errors);
    lua_setfield(ls, -2, "insights");
    lua_createtable(ls, 0, 4);
    set_str(ls, "state", argus_breaker_name(s.breaker_state));
    set_int(ls, "opened", (int64_t)s.breaker_opened);
    set_int(ls, "refused", (int64_t)s.breaker_refused);
    set_int(ls, "since_ns", s.breaker_since_unix_ns);
    lua_setfield(ls, -2, "breaker");
    lua_createtable(ls, 0, 3);
    set_int(ls, "used", (int64_t)s.memory_used);
    set_int(ls, "limit", (int64_t)n->cfg->memory_limit);
    set_int(ls, "refused", (int64_t)s.memory_refused);
    lua_setfield(ls, -2, "memory");
    set_int(ls, "http_closed_slow", (int64_t)s.http_closed_slow);
    set_int(ls, "grpc_refused", (int64_t)s.grpc_refused);
    set_int(ls, "log_dropped", (int64_t)s.log_dropped);
    return 1;
}

/* api.config(): the configuration as ARGUS_* keys and their values. */
static int api_config(lua_State *ls)
{
    const argus_config *c = native(ls)->cfg;
    char url[1100];
    redact_url(c->db_url, url, sizeof url);
    lua_createtable(ls, 0, 24);
    set_str(ls, "ARGUS_DB", url);
    set_str(ls, "ARGUS_GRPC_LISTEN", c->grpc_listen[0] ? c->grpc_listen : "off");
    set_str(ls, "ARGUS_OTLP_HTTP_LISTEN", c->otlp_http_listen[0] ? c->otlp_http_listen : "off");
    set_str(ls, "ARGUS_HTTP_LISTEN", c->http_listen[0] ? c->http_listen : "off");
    set_int(ls, "ARGUS_BATCH_SIZE", (int64_t)c->batch_size);
    set_int(ls, "ARGUS_BATCH_LATENCY_MS", c->batch_latency_ms);
    set_int(ls, "ARGUS_QUEUE_MAX_ITEMS", (int64_t)c->queue_max_items);
    set_int(ls, "ARGUS_QUEUE_MAX_BYTES", (int64_t)c->queue_max_bytes);
    set_int(ls, "ARGUS_MAX_MESSAGE_SIZE", (int64_t)c->max_message_size);
    set_str(ls, "ARGUS_CORS_ALLOWED_ORIGINS", c->cors_allowed_origins);
    static const char *const levels[] = {"debug", "info", "warn", "error"};
    set_str(ls, "ARGUS_LOG_LEVEL", levels[c->log_level & 3]);
    set_str(ls, "ARGUS_SQLITE_SYNCHRONOUS", c->sqlite_synchronous);
    set_int(ls, "ARGUS_SQLITE_BUSY_TIMEOUT_MS", c->sqlite_busy_timeout_ms);
    set_int(ls, "ARGUS_SHUTDOWN_TIMEOUT_MS", c->shutdown_timeout_ms);
    set_int(ls, "ARGUS_STATS_INTERVAL_S", c->stats_interval_s);
    set_int(ls, "ARGUS_INGEST_THREADS", c->ingest_threads);
    set_str(ls, "ARGUS_INSIGHT_WORKER", c->insight_worker ? "on" : "off");
    set_int(ls, "ARGUS_INSIGHT_BATCH", (int64_t)c->insight_batch);
    set_int(ls, "ARGUS_INSIGHT_INTERVAL_MS", c->insight_interval_ms);
    return 1;
}

void argus_api_native_register(lua_State *ls, void *ctx)
{
    static const luaL_Reg fns[] = {{"system", api_system},
                                   {"config", api_config},
                                   {"stream", api_stream},
                                   {"purge", api_purge},
                                   {NULL, NULL}};
    lua_pushlightuserdata(ls, ctx);
    luaL_setfuncs(ls, fns, 1);
}
