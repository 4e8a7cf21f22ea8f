/* Server logging: one event per line on stderr, "ts level msg key=value ...", e.g.
 *   2024-05-01T12:00:00.123Z info listening addr=127.0.0.1:4317 proto=grpc
 *   argus_log(ARGUS_LOG_INFO, "listening", "addr=%s proto=%s", addr, "grpc");
 * Thread-safe and never blocks on stderr: lines go through a bounded buffer written by a log
 * thread; when stderr is not read, lines beyond the buffer are dropped, counted (log_dropped in
 * the stats line) and reported by a "log lines dropped count=N" line once stderr moves again.
 * Lines below the configured level are skipped before any formatting. */
#ifndef ARGUS_LOG_H
#define ARGUS_LOG_H

typedef enum argus_log_level {
    ARGUS_LOG_DEBUG = 0,
    ARGUS_LOG_INFO = 1,
    ARGUS_LOG_WARN = 2,
    ARGUS_LOG_ERROR = 3,
} argus_log_level;

/* Sets the minimum level written (default info). */
void argus_log_set_level(argus_log_level level);
/* Parses "debug", "info", "warn"/"warning", "error"; 0 on success, -1 if unknown. */
int argus_log_parse_level(const char *s, argus_log_level *out);
int argus_log_enabled(argus_log_level level);

/* Writes one line: msg, then the printf-formatted key=value pairs (may be NULL). Values that may
 * contain spaces should be formatted with argus_log_quote(). */
void argus_log(argus_log_level level, const char *msg, const char *kv_fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copies s into out (size n) as a log value: bare when it has no space, quote, '=' or control
 * character, else double-quoted with \" \\ \n escapes. Returns out. */
const char *argus_log_quote(char *out, unsigned n, const char *s);

#endif
