/* Groupings of a decoded payload's spans / log records; see argus_span_operations.h. */
#include "argus_span_operations.h"

#include "argus_error.h"
#include "argus_hash.h"
#include "argus_otlp_rows.h"
#include "argus_signal.h"

#include <stdlib.h>
#include <string.h>

/* ---- the container and its hash table ---------------------------------------------------- */

struct argus_group_key {
    uint64_t hash;
    size_t a, a_n, b, b_n; /* offsets of the key texts in names */
    int64_t i, j;
    unsigned char a_null, b_null;
};

#define NSCRATCH ((int)(sizeof((argus_grouping *)0)->scratch / sizeof(argus_buf)))
#define NLISTS ((int)(sizeof((argus_grouping *)0)->lists / sizeof(argus_buf)))

/* Calls f on each of g's buffers (but its scratch ones when !scratch). */
static void each_buf(argus_grouping *g, int scratch, void (*f)(argus_buf *))
{
    f(&g->names);
    f(&g->out);
    for (int c = 0; c < NLISTS; c++)
        f(&g->lists[c]);
    for (int c = 0; scratch && c < NSCRATCH; c++)
        f(&g->scratch[c]);
}

void argus_grouping_init(argus_grouping *g)
{
    memset(g, 0, sizeof *g);
    each_buf(g, 1, argus_buf_init);
    g->hash_key = argus_hash_secret();
}

/* Drops g's rows (freeing what they own) and empties its hash table and buffers. */
static void drop_rows(argus_grouping *g)
{
    if (g->row_free)
        for (size_t k = 0; k < g->n; k++)
            g->row_free((char *)g->rows + k * g->row_size);
    g->n = 0;
    each_buf(g, 0, argus_buf_reset);
    if (g->slots)
        memset(g->slots, 0, g->nslots * sizeof *g->slots);
}

void argus_grouping_free(argus_grouping *g)
{
    drop_rows(g);
    free(g->rows);
    free(g->keys);
    free(g->slots);
    each_buf(g, 1, argus_buf_free);
    argus_grouping_init(g);
}

/* Rebuilds the hash slots with room for at least twice the groups. */
static int rehash(argus_grouping *g)
{
    size_t nslots = g->nslots ? g->nslots * 2 : 64;
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return ARGUS_ENOMEM;
    for (size_t i = 0; i < g->n; i++) {
        size_t s = (size_t)g->keys[i].hash & (nslots - 1);
        while (slots[s])
            s = (s + 1) & (nslots - 1);
        slots[s] = (uint32_t)(i + 1);
    }
    free(g->slots);
    g->slots = slots;
    g->nslots = nslots;
    return 0;
}

/* Room for one more row and key: 0, or ARGUS_ENOMEM. */
static int row_room(argus_grouping *g)
{
    argus_group_key *keys = argus_array_room(g->keys, g->n, &g->keys_cap, sizeof *g->keys, 16);
    if (!keys)
        return ARGUS_ENOMEM;
    g->keys = keys;
    size_t need = (g->n + 1) * g->row_size;
    if (need <= g->rows_bytes)
        return 0;
    size_t bytes = g->rows_bytes ? g->rows_bytes * 2 : 16 * g->row_size;
    while (bytes < need)
        bytes *= 2;
    void *rows = realloc(g->rows, bytes);
    if (!rows)
        return ARGUS_ENOMEM;
    g->rows = rows;
    g->rows_bytes = bytes;
    return 0;
}

static int same_key(const argus_grouping *g, const argus_group_key *k, uint64_t h,
                    const argus_value *a, int64_t i, int64_t j, const argus_value *b)
{
    return k->hash == h && k->i == i && k->j == j && k->a_n == a->n && k->b_n == b->n &&
           k->a_null == (a->type == ARGUS_VAL_NULL) && k->b_null == (b->type == ARGUS_VAL_NULL) &&
           memcmp(g->names.data + k->a, a->s, a->n) == 0 &&
           memcmp(g->names.data + k->b, b->s, b->n) == 0;
}

/* The row of the group of key (a, i, j, b), added zeroed when new (*added = 1); NULL when out
 * of memory. NULL texts keep their type (the key's *_null flags) but hash and compare as "". */
static void *group_of(argus_grouping *g, argus_value a, int64_t i, int64_t j, argus_value b,
                      int *added)
{
    if (a.type == ARGUS_VAL_NULL)
        a.s = "", a.n = 0;
    if (b.type == ARGUS_VAL_NULL)
        b.s = "", b.n = 0;
    /* keyed (argus_hash.h): the keys are the client's, and all of them in one chain of the
     * table would make each group's insert walk all the earlier ones */
    const argus_hash_key *hk = g->hash_key;
    uint64_t h = argus_hash_bytes(hk, hk->start ^ (uint64_t)a.type, a.s, a.n);
    h = argus_hash_int(hk, argus_hash_int(hk, h, (uint64_t)i), (uint64_t)j);
    h = argus_hash_bytes(hk, h ^ (uint64_t)b.type, b.s, b.n);
    *added = 0;
    if (2 * (g->n + 1) > g->nslots && rehash(g))
        return NULL;
    size_t s = (size_t)h & (g->nslots - 1);
    for (; g->slots[s]; s = (s + 1) & (g->nslots - 1))
        if (same_key(g, &g->keys[g->slots[s] - 1], h, &a, i, j, &b))
            return (char *)g->rows + (g->slots[s] - 1) * g->row_size;
    if (row_room(g) || argus_buf_reserve(&g->names, a.n + b.n + 1))
        return NULL;
    g->keys[g->n] = (argus_group_key){.hash = h,
                                      .a = g->names.len,
                                      .a_n = a.n,
                                      .b = g->names.len + a.n,
                                      .b_n = b.n,
                                      .i = i,
                                      .j = j,
                                      .a_null = a.type == ARGUS_VAL_NULL,
                                      .b_null = b.type == ARGUS_VAL_NULL};
    argus_buf_append(&g->names, a.s, a.n);
    argus_buf_append(&g->names, b.s, b.n);
    void *row = memset((char *)g->rows + g->n * g->row_size, 0, g->row_size);
    g->slots[s] = (uint32_t)(++g->n);
    *added = 1;
    return row;
}

/* Group k's key text a (or b) as its bytes, length and NULL flag. */
static void key_text(const argus_grouping *g, size_t k, int b, const char **s, size_t *n,
                     unsigned char *null)
{
    const argus_group_key *key = &g->keys[k];
    *s = g->names.data + (b ? key->b : key->a);
    *n = b ? key->b_n : key->a_n;
    if (null)
        *null = b ? key->b_null : key->a_null;
}

/* Copies v's text into names; out->s holds its offset until text_at() (names may still move). */
static void copy_text(argus_grouping *g, const argus_value *v, argus_value *out)
{
    *out = *v;
    if (v->type != ARGUS_VAL_TEXT)
        return;
    out->s = (const char *)(uintptr_t)g->names.len;
    argus_buf_append(&g->names, v->s, v->n);
}

static void text_at(const argus_grouping *g, argus_value *v)
{
    if (v->type == ARGUS_VAL_TEXT)
        v->s = g->names.data + (size_t)(uintptr_t)v->s;
}

/* ---- building ------------------------------------------------------------------------------- */

/* What a grouping is: its row, the item columns it reads (ncols <= NSCRATCH), add() folding one
 * item's values v[k] (column cols[k]) into its group's row (0, or an error code: the build stops),
 * and finish() filling in the rows once every item is added (key texts, rendered values, order). */
typedef struct grouping_kind {
    const char *name; /* for the out-of-memory message */
    size_t row_size;
    const int *cols;
    int ncols;
    int (*add)(argus_grouping *g, const argus_value *v, argus_error *err);
    int (*finish)(argus_grouping *g, argus_error *err);
    void (*row_free)(void *row);
} grouping_kind;

/* Calls k->add() for every valid span / log record of p; stops at the first nonzero return, which
 * it returns (ARGUS_ENOMEM when rendering a value failed). */
static int each_item(argus_grouping *g, const argus_otlp_payload *p, const grouping_kind *k,
                     argus_error *err)
{
    argus_value v[NSCRATCH];
    const int *cols = k->cols, ncols = k->ncols;
    int rc = 0;
    if (p->rows) {
        /* rendered ahead (argus_otlp_render()): one row of values per valid item, read directly
         * (no iterator, no validity checks again) */
        const size_t nc = (size_t)argus_signal_get(p->signal)->ncolumns;
        const size_t n = argus_otlp_valid_items(p);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            const argus_value *r = p->rows + i * nc;
            for (int c = 0; c < ncols; c++)
                v[c] = r[cols[c]];
            rc = k->add(g, v, err);
        }
        return rc;
    }
    for (argus_otlp_iter it = argus_otlp_iter_start(p); rc == 0 && argus_otlp_iter_next(&it);) {
        /* each value in a scratch buffer of its own: rendering a value may reset its buffer */
        int failed = 0;
        for (int c = 0; c < ncols; c++) {
            argus_otlp_column(&it, cols[c], &v[c], &g->scratch[c]);
            failed |= g->scratch[c].failed;
        }
        rc = failed ? ARGUS_ENOMEM : k->add(g, v, err);
    }
    return rc;
}

/* Replaces g's rows with the groups of p's valid items as k makes them: 0, or an error code with
 * err set (ARGUS_ENOMEM also when a text could not be copied), g then holding no row. */
static int build(argus_grouping *g, const argus_otlp_payload *p, const grouping_kind *k,
                 argus_error *err)
{
    drop_rows(g);
    g->row_size = k->row_size;
    g->row_free = k->row_free;
    int rc = each_item(g, p, k, err);
    if (rc == 0 && g->names.failed)
        rc = ARGUS_ENOMEM;
    if (rc == 0)
        rc = k->finish(g, err);
    if (rc == 0 && (g->names.failed || g->out.failed))
        rc = ARGUS_ENOMEM;
    if (rc == 0)
        return 0;
    drop_rows(g);
    if (rc == ARGUS_ENOMEM)
        argus_error_set(err, ARGUS_ENOMEM, "%s: out of memory", k->name);
    return rc;
}

static int is_request(const argus_value *kind, const argus_value *parent)
{
    return kind->i == 2 || kind->i == 5 || parent->type == ARGUS_VAL_NULL;
}

static int64_t minute_of(int64_t ns)
{
    return ns / 60000000000 * 60000000000;
}

static const argus_value NO_TEXT = {.type = ARGUS_VAL_NULL};

/* ---- per operation -------------------------------------------------------------------------- */

enum { O_PARENT, O_KIND, O_START, O_STATUS, O_SERVICE, O_NAME, O_NCOLS };
static const int O_COLS[O_NCOLS] = {ARGUS_SPAN_PARENT_SPAN_ID, ARGUS_SPAN_KIND,
                                    ARGUS_SPAN_START_TIME,     ARGUS_SPAN_STATUS_CODE,
                                    ARGUS_SPAN_SERVICE_NAME,   ARGUS_SPAN_NAME};

static int add_operation(argus_grouping *g, const argus_value *v, argus_error *err)
{
    (void)err;
    int added;
    int64_t minute = minute_of(v[O_START].i);
    argus_span_operation *op = group_of(g, v[O_SERVICE], minute, 0, v[O_NAME], &added);
    if (!op)
        return ARGUS_ENOMEM;
    if (added)
        op->minute_ns = minute;
    int request = is_request(&v[O_KIND], &v[O_PARENT]);
    int error = v[O_STATUS].i == 2;
    op->spans++;
    op->errors += error;
    op->requests += request;
    op->request_errors += request && error;
    return 0;
}

static int finish_operations(argus_grouping *g, argus_error *err)
{
    (void)err;
    argus_span_operation *ops = g->rows;
    for (size_t k = 0; k < g->n; k++) {
        key_text(g, k, 0, &ops[k].service, &ops[k].service_n, &ops[k].service_null);
        key_text(g, k, 1, &ops[k].name, &ops[k].name_n, &ops[k].name_null);
    }
    return 0;
}

static const grouping_kind OPERATIONS = {
    "operations", sizeof(argus_span_operation), O_COLS, O_NCOLS, add_operation, finish_operations,
    NULL};

int argus_span_operations_build(argus_grouping *g, const argus_otlp_payload *p)
{
    argus_error err;
    return build(g, p, &OPERATIONS, &err) ? ARGUS_ENOMEM : 0;
}

/* ---- per trace ------------------------------------------------------------------------------ */

/* One distinct service of a trace, in lists[0]: the list of its trace's services. */
typedef struct set_item {
    size_t off, n; /* in names */
    uint32_t next; /* the trace's previous item + 1, 0 = none */
} set_item;

/* Room for one more item of size bytes at the end of list l: the item, or NULL when out of
 * memory. */
static inline void *list_push(argus_buf *l, size_t size)
{
    if (l->cap - l->len <= size && argus_buf_reserve(l, size))
        return NULL;
    void *item = l->data + l->len;
    l->len += size;
    return item;
}

/* One trace's services while sorting them, in lists[1]. */
typedef struct text_ref {
    const char *s;
    size_t n;
} text_ref;

enum { T_ID, T_PARENT, T_START, T_END, T_STATUS, T_SERVICE, T_NAME, T_NCOLS };
static const int T_COLS[T_NCOLS] = {
    ARGUS_SPAN_TRACE_ID,    ARGUS_SPAN_PARENT_SPAN_ID, ARGUS_SPAN_START_TIME, ARGUS_SPAN_END_TIME,
    ARGUS_SPAN_STATUS_CODE, ARGUS_SPAN_SERVICE_NAME,   ARGUS_SPAN_NAME};

/* Adds a service name to trace tr's set. Names compare as C strings (up to a NUL), as
 * json_group_set() keeps them. Only the trace's few latest names are looked at here (a trace's
 * spans mostly repeat a handful of services): a trace of many services must not make each span
 * walk all of them. services_json() drops the repeats left. */
static int add_service(argus_grouping *g, argus_span_trace *tr, const argus_value *v)
{
    if (v->type != ARGUS_VAL_TEXT)
        return 0; /* json_group_set() skips NULL */
    size_t n = strnlen(v->s, v->n);
    const set_item *set = (const set_item *)(void *)g->lists[0].data;
    int seen = 0;
    for (uint32_t i = tr->service_head; i && seen < 4; i = set[i - 1].next, seen++)
        if (set[i - 1].n == n && memcmp(g->names.data + set[i - 1].off, v->s, n) == 0)
            return 0;
    set_item *item = list_push(&g->lists[0], sizeof *item);
    if (!item)
        return ARGUS_ENOMEM;
    *item = (set_item){g->names.len, n, tr->service_head};
    argus_buf_append(&g->names, v->s, n);
    tr->service_head = (uint32_t)(g->lists[0].len / sizeof *item);
    return 0;
}

static int add_trace_span(argus_grouping *g, const argus_value *v, argus_error *err)
{
    (void)err;
    int added;
    argus_span_trace *tr = group_of(g, v[T_ID], 0, 0, NO_TEXT, &added);
    if (!tr)
        return ARGUS_ENOMEM;
    int root = v[T_PARENT].type == ARGUS_VAL_NULL;
    int64_t start = v[T_START].i, end = v[T_END].i;
    if (added) {
        *tr = (argus_span_trace){.start_ns = start, .end_ns = end, .has_root = root};
    } else {
        tr->start_ns = start < tr->start_ns ? start : tr->start_ns;
        tr->end_ns = end > tr->end_ns ? end : tr->end_ns;
    }
    /* arg_min over (has a parent, start): a root wins, then the earliest, then the first */
    if (added || (root && !tr->has_root) || (root == tr->has_root && start < tr->root_start_ns)) {
        tr->root_start_ns = start;
        copy_text(g, &v[T_SERVICE], &tr->root_service);
        copy_text(g, &v[T_NAME], &tr->root_name);
    }
    tr->has_root |= root;
    tr->spans++;
    tr->errors += v[T_STATUS].i == 2;
    return add_service(g, tr, &v[T_SERVICE]);
}

static int text_ref_cmp(const void *x, const void *y)
{
    const text_ref *a = x, *b = y;
    int c = memcmp(a->s, b->s, a->n < b->n ? a->n : b->n);
    return c ? c : (a->n > b->n) - (a->n < b->n);
}

static int trace_cmp(const void *x, const void *y)
{
    const argus_span_trace *a = x, *b = y;
    int c = memcmp(a->trace_id, b->trace_id,
                   a->trace_id_n < b->trace_id_n ? a->trace_id_n : b->trace_id_n);
    return c ? c : (a->trace_id_n > b->trace_id_n) - (a->trace_id_n < b->trace_id_n);
}

/* Renders trace tr's services as a sorted JSON array (as json_group_set() does) at the end of
 * g->out; tr->services is its offset there. */
static int services_json(argus_grouping *g, argus_span_trace *tr)
{
    const set_item *set = (const set_item *)(void *)g->lists[0].data;
    argus_buf *sorted = &g->lists[1];
    argus_buf_reset(sorted);
    for (uint32_t i = tr->service_head; i; i = set[i - 1].next) {
        text_ref *ref = list_push(sorted, sizeof *ref);
        if (!ref)
            return ARGUS_ENOMEM;
        *ref = (text_ref){g->names.data + set[i - 1].off, set[i - 1].n};
    }
    text_ref *refs = (text_ref *)(void *)sorted->data;
    size_t m = sorted->len / sizeof *refs;
    if (m > 1)
        qsort(refs, m, sizeof *refs, text_ref_cmp);
    tr->services = (const char *)(uintptr_t)g->out.len;
    argus_buf_appendc(&g->out, '[');
    for (size_t i = 0; i < m; i++) {
        if (i && text_ref_cmp(&refs[i - 1], &refs[i]) == 0)
            continue; /* a repeat add_service() let through */
        if (i)
            argus_buf_appendc(&g->out, ',');
        argus_json_string(&g->out, refs[i].s, refs[i].n);
    }
    argus_buf_appendc(&g->out, ']');
    tr->services_n = g->out.len - (size_t)(uintptr_t)tr->services;
    return 0;
}

static int finish_traces(argus_grouping *g, argus_error *err)
{
    (void)err;
    argus_span_trace *traces = g->rows;
    for (size_t k = 0; k < g->n; k++)
        if (services_json(g, &traces[k]))
            return ARGUS_ENOMEM;
    if (g->out.failed)
        return ARGUS_ENOMEM;
    for (size_t k = 0; k < g->n; k++) {
        argus_span_trace *tr = &traces[k];
        key_text(g, k, 0, &tr->trace_id, &tr->trace_id_n, NULL);
        text_at(g, &tr->root_service);
        text_at(g, &tr->root_name);
        tr->services = g->out.data + (size_t)(uintptr_t)tr->services;
    }
    /* in trace_id order, as GROUP BY trace_id returns them */
    if (g->n > 1)
        qsort(traces, g->n, sizeof *traces, trace_cmp);
    return 0;
}

static const grouping_kind TRACES = {
    "traces", sizeof(argus_span_trace), T_COLS, T_NCOLS, add_trace_span, finish_traces, NULL};

int argus_span_traces_build(argus_grouping *g, const argus_otlp_payload *p)
{
    argus_error err;
    return build(g, p, &TRACES, &err) ? ARGUS_ENOMEM : 0;
}

/* ---- per (service, minute) of the requests -------------------------------------------------- */

enum { R_PARENT, R_KIND, R_START, R_STATUS, R_SERVICE, R_DURATION, R_NCOLS };
static const int R_COLS[R_NCOLS] = {ARGUS_SPAN_PARENT_SPAN_ID, ARGUS_SPAN_KIND,
                                    ARGUS_SPAN_START_TIME,     ARGUS_SPAN_STATUS_CODE,
                                    ARGUS_SPAN_SERVICE_NAME,   ARGUS_SPAN_DURATION};

/* A rollup's service: the text a of its group k's key. */
static void rollup_service(const argus_grouping *g, size_t k, argus_rollup_key *key)
{
    key_text(g, k, 0, &key->service, &key->service_n, &key->service_null);
}

static int add_rollup_span(argus_grouping *g, const argus_value *v, argus_error *err)
{
    if (!is_request(&v[R_KIND], &v[R_PARENT]))
        return 0;
    int added;
    int64_t minute = minute_of(v[R_START].i);
    argus_span_rollup *a = group_of(g, v[R_SERVICE], minute, 0, NO_TEXT, &added);
    if (!a)
        return ARGUS_ENOMEM;
    if (added)
        a->key.minute_ns = minute;
    a->requests++;
    a->errors += v[R_STATUS].i == 2;
    return argus_sketch_add(&a->sketch, (double)v[R_DURATION].i, err);
}

static int finish_rollups(argus_grouping *g, argus_error *err)
{
    argus_span_rollup *rollups = g->rows;
    for (size_t k = 0; k < g->n; k++) {
        argus_span_rollup *a = &rollups[k];
        a->sketch_blob = (const unsigned char *)(uintptr_t)g->out.len;
        int rc = argus_sketch_encode(&a->sketch, &g->out, err);
        if (rc)
            return rc;
        a->sketch_n = g->out.len - (size_t)(uintptr_t)a->sketch_blob;
    }
    for (size_t k = 0; k < g->n; k++) {
        argus_span_rollup *a = &rollups[k];
        rollup_service(g, k, &a->key);
        a->sketch_blob = (const unsigned char *)g->out.data + (size_t)(uintptr_t)a->sketch_blob;
    }
    return 0;
}

static void free_rollup(void *row)
{
    argus_sketch_free(&((argus_span_rollup *)row)->sketch);
}

static const grouping_kind ROLLUPS = {"rollups",  sizeof(argus_span_rollup), R_COLS,
                                      R_NCOLS,    add_rollup_span,           finish_rollups,
                                      free_rollup};

int argus_span_rollups_build(argus_grouping *g, const argus_otlp_payload *p, argus_error *err)
{
    return build(g, p, &ROLLUPS, err);
}

/* ---- logs per (service, minute, severity group) --------------------------------------------- */

enum { L_TIME, L_OBSERVED, L_SEVERITY, L_SERVICE, L_NCOLS };
static const int L_COLS[L_NCOLS] = {ARGUS_LOG_TIME, ARGUS_LOG_OBSERVED_TIME,
                                    ARGUS_LOG_SEVERITY_NUMBER, ARGUS_LOG_SERVICE_NAME};

static int add_log(argus_grouping *g, const argus_value *v, argus_error *err)
{
    (void)err;
    int64_t minute = minute_of(v[L_TIME].i == 0 ? v[L_OBSERVED].i : v[L_TIME].i);
    int64_t sev = v[L_SEVERITY].i;
    sev = sev >= 1 && sev <= 24 ? (sev - 1) / 4 * 4 + 1 : 0;
    int added;
    argus_log_rollup *a = group_of(g, v[L_SERVICE], minute, sev, NO_TEXT, &added);
    if (!a)
        return ARGUS_ENOMEM;
    if (added) {
        a->key.minute_ns = minute;
        a->severity = sev;
    }
    a->count++;
    return 0;
}

static int finish_log_rollups(argus_grouping *g, argus_error *err)
{
    (void)err;
    argus_log_rollup *rollups = g->rows;
    for (size_t k = 0; k < g->n; k++)
        rollup_service(g, k, &rollups[k].key);
    return 0;
}

static const grouping_kind LOG_ROLLUPS = {"log rollups", sizeof(argus_log_rollup), L_COLS, L_NCOLS,
                                          add_log,       finish_log_rollups,       NULL};

int argus_log_rollups_build(argus_grouping *g, const argus_otlp_payload *p)
{
    argus_error err;
    return build(g, p, &LOG_ROLLUPS, &err) ? ARGUS_ENOMEM : 0;
}
