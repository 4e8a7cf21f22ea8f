/* otlp_spans(payload) / otlp_logs(payload): eponymous table-valued functions, one row per span /
 * log record of an OTLP payload (protobuf or OTLP/JSON, BLOB or TEXT); otlp_span_resources() /
 * otlp_log_resources(): one row per resource of such a payload; otlp_span_operations() /
 * otlp_span_traces() / otlp_span_rollups() / otlp_log_rollups(): a payload's items grouped in C;
 * and the scalar otlp_spans_json() / otlp_logs_json() / otlp_check() / resource_id() functions.
 *   SELECT service_name, count(*) FROM otlp_spans(readfile('capture.pb')) GROUP BY 1;
 * The payload may also be a decoded argus_otlp_payload bound with sqlite3_bind_pointer() under
 * its signal's pointer_type (argus_signal.h) — how the server avoids decoding twice. Built like
 * SQLite's ext/misc/series.c. */
#include "argus_sqlite.h"
SQLITE_EXTENSION_INIT3

#include "argus_otlp_rows.h"
#include "argus_schema.h"
#include "argus_span_operations.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The table functions' groupings of a traces payload's spans (argus_span_operations.h). */
typedef enum grouping {
    G_NONE,
    G_OPERATIONS,
    G_TRACES,
    G_ROLLUPS,
    G_LOG_ROLLUPS,
    G_COUNT
} grouping;

/* The eight table functions: the item rows or the resource rows of either signal, and the
 * groupings of items. The resource tables iterate items too, one row per run of a resource's
 * items. */
typedef struct vtab_kind {
    argus_signal signal;
    int resources;
    grouping grouping;
} vtab_kind;

/* Columns of otlp_span_resources() / otlp_log_resources(): the resource columns of an item row
 * (in ARGUS_RES_* order), and item_count. */
enum { RES_ITEM_COUNT = ARGUS_RES_NCOLUMNS, RES_NCOLUMNS };
static const char *const res_column_names[RES_NCOLUMNS] = {
    "resource_id", "service_name", "attributes", "schema_url", "item_count"};
static const char *const res_column_types[RES_NCOLUMNS] = {"INTEGER", "TEXT", "TEXT", "TEXT",
                                                           "INTEGER"};

/* Columns of otlp_span_operations(payload): one row per (service, minute, span name) of the
 * payload's spans, with their counts (see argus_span_operations.h). Cheaper than GROUP BY over
 * otlp_spans(): the rollups' ingest statement reads it. */
enum {
    OP_SERVICE,
    OP_MINUTE,
    OP_NAME,
    OP_SPANS,
    OP_ERRORS,
    OP_REQUESTS,
    OP_REQUEST_ERRORS,
    OP_NCOLUMNS
};
static const char *const op_column_names[OP_NCOLUMNS] = {
    "service_name", "minute_ns", "name", "spans", "errors", "requests", "request_errors"};
static const char *const op_column_types[OP_NCOLUMNS] = {"TEXT",    "INTEGER", "TEXT",   "INTEGER",
                                                         "INTEGER", "INTEGER", "INTEGER"};

/* Columns of otlp_span_traces(payload): one row per trace of the payload's spans, the values
 * sql/sqlite/ingest/spans_20_traces.sql merges into the traces summary (argus_span_trace). */
enum {
    TR_TRACE_ID,
    TR_START,
    TR_END,
    TR_DURATION,
    TR_ROOT_SERVICE,
    TR_ROOT_NAME,
    TR_HAS_ROOT,
    TR_SPANS,
    TR_ERRORS,
    TR_SERVICES,
    TR_NCOLUMNS
};
static const char *const tr_column_names[TR_NCOLUMNS] = {
    "trace_id",    "start_time_unix_nano", "end_time_unix_nano",
    "duration_ns", "root_service_name",    "root_name",
    "has_root",    "span_count",           "error_count",
    "services"};
static const char *const tr_column_types[TR_NCOLUMNS] = {"TEXT",    "INTEGER", "INTEGER", "INTEGER",
                                                         "TEXT",    "TEXT",    "INTEGER", "INTEGER",
                                                         "INTEGER", "TEXT"};

/* Columns of otlp_span_rollups(payload): one row per (service, minute) of the payload's requests,
 * the values sql/sqlite/ingest/spans_30_rollups.sql merges into span_rollups. */
enum { RU_SERVICE, RU_MINUTE, RU_REQUESTS, RU_ERRORS, RU_SKETCH, RU_NCOLUMNS };
static const char *const ru_column_names[RU_NCOLUMNS] = {"service_name", "minute_ns", "requests",
                                                         "errors", "duration_sketch"};
static const char *const ru_column_types[RU_NCOLUMNS] = {"TEXT", "INTEGER", "INTEGER", "INTEGER",
                                                         "BLOB"};

/* Columns of otlp_log_rollups(payload): one row per (service, minute, severity group) of a logs
 * payload's records, the values sql/sqlite/ingest/logs_30_rollups.sql adds to log_rollups; the
 * first two are otlp_span_rollups' (rollup_key_column()). */
enum { LR_SERVICE = RU_SERVICE, LR_MINUTE = RU_MINUTE, LR_SEVERITY, LR_COUNT, LR_NCOLUMNS };
static const char *const lr_column_names[LR_NCOLUMNS] = {"service_name", "minute_ns", "severity",
                                                         "count"};
static const char *const lr_column_types[LR_NCOLUMNS] = {"TEXT", "INTEGER", "INTEGER", "INTEGER"};

/* Each grouping's function name and columns. */
static const struct {
    const char *function;
    const char *const *names, *const *types;
    int ncols;
} GROUPINGS[G_COUNT] = {
    [G_OPERATIONS] = {"otlp_span_operations", op_column_names, op_column_types, OP_NCOLUMNS},
    [G_TRACES] = {"otlp_span_traces", tr_column_names, tr_column_types, TR_NCOLUMNS},
    [G_ROLLUPS] = {"otlp_span_rollups", ru_column_names, ru_column_types, RU_NCOLUMNS},
    [G_LOG_ROLLUPS] = {"otlp_log_rollups", lr_column_names, lr_column_types, LR_NCOLUMNS},
};

typedef struct otlp_vtab {
    sqlite3_vtab base;
    const argus_signal_desc *sig;
    int resources;
    grouping grouping;
    int ncols; /* visible columns; the hidden payload column is number ncols */
} otlp_vtab;

typedef struct otlp_cursor {
    sqlite3_vtab_cursor base;
    const argus_signal_desc *sig;
    int resources;
    sqlite3_int64 rowid;
    int eof;
    argus_otlp_payload own; /* used when the payload is BLOB/TEXT */
    argus_otlp_iter it;
    argus_buf scratch;
    /* resource_attributes and resource_id computed once per resource: every item of a resource
     * repeats them. */
    argus_buf res_json;
    int64_t res_id;
    const void *res_json_of; /* the ResourceSpans/ResourceLogs they are of; NULL when none */
    /* resource tables: the first item of the current row's resource, and how many it has */
    argus_otlp_iter first;
    int64_t item_count;
    int more; /* the iterator is on an item not yet reported */
    /* groupings: the groups, how many, and the one the cursor is on */
    grouping grouping;
    const argus_otlp_payload *payload; /* the bound one or &own */
    argus_grouping groups;
    size_t ngroups, group;
} otlp_cursor;

static const char *fn_name(const argus_signal_desc *sig, int resources, grouping g)
{
    if (g != G_NONE)
        return GROUPINGS[g].function;
    return resources ? sig->resources_function : sig->table_function;
}

/* One module serves the four functions; the kind comes as the module's client data. */
static int otlp_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                        sqlite3_vtab **ppVtab, char **pzErr)
{
    (void)argc;
    (void)argv;
    const vtab_kind *k = aux;
    const argus_signal_desc *sig = argus_signal_get(k->signal);
    const char *const *names = k->grouping    ? GROUPINGS[k->grouping].names
                               : k->resources ? res_column_names
                                              : sig->column_names;
    const char *const *types = k->grouping    ? GROUPINGS[k->grouping].types
                               : k->resources ? res_column_types
                                              : sig->column_types;
    int n = k->grouping    ? GROUPINGS[k->grouping].ncols
            : k->resources ? RES_NCOLUMNS
                           : sig->ncolumns;
    sqlite3_str *s = sqlite3_str_new(db);
    sqlite3_str_appendall(s, "CREATE TABLE x(");
    for (int i = 0; i < n; i++)
        sqlite3_str_appendf(s, "%s %s, ", names[i], types[i]);
    sqlite3_str_appendall(s, "payload HIDDEN)");
    char *sql = sqlite3_str_finish(s);
    if (!sql)
        return SQLITE_NOMEM;
    int rc = argus_vtab_connect(db, sql, sizeof(otlp_vtab), fn_name(sig, k->resources, k->grouping),
                                ppVtab, pzErr);
    sqlite3_free(sql);
    if (rc != SQLITE_OK)
        return rc;
    otlp_vtab *v = (otlp_vtab *)*ppVtab;
    v->sig = sig;
    v->resources = k->resources;
    v->grouping = k->grouping;
    v->ncols = n;
    return SQLITE_OK;
}

static int otlp_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **ppCursor)
{
    int rc = argus_vtab_cursor_new(sizeof(otlp_cursor), ppCursor);
    if (rc != SQLITE_OK)
        return rc;
    otlp_cursor *c = (otlp_cursor *)*ppCursor;
    c->sig = ((otlp_vtab *)vtab)->sig;
    c->resources = ((otlp_vtab *)vtab)->resources;
    c->grouping = ((otlp_vtab *)vtab)->grouping;
    c->eof = 1;
    argus_grouping_init(&c->groups);
    argus_otlp_payload_init(&c->own, c->sig->signal);
    argus_buf_init(&c->scratch);
    argus_buf_init(&c->res_json);
    return SQLITE_OK;
}

static int otlp_close(sqlite3_vtab_cursor *cur)
{
    otlp_cursor *c = (otlp_cursor *)cur;
    argus_otlp_payload_free(&c->own);
    argus_buf_free(&c->scratch);
    argus_buf_free(&c->res_json);
    argus_grouping_free(&c->groups);
    sqlite3_free(c);
    return SQLITE_OK;
}

static int otlp_next(sqlite3_vtab_cursor *cur)
{
    otlp_cursor *c = (otlp_cursor *)cur;
    c->rowid++;
    if (c->grouping) {
        c->eof = c->group >= c->ngroups;
        c->group++;
        return SQLITE_OK;
    }
    if (!c->resources) {
        c->eof = !argus_otlp_iter_next(&c->it);
        return SQLITE_OK;
    }
    /* One row per ResourceSpans / ResourceLogs with valid items: remember its first item, count
     * the rest, and stop on the next resource's first item. */
    c->eof = !c->more;
    if (c->eof)
        return SQLITE_OK;
    c->first = c->it;
    const void *entry = c->it.resource_entry;
    c->item_count = 0;
    do {
        c->item_count++;
        c->more = argus_otlp_iter_next(&c->it);
    } while (c->more && c->it.resource_entry == entry);
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

/* Makes res_json / res_id those of the resource of the item `it` is on. */
static int resource_cache(otlp_cursor *c, const argus_otlp_iter *it)
{
    if (it->resource_entry == c->res_json_of)
        return SQLITE_OK;
    argus_value v;
    argus_buf_reset(&c->res_json);
    argus_otlp_column(it, c->sig->context_columns[ARGUS_RES_ATTRIBUTES], &v, &c->res_json);
    if (c->res_json.failed || !argus_buf_cstr(&c->res_json))
        return SQLITE_NOMEM;
    const char *u = it->resource_schema;
    c->res_id = argus_otlp_resource_id(c->res_json.data, c->res_json.len, u, u ? strlen(u) : 0);
    c->res_json_of = it->resource_entry;
    return SQLITE_OK;
}

static void result_text(sqlite3_context *ctx, const char *s, size_t n, int null)
{
    if (!null)
        sqlite3_result_text(ctx, s, (int)n, SQLITE_TRANSIENT);
}

static void result_value(sqlite3_context *ctx, const argus_value *v)
{
    result_text(ctx, v->s, v->n, v->type != ARGUS_VAL_TEXT);
}

/* The columns both rollups start with (RU_SERVICE, RU_MINUTE; LR_* the same): their key k;
 * other columns (the hidden payload column) read as NULL. */
static void rollup_key_column(sqlite3_context *ctx, const argus_rollup_key *k, int col)
{
    if (col == RU_SERVICE)
        result_text(ctx, k->service, k->service_n, k->service_null);
    else if (col == RU_MINUTE)
        sqlite3_result_int64(ctx, k->minute_ns);
}

/* Column col of group g of the cursor's grouping; the hidden payload column reads as NULL. */
static void group_column(otlp_cursor *c, sqlite3_context *ctx, size_t g, int col)
{
    if (c->grouping == G_OPERATIONS) {
        const argus_span_operation *o = &((const argus_span_operation *)c->groups.rows)[g];
        switch (col) {
        case OP_SERVICE: result_text(ctx, o->service, o->service_n, o->service_null); break;
        case OP_MINUTE: sqlite3_result_int64(ctx, o->minute_ns); break;
        case OP_NAME: result_text(ctx, o->name, o->name_n, o->name_null); break;
        case OP_SPANS: sqlite3_result_int64(ctx, o->spans); break;
        case OP_ERRORS: sqlite3_result_int64(ctx, o->errors); break;
        case OP_REQUESTS: sqlite3_result_int64(ctx, o->requests); break;
        case OP_REQUEST_ERRORS: sqlite3_result_int64(ctx, o->request_errors); break;
        default: break;
        }
    } else if (c->grouping == G_TRACES) {
        const argus_span_trace *t = &((const argus_span_trace *)c->groups.rows)[g];
        switch (col) {
        case TR_TRACE_ID: result_text(ctx, t->trace_id, t->trace_id_n, 0); break;
        case TR_START: sqlite3_result_int64(ctx, t->start_ns); break;
        case TR_END: sqlite3_result_int64(ctx, t->end_ns); break;
        case TR_DURATION: sqlite3_result_int64(ctx, t->end_ns - t->start_ns); break;
        case TR_ROOT_SERVICE: result_value(ctx, &t->root_service); break;
        case TR_ROOT_NAME: result_value(ctx, &t->root_name); break;
        case TR_HAS_ROOT: sqlite3_result_int64(ctx, t->has_root); break;
        case TR_SPANS: sqlite3_result_int64(ctx, t->spans); break;
        case TR_ERRORS: sqlite3_result_int64(ctx, t->errors); break;
        case TR_SERVICES: result_text(ctx, t->services, t->services_n, 0); break;
        default: break;
        }
    } else if (c->grouping == G_LOG_ROLLUPS) {
        const argus_log_rollup *r = &((const argus_log_rollup *)c->groups.rows)[g];
        switch (col) {
        case LR_SEVERITY: sqlite3_result_int64(ctx, r->severity); break;
        case LR_COUNT: sqlite3_result_int64(ctx, r->count); break;
        default: rollup_key_column(ctx, &r->key, col); break;
        }
    } else {
        const argus_span_rollup *r = &((const argus_span_rollup *)c->groups.rows)[g];
        switch (col) {
        case RU_REQUESTS: sqlite3_result_int64(ctx, r->requests); break;
        case RU_ERRORS: sqlite3_result_int64(ctx, r->errors); break;
        case RU_SKETCH:
            sqlite3_result_blob(ctx, r->sketch_blob, (int)r->sketch_n, SQLITE_TRANSIENT);
            break;
        default: rollup_key_column(ctx, &r->key, col); break;
        }
    }
}

static int otlp_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
    otlp_cursor *c = (otlp_cursor *)cur;
    const argus_otlp_iter *it = &c->it;
    const int *rc_cols = c->sig->context_columns;
    if (c->grouping) {
        /* the row is group - 1: otlp_next() moved past it */
        group_column(c, ctx, c->group - 1, col);
        return SQLITE_OK;
    }
    if (c->resources) {
        if (col >= RES_NCOLUMNS)
            return SQLITE_OK; /* the hidden payload column reads as NULL */
        if (col == RES_ITEM_COUNT) {
            sqlite3_result_int64(ctx, c->item_count);
            return SQLITE_OK;
        }
        it = &c->first;
        col = rc_cols[col];
    } else if (col >= c->sig->ncolumns) {
        return SQLITE_OK;
    }
    /* Rows rendered ahead (see argus_otlp_render()) live as long as the decoded payload, which
     * outlives the statement: SQLite may use them without a copy. */
    int res_attrs = col == rc_cols[ARGUS_RES_ATTRIBUTES];
    int res_id = col == rc_cols[ARGUS_RES_ID];
    if ((res_attrs || res_id) && !it->rows) {
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
    argus_otlp_column(it, col, &v, &c->scratch);
    if (c->scratch.failed)
        return SQLITE_NOMEM;
    switch (v.type) {
    case ARGUS_VAL_INT: sqlite3_result_int64(ctx, v.i); break;
    case ARGUS_VAL_TEXT:
    case ARGUS_VAL_JSON:
        sqlite3_result_text(ctx, v.s, (int)v.n, it->rows ? SQLITE_STATIC : SQLITE_TRANSIENT);
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
    const char *fname = fn_name(c->sig, c->resources, c->grouping);
    *none = 0;
    const argus_otlp_payload *bound = sqlite3_value_pointer(arg, c->sig->pointer_type);
    if (bound && bound->signal != c->sig->signal) {
        sqlite3_free(vtab->zErrMsg);
        vtab->zErrMsg = sqlite3_mprintf("%s: the bound payload holds %s", fname,
                                        argus_signal_name(bound->signal));
        return SQLITE_MISMATCH;
    }
    if (bound) {
        c->payload = bound;
        c->it = argus_otlp_iter_start(bound);
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
    argus_error err;
    argus_error_clear(&err);
    int rc = argus_otlp_decode(&c->own, data, len, ARGUS_OTLP_AUTO, &err);
    c->payload = &c->own;
    c->it = argus_otlp_iter_start(&c->own);
    if (rc) {
        /* Name the function the user called, whatever module produced the error. */
        argus_error named;
        argus_error_set(&named, err.code, "%s: %.220s", fname, strip_module(err.message));
        return argus_sqlite_vtab_error(vtab, &named);
    }
    return SQLITE_OK;
}

/* Groups the payload's spans as the cursor's function does. */
static int build_groups(otlp_cursor *c)
{
    argus_error err;
    argus_error_clear(&err);
    int rc = 0;
    c->group = 0;
    c->ngroups = 0;
    switch (c->grouping) {
    case G_OPERATIONS: rc = argus_span_operations_build(&c->groups, c->payload); break;
    case G_TRACES: rc = argus_span_traces_build(&c->groups, c->payload); break;
    case G_LOG_ROLLUPS: rc = argus_log_rollups_build(&c->groups, c->payload); break;
    default:
        rc = argus_span_rollups_build(&c->groups, c->payload, &err);
        if (rc && rc != ARGUS_ENOMEM) {
            argus_error named;
            argus_error_set(&named, err.code, "%s: %.220s", GROUPINGS[c->grouping].function,
                            err.message);
            return argus_sqlite_vtab_error(c->base.pVtab, &named);
        }
    }
    c->ngroups = c->groups.n;
    return rc ? SQLITE_NOMEM : SQLITE_OK;
}

static int otlp_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                       sqlite3_value **argv)
{
    otlp_cursor *c = (otlp_cursor *)cur;
    (void)idxStr;
    c->rowid = 0;
    c->eof = 1;
    memset(&c->it, 0, sizeof c->it);
    c->res_json_of = NULL; /* a new payload may reuse the old one's memory */
    if (!(idxNum & 1) || argc < 1) {
        const char *f = fn_name(c->sig, c->resources, c->grouping);
        sqlite3_free(cur->pVtab->zErrMsg);
        cur->pVtab->zErrMsg =
            sqlite3_mprintf("%s: missing payload argument; use %s(payload)", f, f);
        return SQLITE_ERROR;
    }
    int none;
    int rc = load_payload(c, argv[0], &none);
    if (rc != SQLITE_OK || none)
        return rc;
    if (c->grouping) {
        rc = build_groups(c);
        if (rc != SQLITE_OK)
            return rc;
    }
    if (c->resources)
        c->more = argus_otlp_iter_next(&c->it);
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
    .xDisconnect = argus_vtab_disconnect,
    .xOpen = otlp_open,
    .xClose = otlp_close,
    .xFilter = otlp_filter,
    .xNext = otlp_next,
    .xEof = otlp_eof,
    .xColumn = otlp_column,
    .xRowid = otlp_rowid,
};

/* ---- scalar functions ----------------------------------------------------------------------- */

/* The payload argument's bytes; 0 after setting the result (NULL for NULL input, or an error). */
static int payload_arg(sqlite3_context *ctx, sqlite3_value *arg, const char *fname,
                       const void **data, size_t *len)
{
    int type = sqlite3_value_type(arg);
    if (type == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return 0;
    }
    if (type != SQLITE_BLOB && type != SQLITE_TEXT) {
        char *msg = sqlite3_mprintf("%s: payload must be a BLOB or TEXT", fname);
        sqlite3_result_error(ctx, msg ? msg : fname, -1);
        sqlite3_free(msg);
        return 0;
    }
    *data = type == SQLITE_BLOB ? sqlite3_value_blob(arg) : sqlite3_value_text(arg);
    *len = (size_t)sqlite3_value_bytes(arg);
    return 1;
}

/* The one place decode errors become SQL errors, naming the function the user called. */
static void decode_error(sqlite3_context *ctx, const char *fname, const argus_error *err)
{
    argus_error named;
    argus_error_set(&named, err->code, "%s: %.220s", fname, strip_module(err->message));
    argus_sqlite_result_error(ctx, &named);
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

/* otlp_spans_json(payload) / otlp_logs_json(payload): the signal's descriptor is the user data. */
static void rows_json_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const argus_signal_desc *sig = sqlite3_user_data(ctx);
    const void *data;
    size_t len;
    if (!payload_arg(ctx, argv[0], sig->json_function, &data, &len))
        return;
    argus_otlp_payload p;
    argus_otlp_payload_init(&p, sig->signal);
    argus_error err;
    argus_error_clear(&err);
    if (argus_otlp_decode(&p, data, len, ARGUS_OTLP_AUTO, &err) != 0) {
        decode_error(ctx, sig->json_function, &err);
    } else {
        argus_buf b;
        argus_buf_init(&b);
        argus_otlp_rows_json(&b, &p);
        result_buf(ctx, &b);
    }
    argus_otlp_payload_free(&p);
}

/* Decodes argv[0] as the signal named by argv[1] ('traces' / 'logs'), or detected as
 * argus_otlp_decode_any() does when there is no argv[1]. Returns the payload holding it (one of
 * tr, lg), or NULL after setting the result (NULL for a NULL payload, or the error). */
static argus_otlp_payload *decode_signal(sqlite3_context *ctx, int argc, sqlite3_value **argv,
                                         const char *fname, argus_otlp_payload *tr,
                                         argus_otlp_payload *lg)
{
    const char *want = argc > 1 ? (const char *)sqlite3_value_text(argv[1]) : NULL;
    argus_otlp_payload *only = NULL;
    if (want) {
        for (int s = 0; s < ARGUS_SIGNAL_COUNT; s++)
            if (strcmp(want, argus_signal_name((argus_signal)s)) == 0)
                only = s == ARGUS_SIGNAL_TRACES ? tr : lg;
        if (!only) {
            char *msg = sqlite3_mprintf("%s: second argument must be 'traces' or 'logs'", fname);
            sqlite3_result_error(ctx, msg ? msg : fname, -1);
            sqlite3_free(msg);
            return NULL;
        }
    }
    const void *data;
    size_t len;
    if (!payload_arg(ctx, argv[0], fname, &data, &len))
        return NULL;
    argus_error err;
    argus_error_clear(&err);
    argus_otlp_payload *out = only;
    int rc = only ? argus_otlp_decode(only, data, len, ARGUS_OTLP_AUTO, &err)
                  : argus_otlp_decode_any(tr, lg, data, len, ARGUS_OTLP_AUTO, &out, &err);
    if (rc) {
        decode_error(ctx, fname, &err);
        return NULL;
    }
    return out;
}

/* otlp_check(payload [, 'traces'|'logs']): a JSON summary of what a payload holds, including the
 * rejected items that otlp_spans()/otlp_logs() skip and why. */
static void check_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    argus_otlp_payload tr, lg;
    argus_otlp_payload_init(&tr, ARGUS_SIGNAL_TRACES);
    argus_otlp_payload_init(&lg, ARGUS_SIGNAL_LOGS);
    const argus_otlp_payload *p = decode_signal(ctx, argc, argv, "otlp_check", &tr, &lg);
    if (p) {
        argus_buf b;
        argus_buf_init(&b);
        argus_otlp_check_json(&b, p);
        result_buf(ctx, &b);
    }
    argus_otlp_payload_free(&tr);
    argus_otlp_payload_free(&lg);
}

/* argus_store(payload [, 'traces'|'logs']): stores an OTLP payload in this database by running
 * the ingest statements of sql/sqlite/ingest (spans + traces summary + rollups, or logs) with the
 * payload decoded once; returns the number of spans / log records stored. The signal is detected
 * as otlp_check() does when not given. */
static void store_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    argus_otlp_payload tr, lg;
    argus_otlp_payload_init(&tr, ARGUS_SIGNAL_TRACES);
    argus_otlp_payload_init(&lg, ARGUS_SIGNAL_LOGS);
    argus_otlp_payload *p = decode_signal(ctx, argc, argv, "argus_store", &tr, &lg);
    if (!p)
        goto done;
    const argus_signal_desc *sig = argus_signal_get(p->signal);
    sqlite3 *db = sqlite3_context_db_handle(ctx);
    int rc = sqlite3_exec(db, "SAVEPOINT argus_store", NULL, NULL, NULL);
    sqlite3_int64 stored = 0;
    for (const argus_ingest_statement *s = argus_sqlite_ingest; rc == SQLITE_OK && s->name; s++) {
        if (strcmp(s->kind, sig->rows) != 0)
            continue;
        sqlite3_stmt *st;
        rc = sqlite3_prepare_v2(db, s->sql, -1, &st, NULL);
        if (rc != SQLITE_OK)
            break;
        sqlite3_bind_pointer(st, 1, p, sig->pointer_type, NULL);
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
    argus_otlp_payload_free(&tr);
    argus_otlp_payload_free(&lg);
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
    static const vtab_kind kinds[] = {
        {ARGUS_SIGNAL_TRACES, 0, G_NONE},       {ARGUS_SIGNAL_LOGS, 0, G_NONE},
        {ARGUS_SIGNAL_TRACES, 1, G_NONE},       {ARGUS_SIGNAL_LOGS, 1, G_NONE},
        {ARGUS_SIGNAL_TRACES, 0, G_OPERATIONS}, {ARGUS_SIGNAL_TRACES, 0, G_TRACES},
        {ARGUS_SIGNAL_TRACES, 0, G_ROLLUPS},    {ARGUS_SIGNAL_LOGS, 0, G_LOG_ROLLUPS}};
    argus_sqlite_glue glue[11 + ARGUS_SIGNAL_COUNT];
    size_t n = 0;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        glue[n++] = (argus_sqlite_glue){.name = fn_name(argus_signal_get(kinds[k].signal),
                                                        kinds[k].resources, kinds[k].grouping),
                                        .module = &otlp_module,
                                        .data = (void *)&kinds[k]};
    for (int s = 0; s < ARGUS_SIGNAL_COUNT; s++) {
        const argus_signal_desc *sig = argus_signal_get((argus_signal)s);
        glue[n++] = (argus_sqlite_glue){
            .name = sig->json_function, .func = rows_json_fn, .data = (void *)sig};
    }
    glue[n++] = (argus_sqlite_glue){.name = "otlp_check", .func = check_fn};
    glue[n++] = (argus_sqlite_glue){.name = "resource_id", .func = resource_id_fn};
    glue[n++] = (argus_sqlite_glue){.name = "argus_store", .func = store_fn};
    return argus_sqlite_register(db, glue, n, pzErrMsg);
}
