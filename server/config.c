/* argus-server configuration loading; see config.h and docs/configuration.md.
 *   argus-server --db sqlite:/var/lib/argus/argus.db --grpc-listen 0.0.0.0:4317
 *   ARGUS_BATCH_SIZE=5000 argus-server
 * Values are collected per key from the four sources in order of precedence, then each key's
 * winning value is parsed once, so an error names the key and the source that set it. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef ARGUS_VERSION
#define ARGUS_VERSION "0.1.0"
#endif

typedef enum {
    T_DB,
    T_LISTEN,
    T_COUNT,
    T_MS,
    T_SIZE,
    T_ORIGINS,
    T_LEVEL,
    T_SYNC,
    T_BOOL,
    T_AGE
} key_type;

enum {
    K_DB,
    K_GRPC_LISTEN,
    K_OTLP_HTTP_LISTEN,
    K_HTTP_LISTEN,
    K_BATCH_SIZE,
    K_BATCH_LATENCY,
    K_QUEUE_MAX_ITEMS,
    K_QUEUE_MAX_BYTES,
    K_MAX_MESSAGE_SIZE,
    K_CORS,
    K_LOG_LEVEL,
    K_SYNCHRONOUS,
    K_BUSY_TIMEOUT,
    K_SHUTDOWN_TIMEOUT,
    K_STATS_INTERVAL,
    K_INGEST_THREADS,
    K_INSIGHT_WORKER,
    K_INSIGHT_BATCH,
    K_INSIGHT_INTERVAL,
    K_RETENTION,
    NKEYS
};

typedef struct key_def {
    const char *env;  /* ARGUS_... */
    const char *flag; /* without the leading "--" */
    key_type type;
    const char *def;
    const char *help;
} key_def;

static const key_def keys[NKEYS] = {
    [K_DB] = {"ARGUS_DB", "db", T_DB, "sqlite:./data/argus.db", "database URL (sqlite:<path>)"},
    [K_GRPC_LISTEN] = {"ARGUS_GRPC_LISTEN", "grpc-listen", T_LISTEN, "127.0.0.1:4317",
                       "OTLP/gRPC address or off"},
    [K_OTLP_HTTP_LISTEN] = {"ARGUS_OTLP_HTTP_LISTEN", "otlp-http-listen", T_LISTEN,
                            "127.0.0.1:4318", "OTLP/HTTP address or off"},
    [K_HTTP_LISTEN] = {"ARGUS_HTTP_LISTEN", "http-listen", T_LISTEN, "127.0.0.1:8080",
                       "UI/API address or off"},
    [K_BATCH_SIZE] = {"ARGUS_BATCH_SIZE", "batch-size", T_COUNT, "10000",
                      "spans+logs per transaction"},
    [K_BATCH_LATENCY] = {"ARGUS_BATCH_LATENCY_MS", "batch-latency-ms", T_MS, "10",
                         "max wait to fill a batch (ms)"},
    [K_QUEUE_MAX_ITEMS] = {"ARGUS_QUEUE_MAX_ITEMS", "queue-max-items", T_COUNT, "200000",
                           "spans+logs waiting for the writer"},
    [K_QUEUE_MAX_BYTES] = {"ARGUS_QUEUE_MAX_BYTES", "queue-max-bytes", T_SIZE, "64MiB",
                           "memory of the decoded requests waiting for the writer"},
    [K_MAX_MESSAGE_SIZE] = {"ARGUS_MAX_MESSAGE_SIZE", "max-message-size", T_SIZE, "16MiB",
                            "largest OTLP request (decompressed)"},
    [K_CORS] = {"ARGUS_CORS_ALLOWED_ORIGINS", "cors-allowed-origins", T_ORIGINS, "",
                "origins allowed to POST OTLP/HTTP from browsers (comma list, *)"},
    [K_LOG_LEVEL] = {"ARGUS_LOG_LEVEL", "log-level", T_LEVEL, "info", "debug, info, warn or error"},
    [K_SYNCHRONOUS] = {"ARGUS_SQLITE_SYNCHRONOUS", "sqlite-synchronous", T_SYNC, "NORMAL",
                       "OFF, NORMAL, FULL or EXTRA"},
    [K_BUSY_TIMEOUT] = {"ARGUS_SQLITE_BUSY_TIMEOUT_MS", "sqlite-busy-timeout-ms", T_MS, "5000",
                        "wait for a locked database (ms)"},
    [K_SHUTDOWN_TIMEOUT] = {"ARGUS_SHUTDOWN_TIMEOUT_MS", "shutdown-timeout-ms", T_MS, "10000",
                            "wait for in-flight requests at shutdown (ms)"},
    [K_STATS_INTERVAL] = {"ARGUS_STATS_INTERVAL_S", "stats-interval-s", T_MS, "10",
                          "seconds between counter log lines, 0 = off"},
    [K_INGEST_THREADS] = {"ARGUS_INGEST_THREADS", "ingest-threads", T_MS, "0",
                          "decoding threads per protocol, 0 = one per CPU (min 2)"},
    [K_INSIGHT_WORKER] = {"ARGUS_INSIGHT_WORKER", "insight-worker", T_BOOL, "on",
                          "tag logs with insights and patterns in the background (on/off)"},
    [K_INSIGHT_BATCH] = {"ARGUS_INSIGHT_BATCH", "insight-batch", T_COUNT, "2000",
                         "logs per insight-tagging transaction"},
    [K_INSIGHT_INTERVAL] = {"ARGUS_INSIGHT_INTERVAL_MS", "insight-interval-ms", T_COUNT, "200",
                            "insight worker pause when idle or ingest is busy (ms)"},
    [K_RETENTION] = {"ARGUS_RETENTION", "retention", T_AGE, "7d",
                     "delete data older than this (e.g. 36h, 7d; off = keep everything)"},
};

typedef struct raw_value {
    char value[1024];
    const char *origin; /* "default", ".env", "environment", "flag" */
} raw_value;

static raw_value raw[NKEYS];

static int set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static int find_env(const char *name)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].env, name) == 0)
            return (int)i;
    return -1;
}

static int find_flag(const char *name, size_t n)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strlen(keys[i].flag) == n && strncmp(keys[i].flag, name, n) == 0)
            return (int)i;
    return -1;
}

static int put(int k, const char *value, const char *origin, char *err, size_t errlen)
{
    if (strlen(value) >= sizeof raw[k].value)
        return set_err(err, errlen, "config: %s (from %s): value too long", keys[k].env, origin);
    snprintf(raw[k].value, sizeof raw[k].value, "%s", value);
    raw[k].origin = origin;
    return 0;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    return s;
}

/* KEY=VALUE lines; '#' comments; optional "export "; values may be single- or double-quoted. */
static int load_env_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[2048];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        if (strncmp(s, "export ", 7) == 0)
            s = trim(s + 7);
        char *eq = strchr(s, '=');
        if (!eq) {
            fclose(f);
            return set_err(err, errlen, "config: %s line %d: expected KEY=VALUE", path, lineno);
        }
        *eq = 0;
        char *name = trim(s), *value = trim(eq + 1);
        size_t vn = strlen(value);
        if (vn >= 2 && (value[0] == '"' || value[0] == '\'') && value[vn - 1] == value[0]) {
            value[vn - 1] = 0;
            value++;
        } else {
            /* An unquoted value ends at " #" (inline comment). */
            char *hash = strstr(value, " #");
            if (hash) {
                *hash = 0;
                value = trim(value);
            }
        }
        int k = find_env(name);
        if (k < 0) {
            argus_log(ARGUS_LOG_WARN, "config: unknown key in .env ignored", "key=%.100s line=%d",
                      name, lineno);
            continue;
        }
        if (put(k, value, ".env", err, errlen) != 0) {
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    return 0;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: argus-server [--key value | --key=value]...\n"
                 "Receives OpenTelemetry traces and logs (OTLP/gRPC, OTLP/HTTP) and stores them.\n"
                 "Each option may also be set as an environment variable or in ./.env:\n");
    for (size_t i = 0; i < NKEYS; i++)
        fprintf(out, "  --%-24s %-30s %s (default: %s)\n", keys[i].flag, keys[i].env, keys[i].help,
                keys[i].def[0] ? keys[i].def : "empty");
    fprintf(out, "  --help, --version\nSee docs/configuration.md.\n");
}

static int parse_u64(const char *s, uint64_t *out)
{
    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

/* "1048576", "512KiB", "16MiB", "1GiB", also K/M/G/KB/MB/GB (all binary multiples). */
static int parse_size(const char *s, uint64_t *out)
{
    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return -1;
    while (*end == ' ')
        end++;
    uint64_t mul = 1;
    char unit[8] = {0};
    size_t n = strlen(end);
    if (n >= sizeof unit)
        return -1;
    for (size_t i = 0; i < n; i++)
        unit[i] = (char)tolower((unsigned char)end[i]);
    if (!unit[0] || !strcmp(unit, "b"))
        mul = 1;
    else if (!strcmp(unit, "k") || !strcmp(unit, "kb") || !strcmp(unit, "kib"))
        mul = 1024;
    else if (!strcmp(unit, "m") || !strcmp(unit, "mb") || !strcmp(unit, "mib"))
        mul = 1024 * 1024;
    else if (!strcmp(unit, "g") || !strcmp(unit, "gb") || !strcmp(unit, "gib"))
        mul = 1024ULL * 1024 * 1024;
    else
        return -1;
    if (v > UINT64_MAX / mul)
        return -1;
    *out = v * mul;
    return 0;
}

int argus_config_split_listen(const char *addr, char *host, size_t hostlen, unsigned *port)
{
    const char *colon;
    const char *h = addr;
    size_t hn;
    if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        if (!close || close[1] != ':')
            return -1;
        h = addr + 1;
        hn = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(addr, ':');
        if (!colon)
            return -1;
        hn = (size_t)(colon - addr);
        if (memchr(addr, ':', hn))
            return -1; /* a bare IPv6 address needs brackets */
    }
    if (hn == 0 || hn >= hostlen)
        return -1;
    uint64_t p;
    if (parse_u64(colon + 1, &p) != 0 || p > 65535)
        return -1;
    memcpy(host, h, hn);
    host[hn] = 0;
    *port = (unsigned)p;
    return 0;
}

static int check_origins(const char *s)
{
    /* Each entry: "*" or scheme://host[:port] without a path. */
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", s);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *t = trim(tok);
        if (!strcmp(t, "*"))
            continue;
        const char *sep = strstr(t, "://");
        if (!sep || sep == t || !sep[3] || strchr(sep + 3, '/') || strchr(t, ' '))
            return -1;
    }
    return 0;
}

static int parse_key(argus_config *cfg, size_t k, char *err, size_t errlen)
{
    const key_def *d = &keys[k];
    const char *v = raw[k].value;
    const char *origin = raw[k].origin;
    uint64_t n = 0;
#define BAD(...)                                                                                   \
    do {                                                                                           \
        char what[600];                                                                            \
        snprintf(what, sizeof what, __VA_ARGS__);                                                  \
        return set_err(err, errlen, "config: %s (from %s): %s", d->env, origin, what);             \
    } while (0)
    switch (d->type) {
    case T_DB: {
        snprintf(cfg->db_url, sizeof cfg->db_url, "%s", v);
        cfg->db_path[0] = 0;
        /* other schemes are the storage driver's to accept or refuse (server/store.c) */
        if (!strncmp(v, "mysql:", 6) || !strncmp(v, "mariadb:", 8))
            break;
        const char *path;
        if (!strncmp(v, "sqlite://", 9))
            path = v + 9;
        else if (!strncmp(v, "sqlite:", 7))
            path = v + 7;
        else
            BAD("expected sqlite:<path>, got '%.200s'", v);
        if (!*path)
            BAD("the sqlite: URL names no file");
        if (!strcmp(path, ":memory:") || !strncmp(path, "file:", 5))
            BAD("needs a file path, got '%.200s'", path);
        snprintf(cfg->db_path, sizeof cfg->db_path, "%s", path);
        break;
    }
    case T_LISTEN: {
        char *dst = k == K_GRPC_LISTEN        ? cfg->grpc_listen
                    : k == K_OTLP_HTTP_LISTEN ? cfg->otlp_http_listen
                                              : cfg->http_listen;
        if (!strcmp(v, "off")) {
            dst[0] = 0;
            break;
        }
        char host[256];
        unsigned port;
        if (argus_config_split_listen(v, host, sizeof host, &port) != 0)
            BAD("expected host:port (or [ipv6]:port, or off), got '%.200s'", v);
        snprintf(dst, 256, "%s", v);
        break;
    }
    case T_COUNT:
    case T_MS:
        if (parse_u64(v, &n) != 0 || n > UINT32_MAX || (d->type == T_COUNT && n == 0))
            BAD("expected a %s integer, got '%.200s'",
                d->type == T_COUNT ? "positive" : "non-negative", v);
        if (k == K_BATCH_SIZE)
            cfg->batch_size = (size_t)n;
        else if (k == K_BATCH_LATENCY)
            cfg->batch_latency_ms = (unsigned)n;
        else if (k == K_QUEUE_MAX_ITEMS)
            cfg->queue_max_items = (size_t)n;
        else if (k == K_BUSY_TIMEOUT)
            cfg->sqlite_busy_timeout_ms = (unsigned)n;
        else if (k == K_SHUTDOWN_TIMEOUT)
            cfg->shutdown_timeout_ms = (unsigned)n;
        else if (k == K_STATS_INTERVAL)
            cfg->stats_interval_s = (unsigned)n;
        else if (k == K_INSIGHT_BATCH) {
            if (n > 1000000)
                BAD("expected at most 1000000, got %llu", (unsigned long long)n);
            cfg->insight_batch = (size_t)n;
        } else if (k == K_INSIGHT_INTERVAL) {
            if (n > 60000)
                BAD("expected at most 60000 ms, got %llu", (unsigned long long)n);
            cfg->insight_interval_ms = (unsigned)n;
        } else if (k == K_INGEST_THREADS) {
            if (n > 256)
                BAD("expected at most 256, got %llu", (unsigned long long)n);
            cfg->ingest_threads = (unsigned)n;
        }
        if (k == K_BATCH_LATENCY && n > 60000)
            BAD("expected at most 60000 ms, got %llu", (unsigned long long)n);
        break;
    case T_AGE: {
        /* <n><s|m|h|d>, or off / 0 for no retention */
        if (!strcasecmp(v, "off") || !strcmp(v, "0")) {
            cfg->retention_s = 0;
            break;
        }
        char num[32];
        size_t len = strlen(v);
        uint64_t unit = 0;
        if (len >= 2 && len < sizeof num) {
            char u = v[len - 1];
            unit = u == 's' ? 1 : u == 'm' ? 60 : u == 'h' ? 3600 : u == 'd' ? 86400 : 0;
            memcpy(num, v, len - 1);
            num[len - 1] = 0;
        }
        if (!unit || parse_u64(num, &n) != 0 || n == 0 || n > UINT32_MAX / unit * 100)
            BAD("expected an age such as 36h or 7d (s, m, h, d), or off, got '%.200s'", v);
        cfg->retention_s = n * unit;
        break;
    }
    case T_BOOL:
        if (!strcasecmp(v, "on") || !strcasecmp(v, "true") || !strcmp(v, "1"))
            cfg->insight_worker = 1;
        else if (!strcasecmp(v, "off") || !strcasecmp(v, "false") || !strcmp(v, "0"))
            cfg->insight_worker = 0;
        else
            BAD("expected on or off, got '%.200s'", v);
        break;
    case T_SIZE:
        if (parse_size(v, &n) != 0 || n == 0)
            BAD("expected a size such as 4194304, 512KiB or 16MiB, got '%.200s'", v);
        if (k == K_QUEUE_MAX_BYTES)
            cfg->queue_max_bytes = (size_t)n;
        else {
            if (n > ((uint64_t)1 << 30))
                BAD("expected at most 1GiB, got '%.200s'", v);
            cfg->max_message_size = (size_t)n;
        }
        break;
    case T_ORIGINS:
        if (check_origins(v) != 0)
            BAD("expected comma-separated origins like https://app.example.com or *, got "
                "'%.200s'",
                v);
        snprintf(cfg->cors_allowed_origins, sizeof cfg->cors_allowed_origins, "%s", v);
        break;
    case T_LEVEL:
        if (argus_log_parse_level(v, &cfg->log_level) != 0)
            BAD("expected debug, info, warn or error, got '%.200s'", v);
        break;
    case T_SYNC: {
        static const char *const modes[] = {"OFF", "NORMAL", "FULL", "EXTRA"};
        int ok = 0;
        for (int i = 0; i < 4 && !ok; i++) {
            if (!strcasecmp(v, modes[i])) {
                snprintf(cfg->sqlite_synchronous, sizeof cfg->sqlite_synchronous, "%s", modes[i]);
                ok = 1;
            }
        }
        if (!ok)
            BAD("expected OFF, NORMAL, FULL or EXTRA, got '%.200s'", v);
        break;
    }
    }
#undef BAD
    return 0;
}

int argus_config_load(argus_config *cfg, int argc, char **argv, const char *env_file, char *err,
                      size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t k = 0; k < NKEYS; k++)
        put((int)k, keys[k].def, "default", err, errlen);
    if (env_file && load_env_file(env_file, err, errlen) != 0)
        return -1;
    for (size_t k = 0; k < NKEYS; k++) {
        const char *v = getenv(keys[k].env);
        if (v && put((int)k, v, "environment", err, errlen) != 0)
            return -1;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 1;
        }
        if (!strcmp(a, "--version")) {
            printf("argus-server %s\n", ARGUS_VERSION);
            return 1;
        }
        if (strncmp(a, "--", 2) != 0)
            return set_err(err, errlen, "config: unexpected argument '%.200s' (see --help)", a);
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t nl = eq ? (size_t)(eq - name) : strlen(name);
        int k = find_flag(name, nl);
        if (k < 0)
            return set_err(err, errlen, "config: unknown option '--%.*s' (see --help)", (int)nl,
                           name);
        const char *value;
        if (eq)
            value = eq + 1;
        else if (i + 1 < argc)
            value = argv[++i];
        else
            return set_err(err, errlen, "config: option --%s needs a value", keys[k].flag);
        if (put(k, value, "flag", err, errlen) != 0)
            return -1;
    }
    for (size_t k = 0; k < NKEYS; k++)
        if (parse_key(cfg, k, err, errlen) != 0)
            return -1;
    if (cfg->queue_max_items < cfg->batch_size)
        return set_err(err, errlen,
                       "config: ARGUS_QUEUE_MAX_ITEMS (%zu, from %s) must be at least "
                       "ARGUS_BATCH_SIZE (%zu, from %s)",
                       cfg->queue_max_items, raw[K_QUEUE_MAX_ITEMS].origin, cfg->batch_size,
                       raw[K_BATCH_SIZE].origin);
    return 0;
}

void argus_config_log(const argus_config *cfg)
{
    (void)cfg;
    for (size_t k = 0; k < NKEYS; k++) {
        char q[1100];
        argus_log(ARGUS_LOG_DEBUG, "config", "key=%s value=%s origin=%s", keys[k].env,
                  argus_log_quote(q, sizeof q, raw[k].value), raw[k].origin);
    }
}
