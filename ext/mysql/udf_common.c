/* Shared by every UDF of argus_udf.so: arguments read as the SQLite glue reads them, result
 * buffers, error reporting (the one place), and the catalogue sql/mysql/install.sql follows.
 *   mariadb> SELECT time_bucket(1700000012345678901, 60000000000);  -- 1700000000000000000 */
#include "argus_udf.h"

#include "argus_catalogue.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- catalogue ---------------------------------------------------------------------------- */

#define S ARGUS_UDF_RETURNS_STRING
#define I ARGUS_UDF_RETURNS_INTEGER
#define R ARGUS_UDF_RETURNS_REAL

const argus_udf_function argus_udf_functions[] = {
    /* catalogue name, UDF name (NULL: the same), result, extra arguments, longest result (0:
     * any), never NULL */
    {"otlp_spans_json", NULL, S, 0, 0, 0},
    {"otlp_logs_json", NULL, S, 0, 0, 0},
    {"otlp_check", NULL, S, 0, 0, 0},
    {"resource_id", NULL, I, 0, 0, 1}, /* NULL attributes count as '{}' */
    {"arg_min", NULL, S, 0, 0, 0},     /* text: a UDF has one result type */
    {"json_group_set", NULL, S, 0, 0, 1},
    {"waterfall_json", NULL, S, 0, 0, 0},
    {"time_bucket", NULL, I, 0, 0, 0},
    {"bucket_width", NULL, I, 0, 0, 0},
    {"percentile", NULL, R, 0, 0, 0},
    /* the server looks up an aggregate's row step as <name>_add: sketch_add is taken */
    {"sketch", "sketch_of", S, 0, 0, 0},
    {"sketch_merge", NULL, S, 0, 0, 0},
    {"sketch_add", NULL, S, 0, 0, 0},
    {"sketch_quantile", NULL, R, 0, 0, 0},
    {"sketch_count", NULL, I, 0, 0, 0},
    {"log_template", NULL, S, 0, 0, 0},
    {"log_pattern_id", NULL, S, 0, 16, 0},
    {"ai_insight", NULL, S, 1, 0, 0}, /* rules_json: a UDF cannot read insight_rules */
    {"insight_builtin_rules", NULL, S, 0, 0, 0},
};
const size_t argus_udf_function_count = sizeof argus_udf_functions / sizeof argus_udf_functions[0];

const char *argus_udf_sql_name(const argus_udf_function *f)
{
    return f->sql_name ? f->sql_name : f->name;
}

const argus_udf_function *argus_udf_find(const char *sql_name)
{
    for (size_t i = 0; i < argus_udf_function_count; i++)
        if (strcmp(argus_udf_sql_name(&argus_udf_functions[i]), sql_name) == 0)
            return &argus_udf_functions[i];
    return NULL;
}

/* ---- entry points ------------------------------------------------------------------------- */

/* The arities come from the catalogue (plus the UDF's extra arguments). */
static char check_arity(const argus_udf_args *args, const argus_udf_function *u, char *message)
{
    const char *name = argus_udf_sql_name(u);
    const argus_function *f = argus_function_find(u->name);
    if (!f)
        return argus_udf_refuse(message, "%s: not in the function catalogue", name);
    unsigned lo = (unsigned)f->min_args, hi = (unsigned)(f->max_args + u->extra_args);
    if (args->arg_count >= lo && args->arg_count <= hi)
        return 0;
    if (lo == hi)
        return argus_udf_refuse(message, "%s: expects %u argument%s, got %u", name, lo,
                                lo == 1 ? "" : "s", args->arg_count);
    return argus_udf_refuse(message, "%s: expects %u to %u arguments, got %u", name, lo, hi,
                            args->arg_count);
}

char argus_udf_setup(argus_udf_init *initid, const argus_udf_args *args, char *message,
                     const char *sql_name, const argus_udf_state *state)
{
    const argus_udf_function *u = argus_udf_find(sql_name);
    if (!u)
        return argus_udf_refuse(message, "%s: not in the catalogue", sql_name);
    if (check_arity(args, u, message))
        return 1;
    argus_udf_ctx *c = calloc(1, sizeof *c + (state ? state->size : 0));
    if (!c)
        return argus_udf_refuse(message, "%s: out of memory", sql_name);
    argus_buf_init(&c->out);
    argus_buf_init(&c->scratch);
    c->state = state;
    initid->ptr = (char *)c;
    initid->maybe_null = !u->never_null;
    switch (u->returns) {
    case ARGUS_UDF_RETURNS_STRING:
        initid->max_length = u->max_length ? u->max_length : ARGUS_UDF_MAX_LENGTH;
        /* the result lives in our buffer, rewritten at every call: never folded to a constant */
        initid->const_item = 0;
        break;
    case ARGUS_UDF_RETURNS_REAL:
        initid->decimals = ARGUS_UDF_DECIMALS;
        initid->max_length = 24;
        break;
    case ARGUS_UDF_RETURNS_INTEGER: break;
    }
    return 0;
}

void argus_udf_reset(argus_udf_init *initid)
{
    argus_udf_ctx *c = argus_udf_ctx_of(initid);
    if (c && c->state && c->state->reset)
        c->state->reset(c->data);
}

void argus_udf_teardown(argus_udf_init *initid)
{
    argus_udf_ctx *c = argus_udf_ctx_of(initid);
    argus_udf_reset(initid);
    initid->ptr = NULL;
    if (c) {
        argus_buf_free(&c->out);
        argus_buf_free(&c->scratch);
    }
    free(c);
}

/* ---- values ------------------------------------------------------------------------------- */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* Parses s[0..n) as SQLite's numeric affinity does: optional blanks, sign, digits with an
 * optional point and exponent, blanks; nothing else. 0: not a number; 1: an integer that fits
 * 64 bits (*i); 2: any other number (*r). */
static int parse_number(const char *s, size_t n, int64_t *i, double *r)
{
    char tmp[128];
    size_t a = 0, b = n;
    while (a < b && is_space(s[a]))
        a++;
    while (b > a && is_space(s[b - 1]))
        b--;
    if (a == b || b - a >= sizeof tmp)
        return 0; /* longer numbers exist, but nobody passes 128-digit ones */
    size_t k = a;
    if (s[k] == '+' || s[k] == '-')
        k++;
    size_t digits = 0, frac = 0;
    int real = 0;
    while (k < b && s[k] >= '0' && s[k] <= '9')
        k++, digits++;
    if (k < b && s[k] == '.') {
        real = 1;
        k++;
        while (k < b && s[k] >= '0' && s[k] <= '9')
            k++, frac++;
    }
    if (digits + frac == 0)
        return 0;
    if (k < b && (s[k] == 'e' || s[k] == 'E')) {
        real = 1;
        k++;
        if (k < b && (s[k] == '+' || s[k] == '-'))
            k++;
        size_t e = 0;
        while (k < b && s[k] >= '0' && s[k] <= '9')
            k++, e++;
        if (e == 0)
            return 0;
    }
    if (k != b)
        return 0;
    memcpy(tmp, s + a, b - a);
    tmp[b - a] = 0;
    if (!real) {
        errno = 0;
        long long v = strtoll(tmp, NULL, 10);
        if (errno == 0) {
            *i = v;
            return 1;
        }
    }
    *r = strtod(tmp, NULL);
    return 2;
}

argus_udf_value argus_udf_arg(const argus_udf_args *a, unsigned i)
{
    argus_udf_value v;
    memset(&v, 0, sizeof v);
    if (i >= a->arg_count || !a->args[i])
        return v;
    switch (a->arg_type[i]) {
    case ARGUS_UDF_INT:
        v.type = ARGUS_UV_INT;
        v.i = *(const long long *)(const void *)a->args[i];
        break;
    case ARGUS_UDF_REAL:
        v.type = ARGUS_UV_REAL;
        v.r = *(const double *)(const void *)a->args[i];
        break;
    case ARGUS_UDF_DECIMAL: {
        int k = parse_number(a->args[i], a->lengths[i], &v.i, &v.r);
        v.type = k == 1 ? ARGUS_UV_INT : k == 2 ? ARGUS_UV_REAL : ARGUS_UV_NULL;
        break;
    }
    default:
        v.type = ARGUS_UV_TEXT;
        v.s = a->args[i];
        v.n = a->lengths[i];
        break;
    }
    return v;
}

argus_udf_value argus_udf_numeric(argus_udf_value v)
{
    if (v.type != ARGUS_UV_TEXT)
        return v;
    int k = parse_number(v.s, v.n, &v.i, &v.r);
    if (k == 1)
        v.type = ARGUS_UV_INT;
    else if (k == 2)
        v.type = ARGUS_UV_REAL;
    return v;
}

/* SQLite's doubleToInt64(): truncation, clamped at the int64 range. */
static int64_t real_to_int64(double r)
{
    if (isnan(r))
        return INT64_MIN;
    if (r <= (double)INT64_MIN)
        return INT64_MIN;
    if (r >= (double)INT64_MAX)
        return INT64_MAX;
    return (int64_t)r;
}

int64_t argus_udf_int64(argus_udf_value v)
{
    switch (v.type) {
    case ARGUS_UV_INT: return v.i;
    case ARGUS_UV_REAL: return real_to_int64(v.r);
    case ARGUS_UV_TEXT: {
        /* sqlite3Atoi64: blanks, sign, the leading digits; clamped on overflow */
        size_t k = 0;
        while (k < v.n && is_space(v.s[k]))
            k++;
        int neg = 0;
        if (k < v.n && (v.s[k] == '-' || v.s[k] == '+'))
            neg = v.s[k++] == '-';
        uint64_t u = 0;
        int over = 0;
        for (; k < v.n && v.s[k] >= '0' && v.s[k] <= '9'; k++) {
            if (u > (UINT64_MAX - 9) / 10)
                over = 1;
            else
                u = u * 10 + (uint64_t)(v.s[k] - '0');
        }
        if (neg)
            return over || u > (uint64_t)INT64_MAX + 1 ? INT64_MIN : (int64_t)(0 - u);
        return over || u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)u;
    }
    default: return 0;
    }
}

double argus_udf_double(argus_udf_value v)
{
    return v.type == ARGUS_UV_INT ? (double)v.i : v.type == ARGUS_UV_REAL ? v.r : 0.0;
}

const char *argus_udf_text(argus_udf_value v, char buf[40], size_t *n)
{
    switch (v.type) {
    case ARGUS_UV_TEXT: *n = v.n; return v.s;
    case ARGUS_UV_INT: *n = (size_t)snprintf(buf, 40, "%lld", (long long)v.i); return buf;
    case ARGUS_UV_REAL: {
        /* SQLite's "%!.15g": at least one digit after the point, "Inf" for infinities */
        if (isinf(v.r)) {
            *n = (size_t)snprintf(buf, 40, v.r < 0 ? "-Inf" : "Inf");
            return buf;
        }
        if (v.r == 0) {
            *n = (size_t)snprintf(buf, 40, "0.0");
            return buf;
        }
        char tmp[40];
        snprintf(tmp, sizeof tmp, "%.15g", v.r);
        char *e = strchr(tmp, 'e');
        if (strchr(tmp, '.'))
            *n = (size_t)snprintf(buf, 40, "%s", tmp);
        else if (e) {
            *e = 0;
            *n = (size_t)snprintf(buf, 40, "%s.0e%s", tmp, e + 1);
        } else
            *n = (size_t)snprintf(buf, 40, "%s.0", tmp);
        return buf;
    }
    default: *n = 0; return NULL;
    }
}

/* ---- errors ------------------------------------------------------------------------------- */

/* mysys's my_printf_error(), exported by mariadbd / mysqld for plugins; absent elsewhere. */
extern void my_printf_error(unsigned int code, const char *format, unsigned long flags, ...)
    __attribute__((weak));
#define ER_UNKNOWN_ERROR 1105

void *argus_udf_fail(char *error, const argus_error *err)
{
    const char *msg = err->message[0] ? err->message : "argus: error";
    if (err->code == ARGUS_ENOMEM && !err->message[0])
        msg = "argus: out of memory";
    if (my_printf_error)
        my_printf_error(ER_UNKNOWN_ERROR, "%s", 0, msg);
    *error = 1;
    return NULL;
}

void *argus_udf_failf(char *error, const char *fmt, ...)
{
    argus_error err;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err.message, sizeof err.message, fmt, ap);
    va_end(ap);
    err.code = ARGUS_EINVAL;
    return argus_udf_fail(error, &err);
}

char argus_udf_refuse(char *message, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, ARGUS_UDF_MESSAGE_SIZE, fmt, ap);
    va_end(ap);
    return 1;
}

/* ---- results ------------------------------------------------------------------------------ */

char *argus_udf_result(argus_buf *b, unsigned long *length, char *is_null, char *error)
{
    if (b->failed || !argus_buf_cstr(b)) {
        argus_error err;
        argus_error_set(&err, ARGUS_ENOMEM, "argus: out of memory");
        *is_null = 1;
        return argus_udf_fail(error, &err);
    }
    *is_null = 0;
    *length = (unsigned long)b->len;
    return b->data;
}

char *argus_udf_answer(argus_udf_init *initid, int rc, const argus_error *err,
                       unsigned long *length, char *is_null, char *error)
{
    if (rc) {
        *is_null = 1;
        return argus_udf_fail(error, err);
    }
    return argus_udf_result(&argus_udf_ctx_of(initid)->out, length, is_null, error);
}
