/* otlp_spans(payload) / otlp_logs(payload): eponymous table-valued functions, one row per span /
 * log record of an OTLP payload (protobuf or OTLP/JSON, BLOB or TEXT); otlp_span_resources() /
 * otlp_log_resources(): one row per resource of such a payload; and the scalar otlp_spans_json()
 * / otlp_logs_json() / otlp_check() / resource_id() functions.
 *   SELECT service_name, count(*) FROM otlp_spans(readfile('capture.pb')) GROUP BY 1;
 * The payload may also be a decoded argus_otlp_traces/argus_otlp_logs bound with
 * sqlite3_bind_pointer(..., "argus_otlp_traces" / "argus_otlp_logs") — how the server avoids
 * decoding twice. Built like SQLite's ext/misc/series.c. */
#include "argus_sqlite.h"
SQLITE_EXTENSION_INIT3

#include "argus_otlp_rows.h"
#include "argus_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POINTER_TRACES "argus_otlp_traces"
#define POINTER_LOGS "argus_otlp_logs"

/* The resource tables iterate spans / log records too, one row per run of a resource's items. */
typedef enum { KIND_SPANS, KIND_LOGS, KIND_SPAN_RESOURCES, KIND_LOG_RESOURCES } row_kind;
/* The SQL names, indexed by row_kind. */
static const char *const kind_names[] = {"otlp_spans", "otlp_logs", "otlp_span_resources",
                                         "otlp_log_resources"};
#define IS_SPANS(k) ((k) == KIND_SPANS || (k) == KIND_SPAN_RESOURCES)
#define IS_RESOURCES(k) ((k) >= KIND_SPAN_RESOURCES)

/* Columns of otlp_span_resources() / otlp_log_resources(): the resource columns of a span / log
 * record row, and item_count. */
enum { RES_ID, RES_SERVICE_NAME, RES_ATTRIBUTES, RES_SCHEMA_URL, RES_ITEM_COUNT, RES_NCOLUMNS };
static const char *const res_column_names[RES_NCOLUMNS] = {
    "resource_id", "service_name", "attributes", "schema_url", "item_count"};
static const char *const res_column_types[RES_NCOLUMNS] = {"INTEGER", "TEXT", "TEXT", "TEXT",
                                                           "INTEGER"};
static const int res_span_columns[RES_NCOLUMNS] = {ARGUS_SPAN_RESOURCE_ID, ARGUS_SPAN_SERVICE_NAME,
                                                   ARGUS_SPAN_RESOURCE_ATTRIBUTES,
                                                   ARGUS_SPAN_RESOURCE_SCHEMA_URL, -1};
static const int res_log_columns[RES_NCOLUMNS] = {ARGUS_LOG_RESOURCE_ID, ARGUS_LOG_SERVICE_NAME,
                                                  ARGUS_LOG_RESOURCE_ATTRIBUTES,
                                                  ARGUS_LOG_RESOURCE_SCHEMA_URL, -1};

typedef struct otlp_vtab {
    sqlite3_vtab base;
    row_kind kind;
    int ncols; /* visible columns; the hidden payload column is number ncols */
} otlp_vtab;

typedef struct otlp_cursor {
    sqlite3_vtab_cursor base;
    row_kind kind;
    sqlite3_int64 rowid;
    int eof;
    argus_otlp_traces own_traces; /* used when the payload is BLOB/TEXT */
    argus_otlp_logs own_logs;
    argus_span_iter spans;
    argus_log_iter logs;
    argus_buf scratch;
    /* resource_attributes and resource_id computed once per resource: every span of a resource
     * repeats them. */
    argus_buf res_json;
    int64_t res_id;
    const void *res_json_of; /* the ResourceSpans/ResourceLogs they are of; NULL when none */
    /* resource kinds: the first item of the current row's resource, and how many it has */
    argus_span_iter first_span;
    argus_log_iter first_log;
    int64_t item_count;
    int more; /* the iterator is on an item not yet reported */
} otlp_cursor;

static int connect_common(sqlite3 *db, row_kind kind, sqlite3_vtab **ppVtab, char **pzErr)
{
    const char *const *names = IS_RESOURCES(kind)   ? res_column_names
                               : kind == KIND_SPANS ? argus_span_column_names
                                                    : argus_log_column_names;
    const char *const *types = IS_RESOURCES(kind)   ? res_column_types
                               : kind == KIND_SPANS ? argus_span_column_types
                                                    : argus_log_column_types;
    int n = IS_RESOURCES(kind)   ? RES_NCOLUMNS
            : kind == KIND_SPANS ? ARGUS_SPAN_NCOLUMNS
                                 : ARGUS_LOG_NCOLUMNS;
    sqlite3_str *s = sqlite3_str_new(db);
    sqlite3_str_appendall(s, "CREATE TABLE x(");
    for (int i = 0; i < n; i++)
        sqlite3_str_appendf(s, "%s %s, ", names[i], types[i]);
    sqlite3_str_appendall(s, "payload HIDDEN)");
    char *sql = sqlite3_str_finish(s);
    if (!sql)
        return SQLITE_NOMEM;
    int rc = sqlite3_declare_vtab(db, sql);
    sqlite3_free(sql);
    if (rc != SQLITE_OK) {
        *pzErr = sqlite3_mprintf("otlp: declaring columns failed: %s", sqlite3_errmsg(db));
        return rc;
    }
    otlp_vtab *v = sqlite3_malloc(sizeof *v);
    if (!v)
        return SQLITE_NOMEM;
    memset(v, 0, sizeof *v);
    v->kind = kind;
    v->ncols = n;
    sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
    *ppVtab = &v->base;
    return SQLITE_OK;
}

/* One module serves the four functions; the kind comes as the module's client data. */
static int otlp_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                        sqlite3_vtab **ppVtab, char **pzErr)
{
    (void)argc;
    (void)argv;
    return connect_common(db, *(const row_kind *)aux, ppVtab, pzErr);
}

static int otlp_disconnect(sqlite3_vtab *vtab)
{
    sqlite3_free(vtab);
    return SQLITE_OK;
}

static int otlp_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **ppCursor)
{
    otlp_cursor *c = sqlite3_malloc(sizeof *c);
    if (!c)
        return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    c->kind = ((otlp_vtab *)vtab)->kind;
    c->eof = 1;
    argus_otlp_traces_init(&c->own_traces);
    argus_otlp_logs_init(&c->own_logs);
    argus_buf_init(&c->scratch);
    argus_buf_init(&c->res_json);
    *ppCursor = &c->base;
    return SQLITE_OK;
}

static int otlp_close(sqlite3_vtab_cursor *cur)
{
    otlp_cursor *c = (otlp_cursor *)cur;
    argus_otlp_traces_free(&c->own_traces);
    argus_otlp_logs_free(&c->own_logs);
    argus_buf_free(&c->scratch);
    argus_buf_free(&c->res_json);
    sqlite3_free(c);
    return SQLITE_OK;
}

static int iter_next(otlp_cursor *c)
{
    return IS_SPANS(c->kind) ? argus_span_iter_next(&c->spans) : argus_log_iter_next(&c->logs);
}

static size_t iter_resource(const otlp_cursor *c)
{
    return IS_SPANS(c->kind) ? c->spans.ri : c->logs.ri;
}

static int otlp_next(sqlite3_vtab_cursor *cur)
{
    otlp_cursor *c = (otlp_cursor *)cur;
    c->rowid++;
    if (!IS_RESOURCES(c->kind)) {
        c->eof = !iter_next(c);
        return SQLITE_OK;
    }
    /* One row per ResourceSpans / ResourceLogs with valid items: remember its first item, count
     * the rest, and stop on the next resource's first item. */
    c->eof = !c->more;
    if (c->eof)
        return SQLITE_OK;
    c->first_span = c->spans;
    c->first_log = c->logs;
    size_t ri = iter_resource(c);
    c->item_count = 0;
    do {
        c->item_count++;
        c->more = iter_next(c);
    } while (c->more && iter_resource(c) == ri);
    return SQLITE_OK;
}

static int otlp_eof(sqlite3_vtab_cursor *cur)
{
    return ((otlp_cursor *)cur)->eof;
}

static int otlp_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *pRowid)
{
    *pRowid = ((otlp_cursor *)cur)->rowid;
    return SQLITE_OK;
}

/* Makes res_json / res_id those of the resource of the span / log record `it` is on. */
static int resource_cache(otlp_cursor *c, const void *it)
{
    const argus_span_iter *si = it;
    const argus_log_iter *li = it;
    const void *entry = IS_SPANS(c->kind) ? (const void *)si->data->resource_spans[si->ri]
                                          : (const void *)li->data->resource_logs[li->ri];
    if (entry == c->res_json_of)
        return SQLITE_OK;
    argus_value v;
    argus_buf_reset(&c->res_json);
    if (IS_SPANS(c->kind))
        argus_otlp_span_column(si, ARGUS_SPAN_RESOURCE_ATTRIBUTES, &v, &c->res_json);
    else
        argus_otlp_log_column(li, ARGUS_LOG_RESOURCE_ATTRIBUTES, &v, &c->res_json);
    if (c->res_json.failed || !argus_buf_cstr(&c->res_json))
        return SQLITE_NOMEM;
    if (IS_SPANS(c->kind))
        argus_otlp_span_column(si, ARGUS_SPAN_RESOURCE_SCHEMA_URL, &v, &c->scratch);
    else
        argus_otlp_log_column(li, ARGUS_LOG_RESOURCE_SCHEMA_URL, &v, &c->scratch);
    c->res_id = argus_otlp_resource_id(c->res_json.data, c->res_json.len,
                                       v.type == ARGUS_VAL_TEXT ? v.s : NULL,
                                       v.type == ARGUS_VAL_TEXT ? v.n : 0);
    c->res_json_of = entry;
    return SQLITE_OK;
}

static int otlp_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
    otlp_cursor *c = (otlp_cursor *)cur;
    const void *it = IS_SPANS(c->kind) ? (const void *)&c->spans : (const void *)&c->logs;
    if (IS_RESOURCES(c->kind)) {
        if (col >= RES_NCOLUMNS)
            return SQLITE_OK; /* the hidden payload column reads as NULL */
        if (col == RES_ITEM_COUNT) {
            sqlite3_result_int64(ctx, c->item_count);
            return SQLITE_OK;
        }
        it = IS_SPANS(c->kind) ? (const void *)&c->first_span : (const void *)&c->first_log;
        col = IS_SPANS(c->kind) ? res_span_columns[col] : res_log_columns[col];
    } else if (col >= (IS_SPANS(c->kind) ? ARGUS_SPAN_NCOLUMNS : ARGUS_LOG_NCOLUMNS)) {
        return SQLITE_OK;
    }
    /* Rows rendered ahead (see argus_otlp_traces_render()) live as long as the decoded payload,
     * which outlives the statement: SQLite may use them without a copy. */
    const void *rows = IS_SPANS(c->kind) ? (const void *)((const argus_span_iter *)it)->rows
                                         : (const void *)((const argus_log_iter *)it)->rows;
    int res_attrs = IS_SPANS(c->kind) ? col == ARGUS_SPAN_RESOURCE_ATTRIBUTES
                                      : col == ARGUS_LOG_RESOURCE_ATTRIBUTES;
    int res_id = IS_SPANS(c->kind) ? col == ARGUS_SPAN_RESOURCE_ID : col == ARGUS_LOG_RESOURCE_ID;
    if ((res_attrs || res_id) && !rows) {
        int rc = resource_cache(c, it);
        if (rc != SQLITE_OK)
            return rc;
        if (res_id)
            sqlite3_result_int64(ctx, c->res_id);
        else
            sqlite3_result_text(ctx, c->res_json.data, (int)c->res_json.len, SQLITE_TRANSIENT);
        return SQLITE_OK;
    }
    argus_value v;
    if (IS_SPANS(c->kind))
        argus_otlp_span_column(it, col, &v, &c->scratch);
    else
        argus_otlp_log_column(it, col, &v, &c->scratch);
    if (c->scratch.failed)
        return SQLITE_NOMEM;
    switch (v.type) {
    case ARGUS_VAL_INT: sqlite3_result_int64(ctx, v.i); break;
    case ARGUS_VAL_TEXT:
    case ARGUS_VAL_JSON:
        sqlite3_result_text(ctx, v.s, (int)v.n, rows ? SQLITE_STATIC : SQLITE_TRANSIENT);
        break;
    default: sqlite3_result_null(ctx);
    }
    return SQLITE_OK;
}

/* "otlp: protobuf: ..." -> "protobuf: ...": the SQL function name replaces the module name. */
static const char *strip_module(const char *msg)
{
    return strncmp(msg, "otlp: ", 6) == 0 ? msg + 6 : msg;
}

/* Resolves the payload argument: a bound decoded pointer, or BLOB/TEXT decoded into the cursor.
 * Sets *none when the payload is NULL (no rows). */
static int load_payload(otlp_cursor *c, sqlite3_value *arg, int *none)
{
    sqlite3_vtab *vtab = c->base.pVtab;
    const char *fname = kind_names[c->kind];
    *none = 0;
    void *ptr = sqlite3_value_pointer(arg, IS_SPANS(c->kind) ? POINTER_TRACES : POINTER_LOGS);
    if (ptr) {
        if (IS_SPANS(c->kind))
            c->spans = argus_span_iter_start(ptr);
        else
            c->logs = argus_log_iter_start(ptr);
        return SQLITE_OK;
    }
    int type = sqlite3_value_type(arg);
    if (type == SQLITE_NULL) {
        *none = 1;
        return SQLITE_OK;
    }
    if (type != SQLITE_BLOB && type != SQLITE_TEXT) {
        sqlite3_free(vtab->zErrMsg);
        vtab->zErrMsg = sqlite3_mprintf("%s: payload must be a BLOB or TEXT (OTLP protobuf or "
                                        "OTLP/JSON), got %s",
                                        fname, type == SQLITE_INTEGER ? "an integer" : "a real");
        return SQLITE_MISMATCH;
    }
    const void *data = type == SQLITE_BLOB ? sqlite3_value_blob(arg) : sqlite3_value_text(arg);
    size_t len = (size_t)sqlite3_value_bytes(arg);
    if (!data && len == 0)
        data = "";
    argus_error err;
    argus_error_clear(&err);
    int rc;
    if (IS_SPANS(c->kind)) {
        rc = argus_otlp_traces_decode(&c->own_traces, data, len, &err);
        c->spans = argus_span_iter_start(&c->own_traces);
    } else {
        rc = argus_otlp_logs_decode(&c->own_logs, data, len, &err);
        c->logs = argus_log_iter_start(&c->own_logs);
    }
    if (rc) {
        /* Name the function the user called, whatever module produced the error. */
        argus_error named;
        argus_error_set(&named, err.code, "%s: %.220s", fname, strip_module(err.message));
        return argus_sqlite_vtab_error(vtab, &named);
    }
    return SQLITE_OK;
}

static int otlp_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                       sqlite3_value **argv)
{
    otlp_cursor *c = (otlp_cursor *)cur;
    (void)idxStr;
    c->rowid = 0;
    c->eof = 1;
    memset(&c->spans, 0, sizeof c->spans);
    memset(&c->logs, 0, sizeof c->logs);
    c->res_json_of = NULL; /* a new payload may reuse the old one's memory */
    if (!(idxNum & 1) || argc < 1) {
        const char *f = kind_names[c->kind];
        sqlite3_free(cur->pVtab->zErrMsg);
        cur->pVtab->zErrMsg =
            sqlite3_mprintf("%s: missing payload argument; use %s(payload)", f, f);
        return SQLITE_ERROR;
    }
    int none;
    int rc = load_payload(c, argv[0], &none);
    if (rc != SQLITE_OK || none)
        return rc;
    if (IS_RESOURCES(c->kind))
        c->more = iter_next(c);
    return otlp_next(cur);
}

/* idxNum bit 1: the payload argument is available as argv[0]. The payload is required: a plan
 * where it is unusable gets SQLITE_CONSTRAINT; a plan without it (the planner also tries some,
 * e.g. for OR terms) is priced out of reach, and xFilter reports the missing argument should it
 * ever run. */
static int otlp_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info)
{
    otlp_vtab *v = (otlp_vtab *)vtab;
    int usable = -1, unusable = 0;
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *ct = &info->aConstraint[i];
        if (ct->iColumn != v->ncols || ct->op != SQLITE_INDEX_CONSTRAINT_EQ)
            continue;
        if (ct->usable)
            usable = i;
        else
            unusable = 1;
    }
    if (usable >= 0) {
        info->aConstraintUsage[usable].argvIndex = 1;
        info->aConstraintUsage[usable].omit = 1;
        info->idxNum = 1;
        info->estimatedCost = 1000.0;
        info->estimatedRows = 1000;
        return SQLITE_OK;
    }
    if (unusable)
        return SQLITE_CONSTRAINT;
    info->idxNum = 0;
    info->estimatedCost = 1e300;
    info->estimatedRows = 2147483647;
    return SQLITE_OK;
}

static sqlite3_module otlp_module = {
    .iVersion = 0,
    .xConnect = otlp_connect,
    .xBestIndex = otlp_best_index,
    .xDisconnect = otlp_disconnect,
    .xOpen = otlp_open,
    .xClose = otlp_close,
    .xFilter = otlp_filter,
    .xNext = otlp_next,
    .xEof = otlp_eof,
    .xColumn = otlp_column,
    .xRowid = otlp_rowid,
};

/* ---- scalar functions ----------------------------------------------------------------------- */

/* Decodes argv[0] into t or l (exactly one non-NULL); returns 1 on success, 0 after setting the
 * result (NULL for NULL input, or an error). */
static int scalar_decode(sqlite3_context *ctx, sqlite3_value *arg, const char *fname,
                         argus_otlp_traces *t, argus_otlp_logs *l)
{
    int type = sqlite3_value_type(arg);
    if (type == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return 0;
    }
    if (type != SQLITE_BLOB && type != SQLITE_TEXT) {
        char *msg = sqlite3_mprintf("%s: payload must be a BLOB or TEXT", fname);
        sqlite3_result_error(ctx, msg, -1);
        sqlite3_free(msg);
        return 0;
    }
    const void *data = type == SQLITE_BLOB ? sqlite3_value_blob(arg) : sqlite3_value_text(arg);
    size_t len = (size_t)sqlite3_value_bytes(arg);
    if (!data)
        data = "";
    argus_error err;
    argus_error_clear(&err);
    int rc = t ? argus_otlp_traces_decode(t, data, len, &err)
               : argus_otlp_logs_decode(l, data, len, &err);
    if (rc) {
        argus_error named;
        argus_error_set(&named, err.code, "%s: %.220s", fname, strip_module(err.message));
        argus_sqlite_result_error(ctx, &named);
        return 0;
    }
    return 1;
}

static void result_buf(sqlite3_context *ctx, argus_buf *b)
{
    if (b->failed || !argus_buf_cstr(b)) {
        sqlite3_result_error_nomem(ctx);
        argus_buf_free(b);
        return;
    }
    if (b->len > 0x7fffffff) {
        sqlite3_result_error_toobig(ctx);
        argus_buf_free(b);
        return;
    }
    /* Hand the heap buffer over instead of copying it. */
    sqlite3_result_text(ctx, b->data, (int)b->len, free);
    argus_buf_init(b);
}

static void spans_json_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    argus_otlp_traces t;
    argus_otlp_traces_init(&t);
    if (scalar_decode(ctx, argv[0], "otlp_spans_json", &t, NULL)) {
        argus_buf b;
        argus_buf_init(&b);
        argus_otlp_spans_json(&b, &t);
        result_buf(ctx, &b);
    }
    argus_otlp_traces_free(&t);
}

static void logs_json_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    argus_otlp_logs l;
    argus_otlp_logs_init(&l);
    if (scalar_decode(ctx, argv[0], "otlp_logs_json", NULL, &l)) {
        argus_buf b;
        argus_buf_init(&b);
        argus_otlp_logs_json(&b, &l);
        result_buf(ctx, &b);
    }
    argus_otlp_logs_free(&l);
}

/* otlp_check(payload [, 'traces'|'logs']): a JSON summary of what a payload holds, including the
 * rejected items that otlp_spans()/otlp_logs() skip and why. Without the second argument the
 * payload is tried as traces, then as logs (see decode_kind(); an empty payload is reported as
 * traces). */

/* Decodes arg as the kind asked for: 'traces', 'logs', or NULL for traces when it decodes as
 * such, else logs (the two share a wire shape at the top). Decodes each kind at most once.
 * Returns 1 with *is_logs set and t or l filled, or 0 after setting the result (NULL for a NULL
 * payload, or the error). */
static int decode_kind(sqlite3_context *ctx, sqlite3_value *arg, const char *fname,
                       const char *want, argus_otlp_traces *t, argus_otlp_logs *l, int *is_logs)
{
    if (want && strcmp(want, "traces") != 0 && strcmp(want, "logs") != 0) {
        char *msg = sqlite3_mprintf("%s: second argument must be 'traces' or 'logs'", fname);
        sqlite3_result_error(ctx, msg ? msg : fname, -1);
        sqlite3_free(msg);
        return 0;
    }
    int type = sqlite3_value_type(arg);
    if (!want && (type == SQLITE_BLOB || type == SQLITE_TEXT)) {
        /* A quiet traces attempt; on failure the logs attempt reports its own error. A payload
         * that decodes as traces without any resource (OTLP/JSON logs do: "resourceLogs" is an
         * unknown key to traces) is logs when it decodes as logs with some. */
        const void *data = type == SQLITE_BLOB ? sqlite3_value_blob(arg) : sqlite3_value_text(arg);
        size_t len = (size_t)sqlite3_value_bytes(arg);
        argus_error err;
        if (argus_otlp_traces_decode(t, data ? data : "", len, &err) == 0) {
            *is_logs = t->data->n_resource_spans == 0 &&
                       argus_otlp_logs_decode(l, data ? data : "", len, &err) == 0 &&
                       l->data->n_resource_logs > 0;
            return 1;
        }
        want = "logs";
    }
    *is_logs = want && strcmp(want, "logs") == 0;
    return *is_logs ? scalar_decode(ctx, arg, fname, NULL, l)
                    : scalar_decode(ctx, arg, fname, t, NULL);
}

static void check_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *want = argc > 1 ? (const char *)sqlite3_value_text(argv[1]) : NULL;
    argus_otlp_traces t;
    argus_otlp_logs l;
    argus_otlp_traces_init(&t);
    argus_otlp_logs_init(&l);
    int is_logs;
    if (decode_kind(ctx, argv[0], "otlp_check", want, &t, &l, &is_logs)) {
        argus_buf b;
        argus_buf_init(&b);
        if (is_logs)
            argus_otlp_logs_check_json(&b, &l);
        else
            argus_otlp_traces_check_json(&b, &t);
        result_buf(ctx, &b);
    }
    argus_otlp_traces_free(&t);
    argus_otlp_logs_free(&l);
}

/* argus_store(payload [, 'traces'|'logs']): stores an OTLP payload in this database by running
 * the ingest statements of sql/sqlite/ingest (spans + traces summary + rollups, or logs) with the
 * payload decoded once; returns the number of spans / log records stored. The kind is detected
 * as otlp_check() does when not given. */
static void store_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *want = argc > 1 ? (const char *)sqlite3_value_text(argv[1]) : NULL;
    argus_otlp_traces t;
    argus_otlp_logs l;
    argus_otlp_traces_init(&t);
    argus_otlp_logs_init(&l);
    int is_logs;
    if (!decode_kind(ctx, argv[0], "argus_store", want, &t, &l, &is_logs))
        goto done;
    sqlite3 *db = sqlite3_context_db_handle(ctx);
    const char *kind = is_logs ? "logs" : "spans";
    int rc = sqlite3_exec(db, "SAVEPOINT argus_store", NULL, NULL, NULL);
    sqlite3_int64 stored = 0;
    for (const argus_ingest_statement *s = argus_sqlite_ingest; rc == SQLITE_OK && s->name; s++) {
        if (strcmp(s->kind, kind) != 0)
            continue;
        sqlite3_stmt *st;
        rc = sqlite3_prepare_v2(db, s->sql, -1, &st, NULL);
        if (rc != SQLITE_OK)
            break;
        if (is_logs)
            sqlite3_bind_pointer(st, 1, &l, POINTER_LOGS, NULL);
        else
            sqlite3_bind_pointer(st, 1, &t, POINTER_TRACES, NULL);
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) {
            rc = SQLITE_OK;
            if (stored == 0)
                stored = sqlite3_changes64(db);
        }
        sqlite3_finalize(st);
    }
    if (rc != SQLITE_OK) {
        char *msg = sqlite3_mprintf("argus_store: %s", sqlite3_errmsg(db));
        sqlite3_exec(db, "ROLLBACK TO argus_store; RELEASE argus_store", NULL, NULL, NULL);
        sqlite3_result_error(ctx, msg ? msg : "argus_store: failed", -1);
        sqlite3_free(msg);
        goto done;
    }
    sqlite3_exec(db, "RELEASE argus_store", NULL, NULL, NULL);
    sqlite3_result_int64(ctx, stored);
done:
    argus_otlp_traces_free(&t);
    argus_otlp_logs_free(&l);
}

/* resource_id(attributes_json [, schema_url]): the id resources are stored under (see
 * argus_otlp_resource_id()); NULL attributes count as '{}'. */
static void resource_id_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *a = (const char *)sqlite3_value_text(argv[0]);
    size_t n = (size_t)sqlite3_value_bytes(argv[0]);
    if (!a) {
        a = "{}";
        n = 2;
    }
    const char *u = argc > 1 ? (const char *)sqlite3_value_text(argv[1]) : NULL;
    size_t m = argc > 1 ? (size_t)sqlite3_value_bytes(argv[1]) : 0;
    sqlite3_result_int64(ctx, argus_otlp_resource_id(a, n, u, m));
}

int argus_register_otlp(sqlite3 *db, char **pzErrMsg)
{
    (void)pzErrMsg;
    static const row_kind kinds[] = {KIND_SPANS, KIND_LOGS, KIND_SPAN_RESOURCES,
                                     KIND_LOG_RESOURCES};
    int rc = SQLITE_OK;
    for (size_t k = 0; rc == SQLITE_OK && k < sizeof kinds / sizeof kinds[0]; k++)
        rc = sqlite3_create_module(db, kind_names[kinds[k]], &otlp_module, (void *)&kinds[k]);
    const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function(db, "otlp_spans_json", 1, flags, NULL, spans_json_fn, NULL,
                                     NULL);
    if (rc == SQLITE_OK)
        rc =
            sqlite3_create_function(db, "otlp_logs_json", 1, flags, NULL, logs_json_fn, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function(db, "otlp_check", 1, flags, NULL, check_fn, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function(db, "otlp_check", 2, flags, NULL, check_fn, NULL, NULL);
    for (int n = 1; rc == SQLITE_OK && n <= 2; n++)
        rc = sqlite3_create_function(db, "resource_id", n, flags, NULL, resource_id_fn, NULL, NULL);
    for (int n = 1; rc == SQLITE_OK && n <= 2; n++)
        rc = sqlite3_create_function(db, "argus_store", n, SQLITE_UTF8 | SQLITE_DIRECTONLY, NULL,
                                     store_fn, NULL, NULL);
    return rc;
}
