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

typedef struct argus_config {
    char db_url[1024];     /* ARGUS_DB as given */
    char db_path[1024];    /* the SQLite file it names */
    char grpc_listen[256]; /* "host:port"; empty when disabled ("off") */
    char otlp_http_listen[256];
    char http_listen[256];
    size_t batch_size;               /* spans + log records per transaction (a target, not a cap) */
    unsigned batch_latency_ms;       /* longest a queued request waits for its batch to fill */
    size_t queue_max_items;          /* spans + log records waiting for the writer */
    size_t queue_max_bytes;          /* decoded request payload bytes waiting for the writer */
    size_t max_message_size;         /* largest OTLP request, after decompression */
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
} argus_config;

/* Fills cfg from defaults, then env_file (may be NULL or missing), then the environment, then the
 * command line. Returns 0; 1 when --help/--version printed something and the caller should exit 0;
 * -1 with a message in err naming the offending key. */
int argus_config_load(argus_config *cfg, int argc, char **argv, const char *env_file, char *err,
                      size_t errlen);

/* Writes one "config" log line per key with its value and origin (debug level). */
void argus_config_log(const argus_config *cfg);

/* Splits "host:port" / "[v6]:port"; 0 on success. host gets no brackets. */
int argus_config_split_listen(const char *addr, char *host, size_t hostlen, unsigned *port);

#endif
