/* argus-server configuration loading; see config.h and docs/configuration.md.
 *   argus-server --db sqlite:/var/lib/argus/argus.db --grpc-listen 0.0.0.0:4317
 *   ARGUS_BATCH_SIZE=5000 ARGUS_RETENTION=30d argus-server
 * Values are collected per key from the four sources in order of precedence, then each key's
 * winning value is parsed once, so an error names the key and the source that set it.
 *
 * Adding a key is one row in keys[] below:
 *   {"ARGUS_SSE_MAX_CLIENTS", T_COUNT, "64", F(sse_max_clients), 1, 10000, 0,
 *    "live-tail clients at once"},
 * plus the field in argus_config (config.h), a line in docs/configuration.md and .env.example
 * (tests/server/config.mjs checks both). The row gives the environment name (the flag is that
 * name without ARGUS_, in lower case with dashes: --sse-max-clients), the type, the default as
 * text, the field (offset and size, F()), the limits (min, max, in the field's unit) and for
 * durations the field's unit in ms. Types:
 *   T_COUNT     integer; field unsigned or size_t
 *   T_DURATION  "250ms", "5s", "2m", "36h", "7d"; a bare number is in the field's unit (unit ms
 *               per field unit: 1 for *_ms fields, 1000 for *_s fields); "off" = 0 when min is 0
 *   T_SIZE      "1048576", "512KiB", "16MiB", "1GiB" (K/KB/KiB... all binary); field size_t
 *   T_BOOL      on/off, true/false, 1/0; field int
 *   T_STRING    copied as is; T_SECRET the same, never logged
 *   T_LISTEN    "host:port", "[v6]:port" or off (empty field)
 *   T_CHOICE    one of choices (stored as written in choices)
 *   T_LEVEL, T_ORIGINS, T_DB: the log level, the CORS origin list and the database URL */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef ARGUS_VERSION
#define ARGUS_VERSION "0.1.0"
#endif

typedef enum {
    T_COUNT,
    T_DURATION,
    T_SIZE,
    T_BOOL,
    T_STRING,
    T_SECRET,
    T_LISTEN,
    T_CHOICE,
    T_LEVEL,
    T_ORIGINS,
    T_DB
} key_type;

typedef struct key_def {
    const char *env; /* ARGUS_...; the flag is derived from it (flag_of) */
    key_type type;
    const char *def;
    size_t offset, size; /* the argus_config field */
    uint64_t min, max;   /* limits in the field's unit (numbers, durations, sizes) */
    unsigned unit_ms;    /* durations: milliseconds per unit of the field */
    const char *help;
    const char *const *choices; /* T_CHOICE: NULL-terminated */
} key_def;

#define F(field) offsetof(argus_config, field), sizeof(((argus_config *)0)->field)
#define MS 1
#define SEC 1000

static const char *const sync_modes[] = {"OFF", "NORMAL", "FULL", "EXTRA", NULL};

/* Rows may leave out the trailing choices (NULL). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
/* clang-format off */
static const key_def keys[] = {
    {"ARGUS_DB", T_DB, "sqlite:./data/argus.db", F(db_url), 0, 0, 0,
     "database URL: sqlite:<path> or mysql://user@host:port/database"},
    {"ARGUS_DB_PASSWORD", T_SECRET, "", F(db_password), 0, 0, 0,
     "MySQL password (prefer the environment or ARGUS_DB_PASSWORD_FILE)"},
    {"ARGUS_DB_PASSWORD_FILE", T_STRING, "", F(db_password_file), 0, 0, 0,
     "file whose first line is the MySQL password"},
    {"ARGUS_GRPC_LISTEN", T_LISTEN, "127.0.0.1:4317", F(grpc_listen), 0, 0, 0,
     "OTLP/gRPC address or off"},
    {"ARGUS_OTLP_HTTP_LISTEN", T_LISTEN, "127.0.0.1:4318", F(otlp_http_listen), 0, 0, 0,
     "OTLP/HTTP address or off"},
    {"ARGUS_HTTP_LISTEN", T_LISTEN, "127.0.0.1:8080", F(http_listen), 0, 0, 0,
     "UI/API address or off"},
    {"ARGUS_BATCH_SIZE", T_COUNT, "10000", F(batch_size), 1, UINT32_MAX, 0,
     "spans+logs per transaction"},
    {"ARGUS_BATCH_LATENCY_MS", T_DURATION, "10ms", F(batch_latency_ms), 0, 60000, MS,
     "max wait to fill a batch"},
    {"ARGUS_QUEUE_MAX_ITEMS", T_COUNT, "200000", F(queue_max_items), 1, UINT32_MAX, 0,
     "spans+logs waiting for the writer"},
    {"ARGUS_QUEUE_MAX_BYTES", T_SIZE, "64MiB", F(queue_max_bytes), 1, UINT64_MAX, 0,
     "memory of the decoded requests waiting for the writer"},
    {"ARGUS_MAX_MESSAGE_SIZE", T_SIZE, "16MiB", F(max_message_size), 1, 1ULL << 30, 0,
     "largest OTLP request (decompressed)"},
    {"ARGUS_MEMORY_LIMIT", T_SIZE, "256MiB", F(memory_limit), 16ULL << 20, UINT64_MAX, 0,
     "memory held for OTLP requests: decoding, decoded and queued"},
    {"ARGUS_CORS_ALLOWED_ORIGINS", T_ORIGINS, "", F(cors_allowed_origins), 0, 0, 0,
     "origins allowed to POST OTLP/HTTP from browsers (comma list, *)"},
    {"ARGUS_LOG_LEVEL", T_LEVEL, "info", F(log_level), 0, 0, 0, "debug, info, warn or error"},
    {"ARGUS_SQLITE_SYNCHRONOUS", T_CHOICE, "NORMAL", F(sqlite_synchronous), 0, 0, 0,
     "OFF, NORMAL, FULL or EXTRA", sync_modes},
    {"ARGUS_SQLITE_BUSY_TIMEOUT_MS", T_DURATION, "5s", F(sqlite_busy_timeout_ms), 0, 3600000, MS,
     "wait for a locked database"},
    {"ARGUS_SHUTDOWN_TIMEOUT_MS", T_DURATION, "10s", F(shutdown_timeout_ms), 0, 3600000, MS,
     "wait for in-flight requests at shutdown"},
    {"ARGUS_STATS_INTERVAL_S", T_DURATION, "10s", F(stats_interval_s), 0, 86400, SEC,
     "between counter log lines, 0 = off"},
    {"ARGUS_INGEST_THREADS", T_COUNT, "0", F(ingest_threads), 0, 256, 0,
     "decoding threads per protocol, 0 = one per CPU (min 2)"},
    {"ARGUS_INSIGHT_WORKER", T_BOOL, "on", F(insight_worker), 0, 0, 0,
     "tag logs with insights and patterns in the background (on/off)"},
    {"ARGUS_INSIGHT_BATCH", T_COUNT, "2000", F(insight_batch), 1, 1000000, 0,
     "logs per insight-tagging transaction"},
    {"ARGUS_INSIGHT_INTERVAL_MS", T_DURATION, "200ms", F(insight_interval_ms), 1, 60000, MS,
     "insight worker pause when idle or ingest is busy"},
    {"ARGUS_RETENTION", T_DURATION, "7d", F(retention_s), 0, 100ULL * 365 * 86400, SEC,
     "delete data older than this (e.g. 36h, 7d; off = keep everything)"},
    {"ARGUS_HTTP_THREADS", T_COUNT, "2", F(http_threads), 1, 256, 0, "API listener worker threads"},
    {"ARGUS_HTTP_MAX_BODY", T_SIZE, "1MiB", F(http_max_body), 1, 1ULL << 30, 0,
     "largest API request body"},
    {"ARGUS_HTTP_MAX_CONNECTIONS", T_COUNT, "4096", F(http_max_connections), 16, 1000000, 0,
     "connections per HTTP listener (capped by the open-file limit)"},
    {"ARGUS_HTTP_MAX_CONNECTIONS_PER_ADDRESS", T_COUNT, "1024", F(http_max_per_address), 1, 1000000,
     0, "connections from one client address per HTTP listener"},
    {"ARGUS_GRPC_MAX_CONNECTIONS", T_COUNT, "4096", F(grpc_max_connections), 16, 1000000, 0,
     "connections to the gRPC listener (capped by the open-file limit)"},
    {"ARGUS_GRPC_MAX_CONNECTIONS_PER_ADDRESS", T_COUNT, "1024", F(grpc_max_per_address), 1, 1000000,
     0, "connections from one client address to the gRPC listener"},
    {"ARGUS_HTTP_HEADER_TIMEOUT", T_DURATION, "10s", F(http_header_timeout_ms), 100, 3600000, MS,
     "time for a new connection to send its headers"},
    {"ARGUS_HTTP_BODY_TIMEOUT", T_DURATION, "60s", F(http_body_timeout_ms), 100, 3600000, MS,
     "time for a request body to arrive"},
    {"ARGUS_HTTP_IDLE_TIMEOUT", T_DURATION, "60s", F(http_idle_timeout_ms), 100, 3600000, MS,
     "kept-alive connection without a request"},
    {"ARGUS_HTTP_MIN_RATE", T_SIZE, "1KiB", F(http_min_rate), 1, 1ULL << 30, 0,
     "slowest request body accepted, bytes per second (after 5 s)"},
    /* REST API (api.h, docs/lua.md) */
    {"ARGUS_LUA_DIR", T_STRING, "", F(api.lua_dir), 0, 0, 0,
     "directory of Lua route files adding or overriding API routes (reloaded on change)"},
    {"ARGUS_API_WORKERS", T_COUNT, "0", F(api.workers), 0, 256, 0,
     "threads running API handlers, 0 = one per CPU (min 2)"},
    {"ARGUS_API_QUEUE", T_COUNT, "64", F(api.queue), 1, 100000, 0,
     "API requests waiting for a worker before 503"},
    {"ARGUS_LUA_MEMORY", T_SIZE, "64MiB", F(api.lua_memory), 1ULL << 20, 16ULL << 30, 0,
     "memory cap of each API worker's Lua state"},
    {"ARGUS_LUA_INSTRUCTIONS", T_COUNT, "100000000", F(api.lua_instructions), 1000, 1ULL << 40, 0,
     "Lua instructions one API request may run"},
    {"ARGUS_SQL_TIMEOUT_MS", T_DURATION, "10s", F(api.sql_timeout_ms), 1, 3600000, MS,
     "longest an API SQL statement may run"},
    {"ARGUS_SSE_MAX_CLIENTS", T_COUNT, "256", F(api.sse_max_clients), 1, 100000, 0,
     "live-tail (/api/logs/stream) clients at once; more get 503"},
    {"ARGUS_SSE_KEEPALIVE_MS", T_DURATION, "15s", F(api.sse_keepalive_ms), 100, 3600000, MS,
     "keep-alive comment period of live-tail streams"},
};
/* clang-format on */
#pragma GCC diagnostic pop

#define NKEYS (sizeof keys / sizeof keys[0])
_Static_assert(NKEYS <= ARGUS_CONFIG_MAX_KEYS, "raise ARGUS_CONFIG_MAX_KEYS");

static const char *const origins[] = {"default", ".env", "environment", "flag"};
enum { O_DEFAULT, O_DOTENV, O_ENV, O_FLAG };

typedef struct raw_value {
    char value[1024];
    unsigned char origin;
} raw_value;

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

/* The command-line flag of a key, without the leading "--": its environment name less "ARGUS_",
 * in lower case with dashes (ARGUS_HTTP_MAX_BODY -> http-max-body). */
#define FLAG_MAX 64
static void flag_of(const key_def *d, char out[FLAG_MAX])
{
    size_t n = 0;
    for (const char *c = d->env + strlen("ARGUS_"); *c && n + 1 < FLAG_MAX; c++)
        out[n++] = *c == '_' ? '-' : (char)tolower((unsigned char)*c);
    out[n] = 0;
}

static int find_env(const char *name)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].env, name) == 0)
            return (int)i;
    return -1;
}

static int put(raw_value *raw, int k, const char *value, unsigned char origin, char *err,
               size_t errlen)
{
    if (strlen(value) >= sizeof raw[k].value)
        return set_err(err, errlen, "config: %s (from %s): value too long", keys[k].env,
                       origins[origin]);
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
static int load_env_file(raw_value *raw, const char *path, char *err, size_t errlen)
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
        if (put(raw, k, value, O_DOTENV, err, errlen) != 0) {
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
                 "Receives OpenTelemetry traces and logs (OTLP/gRPC, OTLP/HTTP), stores them and "
                 "serves the API and UI.\n"
                 "Each option may also be set as an environment variable or in ./.env:\n");
    for (size_t i = 0; i < NKEYS; i++) {
        char flag[FLAG_MAX];
        flag_of(&keys[i], flag);
        fprintf(out, "  --%-24s %-30s %s (default: %s)\n", flag, keys[i].env, keys[i].help,
                keys[i].def[0] ? keys[i].def : "empty");
    }
    fprintf(out, "  --help, --version\nSee docs/configuration.md.\n");
}

/* ---- value parsers ---------------------------------------------------------------------------
 */
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

/* A number followed by one of units (lower-cased, "" for none); returns the multiplier's index
 * in units or -1. */
static int number_with_unit(const char *s, const char *const *units, size_t nunits, uint64_t *v)
{
    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    unsigned long long n = strtoull(s, &end, 10);
    if (errno)
        return -1;
    while (*end == ' ')
        end++;
    char unit[8] = {0};
    size_t len = strlen(end);
    if (len >= sizeof unit)
        return -1;
    for (size_t i = 0; i < len; i++)
        unit[i] = (char)tolower((unsigned char)end[i]);
    for (size_t i = 0; i < nunits; i++)
        if (!strcmp(unit, units[i])) {
            *v = n;
            return (int)i;
        }
    return -1;
}

/* "1048576", "512KiB", "16MiB", "1GiB", also K/M/G/KB/MB/GB (all binary multiples). */
static int parse_size(const char *s, uint64_t *out)
{
    static const char *const units[] = {"",   "b",   "k", "kb", "kib", "m",
                                        "mb", "mib", "g", "gb", "gib"};
    static const uint64_t mul[] = {1,          1,          1ULL << 10, 1ULL << 10,
                                   1ULL << 10, 1ULL << 20, 1ULL << 20, 1ULL << 20,
                                   1ULL << 30, 1ULL << 30, 1ULL << 30};
    uint64_t v;
    int u = number_with_unit(s, units, sizeof units / sizeof units[0], &v);
    if (u < 0 || v > UINT64_MAX / mul[u])
        return -1;
    *out = v * mul[u];
    return 0;
}

/* "250ms", "5s", "2m", "36h", "7d" -> ms; a bare number counts unit_ms each. */
static int parse_duration_ms(const char *s, unsigned unit_ms, uint64_t *out)
{
    static const char *const units[] = {"", "ms", "s", "m", "h", "d"};
    const uint64_t mul[] = {unit_ms, 1, 1000, 60000, 3600000, 86400000};
    uint64_t v;
    int u = number_with_unit(s, units, sizeof units / sizeof units[0], &v);
    if (u < 0 || v > UINT64_MAX / mul[u])
        return -1;
    *out = v * mul[u];
    return 0;
}

/* Writes ms with the largest unit that divides it exactly ("7d", "90s", "250ms"). */
static void format_duration(char *out, size_t n, uint64_t ms)
{
    static const struct {
        uint64_t ms;
        const char *unit;
    } units[] = {{86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}};
    for (size_t i = 0; ms && i < sizeof units / sizeof units[0]; i++)
        if (ms % units[i].ms == 0) {
            snprintf(out, n, "%llu%s", (unsigned long long)(ms / units[i].ms), units[i].unit);
            return;
        }
    snprintf(out, n, "%llu%s", (unsigned long long)ms, ms ? "ms" : "");
}

static void format_size(char *out, size_t n, uint64_t v)
{
    static const struct {
        uint64_t mul;
        const char *unit;
    } units[] = {{1ULL << 30, "GiB"}, {1ULL << 20, "MiB"}, {1ULL << 10, "KiB"}};
    for (size_t i = 0; v && i < sizeof units / sizeof units[0]; i++)
        if (v % units[i].mul == 0) {
            snprintf(out, n, "%llu%s", (unsigned long long)(v / units[i].mul), units[i].unit);
            return;
        }
    snprintf(out, n, "%llu", (unsigned long long)v);
}

/* ARGUS_DB with the password of user:password@ replaced. */
/* The '@' ending user[:password]@ of a URL's authority (the last one before the path, so a
 * password holding '@' is covered), or NULL. */
static const char *userinfo_end(const char *authority)
{
    size_t n = strcspn(authority, "/?");
    return memrchr(authority, '@', n);
}

static void redact_url(char *out, size_t n, const char *url)
{
    const char *p = strstr(url, "://");
    const char *at = p ? userinfo_end(p + 3) : NULL;
    const char *colon = at ? memchr(p + 3, ':', (size_t)(at - p - 3)) : NULL;
    if (!colon) {
        snprintf(out, n, "%s", url);
        return;
    }
    snprintf(out, n, "%.*s:(redacted)%s", (int)(colon - url), url, at);
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

/* Copies s into dst (size cap); -1 when it does not fit. */
static int copy_str(char *dst, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (n >= cap)
        return -1;
    memcpy(dst, s, n + 1);
    return 0;
}

static int check_origins(const char *s)
{
    /* Each entry: "*" or scheme://host[:port] without a path. */
    char buf[1024];
    if (copy_str(buf, sizeof buf, s) != 0)
        return -1;
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

/* Copies s[0..n) into dst (size cap), percent-decoded; -1 when it does not fit or is malformed. */
static int copy_decoded(char *dst, size_t cap, const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            if (n - i < 3 || !isxdigit((unsigned char)s[i + 1]) ||
                !isxdigit((unsigned char)s[i + 2]))
                return -1;
            char hex[3] = {s[i + 1], s[i + 2], 0};
            c = (char)strtol(hex, NULL, 16);
            if (!c)
                return -1;
            i += 2;
        }
        if (o + 1 >= cap)
            return -1;
        dst[o++] = c;
    }
    dst[o] = 0;
    return 0;
}

/* mysql://user[:password]@host[:port]/database[?socket=/path] (also mariadb://); a socket may
 * stand for the host: mysql://user@/database?socket=/run/mysqld/mysqld.sock. */
static int parse_mysql_url(argus_config *cfg, const char *url, char *why, size_t n)
{
    const char *p = strstr(url, "://") + 3;
    const char *at = userinfo_end(p), *slash;
    if (!at)
        return snprintf(why, n, "expected mysql://user@host:port/database, got no user"), -1;
    const char *colon = memchr(p, ':', (size_t)(at - p));
    size_t user_len = colon ? (size_t)(colon - p) : (size_t)(at - p);
    if (!user_len || copy_decoded(cfg->db_user, sizeof cfg->db_user, p, user_len) != 0)
        return snprintf(why, n, "expected mysql://user@host:port/database, got a bad user"), -1;
    if (colon && copy_decoded(cfg->db_password, sizeof cfg->db_password, colon + 1,
                              (size_t)(at - colon - 1)) != 0)
        return snprintf(why, n, "the password in the URL is malformed"), -1;
    const char *hp = at + 1;
    slash = strchr(hp, '/');
    if (!slash)
        return snprintf(why, n, "expected mysql://user@host:port/database, got no database"), -1;
    size_t hl = (size_t)(slash - hp);
    const char *pc = memchr(hp, ':', hl);
    if (hp[0] == '[') { /* [v6]:port */
        const char *close = memchr(hp, ']', hl);
        pc = close && close + 1 < slash && close[1] == ':' ? close + 1 : NULL;
        if (!close || (close + 1 != slash && !pc))
            return snprintf(why, n, "bad IPv6 host in the URL"), -1;
        if (copy_decoded(cfg->db_host, sizeof cfg->db_host, hp + 1, (size_t)(close - hp - 1)))
            return snprintf(why, n, "bad host in the URL"), -1;
    } else if (copy_decoded(cfg->db_host, sizeof cfg->db_host, hp, pc ? (size_t)(pc - hp) : hl) !=
               0)
        return snprintf(why, n, "bad host in the URL"), -1;
    cfg->db_port = 3306;
    if (pc) {
        char port[8];
        size_t pl = (size_t)(slash - pc - 1);
        uint64_t v;
        if (pl == 0 || pl >= sizeof port)
            return snprintf(why, n, "bad port in the URL"), -1;
        memcpy(port, pc + 1, pl);
        port[pl] = 0;
        if (parse_u64(port, &v) != 0 || v == 0 || v > 65535)
            return snprintf(why, n, "bad port in the URL"), -1;
        cfg->db_port = (unsigned)v;
    }
    const char *db = slash + 1, *q = strchr(db, '?');
    size_t dl = q ? (size_t)(q - db) : strlen(db);
    if (!dl || copy_decoded(cfg->db_name, sizeof cfg->db_name, db, dl) != 0)
        return snprintf(why, n, "expected mysql://user@host:port/database, got no database"), -1;
    for (const char *a = q ? q + 1 : NULL; a && *a;) {
        const char *end = strchr(a, '&');
        size_t al = end ? (size_t)(end - a) : strlen(a);
        if (al > 7 && !strncmp(a, "socket=", 7)) {
            if (copy_decoded(cfg->db_socket, sizeof cfg->db_socket, a + 7, al - 7) != 0)
                return snprintf(why, n, "bad socket path in the URL"), -1;
        } else
            return snprintf(why, n, "unknown URL parameter '%.*s' (only socket=)", (int)al, a), -1;
        a = end ? end + 1 : NULL;
    }
    if (!cfg->db_host[0] && !cfg->db_socket[0])
        return snprintf(why, n, "expected a host or ?socket=/path"), -1;
    return 0;
}

static int parse_db(argus_config *cfg, const char *v, char *why, size_t n)
{
    if (copy_str(cfg->db_url, sizeof cfg->db_url, v) != 0)
        return snprintf(why, n, "longer than %zu bytes", sizeof cfg->db_url - 1), -1;
    cfg->db_path[0] = 0;
    if (!strncmp(v, "mysql://", 8) || !strncmp(v, "mariadb://", 10)) {
        snprintf(cfg->db_scheme, sizeof cfg->db_scheme, "mysql");
        return parse_mysql_url(cfg, v, why, n);
    }
    const char *path;
    if (!strncmp(v, "sqlite://", 9))
        path = v + 9;
    else if (!strncmp(v, "sqlite:", 7))
        path = v + 7;
    else
        return snprintf(why, n,
                        "expected sqlite:<path> or mysql://user@host:port/database, got '%.200s'",
                        v),
               -1;
    snprintf(cfg->db_scheme, sizeof cfg->db_scheme, "sqlite");
    if (!*path)
        return snprintf(why, n, "the sqlite: URL names no file"), -1;
    if (!strcmp(path, ":memory:") || !strncmp(path, "file:", 5))
        return snprintf(why, n, "needs a file path, got '%.200s'", path), -1;
    snprintf(cfg->db_path, sizeof cfg->db_path, "%s", path);
    return 0;
}

static void store_uint(argus_config *cfg, const key_def *d, uint64_t v)
{
    char *field = (char *)cfg + d->offset;
    if (d->size == sizeof(uint64_t)) {
        uint64_t x = v;
        memcpy(field, &x, sizeof x);
    } else {
        unsigned x = (unsigned)v;
        memcpy(field, &x, sizeof x);
    }
}

static uint64_t load_uint(const argus_config *cfg, const key_def *d)
{
    const char *field = (const char *)cfg + d->offset;
    if (d->size == sizeof(uint64_t)) {
        uint64_t x;
        memcpy(&x, field, sizeof x);
        return x;
    }
    unsigned x;
    memcpy(&x, field, sizeof x);
    return x;
}

static int parse_key(argus_config *cfg, size_t k, const raw_value *raw, char *err, size_t errlen)
{
    const key_def *d = &keys[k];
    const char *v = raw[k].value;
    char *field = (char *)cfg + d->offset;
    char why[600] = "";
    uint64_t n = 0;
#define BAD(...)                                                                                   \
    do {                                                                                           \
        snprintf(why, sizeof why, __VA_ARGS__);                                                    \
        goto bad;                                                                                  \
    } while (0)
    switch (d->type) {
    case T_COUNT:
        if (parse_u64(v, &n) != 0)
            BAD("expected a %s integer, got '%.200s'", d->min ? "positive" : "non-negative", v);
        if (n < d->min || n > d->max)
            BAD("expected %llu to %llu, got %llu", (unsigned long long)d->min,
                (unsigned long long)d->max, (unsigned long long)n);
        store_uint(cfg, d, n);
        break;
    case T_DURATION: {
        char lo[32], hi[32];
        format_duration(lo, sizeof lo, d->min * d->unit_ms);
        format_duration(hi, sizeof hi, d->max * d->unit_ms);
        if (d->min == 0 && !strcasecmp(v, "off"))
            n = 0;
        else if (parse_duration_ms(v, d->unit_ms, &n) != 0)
            BAD("expected a duration such as 250ms, 5s, 2m, 36h or 7d%s, got '%.200s'",
                d->min == 0 ? " (or off)" : "", v);
        if (n % d->unit_ms)
            BAD("expected whole %s, got '%.200s'", d->unit_ms == 1000 ? "seconds" : "units", v);
        n /= d->unit_ms;
        if (n < d->min || n > d->max)
            BAD("expected %s to %s, got '%.200s'", d->min ? lo : "0", hi, v);
        store_uint(cfg, d, n);
        break;
    }
    case T_SIZE: {
        char lo[32], hi[32];
        format_size(lo, sizeof lo, d->min);
        format_size(hi, sizeof hi, d->max);
        if (parse_size(v, &n) != 0 || n == 0)
            BAD("expected a size such as 4194304, 512KiB or 16MiB, got '%.200s'", v);
        if (n < d->min || n > d->max)
            BAD("expected %s to %s, got '%.200s'", lo, hi, v);
        size_t x = (size_t)n;
        memcpy(field, &x, sizeof x);
        break;
    }
    case T_BOOL: {
        int on;
        if (!strcasecmp(v, "on") || !strcasecmp(v, "true") || !strcmp(v, "1"))
            on = 1;
        else if (!strcasecmp(v, "off") || !strcasecmp(v, "false") || !strcmp(v, "0"))
            on = 0;
        else
            BAD("expected on or off, got '%.200s'", v);
        memcpy(field, &on, sizeof on);
        break;
    }
    case T_STRING:
    case T_SECRET:
        if (strlen(v) >= d->size)
            BAD("longer than %zu bytes", d->size - 1);
        if (!(d->type == T_SECRET && !v[0] && field[0])) /* keep a URL's password */
            snprintf(field, d->size, "%s", v);
        break;
    case T_LISTEN: {
        if (!strcmp(v, "off")) {
            field[0] = 0;
            break;
        }
        char host[256];
        unsigned port;
        if (argus_config_split_listen(v, host, sizeof host, &port) != 0 || strlen(v) >= d->size)
            BAD("expected host:port (or [ipv6]:port, or off), got '%.200s'", v);
        snprintf(field, d->size, "%s", v);
        break;
    }
    case T_CHOICE: {
        const char *const *c = d->choices;
        while (*c && strcasecmp(v, *c))
            c++;
        if (!*c)
            BAD("expected %s, got '%.200s'", d->help, v);
        snprintf(field, d->size, "%s", *c);
        break;
    }
    case T_LEVEL: {
        argus_log_level level;
        if (argus_log_parse_level(v, &level) != 0)
            BAD("expected debug, info, warn or error, got '%.200s'", v);
        memcpy(field, &level, sizeof level);
        break;
    }
    case T_ORIGINS:
        if (check_origins(v) != 0 || strlen(v) >= d->size)
            BAD("expected comma-separated origins like https://app.example.com or *, got "
                "'%.200s'",
                v);
        snprintf(field, d->size, "%s", v);
        break;
    case T_DB:
        if (parse_db(cfg, v, why, sizeof why) != 0)
            goto bad;
        break;
    }
#undef BAD
    cfg->origin[k] = raw[k].origin;
    return 0;
bad:
    return set_err(err, errlen, "config: %s (from %s): %s", d->env, origins[raw[k].origin], why);
}

/* The command line through getopt_long: --key value, --key=value, -h/--help, --version. */
static int parse_flags(raw_value *raw, int argc, char **argv, char *err, size_t errlen)
{
    enum { OPT_HELP = 'h', OPT_VERSION = 1, OPT_KEY = 1000 };
    struct option opts[NKEYS + 3];
    char flags[NKEYS][FLAG_MAX];
    for (size_t i = 0; i < NKEYS; i++) {
        flag_of(&keys[i], flags[i]);
        opts[i] = (struct option){flags[i], required_argument, NULL, OPT_KEY + (int)i};
    }
    opts[NKEYS] = (struct option){"help", no_argument, NULL, OPT_HELP};
    opts[NKEYS + 1] = (struct option){"version", no_argument, NULL, OPT_VERSION};
    opts[NKEYS + 2] = (struct option){NULL, 0, NULL, 0};
    optind = 0; /* a full reset (glibc): argus_config_load may run more than once */
    opterr = 0;
    for (;;) {
        int prev = optind ? optind : 1;
        int c = getopt_long(argc, argv, "+:h", opts, NULL);
        if (c == -1)
            break;
        if (c == OPT_HELP) {
            usage(stdout);
            return 1;
        }
        if (c == OPT_VERSION) {
            printf("argus-server %s\n", ARGUS_VERSION);
            return 1;
        }
        const char *arg = argv[prev < argc ? prev : argc - 1];
        int an = (int)strcspn(arg, "=");
        if (c == '?')
            return set_err(err, errlen,
                           "config: unknown option '%.*s' (or an ambiguous abbreviation; see "
                           "--help)",
                           an, arg);
        if (c == ':')
            return set_err(err, errlen, "config: option %.*s needs a value", an, arg);
        if (put(raw, c - OPT_KEY, optarg, O_FLAG, err, errlen) != 0)
            return -1;
    }
    if (optind < argc)
        return set_err(err, errlen, "config: unexpected argument '%.200s' (see --help)",
                       argv[optind]);
    return 0;
}

static int key_index(const char *env)
{
    int k = find_env(env);
    return k < 0 ? 0 : k;
}

/* Every key's default as its raw value; cfg cleared. */
static void put_defaults(argus_config *cfg, raw_value *raw)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t k = 0; k < NKEYS; k++)
        put(raw, (int)k, keys[k].def, O_DEFAULT, NULL, 0);
}

void argus_config_defaults(argus_config *cfg)
{
    raw_value raw[NKEYS];
    put_defaults(cfg, raw);
    for (size_t k = 0; k < NKEYS; k++)
        parse_key(cfg, k, raw, NULL, 0); /* the defaults parse (tests/server/config.mjs) */
}

int argus_config_load(argus_config *cfg, int argc, char **argv, const char *env_file, char *err,
                      size_t errlen)
{
    static raw_value raw[NKEYS];
    put_defaults(cfg, raw);
    if (env_file && load_env_file(raw, env_file, err, errlen) != 0)
        return -1;
    for (size_t k = 0; k < NKEYS; k++) {
        const char *v = getenv(keys[k].env);
        if (v && put(raw, (int)k, v, O_ENV, err, errlen) != 0)
            return -1;
    }
    int rc = parse_flags(raw, argc, argv, err, errlen);
    if (rc != 0)
        return rc;
    for (size_t k = 0; k < NKEYS; k++)
        if (parse_key(cfg, k, raw, err, errlen) != 0)
            return -1;
    if (cfg->queue_max_items < cfg->batch_size)
        return set_err(err, errlen,
                       "config: ARGUS_QUEUE_MAX_ITEMS (%zu, from %s) must be at least "
                       "ARGUS_BATCH_SIZE (%zu, from %s)",
                       cfg->queue_max_items,
                       origins[cfg->origin[key_index("ARGUS_QUEUE_MAX_ITEMS")]], cfg->batch_size,
                       origins[cfg->origin[key_index("ARGUS_BATCH_SIZE")]]);
    if (cfg->db_password_file[0] && cfg->origin[key_index("ARGUS_DB_PASSWORD")] == O_DEFAULT) {
        int k = key_index("ARGUS_DB_PASSWORD_FILE");
        FILE *f = fopen(cfg->db_password_file, "r");
        if (!f)
            return set_err(err, errlen, "config: ARGUS_DB_PASSWORD_FILE (from %s): cannot read %s",
                           origins[cfg->origin[k]], cfg->db_password_file);
        char line[sizeof cfg->db_password + 2];
        if (!fgets(line, sizeof line, f))
            line[0] = 0;
        fclose(f);
        line[strcspn(line, "\r\n")] = 0;
        if (strlen(line) >= sizeof cfg->db_password)
            return set_err(err, errlen, "config: ARGUS_DB_PASSWORD_FILE (from %s): too long",
                           origins[cfg->origin[k]]);
        snprintf(cfg->db_password, sizeof cfg->db_password, "%s", line);
    }
    return 0;
}

const char *argus_config_db_url_redacted(const argus_config *cfg, char *out, size_t n)
{
    redact_url(out, n, cfg->db_url);
    return out;
}

void argus_config_log(const argus_config *cfg)
{
    for (size_t k = 0; k < NKEYS; k++) {
        const key_def *d = &keys[k];
        const char *field = (const char *)cfg + d->offset;
        char v[1100], q[1200];
        switch (d->type) {
        case T_COUNT: snprintf(v, sizeof v, "%llu", (unsigned long long)load_uint(cfg, d)); break;
        case T_DURATION: format_duration(v, sizeof v, load_uint(cfg, d) * d->unit_ms); break;
        case T_SIZE: {
            size_t x;
            memcpy(&x, field, sizeof x);
            format_size(v, sizeof v, x);
            break;
        }
        case T_BOOL: {
            int on;
            memcpy(&on, field, sizeof on);
            snprintf(v, sizeof v, "%s", on ? "on" : "off");
            break;
        }
        case T_SECRET: snprintf(v, sizeof v, "%s", field[0] ? "(redacted)" : ""); break;
        case T_LISTEN: snprintf(v, sizeof v, "%s", field[0] ? field : "off"); break;
        case T_LEVEL: {
            static const char *const names[] = {"debug", "info", "warn", "error"};
            argus_log_level level;
            memcpy(&level, field, sizeof level);
            snprintf(v, sizeof v, "%s", (unsigned)level < 4 ? names[level] : "?");
            break;
        }
        case T_DB: redact_url(v, sizeof v, cfg->db_url); break;
        default: snprintf(v, sizeof v, "%s", field);
        }
        argus_log(ARGUS_LOG_DEBUG, "config", "key=%s value=%s origin=%s", d->env,
                  argus_log_quote(q, sizeof q, v), origins[cfg->origin[k]]);
    }
}
