/* Parity of the two faces of every Argus function: the SQLite extension (linked in, in-memory
 * database) and the MariaDB UDFs of argus_udf.so (a running server with sql/mysql/install.sql
 * applied). Each check feeds the same inputs -- SDK fixtures and thousands of generated values:
 * NULLs, wrong types, garbage, truncated and corrupted payloads, huge values -- to both, with the
 * same types bound, and compares value by value: same type, same bytes (doubles bit for bit),
 * or the same error message.
 *   tests/mysql/parity /tmp/argus-mariadb.X/sock [repo root] [seed]
 * Prints TAP lines "ok - <check> (<n> cases)" / "not ok - <check>: <case>: sqlite gave X,
 * mariadb gave Y"; exits 1 on any difference. */
#include "argus_schema.h"
#include "argus_sketch.h"
#include "argus_sqlite.h"

#include <mysql.h>
#include <sqlite3.h>

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- values --------------------------------------------------------------------------------- */

enum { V_NULL, V_INT, V_REAL, V_TEXT, V_BLOB };

typedef struct val {
    int type;
    int64_t i;
    double r;
    char *s; /* owned */
    size_t n;
} val;

static val vnull(void)
{
    val v = {V_NULL, 0, 0, NULL, 0};
    return v;
}
static val vint(int64_t i)
{
    val v = {V_INT, i, 0, NULL, 0};
    return v;
}
static val vreal(double r)
{
    val v = {V_REAL, 0, r, NULL, 0};
    return v;
}
static val vbytes(int type, const void *s, size_t n)
{
    val v = {type, 0, 0, malloc(n + 1), n};
    if (!v.s) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    if (n)
        memcpy(v.s, s, n);
    v.s[n] = 0;
    return v;
}
static val vtext(const char *s)
{
    return vbytes(V_TEXT, s, strlen(s));
}
static void vfree(val *v)
{
    free(v->s);
    v->s = NULL;
}

/* A short printable description of a value for failure messages. */
static void describe(const val *v, char *out, size_t size)
{
    switch (v->type) {
    case V_NULL: snprintf(out, size, "NULL"); break;
    case V_INT: snprintf(out, size, "INT %lld", (long long)v->i); break;
    case V_REAL: snprintf(out, size, "REAL %.17g", v->r); break;
    default: {
        size_t k = 0;
        k += (size_t)snprintf(out, size, "%s(%zu) '", v->type == V_TEXT ? "TEXT" : "BLOB", v->n);
        for (size_t j = 0; j < v->n && k + 8 < size && j < 160; j++) {
            unsigned char c = (unsigned char)v->s[j];
            k += (size_t)snprintf(out + k, size - k, c >= 32 && c < 127 ? "%c" : "\\x%02x", c);
        }
        snprintf(out + k, size - k, v->n > 160 ? "...'" : "'");
    }
    }
}

/* ---- random inputs ----------------------------------------------------------------------------
 */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}
static size_t pick(size_t n)
{
    return (size_t)(rnd() % n);
}
static double unit(void)
{
    return (double)(rnd() >> 11) / 9007199254740992.0;
}

static val random_bytes(size_t n)
{
    char *b = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        b[i] = (char)rnd();
    val v = vbytes(V_BLOB, b, n);
    free(b);
    return v;
}

/* Numbers and things that are not quite numbers, of every type. */
static val random_number_like(void)
{
    static const int64_t ints[] = {0,
                                   1,
                                   -1,
                                   42,
                                   60000000000,
                                   1000000000,
                                   1700000000123456789,
                                   -1700000000123456789,
                                   INT64_MAX,
                                   INT64_MIN,
                                   INT64_MAX - 1,
                                   INT64_MIN + 1,
                                   120,
                                   3600000000000};
    static const double reals[] = {0.5,   -0.5,  1.5,  60e9,   1e300, -1e300, 1e19,
                                   -1e19, 0.999, 2.75, 1e-300, 0.0,   1e15,   123456.789};
    static const char *const texts[] = {"123",   " 42 ", "1e3",  "abc",  "",
                                        "12abc", "-7",   "0x10", "1.5",  "1e",
                                        " ",     "+5",   "1.",   ".5",   "9223372036854775808",
                                        "-0",    "NaN",  "inf",  "1e400"};
    switch (pick(10)) {
    case 0: return vnull();
    case 1:
    case 2: return vint(ints[pick(sizeof ints / sizeof ints[0])]);
    case 3: return vint((int64_t)rnd());
    case 4: return vint((int64_t)(rnd() % 100000) - 50000);
    case 5: return vreal(reals[pick(sizeof reals / sizeof reals[0])]);
    case 6: return vreal((unit() - 0.5) * pow(10, (double)pick(40)));
    case 7:
    case 8: return vtext(texts[pick(sizeof texts / sizeof texts[0])]);
    default: {
        /* garbage as TEXT: MySQL passes BLOB and TEXT alike, SQLite never reads a BLOB as a
         * number (docs/mysql.md, differences) */
        val v = random_bytes(pick(12));
        v.type = V_TEXT;
        return v;
    }
    }
}

static const char *const words[] = {"user",
                                    "login",
                                    "failed",
                                    "GET",
                                    "POST",
                                    "/api/orders/12345",
                                    "order",
                                    "id=",
                                    "status",
                                    "=",
                                    "503",
                                    "timeout",
                                    "connection",
                                    "refused",
                                    "took",
                                    "12ms",
                                    "1.5s",
                                    "10KB",
                                    "2024-03-02T10:15:22Z",
                                    "Error:",
                                    "null",
                                    "at",
                                    "héllo",
                                    "日本語",
                                    "\"quoted value\"",
                                    "'single'",
                                    "0x1f",
                                    "deadbeefcafebabe",
                                    "550e8400-e29b-41d4-a716-446655440000",
                                    "10.0.3.7:5432",
                                    "bob@example.com",
                                    "https://shop.example.com/cart/981?item=7&q=abc",
                                    "\t",
                                    "  ",
                                    "\n",
                                    "{\"a\":1}",
                                    "[1,2]",
                                    "\\",
                                    "-",
                                    "42",
                                    "3.14",
                                    "-17",
                                    "SQLSTATE",
                                    "40P01",
                                    "panic:",
                                    "OOMKilled",
                                    "x509:"};

static val random_line(void)
{
    char buf[2048];
    size_t k = 0;
    size_t nw = 1 + pick(25);
    for (size_t i = 0; i < nw; i++) {
        const char *w = words[pick(sizeof words / sizeof words[0])];
        size_t n = strlen(w);
        if (k + n + 2 >= sizeof buf)
            break;
        memcpy(buf + k, w, n);
        k += n;
        if (pick(4))
            buf[k++] = ' ';
        if (pick(40) == 0 && k + 2 < sizeof buf) { /* invalid UTF-8 */
            buf[k++] = (char)0xff;
            buf[k++] = (char)0xc3;
        }
        if (pick(30) == 0) /* a number of any size */
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%llu ", (unsigned long long)rnd());
    }
    return vbytes(pick(8) ? V_TEXT : V_BLOB, buf, k);
}

/* ---- the two databases -------------------------------------------------------------------- */

static sqlite3 *lite;
static MYSQL *my;
static int failures;

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stdout, "Bail out! ");
    vfprintf(stdout, fmt, ap);
    fprintf(stdout, "\n");
    va_end(ap);
    exit(1);
}

static void lite_exec(const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(lite, sql, NULL, NULL, &err) != SQLITE_OK)
        die("sqlite: %s: %s", sql, err);
}

static void my_exec(const char *sql)
{
    if (mysql_query(my, sql))
        die("mariadb: %s: %s", sql, mysql_error(my));
}

/* The outcome of a query: its rows (one column) or an error. */
typedef struct outcome {
    int error;
    char message[512];
    val *rows;
    size_t n, cap;
} outcome;

static void outcome_free(outcome *o)
{
    for (size_t i = 0; i < o->n; i++)
        vfree(&o->rows[i]);
    free(o->rows);
    memset(o, 0, sizeof *o);
}

static void outcome_push(outcome *o, val v)
{
    if (o->n == o->cap) {
        o->cap = o->cap ? 2 * o->cap : 4;
        o->rows = realloc(o->rows, o->cap * sizeof *o->rows);
        if (!o->rows)
            die("out of memory");
    }
    o->rows[o->n++] = v;
}

/* A statement prepared on both sides. `text_result`: the UDF returns text where SQLite returns
 * a typed value (arg_min), so SQLite's value is compared as its text. */
typedef struct pair {
    sqlite3_stmt *lite;
    MYSQL_STMT *my;
    unsigned nparams;
    enum enum_field_types result_type;
    int text_result;
} pair;

static void pair_prepare(pair *p, const char *lite_sql, const char *my_sql)
{
    memset(p, 0, sizeof *p);
    if (sqlite3_prepare_v2(lite, lite_sql, -1, &p->lite, NULL) != SQLITE_OK)
        die("sqlite prepare %s: %s", lite_sql, sqlite3_errmsg(lite));
    p->my = mysql_stmt_init(my);
    if (!p->my || mysql_stmt_prepare(p->my, my_sql, strlen(my_sql)))
        die("mariadb prepare %s: %s", my_sql, p->my ? mysql_stmt_error(p->my) : "no memory");
    p->nparams = (unsigned)mysql_stmt_param_count(p->my);
    MYSQL_RES *meta = mysql_stmt_result_metadata(p->my);
    if (!meta)
        die("mariadb %s: no result set", my_sql);
    p->result_type = mysql_fetch_field_direct(meta, 0)->type;
    mysql_free_result(meta);
}

static void pair_free(pair *p)
{
    sqlite3_finalize(p->lite);
    mysql_stmt_close(p->my);
}

static void run_lite(pair *p, const val *params, outcome *o, int text_result)
{
    sqlite3_reset(p->lite);
    sqlite3_clear_bindings(p->lite);
    for (unsigned i = 0; i < p->nparams; i++) {
        const val *v = &params[i];
        switch (v->type) {
        case V_INT: sqlite3_bind_int64(p->lite, (int)i + 1, v->i); break;
        case V_REAL: sqlite3_bind_double(p->lite, (int)i + 1, v->r); break;
        case V_TEXT: sqlite3_bind_text(p->lite, (int)i + 1, v->s, (int)v->n, SQLITE_STATIC); break;
        case V_BLOB: sqlite3_bind_blob(p->lite, (int)i + 1, v->s, (int)v->n, SQLITE_STATIC); break;
        default: sqlite3_bind_null(p->lite, (int)i + 1);
        }
    }
    int rc;
    while ((rc = sqlite3_step(p->lite)) == SQLITE_ROW) {
        int t = sqlite3_column_type(p->lite, 0);
        if (t == SQLITE_NULL) {
            outcome_push(o, vnull());
        } else if (text_result || t == SQLITE_TEXT) {
            const unsigned char *s = sqlite3_column_text(p->lite, 0);
            outcome_push(o, vbytes(V_TEXT, s, (size_t)sqlite3_column_bytes(p->lite, 0)));
        } else if (t == SQLITE_INTEGER) {
            outcome_push(o, vint(sqlite3_column_int64(p->lite, 0)));
        } else if (t == SQLITE_FLOAT) {
            outcome_push(o, vreal(sqlite3_column_double(p->lite, 0)));
        } else {
            const void *b = sqlite3_column_blob(p->lite, 0);
            outcome_push(o, vbytes(V_TEXT, b ? b : "", (size_t)sqlite3_column_bytes(p->lite, 0)));
        }
    }
    if (rc != SQLITE_DONE) {
        o->error = 1;
        snprintf(o->message, sizeof o->message, "%s", sqlite3_errmsg(lite));
    }
    sqlite3_reset(p->lite);
}

/* Binds vals[0..n) as MariaDB parameters; TEXT goes as text_type (STRING or BLOB). */
static void bind_vals(MYSQL_BIND *bind, char *nulls, val *vals, unsigned n,
                      enum enum_field_types text_type)
{
    memset(bind, 0, n * sizeof *bind);
    for (unsigned i = 0; i < n; i++) {
        val *v = &vals[i];
        switch (v->type) {
        case V_INT:
            bind[i].buffer_type = MYSQL_TYPE_LONGLONG;
            bind[i].buffer = &v->i;
            break;
        case V_REAL:
            bind[i].buffer_type = MYSQL_TYPE_DOUBLE;
            bind[i].buffer = &v->r;
            break;
        case V_TEXT:
        case V_BLOB:
            bind[i].buffer_type = v->type == V_TEXT ? text_type : MYSQL_TYPE_BLOB;
            bind[i].buffer = v->s;
            bind[i].buffer_length = v->n;
            break;
        default:
            bind[i].buffer_type = MYSQL_TYPE_NULL;
            nulls[i] = 1;
            bind[i].is_null = &nulls[i];
        }
    }
}

static void run_my(pair *p, const val *params, outcome *o)
{
    MYSQL_BIND bind[16];
    char nulls[16];
    bind_vals(bind, nulls, (val *)params, p->nparams < 16 ? p->nparams : 16, MYSQL_TYPE_STRING);
    if ((p->nparams && mysql_stmt_bind_param(p->my, bind)) || mysql_stmt_execute(p->my)) {
        o->error = 1;
        snprintf(o->message, sizeof o->message, "%s", mysql_stmt_error(p->my));
        return;
    }
    MYSQL_BIND out;
    int64_t ival = 0;
    double rval = 0;
    unsigned long length = 0;
    my_bool is_null = 0, err = 0;
    memset(&out, 0, sizeof out);
    out.is_null = &is_null;
    out.length = &length;
    out.error = &err;
    int numeric = 1;
    if (p->result_type == MYSQL_TYPE_DOUBLE) {
        out.buffer_type = MYSQL_TYPE_DOUBLE;
        out.buffer = &rval;
    } else if (p->result_type == MYSQL_TYPE_LONGLONG) {
        out.buffer_type = MYSQL_TYPE_LONGLONG;
        out.buffer = &ival;
    } else {
        out.buffer_type = MYSQL_TYPE_BLOB;
        numeric = 0;
    }
    if (mysql_stmt_bind_result(p->my, &out))
        die("mariadb bind result: %s", mysql_stmt_error(p->my));
    int rc;
    while ((rc = mysql_stmt_fetch(p->my)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
        if (is_null) {
            outcome_push(o, vnull());
        } else if (p->result_type == MYSQL_TYPE_DOUBLE) {
            outcome_push(o, vreal(rval));
        } else if (p->result_type == MYSQL_TYPE_LONGLONG) {
            outcome_push(o, vint(ival));
        } else {
            val v = vbytes(V_TEXT, "", 0);
            free(v.s);
            v.s = malloc(length + 1);
            v.n = length;
            MYSQL_BIND col;
            memset(&col, 0, sizeof col);
            col.buffer_type = MYSQL_TYPE_BLOB;
            col.buffer = v.s;
            col.buffer_length = length;
            if (length && mysql_stmt_fetch_column(p->my, &col, 0, 0))
                die("mariadb fetch column: %s", mysql_stmt_error(p->my));
            v.s[length] = 0;
            outcome_push(o, v);
        }
        (void)numeric;
    }
    if (rc == 1) {
        /* an error raised while the row was produced is reported on the connection */
        o->error = 1;
        snprintf(o->message, sizeof o->message, "%s",
                 mysql_stmt_errno(p->my) ? mysql_stmt_error(p->my) : mysql_error(my));
    }
    mysql_stmt_free_result(p->my);
}

static int same_val(const val *a, const val *b)
{
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case V_NULL: return 1;
    case V_INT: return a->i == b->i;
    case V_REAL: return memcmp(&a->r, &b->r, sizeof a->r) == 0 || (isnan(a->r) && isnan(b->r));
    default: return a->n == b->n && memcmp(a->s, b->s, a->n) == 0;
    }
}

/* Runs one case on both sides; returns 1 when they agree, else 0 with *why filled. */
static int compare_case(pair *p, const val *params, char *why, size_t size, int *lite_error)
{
    outcome a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    run_lite(p, params, &a, p->text_result);
    run_my(p, params, &b);
    int ok = 1;
    char da[400], db[400];
    *lite_error = a.error;
    if (a.error) {
        /* MariaDB shows control characters of error messages as \XXXX (hex code point), and
         * its messages are utf8mb3: one ends before the first 4-byte character (an emoji). */
        char shown[sizeof a.message];
        size_t k = 0;
        for (const char *m = a.message; *m && (unsigned char)*m < 0xf0 && k + 6 < sizeof shown;
             m++) {
            if ((unsigned char)*m < 0x20 || *m == 0x7f)
                k += (size_t)snprintf(shown + k, sizeof shown - k, "\\%04X", (unsigned char)*m);
            else
                shown[k++] = *m;
        }
        shown[k] = 0;
        memcpy(a.message, shown, k + 1);
    }
    if (a.error || b.error) {
        ok = a.error && b.error && strcmp(a.message, b.message) == 0;
        if (!ok)
            snprintf(why, size, "sqlite gave %s%.300s, mariadb gave %s%.300s",
                     a.error ? "error: " : "a value", a.error ? a.message : "",
                     b.error ? "error: " : "a value", b.error ? b.message : "");
    } else if (a.n != b.n) {
        ok = 0;
        snprintf(why, size, "sqlite gave %zu rows, mariadb gave %zu", a.n, b.n);
    } else {
        for (size_t i = 0; i < a.n && ok; i++) {
            if (!same_val(&a.rows[i], &b.rows[i])) {
                ok = 0;
                describe(&a.rows[i], da, sizeof da);
                describe(&b.rows[i], db, sizeof db);
                snprintf(why, size, "row %zu: sqlite gave %s, mariadb gave %s", i, da, db);
            }
        }
    }
    outcome_free(&a);
    outcome_free(&b);
    return ok;
}

/* One check: a statement pair over many parameter sets; prints one TAP line. */
typedef struct check {
    const char *name;
    pair p;
    size_t cases, errors;
    int failed;
    char first[1400];
} check;

static void check_start(check *c, const char *name, const char *lite_sql, const char *my_sql)
{
    memset(c, 0, sizeof *c);
    c->name = name;
    pair_prepare(&c->p, lite_sql, my_sql);
}

static void check_case(check *c, val *params, unsigned n)
{
    char why[1000];
    int lite_error = 0;
    c->cases++;
    if (!compare_case(&c->p, params, why, sizeof why, &lite_error) && !c->failed) {
        char args[400] = "";
        size_t k = 0;
        for (unsigned i = 0; i < n && k < sizeof args - 100; i++) {
            char d[200];
            describe(&params[i], d, sizeof d);
            k += (size_t)snprintf(args + k, sizeof args - k, "%s%s", i ? ", " : "", d);
        }
        snprintf(c->first, sizeof c->first, "case %zu (%.380s): %s", c->cases, args, why);
        c->failed = 1;
        /* ARGUS_PARITY_DUMP=dir: the arguments of each check's first difference, as files */
        const char *dir = getenv("ARGUS_PARITY_DUMP");
        for (unsigned i = 0; dir && i < n; i++) {
            char path[600];
            snprintf(path, sizeof path, "%s/%s.%u", dir, c->name, i);
            for (char *q = path + strlen(dir) + 1; *q; q++)
                if (*q == '/' || *q == ' ')
                    *q = '_';
            FILE *f = fopen(path, "wb");
            if (f) {
                if (params[i].s)
                    fwrite(params[i].s, 1, params[i].n, f);
                fclose(f);
            }
        }
    }
    c->errors += (size_t)lite_error;
    for (unsigned i = 0; i < n; i++)
        vfree(&params[i]);
}

static void check_end(check *c)
{
    if (c->failed) {
        failures++;
        printf("not ok - %s: %s\n", c->name, c->first);
    } else {
        printf("ok - %s (%zu cases, %zu of them errors on both sides)\n", c->name, c->cases,
               c->errors);
    }
    fflush(stdout);
    pair_free(&c->p);
}

/* ---- fixtures ----------------------------------------------------------------------------- */

static char *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)len + 1);
    if (!b || fread(b, 1, (size_t)len, f) != (size_t)len)
        die("cannot read %s", path);
    fclose(f);
    b[len] = 0;
    *n = (size_t)len;
    return b;
}

static const char *const payload_files[] = {"tests/fixtures/traces.pb",
                                            "tests/fixtures/traces.json",
                                            "tests/fixtures/logs.pb",
                                            "tests/fixtures/logs.json",
                                            "tests/fixtures/hand/spans_basic.pb",
                                            "tests/fixtures/hand/logs_basic.pb",
                                            "tests/fixtures/hand/spans_split_a.pb",
                                            "tests/fixtures/hand/spans_split_b.pb"};
#define NPAYLOADS (sizeof payload_files / sizeof payload_files[0])
static char *payload[NPAYLOADS];
static size_t payload_len[NPAYLOADS];

/* A payload: a fixture as is, truncated, with flipped bytes, or garbage. */
static val random_payload(void)
{
    size_t f = pick(NPAYLOADS);
    int json = strstr(payload_files[f], ".json") != NULL;
    int type = json && pick(2) ? V_TEXT : V_BLOB;
    switch (pick(8)) {
    case 0:
    case 1: return vbytes(type, payload[f], payload_len[f]);
    case 2:
    case 3: return vbytes(type, payload[f], pick(payload_len[f] + 1));
    case 4:
    case 5: {
        val v = vbytes(type, payload[f], payload_len[f]);
        for (size_t k = 1 + pick(4); k > 0 && v.n; k--)
            v.s[pick(v.n)] ^= (char)(1 << pick(8));
        return v;
    }
    case 6: return random_bytes(pick(64));
    default: return random_number_like();
    }
}

/* ---- scalar checks ------------------------------------------------------------------------ */

static void check_buckets(void)
{
    check c;
    check_start(&c, "time_bucket", "SELECT time_bucket(?, ?)", "SELECT time_bucket(?, ?)");
    for (int i = 0; i < 1500; i++) {
        val a[2] = {random_number_like(), random_number_like()};
        if (pick(3) == 0)
            a[0] = (vfree(&a[0]), vint((int64_t)rnd()));
        if (pick(3) == 0)
            a[1] = (vfree(&a[1]), vint(1 + (int64_t)(rnd() % 86400000000000ULL)));
        check_case(&c, a, 2);
    }
    check_end(&c);
    check_start(&c, "bucket_width", "SELECT bucket_width(?, ?, ?)", "SELECT bucket_width(?, ?, ?)");
    for (int i = 0; i < 1500; i++) {
        val a[3] = {random_number_like(), random_number_like(), random_number_like()};
        if (pick(2)) {
            int64_t s = (int64_t)(rnd() >> 2) - (int64_t)(rnd() >> 3);
            vfree(&a[0]);
            vfree(&a[1]);
            a[0] = vint(s);
            a[1] = vint(s + (int64_t)(rnd() % (pick(2) ? 86400000000000ULL : 1ULL << 62)));
        }
        if (pick(2))
            a[2] = (vfree(&a[2]), vint((int64_t)pick(2000) - 5));
        check_case(&c, a, 3);
    }
    check_end(&c);
}

static val body_value(const char *const *corpus, size_t ncorpus)
{
    size_t k = pick(10);
    if (k < 4 && ncorpus)
        return vtext(corpus[pick(ncorpus)]);
    if (k < 8)
        return random_line();
    return random_number_like();
}

static void check_templates(const char *const *corpus, size_t ncorpus)
{
    static const char *const fns[] = {"log_template", "log_pattern_id"};
    for (int f = 0; f < 2; f++) {
        char sql[100];
        snprintf(sql, sizeof sql, "SELECT %s(?)", fns[f]);
        check c;
        check_start(&c, fns[f], sql, sql);
        for (int i = 0; i < 1500; i++) {
            val a[1] = {body_value(corpus, ncorpus)};
            check_case(&c, a, 1);
        }
        /* one huge line: 2 MB of tokens */
        size_t cap = 2u << 20, k = 0;
        char *big = malloc(cap);
        while (k + 64 < cap) {
            const char *w = words[pick(sizeof words / sizeof words[0])];
            size_t n = strlen(w);
            memcpy(big + k, w, n);
            k += n;
            big[k++] = ' ';
        }
        val a[1] = {vbytes(V_TEXT, big, k)};
        free(big);
        check_case(&c, a, 1);
        check_end(&c);
    }
}

static val attrs_value(void)
{
    static const char *const attrs[] = {
        "{}",
        "{\"http.response.status_code\":503}",
        "{\"http.status_code\":\"404\"}",
        "{\"http.response.status_code\":429,\"exception.type\":\"x\"}",
        "{\"exception.type\":\"java.net.SocketTimeoutException\",\"exception.message\":\"Read "
        "timed out\"}",
        "{\"error.message\":\"dial tcp: lookup db: no such host\"}",
        "{\"k8s.event.reason\":\"BackOff\"}",
        "{",
        "[1,2]",
        "not json",
        "{\"http.response.status_code\":\"abc\"}",
        "{\"exception.stacktrace\":\"at com.x.Y(Y.java:12)\"}"};
    switch (pick(6)) {
    case 0: return vnull();
    case 1: return random_number_like();
    default: return vtext(attrs[pick(sizeof attrs / sizeof attrs[0])]);
    }
}

static val severity_value(void)
{
    switch (pick(6)) {
    case 0: return vnull();
    case 1: return random_number_like();
    case 2: return vreal((double)pick(25) + unit());
    default: return vint((int64_t)pick(25));
    }
}

static void check_insight(const char *const *corpus, size_t ncorpus)
{
    static const char *const sql[] = {"SELECT ai_insight(?)", "SELECT ai_insight(?, ?)",
                                      "SELECT ai_insight(?, ?, ?)"};
    static const char *const names[] = {"ai_insight/1", "ai_insight/2", "ai_insight/3"};
    for (unsigned n = 1; n <= 3; n++) {
        check c;
        check_start(&c, names[n - 1], sql[n - 1], sql[n - 1]);
        for (int i = 0; i < 800; i++) {
            val a[3] = {body_value(corpus, ncorpus), severity_value(), attrs_value()};
            check_case(&c, a, n);
            for (unsigned k = n; k < 3; k++)
                vfree(&a[k]);
        }
        check_end(&c);
    }
    check c;
    check_start(&c, "insight_builtin_rules", "SELECT insight_builtin_rules()",
                "SELECT insight_builtin_rules()");
    check_case(&c, NULL, 0);
    check_end(&c);
}

/* User rules: SQLite reads the insight_rules table, MariaDB gets the same rules as JSON. */
static void check_insight_rules(const char *const *corpus, size_t ncorpus)
{
    static const struct {
        const char *sqlite_rows; /* VALUES of insight_rules */
        const char *json;
    } sets[] = {
        {"(9001, 'card declined', 'payment', '[\"payment\",\"stripe\"]', 'A card was declined', "
         "'Ask for another card', 0.8, 5, 1)",
         "[{\"id\":9001,\"pattern\":\"card declined\",\"category\":\"payment\",\"tags\":"
         "[\"payment\",\"stripe\"],\"summary\":\"A card was declined\",\"suggestion\":\"Ask for "
         "another card\",\"confidence\":0.8,\"priority\":5,\"enabled\":1}]"},
        {"(1, 'refused', 'mine', NULL, NULL, NULL, NULL, 0, 1), (2, '*', 'timeout', NULL, NULL, "
         "NULL, NULL, 0, 0), (3, 'GET /healthz', NULL, NULL, NULL, NULL, NULL, 9, 1)",
         "[{\"id\":1,\"pattern\":\"refused\",\"category\":\"mine\"},{\"id\":2,\"pattern\":\"*\","
         "\"category\":\"timeout\",\"enabled\":0},{\"id\":3,\"pattern\":\"GET /healthz\","
         "\"category\":null,\"priority\":9}]"},
        {"(7, 'oops', 'x', 'not json', NULL, NULL, NULL, 0, 1)",
         "[{\"id\":7,\"pattern\":\"oops\",\"category\":\"x\",\"tags\":\"not json\"}]"},
        {"(8, 'error', 'generic', '[\"a\",\"b\"]', 'Something failed', NULL, 0.3, -1, 1), (9, "
         "'connection', 'net', NULL, NULL, 'Check the network', NULL, 2, 1)",
         "[{\"id\":8,\"pattern\":\"error\",\"category\":\"generic\",\"tags\":\"[\\\"a\\\",\\\"b\\\""
         "]\",\"summary\":\"Something failed\",\"confidence\":0.3,\"priority\":-1},{\"id\":9,"
         "\"pattern\":\"connection\",\"category\":\"net\",\"suggestion\":\"Check the network\","
         "\"priority\":2}]"},
    };
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
        char sql[1200], name[64];
        lite_exec("DELETE FROM insight_rules");
        snprintf(sql, sizeof sql,
                 "INSERT INTO insight_rules (id, pattern, category, tags, summary, suggestion, "
                 "confidence, priority, enabled) VALUES %s",
                 sets[s].sqlite_rows);
        lite_exec(sql);
        snprintf(name, sizeof name, "ai_insight with user rules, set %zu", s + 1);
        check c;
        check_start(&c, name, "SELECT ai_insight(?, ?, ?)", "SELECT ai_insight(?, ?, ?, ?)");
        for (int i = 0; i < 200; i++) {
            val a[4] = {body_value(corpus, ncorpus), severity_value(), attrs_value(),
                        vtext(sets[s].json)};
            if (pick(3) == 0) {
                static const char *const hits[] = {"stripe: Card declined for order 7",
                                                   "dial tcp: connection refused",
                                                   "GET /healthz: i/o timeout",
                                                   "oops",
                                                   "request timed out",
                                                   "Error: connection reset"};
                vfree(&a[0]);
                a[0] = vtext(hits[pick(sizeof hits / sizeof hits[0])]);
            }
            check_case(&c, a, 4);
        }
        check_end(&c);
    }
    lite_exec("DELETE FROM insight_rules");
}

static void check_otlp(void)
{
    static const char *const fns[] = {"otlp_spans_json", "otlp_logs_json", "otlp_check"};
    for (int f = 0; f < 3; f++) {
        char sql[100];
        snprintf(sql, sizeof sql, "SELECT %s(?)", fns[f]);
        check c;
        check_start(&c, fns[f], sql, sql);
        for (size_t k = 0; k < NPAYLOADS; k++) {
            val a[1] = {vbytes(V_BLOB, payload[k], payload_len[k])};
            check_case(&c, a, 1);
        }
        for (int i = 0; i < 1200; i++) {
            val a[1] = {random_payload()};
            check_case(&c, a, 1);
        }
        check_end(&c);
    }
    check c;
    check_start(&c, "otlp_check/2", "SELECT otlp_check(?, ?)", "SELECT otlp_check(?, ?)");
    static const char *const kinds[] = {"traces", "logs", "bogus", ""};
    for (int i = 0; i < 800; i++) {
        val a[2] = {random_payload(), pick(5)   ? vtext(kinds[pick(4)])
                                      : pick(2) ? vnull()
                                                : vint(1)};
        check_case(&c, a, 2);
    }
    check_end(&c);
}

static void check_resource_id(void)
{
    static const char *const attrs[] = {"{}", "{\"service.name\":\"checkout\"}",
                                        "{\"service.name\":\"a\",\"host.name\":\"h\"}", "", "[]"};
    check c1, c2;
    check_start(&c1, "resource_id/1", "SELECT resource_id(?)", "SELECT resource_id(?)");
    check_start(&c2, "resource_id/2", "SELECT resource_id(?, ?)", "SELECT resource_id(?, ?)");
    for (int i = 0; i < 400; i++) {
        val a[1] = {pick(3)   ? vtext(attrs[pick(5)])
                    : pick(2) ? random_line()
                              : random_number_like()};
        check_case(&c1, a, 1);
        val b[2] = {pick(3) ? vtext(attrs[pick(5)]) : random_number_like(),
                    pick(3) ? vtext(pick(2) ? "https://opentelemetry.io/schemas/1.21.0" : "")
                            : random_number_like()};
        check_case(&c2, b, 2);
    }
    check_end(&c1);
    check_end(&c2);
}

/* A serialized sketch of random values (sometimes corrupted: 1 in `odds`), or something that is
 * not one. */
static val random_sketch_odds(size_t odds)
{
    if (pick(odds + 4) == 0) {
        /* not a sketch; TEXT becomes BLOB: MySQL reads any string as a sketch's bytes, SQLite
         * refuses TEXT (docs/mysql.md, differences) */
        val v = pick(2) ? vnull() : random_number_like();
        if (v.type == V_TEXT)
            v.type = V_BLOB;
        return v;
    }
    argus_sketch s;
    argus_sketch_init(&s);
    argus_error err;
    size_t n = pick(6) == 0 ? 0 : pick(300);
    double scale = pow(10, (double)pick(12));
    for (size_t i = 0; i < n; i++) {
        double v = unit() * scale;
        if (pick(10) == 0)
            v = -v;
        if (pick(20) == 0)
            v = 0;
        argus_sketch_add(&s, v, &err);
    }
    argus_buf b;
    argus_buf_init(&b);
    argus_sketch_encode(&s, &b, &err);
    argus_sketch_free(&s);
    val v = vbytes(V_BLOB, b.data, b.len);
    argus_buf_free(&b);
    if (pick(odds) == 0 && v.n)
        v.s[pick(v.n)] ^= (char)(1 << pick(8));
    if (pick(odds + 2) == 0)
        v.n = pick(v.n + 1);
    return v;
}

static val random_sketch(void)
{
    return random_sketch_odds(6);
}

static val p_value(void)
{
    static const double ps[] = {0, 0.5, 0.95, 0.99, 1, 0.001, -0.1, 1.5};
    switch (pick(8)) {
    case 0: return random_number_like();
    default: return vreal(ps[pick(sizeof ps / sizeof ps[0])]);
    }
}

static void check_sketch_scalars(void)
{
    check c;
    check_start(&c, "sketch_add", "SELECT sketch_add(?, ?)", "SELECT sketch_add(?, ?)");
    for (int i = 0; i < 800; i++) {
        val a[2] = {random_sketch(), random_sketch()};
        check_case(&c, a, 2);
    }
    check_end(&c);
    check_start(&c, "sketch_quantile", "SELECT sketch_quantile(?, ?)",
                "SELECT sketch_quantile(?, ?)");
    for (int i = 0; i < 800; i++) {
        val a[2] = {random_sketch(), p_value()};
        check_case(&c, a, 2);
    }
    check_end(&c);
    check_start(&c, "sketch_count", "SELECT sketch_count(?)", "SELECT sketch_count(?)");
    for (int i = 0; i < 800; i++) {
        val a[1] = {random_sketch()};
        check_case(&c, a, 1);
    }
    check_end(&c);
}

/* ---- aggregates ----------------------------------------------------------------------------- */

/* Table agg(g, id, v, p, s, k1, k2, t) on both sides: SQLite without column types (values keep
 * their type), MariaDB with types chosen per group so both hold the same typed values. The
 * aggregate checks query one group at a time. */
#define GROUPS 400

static void insert_row(MYSQL_STMT *ins, sqlite3_stmt *lins, val *row, unsigned n)
{
    pair p = {lins, ins, n, MYSQL_TYPE_NULL, 0};
    sqlite3_reset(lins);
    for (unsigned i = 0; i < n; i++) {
        const val *v = &row[i];
        switch (v->type) {
        case V_INT: sqlite3_bind_int64(lins, (int)i + 1, v->i); break;
        case V_REAL: sqlite3_bind_double(lins, (int)i + 1, v->r); break;
        case V_TEXT: sqlite3_bind_text(lins, (int)i + 1, v->s, (int)v->n, SQLITE_TRANSIENT); break;
        case V_BLOB: sqlite3_bind_blob(lins, (int)i + 1, v->s, (int)v->n, SQLITE_TRANSIENT); break;
        default: sqlite3_bind_null(lins, (int)i + 1);
        }
    }
    if (sqlite3_step(lins) != SQLITE_DONE)
        die("sqlite insert: %s", sqlite3_errmsg(lite));
    (void)p;
    MYSQL_BIND bind[16];
    char nulls[16];
    bind_vals(bind, nulls, row, n, MYSQL_TYPE_BLOB);
    if (mysql_stmt_bind_param(ins, bind) || mysql_stmt_execute(ins))
        die("mariadb insert: %s", mysql_stmt_error(ins));
    for (unsigned i = 0; i < n; i++)
        vfree(&row[i]);
}

/* Column kinds of a group: numbers (v DOUBLE or BIGINT), or garbage text. MariaDB keeps the
 * groups of each kind in their own table agg_<kind>. */
static int group_table(int g)
{
    return g % 10 == 9 ? 2 : g % 2;
}

static const char *const vtypes[] = {"DOUBLE", "BIGINT", "LONGBLOB"};

static void fill_tables(void)
{
    lite_exec("CREATE TABLE agg (g, id, v, p, s, k1, k2, t)");
    my_exec("DROP DATABASE IF EXISTS argus_parity");
    my_exec("CREATE DATABASE argus_parity");
    my_exec("USE argus_parity");
    /* One table per value type so MariaDB keeps each type. */
    for (int t = 0; t < 3; t++) {
        char sql[400];
        snprintf(sql, sizeof sql,
                 "CREATE TABLE agg_%d (g INT, id INT, v %s, p DOUBLE, s LONGBLOB, k1 BIGINT, k2 "
                 "DOUBLE, t LONGBLOB, PRIMARY KEY (g, id))",
                 t, vtypes[t]);
        my_exec(sql);
    }
    sqlite3_stmt *lins;
    if (sqlite3_prepare_v2(lite, "INSERT INTO agg VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1, &lins,
                           NULL) != SQLITE_OK)
        die("sqlite prepare insert: %s", sqlite3_errmsg(lite));
    MYSQL_STMT *ins[3];
    for (int t = 0; t < 3; t++) {
        char sql[100];
        snprintf(sql, sizeof sql, "INSERT INTO agg_%d VALUES (?, ?, ?, ?, ?, ?, ?, ?)", t);
        ins[t] = mysql_stmt_init(my);
        if (mysql_stmt_prepare(ins[t], sql, strlen(sql)))
            die("mariadb prepare insert: %s", mysql_stmt_error(ins[t]));
    }
    lite_exec("BEGIN");
    my_exec("BEGIN");
    static const double ps[] = {0, 0.5, 0.95, 0.99, 1};
    static const char *const services[] = {"checkout", "cart",       "payments", "frontend",
                                           "db",       "\"quoted\"", "héllo",    ""};
    for (int g = 0; g < GROUPS; g++) {
        int t = group_table(g);
        size_t rows = pick(8) == 0 ? pick(3) : 1 + pick(60);
        double p = ps[pick(5)];
        int p_mode = (int)pick(12); /* 0: p varies, 1: p out of range, 2: p NULL */
        size_t nspans = rows;
        for (size_t r = 0; r < rows; r++) {
            val row[8];
            row[0] = vint(g);
            row[1] = vint((int64_t)r);
            if (t == 0)
                row[2] =
                    pick(15) == 0 ? vnull() : vreal((unit() - 0.1) * pow(10, (double)pick(10)));
            else if (t == 1)
                row[2] = pick(15) == 0 ? vnull() : vint((int64_t)(rnd() % 2000000) - 1000);
            else {
                static const char *const junk[] = {"12", "abc", " 7 ", "1e3", "", "x1"};
                row[2] = pick(10) == 0 ? vnull() : vtext(junk[pick(6)]);
            }
            row[3] = p_mode == 0   ? vreal(ps[pick(5)])
                     : p_mode == 1 ? vreal(1.5)
                     : p_mode == 2 ? vnull()
                                   : vreal(p);
            row[4] = random_sketch_odds(150);
            if (row[4].type != V_BLOB && row[4].type != V_NULL)
                row[4] = (vfree(&row[4]), vnull());
            row[5] = pick(10) == 0 ? vnull() : vint((int64_t)pick(5));
            row[6] = pick(10) == 0 ? vnull() : vreal((double)pick(4) / 2);
            row[7] = pick(10) == 0 ? vnull() : vtext(services[pick(8)]);
            (void)nspans;
            insert_row(ins[t], lins, row, 8);
        }
    }
    lite_exec("COMMIT");
    my_exec("COMMIT");
    sqlite3_finalize(lins);
    for (int t = 0; t < 3; t++)
        mysql_stmt_close(ins[t]);
}

/* Spans of random traces in table wf on both sides: trees with orphans, cycles, duplicate ids,
 * missing times, odd kinds and statuses. */
static void fill_spans(void)
{
    lite_exec("CREATE TABLE wf (g, id, span_id, parent, s, e, kind, status, name, service)");
    my_exec("CREATE TABLE wf (g INT, id INT, span_id VARBINARY(64), parent VARBINARY(64), s "
            "BIGINT, e BIGINT, kind BIGINT, status BIGINT, name LONGBLOB, service LONGBLOB, "
            "PRIMARY KEY (g, id))");
    sqlite3_stmt *lins;
    if (sqlite3_prepare_v2(lite, "INSERT INTO wf VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &lins,
                           NULL) != SQLITE_OK)
        die("sqlite prepare: %s", sqlite3_errmsg(lite));
    MYSQL_STMT *ins = mysql_stmt_init(my);
    const char *sql = "INSERT INTO wf VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    if (mysql_stmt_prepare(ins, sql, strlen(sql)))
        die("mariadb prepare: %s", mysql_stmt_error(ins));
    lite_exec("BEGIN");
    my_exec("BEGIN");
    for (int g = 0; g < 200; g++) {
        size_t n = pick(10) == 0 ? 0 : 1 + pick(40);
        int64_t t0 = (int64_t)(rnd() >> 4);
        for (size_t r = 0; r < n; r++) {
            char id[20], parent[20];
            snprintf(id, sizeof id, "%016llx",
                     (unsigned long long)(pick(6) == 0 ? pick(r + 1) : r));
            size_t pr = r ? pick(r) : 0;
            if (r && pick(8) == 0)
                pr = r + pick(3); /* forward reference: cycles and orphans */
            snprintf(parent, sizeof parent, "%016llx", (unsigned long long)pr);
            int64_t s = t0 + (int64_t)pick(1000000);
            val row[10] = {vint(g),
                           vint((int64_t)r),
                           pick(30) == 0 ? vnull() : vtext(id),
                           r == 0 || pick(10) == 0 ? vnull() : vtext(parent),
                           pick(30) == 0 ? vnull() : vint(s),
                           pick(30) == 0 ? vnull() : vint(s + (int64_t)pick(500000) - 20000),
                           vint((int64_t)pick(7)),
                           vint((int64_t)pick(3)),
                           vtext(words[pick(sizeof words / sizeof words[0])]),
                           vtext(pick(2) ? "checkout" : "db")};
            insert_row(ins, lins, row, 10);
        }
    }
    lite_exec("COMMIT");
    my_exec("COMMIT");
    sqlite3_finalize(lins);
    mysql_stmt_close(ins);
}

/* One check per kind of group: my_sql names its table as "%s" (agg_0, agg_1, agg_2), or names
 * table wf (then every group is checked once). */
static void aggregate_check(const char *name, const char *lite_sql, const char *my_sql, int groups,
                            int text_result)
{
    static const char *const kinds[] = {"DOUBLE values", "BIGINT values", "text values"};
    int per_table = strstr(my_sql, "%s") != NULL;
    for (int t = 0; t < (per_table ? 3 : 1); t++) {
        char sql[600], full[200];
        snprintf(sql, sizeof sql, my_sql, t == 0 ? "agg_0" : t == 1 ? "agg_1" : "agg_2");
        snprintf(full, sizeof full, per_table ? "%s (%s)" : "%s", name, kinds[t]);
        check c;
        check_start(&c, full, lite_sql, per_table ? sql : my_sql);
        c.p.text_result = text_result;
        for (int g = 0; g < groups; g++) {
            if (per_table && group_table(g) != t)
                continue;
            val a[1] = {vint(g)};
            check_case(&c, a, 1);
        }
        check_end(&c);
    }
}

static void check_aggregates(void)
{
    fill_tables();
    aggregate_check("percentile", "SELECT percentile(v, p) FROM agg WHERE g = ?",
                    "SELECT percentile(v, p) FROM %s WHERE g = ?", GROUPS, 0);
    aggregate_check("percentile as a window function",
                    "SELECT percentile(v, 0.5) OVER (ORDER BY id ROWS BETWEEN 4 PRECEDING AND "
                    "CURRENT ROW) FROM agg WHERE g = ? ORDER BY id",
                    "SELECT percentile(v, 0.5) OVER (ORDER BY id ROWS BETWEEN 4 PRECEDING AND "
                    "CURRENT ROW) FROM %s WHERE g = ? ORDER BY id",
                    GROUPS, 0);
    aggregate_check("sketch (sketch_of in MariaDB)", "SELECT sketch(v) FROM agg WHERE g = ?",
                    "SELECT sketch_of(v) FROM %s WHERE g = ?", GROUPS, 0);
    aggregate_check("sketch_quantile of a sketch",
                    "SELECT sketch_quantile(sketch(v), 0.95) FROM agg WHERE g = ?",
                    "SELECT sketch_quantile(sketch_of(v), 0.95) FROM %s WHERE g = ?", GROUPS, 0);
    aggregate_check("sketch_merge", "SELECT sketch_merge(s) FROM agg WHERE g = ?",
                    "SELECT sketch_merge(s) FROM %s WHERE g = ?", GROUPS, 0);
    aggregate_check("arg_min/2", "SELECT arg_min(t, k1) FROM agg WHERE g = ?",
                    "SELECT arg_min(t, k1) FROM %s WHERE g = ?", GROUPS, 1);
    aggregate_check("arg_min/3 (numbers as values)",
                    "SELECT arg_min(v, k1, k2) FROM agg WHERE g = ?",
                    "SELECT arg_min(v, k1, k2) FROM %s WHERE g = ?", GROUPS, 1);
    aggregate_check("json_group_set", "SELECT json_group_set(t) FROM agg WHERE g = ?",
                    "SELECT json_group_set(t) FROM %s WHERE g = ?", GROUPS, 0);
    fill_spans();
    aggregate_check("waterfall_json/4",
                    "SELECT waterfall_json(span_id, parent, s, e) FROM wf WHERE g = ?",
                    "SELECT waterfall_json(span_id, parent, s, e) FROM wf WHERE g = ?", 200, 0);
    aggregate_check(
        "waterfall_json/8",
        "SELECT waterfall_json(span_id, parent, s, e, kind, status, name, service) FROM wf "
        "WHERE g = ?",
        "SELECT waterfall_json(span_id, parent, s, e, kind, status, name, service) FROM wf "
        "WHERE g = ?",
        200, 0);
}

/* ---- main ----------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s MARIADB_SOCKET [REPO_ROOT [SEED]]\n", argv[0]);
        return 2;
    }
    const char *root = argc > 2 ? argv[2] : ".";
    if (argc > 3)
        rng_state = strtoull(argv[3], NULL, 0) | 1;
    for (size_t i = 0; i < NPAYLOADS; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", root, payload_files[i]);
        payload[i] = read_file(path, &payload_len[i]);
    }
    /* the labelled insight corpus: real log lines */
    char path[512];
    snprintf(path, sizeof path, "%s/tests/fixtures/insight/labelled.tsv", root);
    size_t tn;
    char *tsv = read_file(path, &tn);
    const char *corpus[400];
    size_t ncorpus = 0;
    for (char *line = strtok(tsv, "\n"); line && ncorpus < 400; line = strtok(NULL, "\n")) {
        if (line[0] == '#')
            continue;
        char *body = line;
        for (int k = 0; k < 3 && body; k++) {
            body = strchr(body, '\t');
            if (body)
                body++;
        }
        if (body)
            corpus[ncorpus++] = body;
    }

    char *msg = NULL;
    if (sqlite3_open(":memory:", &lite) != SQLITE_OK ||
        argus_sqlite_register_all(lite, &msg) != SQLITE_OK ||
        argus_schema_migrate(lite, &msg) != SQLITE_OK)
        die("sqlite: %s", msg ? msg : sqlite3_errmsg(lite));
    my = mysql_init(NULL);
    if (!mysql_real_connect(my, NULL, "root", NULL, NULL, 0, argv[1], 0))
        die("mariadb connect %s: %s", argv[1], mysql_error(my));

    check_buckets();
    check_templates(corpus, ncorpus);
    check_insight(corpus, ncorpus);
    check_insight_rules(corpus, ncorpus);
    check_otlp();
    check_resource_id();
    check_sketch_scalars();
    check_aggregates();

    my_exec("DROP DATABASE IF EXISTS argus_parity");
    mysql_close(my);
    sqlite3_close(lite);
    for (size_t i = 0; i < NPAYLOADS; i++)
        free(payload[i]);
    free(tsv);
    fprintf(stderr, "parity: %d check(s) differ\n", failures);
    return failures ? 1 : 0;
}
