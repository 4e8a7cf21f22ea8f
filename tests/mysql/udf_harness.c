/* Calls the entry points of argus_udf.so as the MariaDB server does -- dlopen, dlsym of every
 * function sql/mysql/install.sql creates, _init / (_clear, _add, _remove) / the function /
 * _deinit -- with arguments laid out as the server lays them out (string arguments exactly as
 * long as their length, not NUL-terminated, in their own allocation), so that AddressSanitizer
 * sees any read or write past them. Feeds fixtures, mutated payloads and generated garbage of
 * every argument type; checks the lifecycle contract (wrong arity refused with a message, every
 * per-row error reported with a message, results within their buffers) and a few known answers.
 *   build-asan/tests/mysql/udf_harness build-asan/argus_udf.so sql/mysql/install.sql [repo root]
 * Also holds install.sql to the function catalogue (ext/core) and the UDF table (ext/mysql): every
 * catalogue function that can be a UDF is created, as an aggregate when it is one, with the
 * catalogue's arities, and dropped before any is created. Prints TAP lines; exits 1 on any failure.
 * my_printf_error() is defined here, as the server defines it, to capture the messages. */
#include "argus_udf.h"

#include "argus_catalogue.h"
#include "../support/argus_test.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the server side ------------------------------------------------------------------------ */

static char last_error[1024];
static int error_calls;

/* The server's mysys function, which argus_udf.so calls through a weak reference. */
__attribute__((visibility("default"))) void my_printf_error(unsigned int code, const char *format,
                                                            unsigned long flags, ...)
{
    (void)code;
    (void)flags;
    va_list ap;
    va_start(ap, flags);
    vsnprintf(last_error, sizeof last_error, format, ap);
    va_end(ap);
    error_calls++;
}

typedef char (*init_fn)(argus_udf_init *, argus_udf_args *, char *);
typedef void (*deinit_fn)(argus_udf_init *);
typedef char *(*string_fn)(argus_udf_init *, argus_udf_args *, char *, unsigned long *, char *,
                           char *);
typedef long long (*int_fn)(argus_udf_init *, argus_udf_args *, char *, char *);
typedef double (*real_fn)(argus_udf_init *, argus_udf_args *, char *, char *);
typedef void (*clear_fn)(argus_udf_init *, char *, char *);
typedef void (*add_fn)(argus_udf_init *, argus_udf_args *, char *, char *);

typedef struct udf {
    char name[64];
    char returns[16]; /* STRING INTEGER REAL */
    int aggregate;
    void *fn;
    init_fn init;
    deinit_fn deinit;
    clear_fn clear;
    add_fn add, remove;
    unsigned min_args, max_args; /* the arities _init accepts (probed) */
} udf;

static int failures, checks;

static void result(int ok, const char *name, const char *fmt, ...)
{
    checks++;
    if (ok) {
        printf("ok - %s\n", name);
        return;
    }
    failures++;
    printf("not ok - %s: ", name);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

/* ---- arguments ------------------------------------------------------------------------------ */

#define MAX_ARGS 10

/* One row of arguments in the server's layout; every value in its own exact-size allocation. */
typedef struct row {
    argus_udf_args a;
    argus_udf_type types[MAX_ARGS];
    char *values[MAX_ARGS];
    unsigned long lengths[MAX_ARGS];
    char maybe_null[MAX_ARGS];
    const char *attrs[MAX_ARGS];
    unsigned long attr_lengths[MAX_ARGS];
} row;

static uint64_t rng = 0x2545f4914f6cdd1dULL;
static uint64_t rnd(void)
{
    return argus_test_xorshift(&rng);
}
static size_t pick(size_t n)
{
    return (size_t)(rnd() % n);
}

static char *payloads[8];
static size_t payload_lens[8];
static size_t npayloads;

static void row_free(row *r)
{
    for (unsigned i = 0; i < MAX_ARGS; i++)
        free(r->values[i]);
    memset(r, 0, sizeof *r);
}

static void set_string(row *r, unsigned i, const void *s, size_t n, argus_udf_type t)
{
    r->types[i] = t;
    r->values[i] = malloc(n ? n : 1); /* exactly n bytes: no terminator to lean on */
    if (n)
        memcpy(r->values[i], s, n);
    r->lengths[i] = n;
}

/* A random argument of any type, as the server would pass it. */
static void random_arg(row *r, unsigned i, int huge_ok)
{
    static const char *const texts[] = {"0.5",
                                        "123",
                                        "abc",
                                        "",
                                        " 42 ",
                                        "1e3",
                                        "traces",
                                        "logs",
                                        "{}",
                                        "[]",
                                        "{\"http.response.status_code\":503}",
                                        "connection refused after 30s timeout",
                                        "[{\"pattern\":\"x\",\"category\":\"c\"}]",
                                        "[{\"pattern\":null}]",
                                        "[1]",
                                        "{"};
    size_t kind = pick(9);
    if (kind == 6 && !huge_ok)
        kind = 4;
    switch (kind) {
    case 0: /* NULL */
        r->types[i] = (argus_udf_type)pick(3);
        r->values[i] = NULL;
        r->lengths[i] = 0;
        break;
    case 1: {
        long long v = pick(2) ? (long long)rnd() : (long long)pick(100) - 5;
        set_string(r, i, &v, sizeof v, ARGUS_UDF_INT);
        r->lengths[i] = 0;
        break;
    }
    case 2: {
        double v = pick(2) ? (double)(int64_t)rnd() / 7.0 : (double)pick(1000) / 1000.0;
        set_string(r, i, &v, sizeof v, ARGUS_UDF_REAL);
        r->lengths[i] = 0;
        break;
    }
    case 3: {
        static const char *const decs[] = {"0.95", "1.5", "-3", "12345678901234567890.5", "0"};
        const char *d = decs[pick(5)];
        set_string(r, i, d, strlen(d), ARGUS_UDF_DECIMAL);
        break;
    }
    case 4: {
        const char *t = texts[pick(sizeof texts / sizeof texts[0])];
        set_string(r, i, t, strlen(t), ARGUS_UDF_STRING);
        break;
    }
    case 5: { /* a fixture, maybe truncated or with flipped bits */
        size_t k = pick(npayloads);
        size_t n = pick(3) ? payload_lens[k] : pick(payload_lens[k] + 1);
        set_string(r, i, payloads[k], n, ARGUS_UDF_STRING);
        for (size_t f = pick(3); f > 0 && n; f--)
            r->values[i][pick(n)] ^= (char)(1 << pick(8));
        break;
    }
    case 6: { /* huge: 4 MB of text */
        size_t n = 4u << 20;
        char *b = malloc(n);
        for (size_t j = 0; j < n; j++)
            b[j] = "ab 1.2.3.4 x=5 \"q\" "[j % 20];
        set_string(r, i, b, n, ARGUS_UDF_STRING);
        free(b);
        break;
    }
    default: { /* random bytes */
        size_t n = pick(64);
        char b[64];
        for (size_t j = 0; j < n; j++)
            b[j] = (char)rnd();
        set_string(r, i, b, n, ARGUS_UDF_STRING);
    }
    }
}

static void row_build(row *r, unsigned nargs, int huge_ok)
{
    memset(r, 0, sizeof *r);
    for (unsigned i = 0; i < nargs; i++) {
        random_arg(r, i, huge_ok);
        r->maybe_null[i] = 1;
        r->attrs[i] = "x";
        r->attr_lengths[i] = 1;
    }
    r->a.arg_count = nargs;
    r->a.arg_type = r->types;
    r->a.args = r->values;
    r->a.lengths = r->lengths;
    r->a.maybe_null = r->maybe_null;
    r->a.attributes = r->attrs;
    r->a.attribute_lengths = r->attr_lengths;
}

/* ---- calling -------------------------------------------------------------------------------- */

/* Calls an aggregate's _add or _remove; an error must come with a message. 0 ok, -1 failure. */
static int call_step(const udf *u, add_fn fn, argus_udf_init *init, argus_udf_args *args,
                     int *errors, const char *what)
{
    char is_null = 0, error = 0;
    int before = error_calls;
    fn(init, args, &is_null, &error);
    if (error && (error_calls == before || !last_error[0])) {
        result(0, what, "%s: a row step set error without a message", u->name);
        return -1;
    }
    *errors += error != 0;
    return 0;
}

/* Calls the function's value entry point once; checks the result contract. 0 ok, -1 failure
 * (reported). */
static int call_value(const udf *u, argus_udf_init *init, argus_udf_args *args, char *error,
                      const char *what)
{
    char is_null = 0;
    int before = error_calls;
    char *rbuf = malloc(ARGUS_UDF_RESULT_SIZE); /* the server's buffer: 255 bytes */
    unsigned long length = 0;
    if (strcmp(u->returns, "STRING") == 0) {
        char *s = ((string_fn)u->fn)(init, args, rbuf, &length, &is_null, error);
        if (!*error && !is_null && !s) {
            result(0, what, "%s returned NULL without is_null or error", u->name);
            free(rbuf);
            return -1;
        }
        if (!*error && !is_null) {
            volatile char sink = 0;
            for (unsigned long k = 0; k < length; k++) /* ASan: the whole result is readable */
                sink ^= s[k];
            (void)sink;
            if (s == rbuf && length > ARGUS_UDF_RESULT_SIZE) {
                result(0, what, "%s wrote %lu bytes into the 255-byte result buffer", u->name,
                       length);
                free(rbuf);
                return -1;
            }
        }
    } else if (strcmp(u->returns, "INTEGER") == 0) {
        ((int_fn)u->fn)(init, args, &is_null, error);
    } else {
        ((real_fn)u->fn)(init, args, &is_null, error);
    }
    free(rbuf);
    if (*error && (error_calls == before || !last_error[0])) {
        result(0, what, "%s set error without a message", u->name);
        return -1;
    }
    return 0;
}

/* Random statements against one function: init with a random arity (refusals must say why),
 * then rows (groups of rows for aggregates, with removals where there is _remove), deinit. */
static void exercise(const udf *u, int statements)
{
    char what[256];
    snprintf(what, sizeof what, "%.63s survives %d random statements", u->name, statements);
    int rows_run = 0, errors = 0, refused = 0;
    for (int s = 0; s < statements; s++) {
        unsigned nargs = (unsigned)pick(MAX_ARGS + 1);
        if (pick(8) && u->min_args <= u->max_args)
            nargs = u->min_args + (unsigned)pick(u->max_args - u->min_args + 1);
        row proto;
        row_build(&proto, nargs, 0);
        argus_udf_init init;
        memset(&init, 0, sizeof init);
        char message[ARGUS_UDF_MESSAGE_SIZE] = "";
        /* in _init only constant arguments have values: sometimes all, sometimes none */
        char **saved = proto.a.args;
        char *none[MAX_ARGS] = {0};
        if (pick(2))
            proto.a.args = none;
        char refused_now = u->init(&init, &proto.a, message);
        proto.a.args = saved;
        if (refused_now) {
            refused++;
            if (!message[0] || strlen(message) >= ARGUS_UDF_MESSAGE_SIZE) {
                result(0, what, "init refused %u arguments without a message", nargs);
                row_free(&proto);
                return;
            }
            row_free(&proto);
            continue; /* the server does not call _deinit after a refusal */
        }
        char error = 0;
        int groups = u->aggregate ? 1 + (int)pick(3) : 1;
        for (int g = 0; g < groups; g++) {
            char is_null = 0;
            if (u->aggregate)
                u->clear(&init, &is_null, &error);
            int nrows = u->aggregate ? (int)pick(20) : 1 + (int)pick(4);
            for (int k = 0; k < nrows; k++) {
                row r;
                /* aggregates keep the arguments' types across rows, as columns do */
                row_build(&r, nargs, pick(50) == 0);
                if (u->aggregate)
                    for (unsigned i = 0; i < nargs; i++)
                        if (r.types[i] != proto.types[i]) {
                            free(r.values[i]);
                            r.values[i] = proto.values[i] ? malloc(proto.lengths[i] + 8) : NULL;
                            if (r.values[i])
                                memcpy(r.values[i], proto.values[i],
                                       proto.types[i] == ARGUS_UDF_INT ||
                                               proto.types[i] == ARGUS_UDF_REAL
                                           ? 8
                                           : proto.lengths[i]);
                            r.types[i] = proto.types[i];
                            r.lengths[i] = proto.lengths[i];
                        }
                rows_run++;
                error = 0;
                int bad = 0;
                if (u->aggregate) {
                    bad = call_step(u, u->add, &init, &r.a, &errors, what);
                    if (!bad && u->remove && pick(3) == 0)
                        bad = call_step(u, u->remove, &init, &r.a, &errors, what);
                    if (!bad && u->remove) /* a window asks for a value at every row */
                        bad = call_value(u, &init, &r.a, &error, what);
                } else {
                    bad = call_value(u, &init, &r.a, &error, what);
                }
                errors += error != 0;
                row_free(&r);
                if (bad)
                    goto out;
            }
            if (u->aggregate) {
                row r;
                row_build(&r, nargs, 0);
                error = 0;
                if (call_value(u, &init, &r.a, &error, what)) {
                    row_free(&r);
                    goto out;
                }
                error = 0;
                row_free(&r);
            }
        }
    out:
        u->deinit(&init);
        row_free(&proto);
        if (failures && strstr(what, u->name))
            return;
    }
    snprintf(what, sizeof what,
             "%.63s survives %d random statements (%d refused, %d rows, %d errors)", u->name,
             statements, refused, rows_run, errors);
    result(1, what, "");
}

/* Finds the arities _init accepts (with NULL arguments): the range fuzzing mostly stays in. */
static void probe_arity(udf *u)
{
    u->min_args = MAX_ARGS + 1;
    u->max_args = 0;
    for (unsigned n = 0; n <= MAX_ARGS; n++) {
        row r;
        memset(&r, 0, sizeof r);
        r.a.arg_count = n;
        r.a.arg_type = r.types;
        r.a.args = r.values;
        r.a.lengths = r.lengths;
        r.a.maybe_null = r.maybe_null;
        argus_udf_init init;
        memset(&init, 0, sizeof init);
        char msg[ARGUS_UDF_MESSAGE_SIZE] = "";
        if (u->init(&init, &r.a, msg) == 0) {
            u->deinit(&init);
            if (n < u->min_args)
                u->min_args = n;
            u->max_args = n;
        }
    }
}

/* ---- known answers -------------------------------------------------------------------------- */

static udf *find(udf *us, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(us[i].name, name) == 0)
            return &us[i];
    return NULL;
}

/* r's argument arrays wired up for count arguments (their values set by set_string). */
static argus_udf_args *row_args(row *r, unsigned count)
{
    r->a.arg_count = count;
    r->a.arg_type = r->types;
    r->a.args = r->values;
    r->a.lengths = r->lengths;
    return &r->a;
}

/* _init of u for the arguments of r (reported when refused). */
static void start(const udf *u, row *r, argus_udf_init *init)
{
    char msg[ARGUS_UDF_MESSAGE_SIZE] = "";
    memset(init, 0, sizeof *init);
    if (u->init(init, &r->a, msg))
        result(0, u->name, "_init refused %u arguments: %s", r->a.arg_count, msg);
}

/* A statement of one row of an INTEGER function: _init, the value, _deinit. */
static long long int_once(const udf *u, row *r, char *is_null, char *error)
{
    argus_udf_init init;
    start(u, r, &init);
    long long got = ((int_fn)u->fn)(&init, &r->a, is_null, error);
    u->deinit(&init);
    return got;
}

static void known_answers(udf *us, size_t n)
{
    /* time_bucket: an INT and a DECIMAL argument */
    udf *u = find(us, n, "time_bucket");
    if (u) {
        row r;
        memset(&r, 0, sizeof r);
        long long ts = 1700000012345678901LL;
        set_string(&r, 0, &ts, 8, ARGUS_UDF_INT);
        set_string(&r, 1, "60000000000", 11, ARGUS_UDF_DECIMAL);
        row_args(&r, 2);
        char is_null = 0, error = 0;
        long long got = int_once(u, &r, &is_null, &error);
        result(got == 1699999980000000000LL && !is_null && !error,
               "time_bucket(1700000012345678901, 60000000000)",
               "expected 1699999980000000000, got %lld (null %d, error %d)", got, is_null, error);
        /* a text that is no number: an error with a message, as in SQLite */
        free(r.values[1]);
        set_string(&r, 1, "abc", 3, ARGUS_UDF_STRING);
        error_calls = 0;
        int_once(u, &r, &is_null, &error);
        result(error && error_calls == 1 &&
                   strcmp(last_error, "time_bucket: width_ns must be an integer") == 0,
               "time_bucket(ts, 'abc') fails with a message",
               "expected error 'time_bucket: width_ns must be an integer', got error=%d '%s'",
               error, last_error);
        row_free(&r);
    }
    /* bucket_width: three INT arguments (the step of a 120-point chart of an hour) */
    u = find(us, n, "bucket_width");
    if (u) {
        row r;
        memset(&r, 0, sizeof r);
        const long long v[3] = {0, 3600000000000LL, 120};
        for (unsigned i = 0; i < 3; i++)
            set_string(&r, i, &v[i], 8, ARGUS_UDF_INT);
        row_args(&r, 3);
        char is_null = 0, error = 0;
        long long got = int_once(u, &r, &is_null, &error);
        result(got == 30000000000LL && !is_null && !error, "bucket_width(0, 3600000000000, 120)",
               "expected 30000000000, got %lld (null %d, error %d)", got, is_null, error);
        row_free(&r);
    }
    /* percentile over two groups: _clear starts afresh; _remove as a window does */
    u = find(us, n, "percentile");
    if (u) {
        row r;
        memset(&r, 0, sizeof r);
        double v = 0, p = 0.5;
        set_string(&r, 0, &v, 8, ARGUS_UDF_REAL);
        set_string(&r, 1, &p, 8, ARGUS_UDF_REAL);
        row_args(&r, 2);
        argus_udf_init init;
        char is_null = 0, error = 0;
        start(u, &r, &init);
        double got[3];
        for (int g = 0; g < 2; g++) {
            u->clear(&init, &is_null, &error);
            for (int k = 1; k <= 5; k++) {
                double x = k * (g + 1) * 10.0;
                memcpy(r.values[0], &x, 8);
                u->add(&init, &r.a, &is_null, &error);
            }
            got[g] = ((real_fn)u->fn)(&init, &r.a, &is_null, &error);
        }
        double x = 100; /* remove the largest of group 2: 20 40 60 80 left */
        memcpy(r.values[0], &x, 8);
        u->remove(&init, &r.a, &is_null, &error);
        got[2] = ((real_fn)u->fn)(&init, &r.a, &is_null, &error);
        u->deinit(&init);
        result(got[0] == 30 && got[1] == 60 && got[2] == 50 && !error,
               "percentile: groups are independent, _remove shrinks the window",
               "expected 30, 60, 50, got %g, %g, %g (error %d)", got[0], got[1], got[2], error);
        row_free(&r);
    }
    /* a result longer than 255 bytes lives in memory the library owns */
    u = find(us, n, "log_template");
    if (u) {
        row r;
        memset(&r, 0, sizeof r);
        char line[1000];
        for (size_t k = 0; k < sizeof line; k++)
            line[k] = "word "[k % 5];
        set_string(&r, 0, line, sizeof line, ARGUS_UDF_STRING);
        row_args(&r, 1);
        argus_udf_init init;
        char is_null = 0, error = 0;
        start(u, &r, &init);
        char rbuf[ARGUS_UDF_RESULT_SIZE];
        unsigned long length = 0;
        char *s = ((string_fn)u->fn)(&init, &r.a, rbuf, &length, &is_null, &error);
        result(s && s != rbuf && length == 999 && memcmp(s, "word word", 9) == 0,
               "log_template of a 1000-byte line",
               "expected 999 bytes outside the result buffer, "
               "got %lu bytes%s",
               length, s == rbuf ? " in the result buffer" : "");
        u->deinit(&init);
        row_free(&r);
    }
}

/* install.sql against the catalogue: each function that can be a UDF is there, with its kind,
 * result type and arities; nothing else is. */
static void catalogue_check(udf *us, size_t n)
{
    static const char *const returns[] = {"STRING", "INTEGER", "REAL"};
    size_t expected = 0;
    for (size_t i = 0; i < argus_functions_count; i++) {
        const argus_function *f = &argus_functions[i];
        if (f->flags & ARGUS_FN_SQLITE_ONLY)
            continue;
        expected++;
        char what[160];
        snprintf(what, sizeof what, "catalogue: %s is a UDF", f->name);
        const argus_udf_function *row = NULL;
        for (size_t k = 0; k < argus_udf_function_count; k++)
            if (strcmp(argus_udf_functions[k].name, f->name) == 0)
                row = &argus_udf_functions[k];
        if (!row) {
            result(0, what, "no row in argus_udf_functions (ext/mysql/udf_common.c)");
            continue;
        }
        udf *u = find(us, n, argus_udf_sql_name(row));
        int aggregate = f->kind == ARGUS_FN_AGGREGATE || f->kind == ARGUS_FN_WINDOW;
        unsigned hi = (unsigned)(f->max_args + row->extra_args);
        if (!u)
            result(0, what, "install.sql does not create %s", argus_udf_sql_name(row));
        else if (u->aggregate != aggregate || strcmp(u->returns, returns[row->returns]) != 0)
            result(0, what, "expected %s%s RETURNS %s, got %s%s RETURNS %s",
                   aggregate ? "AGGREGATE " : "", u->name, returns[row->returns],
                   u->aggregate ? "AGGREGATE " : "", u->name, u->returns);
        else if ((f->kind == ARGUS_FN_WINDOW) != (u->remove != NULL))
            result(0, what, "expected %s_remove %s", u->name,
                   f->kind == ARGUS_FN_WINDOW ? "(a window function)" : "absent");
        else if (u->min_args != (unsigned)f->min_args || u->max_args != hi)
            result(0, what, "expected %d to %u arguments, _init accepts %u to %u", f->min_args, hi,
                   u->min_args, u->max_args);
        else
            result(1, what, "");
    }
    result(n == expected, "install.sql creates only catalogue functions",
           "expected %zu CREATE FUNCTION lines, got %zu", expected, n);
}

/* ---- main ----------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s LIBRARY INSTALL_SQL [REPO_ROOT [STATEMENTS]]\n", argv[0]);
        return 2;
    }
    const char *root = argc > 3 ? argv[3] : ".";
    int statements = argc > 4 ? atoi(argv[4]) : 300;
    static const char *const files[] = {"tests/fixtures/traces.pb", "tests/fixtures/traces.json",
                                        "tests/fixtures/logs.pb", "tests/fixtures/logs.json",
                                        "tests/fixtures/hand/spans_basic.pb"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", root, files[i]);
        payloads[npayloads] = argus_test_read_file(path, &payload_lens[npayloads]);
        if (payloads[npayloads])
            npayloads++;
    }
    if (!npayloads) {
        printf("Bail out! no fixtures under %s\n", root);
        return 1;
    }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        printf("Bail out! dlopen %s: %s\n", argv[1], dlerror());
        return 1;
    }
    size_t sqln;
    char *sql = argus_test_read_file(argv[2], &sqln);
    if (!sql) {
        printf("Bail out! cannot read %s\n", argv[2]);
        return 1;
    }
    udf us[64];
    size_t n = 0, ndropped = 0, ncreated = 0, late_drops = 0;
    char dropped[64][64], undropped[64] = "";
    for (char *line = strtok(sql, "\n"); line && n < 64; line = strtok(NULL, "\n")) {
        udf u;
        memset(&u, 0, sizeof u);
        char kw[16];
        if (ndropped < 64 &&
            sscanf(line, "DROP FUNCTION IF EXISTS %63[a-z_0-9]", dropped[ndropped]) == 1) {
            late_drops += ncreated > 0;
            ndropped++;
            continue;
        }
        if (sscanf(line, "CREATE AGGREGATE FUNCTION %63s RETURNS %15s", u.name, u.returns) == 2)
            u.aggregate = 1;
        else if (sscanf(line, "CREATE %15s %63s RETURNS %15s", kw, u.name, u.returns) != 3 ||
                 strcmp(kw, "FUNCTION") != 0)
            continue;
        ncreated++;
        size_t d = 0;
        while (d < ndropped && strcmp(dropped[d], u.name) != 0)
            d++;
        if (d == ndropped && !undropped[0])
            snprintf(undropped, sizeof undropped, "%s", u.name);
        char sym[96], what[128];
        u.fn = dlsym(lib, u.name);
        snprintf(sym, sizeof sym, "%s_init", u.name);
        u.init = (init_fn)dlsym(lib, sym);
        snprintf(sym, sizeof sym, "%s_deinit", u.name);
        u.deinit = (deinit_fn)dlsym(lib, sym);
        snprintf(sym, sizeof sym, "%s_clear", u.name);
        u.clear = (clear_fn)dlsym(lib, sym);
        snprintf(sym, sizeof sym, "%s_add", u.name);
        u.add = (add_fn)dlsym(lib, sym);
        snprintf(sym, sizeof sym, "%s_remove", u.name);
        u.remove = (add_fn)dlsym(lib, sym);
        snprintf(what, sizeof what, "install.sql: %s has its entry points", u.name);
        int ok = u.fn && u.init && u.deinit && (!u.aggregate || (u.clear && u.add));
        result(ok, what, "missing symbols (function %p, init %p, deinit %p, clear %p, add %p)",
               u.fn, (void *)u.init, (void *)u.deinit, (void *)u.clear, (void *)u.add);
        if (ok) {
            probe_arity(&u);
            us[n++] = u;
        }
    }
    /* Installing again and upgrading in place need every function gone before any is created
     * (the server unloads the library only then); uninstall.sql needs no list of its own. */
    result(!undropped[0] && ndropped == ncreated && !late_drops,
           "install.sql drops every function before it creates any",
           "expected a DROP FUNCTION IF EXISTS line before the first CREATE for each of the %zu "
           "functions, got %zu DROP lines (%zu after a CREATE)%s%s",
           ncreated, ndropped, late_drops, undropped[0] ? "; none for " : "", undropped);
    catalogue_check(us, n);
    known_answers(us, n);
    for (size_t i = 0; i < n; i++)
        exercise(&us[i], statements);
    free(sql);
    for (size_t i = 0; i < npayloads; i++)
        free(payloads[i]);
    dlclose(lib);
    printf("1..%d\n", checks);
    return failures ? 1 : 0;
}
