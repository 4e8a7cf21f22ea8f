/* Host functions for the API's Lua handlers; see api_native.h.
 *   local s = api.system(); return {uptime_s = (api.now_ns() - s.started_ns) // 1000000000}
 */
#include "api_native.h"

#include "lua_bridge.h"
#include "stats.h"

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

void argus_api_native_init(argus_api_native *n, const argus_config *cfg, argus_writer *w)
{
    n->cfg = cfg;
    n->writer = w;
}

void argus_api_native_stop(argus_api_native *n)
{
    (void)n;
}

void argus_api_native_free(argus_api_native *n)
{
    (void)n;
}

void argus_api_options_from_config(argus_api_options *o, const argus_config *cfg)
{
    (void)o;
    (void)cfg;
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

static int64_t now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
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
    int64_t now = now_ns(CLOCK_REALTIME), mono = now_ns(CLOCK_MONOTONIC);
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
    set_str(ls, "backend", "sqlite");
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
    lua_createtable(ls, 0, 4);
    set_int(ls, "last_id", s.insight_last_id);
    set_int(ls, "logs_max_id", s.insight_logs_max_id);
    set_int(ls, "batches", (int64_t)s.insight_batches);
    set_int(ls, "errors", (int64_t)s.insight_errors);
    lua_setfield(ls, -2, "insights");
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
    static const luaL_Reg fns[] = {{"system", api_system}, {"config", api_config}, {NULL, NULL}};
    lua_pushlightuserdata(ls, ctx);
    luaL_setfuncs(ls, fns, 1);
}
