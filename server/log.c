/* Server logging to stderr, one event per line; see log.h.
 *   argus_log(ARGUS_LOG_WARN, "batch failed", "error=%s", argus_log_quote(q, sizeof q, msg));
 * The whole line is formatted into a stack buffer and written with a single write() so lines
 * from different threads never interleave. */
#include "log.h"
#include "thread.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static atomic_int min_level = ARGUS_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void argus_log_set_level(argus_log_level level)
{
    atomic_store(&min_level, (int)level);
}

int argus_log_parse_level(const char *s, argus_log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (argus_log_level)i;
            return 0;
        }
    }
    if (strcasecmp(s, "warning") == 0) {
        *out = ARGUS_LOG_WARN;
        return 0;
    }
    return -1;
}

int argus_log_enabled(argus_log_level level)
{
    return (int)level >= atomic_load(&min_level);
}

void argus_log(argus_log_level level, const char *msg, const char *kv_fmt, ...)
{
    if (!argus_log_enabled(level))
        return;
    char line[2048];
    struct timespec ts = argus_wall_time();
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, level_names[level], msg);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    if (kv_fmt && kv_fmt[0] && len < sizeof line - 2) {
        line[len++] = ' ';
        va_list ap;
        va_start(ap, kv_fmt);
        int m = vsnprintf(line + len, sizeof line - len, kv_fmt, ap);
        va_end(ap);
        if (m > 0)
            len += (size_t)m < sizeof line - len ? (size_t)m : sizeof line - len - 1;
    }
    if (len >= sizeof line - 1)
        len = sizeof line - 2;
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}

const char *argus_log_quote(char *out, unsigned n, const char *s)
{
    if (!n)
        return out;
    if (!s)
        s = "";
    int plain = s[0] != 0;
    for (const char *p = s; *p && plain; p++)
        if ((unsigned char)*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f)
            plain = 0;
    if (plain) {
        snprintf(out, n, "%s", s);
        return out;
    }
    unsigned j = 0;
    if (j + 1 < n)
        out[j++] = '"';
    for (const char *p = s; *p && j + 3 < n; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            out[j++] = '\\';
            out[j++] = (char)c;
        } else if (c == '\n') {
            out[j++] = '\\';
            out[j++] = 'n';
        } else if (c < ' ' || c == 0x7f) {
            out[j++] = ' ';
        } else {
            out[j++] = (char)c;
        }
    }
    if (j + 1 < n)
        out[j++] = '"';
    out[j < n ? j : n - 1] = 0;
    return out;
}
