/* argus-server configuration: every key has a flag, an environment variable and a .env entry;
 * flags win over the environment, which wins over ./.env, which wins over the defaults.
 *   argus_config cfg; char err[512];
 *   if (argus_config_load(&cfg, argc, argv, ".env", err, sizeof err) != 0) -> print err, exit 2
 * Every key is documented in docs/configuration.md; errors name the key and where it came from. */
#ifndef ARGUS_CONFIG_H
#define ARGUS_CONFIG_H

#include "log.h"

#include <stddef.h>
#include <stdint.h>

#define ARGUS_CONFIG_MAX_KEYS 96

typedef struct argus_config {
    /* ARGUS_DB as given; its parts are below (db_path for sqlite:, the db_* fields for mysql:). */
    char db_url[1024];
    char db_scheme[16];    /* "sqlite", "mysql" (mariadb:// too) */
    char db_path[1024];    /* the SQLite file it names */
    char db_user[128];     /* mysql://user@host:port/database?socket=/path */
    char db_host[256];     /* empty with a socket */
    unsigned db_port;      /* 3306 unless given */
    char db_name[128];     /* the database */
    char db_socket[512];   /* ?socket=/run/mysqld/mysqld.sock, else empty */
    char db_password[256]; /* ARGUS_DB_PASSWORD, else ARGUS_DB_PASSWORD_FILE's first line, else
                              the URL's user:password (never logged) */
    char db_password_file[1024];
    char grpc_listen[256]; /* "host:port"; empty when disabled ("off") */
    char otlp_http_listen[256];
    char http_listen[256];
    size_t batch_size;         /* spans + log records per transaction (a target, not a cap) */
    unsigned batch_latency_ms; /* longest a queued request waits for its batch to fill */
    size_t queue_max_items;    /* spans + log records waiting for the writer */
    size_t queue_max_bytes;    /* decoded request payload bytes waiting for the writer */
    size_t max_message_size;   /* largest OTLP request, after decompression */
    size_t memory_limit; /* ARGUS_MEMORY_LIMIT: everything held for requests (decoding + queue) */
    char cors_allowed_origins[1024]; /* comma-separated origins, "*" for any; empty: no CORS */
    argus_log_level log_level;
    char sqlite_synchronous[8]; /* OFF, NORMAL, FULL or EXTRA */
    unsigned sqlite_busy_timeout_ms;
    unsigned shutdown_timeout_ms; /* how long shutdown waits for in-flight calls */
    unsigned stats_interval_s;    /* period of the counters log line; 0 = never */
    unsigned ingest_threads;      /* gRPC completion-queue and HTTP worker threads each */
    int insight_worker;           /* 1: tag logs with insights and patterns in the background */
    size_t insight_batch;         /* logs per tagging transaction */
    unsigned insight_interval_ms; /* the worker's pause when idle or when ingest is busy */
    uint64_t retention_s;         /* ARGUS_RETENTION: data older than this is deleted; 0 = never */
    /* HTTP listeners (OTLP/HTTP and API each): see server/http.h. */
    unsigned http_threads;         /* API listener worker threads */
    size_t http_max_body;          /* largest API request body */
    unsigned http_max_connections; /* per listener */
    unsigned http_max_per_address; /* connections from one client address, per listener */
    unsigned grpc_max_connections; /* connections to the gRPC listener */
    unsigned grpc_max_per_address; /* of those, from one client address */
    unsigned http_header_timeout_ms;
    unsigned http_body_timeout_ms;
    unsigned http_idle_timeout_ms;
    size_t http_min_rate;          /* body bytes per second */
    struct {                       /* the REST API (api.h) */
        char lua_dir[1024];        /* ARGUS_LUA_DIR; empty: only the shipped routes */
        unsigned workers;          /* ARGUS_API_WORKERS; 0 = one per CPU */
        unsigned queue;            /* ARGUS_API_QUEUE */
        uint64_t lua_memory;       /* ARGUS_LUA_MEMORY, bytes per Lua state */
        uint64_t lua_instructions; /* ARGUS_LUA_INSTRUCTIONS per request */
        unsigned sql_timeout_ms;   /* ARGUS_SQL_TIMEOUT_MS */
        unsigned sse_max_clients;  /* ARGUS_SSE_MAX_CLIENTS */
        unsigned sse_keepalive_ms; /* ARGUS_SSE_KEEPALIVE_MS */
    } api;
    /* Where each key's value came from (index into the key table; see config.c). */
    unsigned char origin[ARGUS_CONFIG_MAX_KEYS];
} argus_config;

/* Fills cfg from defaults, then env_file (may be NULL or missing), then the environment, then the
 * command line. Returns 0; 1 when --help/--version printed something and the caller should exit 0;
 * -1 with a message in err naming the offending key. */
int argus_config_load(argus_config *cfg, int argc, char **argv, const char *env_file, char *err,
                      size_t errlen);

/* Fills cfg with every key's default alone: argus_config_load without a .env file, environment
 * or flags. */
void argus_config_defaults(argus_config *cfg);

/* Writes one "config" log line per key with the value cfg holds and where it came from (debug
 * level); secrets (ARGUS_DB_PASSWORD, a password in ARGUS_DB) are written as "(redacted)". */
void argus_config_log(const argus_config *cfg);

/* ARGUS_DB for log lines and messages: a password in it replaced by "(redacted)". Returns out. */
const char *argus_config_db_url_redacted(const argus_config *cfg, char *out, size_t n);

/* Splits "host:port" / "[v6]:port"; 0 on success. host gets no brackets. */
int argus_config_split_listen(const char *addr, char *host, size_t hostlen, unsigned *port);

#endif
