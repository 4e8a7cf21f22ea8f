/* trace_waterfall(trace_id): eponymous table-valued function over the stored spans table, one row
 * per span of the trace in display order with depth, offset, self time and critical-path flag;
 * and the aggregate waterfall_json(span_id, parent_span_id, start_ns, end_ns [, kind
 * [, status_code [, name [, service_name]]]]) that assembles any rows into one JSON array.
 *   SELECT depth, name, offset_ns, is_critical FROM trace_waterfall('4bf92f3577b34da6...');
 *   SELECT waterfall_json(span_id, parent_span_id, start_ns, end_ns) FROM my_spans; */
#include "argus_sqlite.h"
SQLITE_EXTENSION_INIT3

#include "argus_waterfall.h"

#include <stdlib.h>
#include <string.h>

/* Visible columns, in declaration order. */
enum {
    COL_TRACE_ID,
    COL_SPAN_ID,
    COL_PARENT_SPAN_ID,
    COL_SERVICE_NAME,
    COL_NAME,
    COL_KIND,
    COL_START,
    COL_END,
    COL_DURATION,
    COL_STATUS_CODE,
    COL_STATUS_MESSAGE,
    COL_DEPTH,
    COL_OFFSET,
    COL_SELF,
    COL_IS_CRITICAL,
    COL_HAS_ERROR,
    COL_DESCENDANT_ERROR,
    COL_IS_ORPHAN,
    COL_IS_DUPLICATE,
    COL_CHILD_COUNT,
    COL_ID,
    COL_ARG_TRACE_ID /* hidden: the function argument */
};

#define WATERFALL_SCHEMA                                                                           \
    "CREATE TABLE x(trace_id TEXT, span_id TEXT, parent_span_id TEXT, service_name TEXT, "         \
    "name TEXT, kind INTEGER, start_time_unix_nano INTEGER, end_time_unix_nano INTEGER, "          \
    "duration_ns INTEGER, status_code INTEGER, status_message TEXT, depth INTEGER, "               \
    "offset_ns INTEGER, self_ns INTEGER, is_critical INTEGER, has_error INTEGER, "                 \
    "descendant_error INTEGER, is_orphan INTEGER, is_duplicate INTEGER, child_count INTEGER, "     \
    "id INTEGER, trace_id_arg HIDDEN)"

/* Ordered by id so equal keys keep the order they were stored in. */
#define SPANS_QUERY                                                                                \
    "SELECT id, span_id, parent_span_id, start_time_unix_nano, end_time_unix_nano, kind, "         \
    "status_code, name, service_name, status_message FROM spans WHERE trace_id = ?1 ORDER BY id"

/* idxNum bits: which constraint carries the trace id. */
#define IDX_ARG 1      /* trace_waterfall('...'), i.e. trace_id_arg = ? */
#define IDX_TRACE_ID 2 /* ... FROM trace_waterfall WHERE trace_id = ? */

typedef struct waterfall_vtab {
    sqlite3_vtab base;
    sqlite3 *db;
    sqlite3_stmt *query; /* SPANS_QUERY, prepared on first use, kept until disconnect */
    /* The buffers of the last closed cursor, reused by the next one: allocating ~2 MB for a
     * 10k-span trace afresh on every query (arrays regrown by doubling, arena blocks, first-touch
     * page faults, munmap at close) cost ~14 ms of bench_waterfall's ~22 ms. */
    struct waterfall_cursor *spare;
} waterfall_vtab;

typedef struct text {
    const char *s; /* in the cursor's arena; NULL for SQL NULL */
    size_t n;
} text;

typedef struct waterfall_cursor {
    argus_vtab_rows r;           /* r.n: spans of the trace, r.pos: the current row */
    argus_arena arena;           /* every string of the current trace */
    argus_waterfall_span *spans; /* input order; .index = spans.id */
    text *status_messages;       /* parallel to spans */
    argus_waterfall_row *rows;   /* display order */
    size_t cap;
    char *trace_id; /* lower-case hex, in the arena */
} waterfall_cursor;

static int waterfall_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                             sqlite3_vtab **ppVtab, char **pzErr)
{
    (void)aux;
    (void)argc;
    (void)argv;
    /* It only reads the spans table: harmless wherever a schema might use it (innocuous). */
    int rc = argus_vtab_connect(db, WATERFALL_SCHEMA, sizeof(waterfall_vtab), "trace_waterfall",
                                ppVtab, pzErr);
    if (rc == SQLITE_OK)
        ((waterfall_vtab *)*ppVtab)->db = db;
    return rc;
}

static void cursor_free(waterfall_cursor *c)
{
    if (!c)
        return;
    argus_arena_free(&c->arena);
    sqlite3_free(c->spans);
    sqlite3_free(c->status_messages);
    sqlite3_free(c->rows);
    sqlite3_free(c);
}

static int waterfall_disconnect(sqlite3_vtab *vtab)
{
    waterfall_vtab *v = (waterfall_vtab *)vtab;
    sqlite3_finalize(v->query);
    cursor_free(v->spare);
    sqlite3_free(v);
    return SQLITE_OK;
}

static void cursor_reset(waterfall_cursor *c)
{
    argus_arena_reset(&c->arena);
    c->r.n = c->r.pos = 0;
    c->trace_id = NULL;
}

static int waterfall_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **ppCursor)
{
    waterfall_vtab *v = (waterfall_vtab *)vtab;
    waterfall_cursor *c = v->spare;
    v->spare = NULL;
    if (c) {
        cursor_reset(c);
        memset(&c->r.base, 0, sizeof c->r.base);
        *ppCursor = &c->r.base;
        return SQLITE_OK;
    }
    int rc = argus_vtab_cursor_new(sizeof *c, ppCursor);
    if (rc == SQLITE_OK)
        argus_arena_init(&((waterfall_cursor *)*ppCursor)->arena, 0);
    return rc;
}

/* Keeps the buffers for the next query unless another cursor's already are, or they are
 * unusually large (a trace of more than SPARE_MAX_SPANS spans). */
#define SPARE_MAX_SPANS 65536
static int waterfall_close(sqlite3_vtab_cursor *cur)
{
    waterfall_cursor *c = (waterfall_cursor *)cur;
    waterfall_vtab *v = (waterfall_vtab *)cur->pVtab;
    if (!v->spare && c->cap <= SPARE_MAX_SPANS) {
        cursor_reset(c);
        v->spare = c;
    } else {
        cursor_free(c);
    }
    return SQLITE_OK;
}

static void result_text(sqlite3_context *ctx, const char *s, size_t n)
{
    if (s)
        sqlite3_result_text64(ctx, s, n, SQLITE_TRANSIENT, SQLITE_UTF8);
}

static int waterfall_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
    waterfall_cursor *c = (waterfall_cursor *)cur;
    const argus_waterfall_row *r = &c->rows[c->r.pos];
    const argus_waterfall_span *s = &c->spans[r->span];
    switch (col) {
    case COL_TRACE_ID:
    case COL_ARG_TRACE_ID: result_text(ctx, c->trace_id, strlen(c->trace_id)); break;
    case COL_SPAN_ID: result_text(ctx, s->span_id, s->span_id_len); break;
    case COL_PARENT_SPAN_ID: result_text(ctx, s->parent_span_id, s->parent_span_id_len); break;
    case COL_SERVICE_NAME: result_text(ctx, s->service_name, s->service_name_len); break;
    case COL_NAME: result_text(ctx, s->name, s->name_len); break;
    case COL_KIND: sqlite3_result_int(ctx, s->kind); break;
    case COL_START: sqlite3_result_int64(ctx, s->start_ns); break;
    case COL_END: sqlite3_result_int64(ctx, s->end_ns); break;
    case COL_DURATION: sqlite3_result_int64(ctx, r->duration_ns); break;
    case COL_STATUS_CODE: sqlite3_result_int(ctx, s->status_code); break;
    case COL_STATUS_MESSAGE:
        result_text(ctx, c->status_messages[r->span].s, c->status_messages[r->span].n);
        break;
    case COL_DEPTH: sqlite3_result_int(ctx, r->depth); break;
    case COL_OFFSET: sqlite3_result_int64(ctx, r->offset_ns); break;
    case COL_SELF: sqlite3_result_int64(ctx, r->self_ns); break;
    case COL_IS_CRITICAL: sqlite3_result_int(ctx, r->is_critical); break;
    case COL_HAS_ERROR: sqlite3_result_int(ctx, r->has_error); break;
    case COL_DESCENDANT_ERROR: sqlite3_result_int(ctx, r->descendant_error); break;
    case COL_IS_ORPHAN: sqlite3_result_int(ctx, r->is_orphan); break;
    case COL_IS_DUPLICATE: sqlite3_result_int(ctx, r->is_duplicate); break;
    case COL_CHILD_COUNT: sqlite3_result_int64(ctx, r->child_count); break;
    case COL_ID: sqlite3_result_int64(ctx, s->index); break;
    }
    return SQLITE_OK;
}

/* Copies column i of the query into the arena; NULL stays NULL. */
static int copy_column(waterfall_cursor *c, sqlite3_stmt *st, int i, const char **s, size_t *n)
{
    *s = NULL;
    *n = 0;
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return 0;
    const unsigned char *t = sqlite3_column_text(st, i);
    size_t len = (size_t)sqlite3_column_bytes(st, i);
    if (!t)
        return -1;
    *s = argus_arena_strndup(&c->arena, (const char *)t, len);
    *n = len;
    return *s ? 0 : -1;
}

static int grow(waterfall_cursor *c)
{
    size_t cap = c->cap ? c->cap * 2 : 64;
    argus_waterfall_span *s = sqlite3_realloc64(c->spans, cap * sizeof *s);
    if (!s)
        return -1;
    c->spans = s;
    text *m = sqlite3_realloc64(c->status_messages, cap * sizeof *m);
    if (!m)
        return -1;
    c->status_messages = m;
    argus_waterfall_row *r = sqlite3_realloc64(c->rows, cap * sizeof *r);
    if (!r)
        return -1;
    c->rows = r;
    c->cap = cap;
    return 0;
}

/* Reads the trace's spans into the cursor. */
static int load_spans(waterfall_cursor *c, sqlite3_stmt *st)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (c->r.n == ARGUS_WATERFALL_MAX_SPANS) {
            argus_error err;
            argus_error_set(&err, ARGUS_ELIMIT, "trace_waterfall: the trace has more than %d spans",
                            ARGUS_WATERFALL_MAX_SPANS);
            return argus_sqlite_vtab_error(c->r.base.pVtab, &err);
        }
        if (c->r.n == c->cap && grow(c))
            return SQLITE_NOMEM;
        argus_waterfall_span *s = &c->spans[c->r.n];
        memset(s, 0, sizeof *s);
        s->index = sqlite3_column_int64(st, 0);
        s->start_ns = sqlite3_column_int64(st, 3);
        s->end_ns = sqlite3_column_int64(st, 4);
        s->kind = sqlite3_column_int(st, 5);
        s->status_code = sqlite3_column_int(st, 6);
        text *m = &c->status_messages[c->r.n];
        if (copy_column(c, st, 1, &s->span_id, &s->span_id_len) ||
            copy_column(c, st, 2, &s->parent_span_id, &s->parent_span_id_len) ||
            copy_column(c, st, 7, &s->name, &s->name_len) ||
            copy_column(c, st, 8, &s->service_name, &s->service_name_len) ||
            copy_column(c, st, 9, &m->s, &m->n))
            return SQLITE_NOMEM;
        c->r.n++;
    }
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The trace id argument as stored: lower-case hex text. BLOB ids (raw bytes) are hex-encoded. */
static int normalize_trace_id(waterfall_cursor *c, sqlite3_value *v)
{
    int type = sqlite3_value_type(v);
    size_t n = (size_t)sqlite3_value_bytes(v);
    if (type == SQLITE_BLOB) {
        c->trace_id = argus_arena_alloc(&c->arena, 2 * n + 1);
        if (!c->trace_id)
            return SQLITE_NOMEM;
        argus_hex(c->trace_id, sqlite3_value_blob(v), n);
        return SQLITE_OK;
    }
    if (type != SQLITE_TEXT) {
        argus_error err;
        argus_error_set(&err, ARGUS_EINVAL, "trace_waterfall: the trace id must be hex text");
        return argus_sqlite_vtab_error(c->r.base.pVtab, &err);
    }
    const char *t = (const char *)sqlite3_value_text(v);
    c->trace_id = t ? argus_arena_strndup(&c->arena, t, n) : NULL;
    if (!c->trace_id)
        return SQLITE_NOMEM;
    for (size_t i = 0; i < n; i++)
        if (c->trace_id[i] >= 'A' && c->trace_id[i] <= 'Z')
            c->trace_id[i] = (char)(c->trace_id[i] - 'A' + 'a');
    return SQLITE_OK;
}

static int waterfall_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                            sqlite3_value **argv)
{
    (void)idxStr;
    waterfall_cursor *c = (waterfall_cursor *)cur;
    waterfall_vtab *v = (waterfall_vtab *)cur->pVtab;
    cursor_reset(c);
    if (idxNum == 0 || argc != 1)
        return SQLITE_ERROR; /* waterfall_best_index never plans this */
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return SQLITE_OK;
    int rc = normalize_trace_id(c, argv[0]);
    if (rc != SQLITE_OK)
        return rc;
    if (!v->query) {
        rc = sqlite3_prepare_v3(v->db, SPANS_QUERY, -1, SQLITE_PREPARE_PERSISTENT, &v->query, NULL);
        if (rc != SQLITE_OK) {
            sqlite3_free(v->base.zErrMsg);
            v->base.zErrMsg =
                sqlite3_mprintf("trace_waterfall: cannot read spans: %s", sqlite3_errmsg(v->db));
            return rc;
        }
    }
    sqlite3_bind_text64(v->query, 1, c->trace_id, strlen(c->trace_id), SQLITE_STATIC, SQLITE_UTF8);
    rc = load_spans(c, v->query);
    if (rc != SQLITE_OK && rc != SQLITE_NOMEM && rc != SQLITE_TOOBIG && !v->base.zErrMsg)
        v->base.zErrMsg =
            sqlite3_mprintf("trace_waterfall: cannot read spans: %s", sqlite3_errmsg(v->db));
    sqlite3_reset(v->query);
    sqlite3_clear_bindings(v->query);
    if (rc != SQLITE_OK) {
        c->r.n = 0;
        return rc;
    }
    argus_error err;
    argus_error_clear(&err);
    if (argus_waterfall_build(c->spans, c->r.n, c->rows, &err)) {
        c->r.n = 0;
        return argus_sqlite_vtab_error(cur->pVtab, &err);
    }
    return SQLITE_OK;
}

/* The trace id comes from the function argument (trace_waterfall('...')) or, as a convenience,
 * from "WHERE trace_id = ?" on the visible column. Either is required: a missing one is an error,
 * an unusable one (a join order that has no value yet) makes this plan SQLITE_CONSTRAINT. */
static int waterfall_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info)
{
    int arg = -1, tid = -1, seen = 0;
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *k = &info->aConstraint[i];
        if (k->iColumn != COL_ARG_TRACE_ID && k->iColumn != COL_TRACE_ID)
            continue;
        if (k->iColumn == COL_ARG_TRACE_ID || k->op == SQLITE_INDEX_CONSTRAINT_EQ)
            seen = 1;
        if (!k->usable || k->op != SQLITE_INDEX_CONSTRAINT_EQ)
            continue;
        if (k->iColumn == COL_ARG_TRACE_ID)
            arg = i;
        else
            tid = i;
    }
    int use = arg >= 0 ? arg : tid;
    if (use < 0) {
        if (seen)
            return SQLITE_CONSTRAINT;
        sqlite3_free(vtab->zErrMsg);
        vtab->zErrMsg = sqlite3_mprintf("trace_waterfall: a trace id is required, as in "
                                        "SELECT * FROM trace_waterfall('4bf92f3577b34da6...')");
        return SQLITE_ERROR;
    }
    info->aConstraintUsage[use].argvIndex = 1;
    info->aConstraintUsage[use].omit = 1;
    info->idxNum = arg >= 0 ? IDX_ARG : IDX_TRACE_ID;
    info->estimatedCost = 1000;
    info->estimatedRows = 100; /* a typical trace */
    return SQLITE_OK;
}

static sqlite3_module waterfall_module =
    ARGUS_VTAB_ROWS_MODULE(waterfall_connect, waterfall_best_index, waterfall_disconnect,
                           waterfall_open, waterfall_close, waterfall_filter, waterfall_column);

/* --- waterfall_json aggregate --------------------------------------------------------------- */

static const char *const json_arg_names[] = {"span_id", "parent_span_id", "start_ns",
                                             "end_ns",  "kind",           "status_code",
                                             "name",    "service_name"};

/* A text argument: TEXT as is, BLOB ids hex-encoded (scratch must hold 2 * bytes + 1). */
static const char *text_arg(sqlite3_value *v, size_t *n, argus_buf *scratch)
{
    int type = sqlite3_value_type(v);
    if (type == SQLITE_NULL) {
        *n = 0;
        return NULL;
    }
    if (type == SQLITE_BLOB) {
        size_t len = (size_t)sqlite3_value_bytes(v);
        if (argus_buf_reserve(scratch, 2 * len + 1))
            return NULL;
        argus_hex(scratch->data + scratch->len, sqlite3_value_blob(v), len);
        *n = 2 * len;
        const char *s = scratch->data + scratch->len;
        scratch->len += 2 * len + 1;
        return s;
    }
    const char *s = (const char *)sqlite3_value_text(v);
    *n = (size_t)sqlite3_value_bytes(v);
    return s;
}

static int int_arg(sqlite3_value *v, int64_t *out, int i, argus_error *err)
{
    int t = sqlite3_value_numeric_type(v);
    if (t == SQLITE_NULL) {
        *out = 0;
        return 0;
    }
    if (t != SQLITE_INTEGER && t != SQLITE_FLOAT)
        return argus_error_set(err, ARGUS_EINVAL, "waterfall_json: %s must be an integer",
                               json_arg_names[i]);
    *out = sqlite3_value_int64(v);
    return 0;
}

static void json_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    argus_waterfall_set *set = argus_sqlite_agg_state(ctx, sizeof *set);
    if (!set)
        return;
    /* Like other aggregates, rows without a value (here: without an id or times) are ignored. */
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[2]) == SQLITE_NULL ||
        sqlite3_value_type(argv[3]) == SQLITE_NULL)
        return;
    argus_error err;
    argus_error_clear(&err);
    argus_waterfall_span s;
    memset(&s, 0, sizeof s);
    int64_t ints[4] = {0, 0, 0, 0}; /* start, end, kind, status_code */
    for (int i = 2; i < argc && i < 6; i++)
        if (int_arg(argv[i], &ints[i - 2], i, &err)) {
            argus_sqlite_result_error(ctx, &err);
            return;
        }
    s.start_ns = ints[0];
    s.end_ns = ints[1];
    s.kind = (int)ints[2];
    s.status_code = (int)ints[3];
    argus_buf scratch;
    argus_buf_init(&scratch);
    /* Room for hex ids so pointers into scratch stay valid while the others are added. */
    size_t need = 0;
    for (int i = 0; i < 2; i++)
        if (sqlite3_value_type(argv[i]) == SQLITE_BLOB)
            need += 2 * (size_t)sqlite3_value_bytes(argv[i]) + 1;
    if (need && argus_buf_reserve(&scratch, need)) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    s.span_id = text_arg(argv[0], &s.span_id_len, &scratch);
    s.parent_span_id = text_arg(argv[1], &s.parent_span_id_len, &scratch);
    if (argc > 6)
        s.name = text_arg(argv[6], &s.name_len, &scratch);
    if (argc > 7)
        s.service_name = text_arg(argv[7], &s.service_name_len, &scratch);
    s.index = (int64_t)set->n;
    int rc = s.span_id ? argus_waterfall_set_add(set, &s, &err)
                       : argus_error_set(&err, ARGUS_ENOMEM, "waterfall_json: out of memory");
    argus_buf_free(&scratch);
    if (rc)
        argus_sqlite_result_error(ctx, &err);
}

static void json_final(sqlite3_context *ctx)
{
    argus_waterfall_set *set = sqlite3_aggregate_context(ctx, 0);
    argus_waterfall_set empty;
    argus_waterfall_set_init(&empty);
    if (!set)
        set = &empty;
    argus_buf out;
    argus_buf_init(&out);
    argus_error err;
    argus_error_clear(&err);
    if (argus_waterfall_json(&out, set->spans, set->n, &err))
        argus_sqlite_result_error(ctx, &err);
    else
        sqlite3_result_text64(ctx, argus_buf_cstr(&out), out.len, SQLITE_TRANSIENT, SQLITE_UTF8);
    argus_buf_free(&out);
    argus_waterfall_set_free(set);
}

int argus_register_waterfall(sqlite3 *db, char **pzErrMsg)
{
    const argus_sqlite_glue glue[] = {
        {.name = "trace_waterfall", .module = &waterfall_module},
        {.name = "waterfall_json", .step = json_step, .final = json_final},
    };
    return argus_sqlite_register(db, glue, sizeof glue / sizeof glue[0], pzErrMsg);
}
