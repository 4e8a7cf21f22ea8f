/* Chart bucketing in SQL: time_bucket(ts_ns, width_ns), bucket_width(start_ns, end_ns, max_points)
 * and the table-valued bucket_series(start_ns, end_ns, width_ns), one row per bucket so charts can
 * LEFT JOIN their counts onto it and get zeros for empty buckets:
 *   SELECT s.bucket_start_ns, count(x.ts) FROM bucket_series(?1, ?2, ?3) s
 *   LEFT JOIN x ON time_bucket(x.ts, ?3) = s.bucket_start_ns GROUP BY 1; */
#include "argus_sqlite.h"
SQLITE_EXTENSION_INIT3

#include "argus_buckets.h"

#include <string.h>

/* Reads an integer argument; numbers only (REAL is truncated), so 'abc' is an error, not 0.
 * Returns 0, or -1 after setting an error on ctx (or vtab). */
static int int_arg(sqlite3_value *v, int64_t *out, const char *fn, const char *arg,
                   argus_error *err)
{
    int t = sqlite3_value_numeric_type(v);
    if (t != SQLITE_INTEGER && t != SQLITE_FLOAT) {
        argus_error_set(err, ARGUS_EINVAL, "%s: %s must be an integer", fn, arg);
        return -1;
    }
    *out = sqlite3_value_int64(v);
    return 0;
}

static void time_bucket_func(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
        return;
    argus_error err;
    argus_error_clear(&err);
    int64_t ts, width, out;
    if (int_arg(argv[0], &ts, "time_bucket", "ts_ns", &err) ||
        int_arg(argv[1], &width, "time_bucket", "width_ns", &err) ||
        argus_buckets_floor(ts, width, &out, &err)) {
        argus_sqlite_result_error(ctx, &err);
        return;
    }
    sqlite3_result_int64(ctx, out);
}

static void bucket_width_func(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    int64_t v[3], out;
    static const char *const names[3] = {"start_ns", "end_ns", "max_points"};
    argus_error err;
    argus_error_clear(&err);
    for (int i = 0; i < argc; i++)
        if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
            return;
    for (int i = 0; i < argc; i++) {
        if (int_arg(argv[i], &v[i], "bucket_width", names[i], &err)) {
            argus_sqlite_result_error(ctx, &err);
            return;
        }
    }
    if (argus_buckets_width(v[0], v[1], v[2], &out, &err)) {
        argus_sqlite_result_error(ctx, &err);
        return;
    }
    sqlite3_result_int64(ctx, out);
}

/* --- bucket_series ------------------------------------------------------------------------- */

#define SERIES_COL_START 0 /* bucket_start_ns */
#define SERIES_COL_END 1   /* bucket_end_ns */
#define SERIES_ARG_START 2 /* hidden start_ns */
#define SERIES_ARG_END 3   /* hidden end_ns */
#define SERIES_ARG_WIDTH 4 /* hidden width_ns */
#define SERIES_NARGS 3

typedef struct series_cursor {
    argus_vtab_rows rows;       /* rows.pos: bucket number, rows.n: buckets */
    int64_t args[SERIES_NARGS]; /* start, end, width as given */
    int64_t first;              /* time_bucket(start, width) */
} series_cursor;

static const argus_vtab_plain series_table = {
    "bucket_series", "CREATE TABLE x(bucket_start_ns INTEGER, bucket_end_ns INTEGER, "
                     "start_ns HIDDEN, end_ns HIDDEN, width_ns HIDDEN)"};

static int series_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **ppCursor)
{
    (void)vtab;
    return argus_vtab_cursor_new(sizeof(series_cursor), ppCursor);
}

static int series_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
    series_cursor *c = (series_cursor *)cur;
    /* Every bucket start lies in [first, end), so computing it modulo 2^64 is exact even where
     * i * width alone would overflow; only the end of the last bucket can pass INT64_MAX, and it
     * is clamped there. */
    int64_t start = (int64_t)((uint64_t)c->first + c->rows.pos * (uint64_t)c->args[2]), end;
    switch (col) {
    case SERIES_COL_START: sqlite3_result_int64(ctx, start); break;
    case SERIES_COL_END:
        if (__builtin_add_overflow(start, c->args[2], &end))
            end = INT64_MAX;
        sqlite3_result_int64(ctx, end);
        break;
    default: sqlite3_result_int64(ctx, c->args[col - SERIES_ARG_START]); break;
    }
    return SQLITE_OK;
}

/* idxNum bit i (i = 0 start, 1 end, 2 width) is set when argument i is bound by an equality
 * constraint; argv holds the bound values in that order. All three are needed. */
static int series_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                         sqlite3_value **argv)
{
    (void)idxStr;
    series_cursor *c = (series_cursor *)cur;
    static const char *const names[SERIES_NARGS] = {"start_ns", "end_ns", "width_ns"};
    c->rows.n = c->rows.pos = 0;
    if (idxNum != 7 || argc != SERIES_NARGS)
        return SQLITE_ERROR; /* series_best_index never plans this */
    argus_error err;
    argus_error_clear(&err);
    for (int i = 0; i < SERIES_NARGS; i++)
        if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
            return SQLITE_OK; /* NULL argument: no rows */
    for (int i = 0; i < SERIES_NARGS; i++)
        if (int_arg(argv[i], &c->args[i], "bucket_series", names[i], &err))
            return argus_sqlite_vtab_error(cur->pVtab, &err);
    uint64_t count;
    if (argus_buckets_count(c->args[0], c->args[1], c->args[2], &count, &err) ||
        argus_buckets_floor(c->args[0], c->args[2], &c->first, &err))
        return argus_sqlite_vtab_error(cur->pVtab, &err);
    if (count > ARGUS_BUCKETS_MAX_SERIES) {
        argus_error_set(&err, ARGUS_ELIMIT,
                        "bucket_series: the range needs %llu buckets, more than the limit of %d; "
                        "use a wider width_ns (see bucket_width)",
                        (unsigned long long)count, ARGUS_BUCKETS_MAX_SERIES);
        return argus_sqlite_vtab_error(cur->pVtab, &err);
    }
    c->rows.n = count;
    return SQLITE_OK;
}

static int series_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info)
{
    int usable[SERIES_NARGS] = {-1, -1, -1}, seen = 0;
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *k = &info->aConstraint[i];
        if (k->iColumn < SERIES_ARG_START)
            continue;
        int a = k->iColumn - SERIES_ARG_START;
        seen |= 1 << a;
        if (k->usable && k->op == SQLITE_INDEX_CONSTRAINT_EQ)
            usable[a] = i;
    }
    int idx = 0;
    for (int a = 0; a < SERIES_NARGS; a++) {
        if (usable[a] < 0)
            continue;
        idx |= 1 << a;
        info->aConstraintUsage[usable[a]].argvIndex = 0;
    }
    if (idx != 7) {
        if (seen == 7)
            return SQLITE_CONSTRAINT; /* all given, but not usable in this plan */
        sqlite3_free(vtab->zErrMsg);
        vtab->zErrMsg = sqlite3_mprintf("bucket_series: needs three arguments: "
                                        "bucket_series(start_ns, end_ns, width_ns)");
        return SQLITE_ERROR;
    }
    int argv_index = 1;
    for (int a = 0; a < SERIES_NARGS; a++) {
        info->aConstraintUsage[usable[a]].argvIndex = argv_index++;
        info->aConstraintUsage[usable[a]].omit = 1;
    }
    info->idxNum = idx;
    info->estimatedCost = 100;
    info->estimatedRows = 100; /* a chart's worth of buckets */
    if (info->nOrderBy == 1 && info->aOrderBy[0].iColumn == SERIES_COL_START &&
        !info->aOrderBy[0].desc)
        info->orderByConsumed = 1;
    return SQLITE_OK;
}

static sqlite3_module series_module =
    ARGUS_VTAB_ROWS_MODULE(argus_vtab_connect_plain, series_best_index, argus_vtab_disconnect,
                           series_open, argus_vtab_cursor_close, series_filter, series_column);

int argus_register_buckets(sqlite3 *db, char **pzErrMsg)
{
    const argus_sqlite_glue glue[] = {
        {.name = "time_bucket", .func = time_bucket_func},
        {.name = "bucket_width", .func = bucket_width_func},
        {.name = "bucket_series", .module = &series_module, .data = (void *)&series_table},
    };
    return argus_sqlite_register(db, glue, sizeof glue / sizeof glue[0], pzErrMsg);
}
