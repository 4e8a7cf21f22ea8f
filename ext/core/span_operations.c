/* Groupings of a decoded payload's spans / log records; see argus_span_operations.h. */
#include "argus_span_operations.h"

#include "argus_error.h"
#include "argus_otlp_rows.h"
#include "argus_signal.h"

#include <stdlib.h>
#include <string.h>

/* ---- the shared hash table ------------------------------------------------------------------ */

struct argus_group_key {
    uint64_t hash;
    size_t a, a_n, b, b_n; /* offsets of the key texts in names */
    int64_t i, j;
    unsigned char a_null, b_null;
};

#define NSCRATCH ((int)(sizeof((argus_span_groups *)0)->scratch / sizeof(argus_buf)))

static void groups_init(argus_span_groups *g, size_t item_size)
{
    memset(g, 0, sizeof *g);
    g->item_size = item_size;
    argus_buf_init(&g->names);
    for (int c = 0; c < NSCRATCH; c++)
        argus_buf_init(&g->scratch[c]);
}

static void groups_free(argus_span_groups *g)
{
    free(g->keys);
    free(g->items);
    free(g->slots);
    argus_buf_free(&g->names);
    for (int c = 0; c < NSCRATCH; c++)
        argus_buf_free(&g->scratch[c]);
    groups_init(g, g->item_size);
}

static void groups_reset(argus_span_groups *g)
{
    g->n = 0;
    argus_buf_reset(&g->names);
    if (g->slots)
        memset(g->slots, 0, g->nslots * sizeof *g->slots);
}

/* Mixes the bytes of s[0..n) into h, 8 at a time (a multiply-xorshift per word: the keys are
 * trace ids and names, hashed once per span and grouping, where FNV's byte loop cost ~4 % of the
 * writer). */
static uint64_t mix(uint64_t h, uint64_t v)
{
    h = (h ^ v) * 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 29);
}

static uint64_t hash_bytes(uint64_t h, const void *s, size_t n)
{
    const unsigned char *p = s;
    uint64_t v;
    for (; n >= 8; p += 8, n -= 8) {
        memcpy(&v, p, 8);
        h = mix(h, v);
    }
    v = 0;
    memcpy(&v, p, n);
    return mix(h, v ^ ((uint64_t)n << 56));
}

/* Rebuilds the hash slots with room for at least twice the groups. */
static int rehash(argus_span_groups *g)
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

static int same_key(const argus_span_groups *g, const argus_group_key *k, uint64_t h,
                    const argus_value *a, int64_t i, int64_t j, const argus_value *b)
{
    return k->hash == h && k->i == i && k->j == j && k->a_n == a->n && k->b_n == b->n &&
           k->a_null == (a->type == ARGUS_VAL_NULL) && k->b_null == (b->type == ARGUS_VAL_NULL) &&
           memcmp(g->names.data + k->a, a->s, a->n) == 0 &&
           memcmp(g->names.data + k->b, b->s, b->n) == 0;
}

/* The item of the group of key (a, i, j, b), added zeroed when new (*added = 1); NULL when out
 * of memory. NULL texts keep their type (the key's *_null flags) but hash and compare as "". */
static void *group_of(argus_span_groups *g, argus_value a, int64_t i, int64_t j, argus_value b,
                      int *added)
{
    if (a.type == ARGUS_VAL_NULL)
        a.s = "", a.n = 0;
    if (b.type == ARGUS_VAL_NULL)
        b.s = "", b.n = 0;
    uint64_t h = hash_bytes(0xcbf29ce484222325ULL ^ a.type, a.s, a.n);
    h = mix(mix(h, (uint64_t)i), (uint64_t)j);
    h = hash_bytes(h ^ b.type, b.s, b.n);
    *added = 0;
    if (2 * (g->n + 1) > g->nslots && rehash(g))
        return NULL;
    size_t s = (size_t)h & (g->nslots - 1);
    for (; g->slots[s]; s = (s + 1) & (g->nslots - 1))
        if (same_key(g, &g->keys[g->slots[s] - 1], h, &a, i, j, &b))
            return (char *)g->items + (g->slots[s] - 1) * g->item_size;
    argus_group_key *keys = argus_array_room(g->keys, g->n, &g->cap, sizeof *g->keys, 16);
    if (keys)
        g->keys = keys;
    void *items = argus_array_room(g->items, g->n, &g->items_cap, g->item_size, 16);
    if (items)
        g->items = items;
    if (!keys || !items || argus_buf_reserve(&g->names, a.n + b.n + 1))
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
    void *item = memset((char *)g->items + g->n * g->item_size, 0, g->item_size);
    g->slots[s] = (uint32_t)(++g->n);
    *added = 1;
    return item;
}

/* Group i's key text a (or b) as its bytes, length and NULL flag. */
static void key_text(const argus_span_groups *g, size_t i, int b, const char **s, size_t *n,
                     unsigned char *null)
{
    const argus_group_key *k = &g->keys[i];
    *s = g->names.data + (b ? k->b : k->a);
    *n = b ? k->b_n : k->a_n;
    if (null)
        *null = b ? k->b_null : k->a_null;
}

/* A rollup's service: the text a of its group i's key. */
static void rollup_service(const argus_span_groups *g, size_t i, argus_rollup_key *k)
{
    key_text(g, i, 0, &k->service, &k->service_n, &k->service_null);
}

/* Copies v's text into names; out->s holds its offset until text_at() (names may still move). */
static void copy_text(argus_span_groups *g, const argus_value *v, argus_value *out)
{
    *out = *v;
    if (v->type != ARGUS_VAL_TEXT)
        return;
    out->s = (const char *)(uintptr_t)g->names.len;
    argus_buf_append(&g->names, v->s, v->n);
}

static void text_at(const argus_span_groups *g, argus_value *v)
{
    if (v->type == ARGUS_VAL_TEXT)
        v->s = g->names.data + (size_t)(uintptr_t)v->s;
}

/* Calls add(ctx, v) for every valid span / log record of p, v[k] holding its column cols[k]
 * (k < ncols <= NSCRATCH); stops at the first nonzero return, which it returns (ARGUS_ENOMEM when
 * rendering a value failed). */
static int each_item(argus_span_groups *g, const argus_otlp_payload *p, const int *cols, int ncols,
                     int (*add)(void *ctx, const argus_value *v), void *ctx)
{
    argus_value v[NSCRATCH];
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
            rc = add(ctx, v);
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
        rc = failed ? ARGUS_ENOMEM : add(ctx, v);
    }
    return rc;
}

/* Replaces g's groups with those each_item() adds, *n (the grouping's count) then theirs: 0, or
 * each_item()'s nonzero return (ARGUS_ENOMEM also when a key text could not be copied), *n 0. */
static int group_items(argus_span_groups *g, size_t *n, const argus_otlp_payload *p,
                       const int *cols, int ncols, int (*add)(void *ctx, const argus_value *v),
                       void *ctx)
{
    groups_reset(g);
    int rc = each_item(g, p, cols, ncols, add, ctx);
    if (rc == 0 && g->names.failed)
        rc = ARGUS_ENOMEM;
    *n = rc ? 0 : g->n;
    return rc;
}

static int is_request(const argus_value *kind, const argus_value *parent)
{
    return kind->i == 2 || kind->i == 5 || parent->type == ARGUS_VAL_NULL;
}

static const argus_value NO_TEXT = {.type = ARGUS_VAL_NULL};

/* ---- per operation -------------------------------------------------------------------------- */

void argus_span_operations_init(argus_span_operations *o)
{
    memset(o, 0, sizeof *o);
    groups_init(&o->g, sizeof *o->ops);
}

void argus_span_operations_free(argus_span_operations *o)
{
    groups_free(&o->g);
    argus_span_operations_init(o);
}

enum { O_PARENT, O_KIND, O_START, O_STATUS, O_SERVICE, O_NAME, O_NCOLS };
static const int O_COLS[O_NCOLS] = {ARGUS_SPAN_PARENT_SPAN_ID, ARGUS_SPAN_KIND,
                                    ARGUS_SPAN_START_TIME,     ARGUS_SPAN_STATUS_CODE,
                                    ARGUS_SPAN_SERVICE_NAME,   ARGUS_SPAN_NAME};

static int add_operation(void *ctx, const argus_value *v)
{
    argus_span_operations *o = ctx;
    int added;
    int64_t minute = v[O_START].i / 60000000000 * 60000000000;
    argus_span_operation *op = group_of(&o->g, v[O_SERVICE], minute, 0, v[O_NAME], &added);
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

int argus_span_operations_build(argus_span_operations *o, const argus_otlp_payload *p)
{
    if (group_items(&o->g, &o->n, p, O_COLS, O_NCOLS, add_operation, o))
        return ARGUS_ENOMEM;
    o->ops = o->g.items;
    for (size_t i = 0; i < o->n; i++) {
        argus_span_operation *op = &o->ops[i];
        key_text(&o->g, i, 0, &op->service, &op->service_n, &op->service_null);
        key_text(&o->g, i, 1, &op->name, &op->name_n, &op->name_null);
    }
    return 0;
}

/* ---- per trace ------------------------------------------------------------------------------ */

/* One distinct service of a trace, in the list of its trace's services. */
struct argus_span_set_item {
    size_t off, n; /* in g.names */
    uint32_t next; /* the trace's previous item + 1, 0 = none */
};

typedef struct text_ref {
    const char *s;
    size_t n;
} text_ref;

void argus_span_traces_init(argus_span_traces *t)
{
    memset(t, 0, sizeof *t);
    argus_buf_init(&t->json);
    groups_init(&t->g, sizeof *t->traces);
}

void argus_span_traces_free(argus_span_traces *t)
{
    free(t->set);
    free(t->sorted);
    argus_buf_free(&t->json);
    groups_free(&t->g);
    argus_span_traces_init(t);
}

enum { T_ID, T_PARENT, T_START, T_END, T_STATUS, T_SERVICE, T_NAME, T_NCOLS };
static const int T_COLS[T_NCOLS] = {
    ARGUS_SPAN_TRACE_ID,    ARGUS_SPAN_PARENT_SPAN_ID, ARGUS_SPAN_START_TIME, ARGUS_SPAN_END_TIME,
    ARGUS_SPAN_STATUS_CODE, ARGUS_SPAN_SERVICE_NAME,   ARGUS_SPAN_NAME};

/* Adds a service name to trace tr's set. Names compare as C strings (up to a NUL), as
 * json_group_set() keeps them. */
static int add_service(argus_span_traces *t, argus_span_trace *tr, const argus_value *v)
{
    if (v->type != ARGUS_VAL_TEXT)
        return 0; /* json_group_set() skips NULL */
    size_t n = strnlen(v->s, v->n);
    for (uint32_t i = tr->service_head; i; i = t->set[i - 1].next)
        if (t->set[i - 1].n == n && memcmp(t->g.names.data + t->set[i - 1].off, v->s, n) == 0)
            return 0;
    argus_span_set_item *set = argus_array_room(t->set, t->nset, &t->set_cap, sizeof *set, 64);
    if (!set)
        return ARGUS_ENOMEM;
    t->set = set;
    t->set[t->nset] = (argus_span_set_item){t->g.names.len, n, tr->service_head};
    argus_buf_append(&t->g.names, v->s, n);
    tr->service_head = (uint32_t)(++t->nset);
    return 0;
}

static int add_trace_span(void *ctx, const argus_value *v)
{
    argus_span_traces *t = ctx;
    int added;
    argus_span_trace *tr = group_of(&t->g, v[T_ID], 0, 0, NO_TEXT, &added);
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
        copy_text(&t->g, &v[T_SERVICE], &tr->root_service);
        copy_text(&t->g, &v[T_NAME], &tr->root_name);
    }
    tr->has_root |= root;
    tr->spans++;
    tr->errors += v[T_STATUS].i == 2;
    return add_service(t, tr, &v[T_SERVICE]);
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

/* Renders each trace's services as a sorted JSON array (as json_group_set() does) into t->json,
 * by offset. */
static int services_json(argus_span_traces *t)
{
    argus_buf_reset(&t->json);
    for (size_t k = 0; k < t->n; k++) {
        argus_span_trace *tr = &t->traces[k];
        size_t m = 0;
        for (uint32_t i = tr->service_head; i; i = t->set[i - 1].next) {
            text_ref *refs = argus_array_room(t->sorted, m, &t->sorted_cap, sizeof *refs, 16);
            if (!refs)
                return ARGUS_ENOMEM;
            t->sorted = refs;
            refs[m++] = (text_ref){t->g.names.data + t->set[i - 1].off, t->set[i - 1].n};
        }
        text_ref *refs = t->sorted;
        if (m > 1)
            qsort(refs, m, sizeof *refs, text_ref_cmp);
        tr->services = (const char *)(uintptr_t)t->json.len;
        argus_buf_appendc(&t->json, '[');
        for (size_t i = 0; i < m; i++) {
            if (i)
                argus_buf_appendc(&t->json, ',');
            argus_json_string(&t->json, refs[i].s, refs[i].n);
        }
        argus_buf_appendc(&t->json, ']');
        tr->services_n = t->json.len - (size_t)(uintptr_t)tr->services;
    }
    return t->json.failed ? ARGUS_ENOMEM : 0;
}

int argus_span_traces_build(argus_span_traces *t, const argus_otlp_payload *p)
{
    t->nset = 0;
    int rc = group_items(&t->g, &t->n, p, T_COLS, T_NCOLS, add_trace_span, t);
    t->traces = t->g.items;
    if (rc == 0)
        rc = services_json(t);
    if (rc) {
        t->n = 0;
        return ARGUS_ENOMEM;
    }
    for (size_t k = 0; k < t->n; k++) {
        argus_span_trace *tr = &t->traces[k];
        key_text(&t->g, k, 0, &tr->trace_id, &tr->trace_id_n, NULL);
        text_at(&t->g, &tr->root_service);
        text_at(&t->g, &tr->root_name);
        tr->services = t->json.data + (size_t)(uintptr_t)tr->services;
    }
    /* in trace_id order, as GROUP BY trace_id returns them */
    if (t->n > 1)
        qsort(t->traces, t->n, sizeof *t->traces, trace_cmp);
    return 0;
}

/* ---- per (service, minute) of the requests -------------------------------------------------- */

void argus_span_rollups_init(argus_span_rollups *r)
{
    memset(r, 0, sizeof *r);
    argus_buf_init(&r->blobs);
    groups_init(&r->g, sizeof *r->rollups);
}

/* Frees every group's sketch, dropping the groups. */
static void free_sketches(argus_span_rollups *r)
{
    argus_span_rollup *a = r->g.items;
    for (size_t i = 0; i < r->g.n; i++)
        argus_sketch_free(&a[i].sketch);
    groups_reset(&r->g);
    r->n = 0;
}

void argus_span_rollups_free(argus_span_rollups *r)
{
    free_sketches(r);
    argus_buf_free(&r->blobs);
    groups_free(&r->g);
    argus_span_rollups_init(r);
}

enum { R_PARENT, R_KIND, R_START, R_STATUS, R_SERVICE, R_DURATION, R_NCOLS };
static const int R_COLS[R_NCOLS] = {ARGUS_SPAN_PARENT_SPAN_ID, ARGUS_SPAN_KIND,
                                    ARGUS_SPAN_START_TIME,     ARGUS_SPAN_STATUS_CODE,
                                    ARGUS_SPAN_SERVICE_NAME,   ARGUS_SPAN_DURATION};

typedef struct rollup_ctx {
    argus_span_rollups *r;
    argus_error *err;
} rollup_ctx;

static int add_rollup_span(void *ctx, const argus_value *v)
{
    argus_span_rollups *r = ((rollup_ctx *)ctx)->r;
    if (!is_request(&v[R_KIND], &v[R_PARENT]))
        return 0;
    int added;
    int64_t minute = v[R_START].i / 60000000000 * 60000000000;
    argus_span_rollup *a = group_of(&r->g, v[R_SERVICE], minute, 0, NO_TEXT, &added);
    if (!a)
        return argus_error_set(((rollup_ctx *)ctx)->err, ARGUS_ENOMEM, "rollups: out of memory");
    if (added)
        a->key.minute_ns = minute;
    a->requests++;
    a->errors += v[R_STATUS].i == 2;
    return argus_sketch_add(&a->sketch, (double)v[R_DURATION].i, ((rollup_ctx *)ctx)->err);
}

int argus_span_rollups_build(argus_span_rollups *r, const argus_otlp_payload *p, argus_error *err)
{
    free_sketches(r);
    argus_buf_reset(&r->blobs);
    rollup_ctx ctx = {r, err};
    int rc = group_items(&r->g, &r->n, p, R_COLS, R_NCOLS, add_rollup_span, &ctx);
    r->rollups = r->g.items;
    if (rc == ARGUS_ENOMEM)
        rc = argus_error_set(err, ARGUS_ENOMEM, "rollups: out of memory");
    for (size_t i = 0; rc == 0 && i < r->n; i++) {
        argus_span_rollup *a = &r->rollups[i];
        a->sketch_blob = (const unsigned char *)(uintptr_t)r->blobs.len;
        rc = argus_sketch_encode(&a->sketch, &r->blobs, err);
        a->sketch_n = r->blobs.len - (size_t)(uintptr_t)a->sketch_blob;
    }
    if (rc) {
        free_sketches(r);
        return rc;
    }
    for (size_t i = 0; i < r->n; i++) {
        argus_span_rollup *a = &r->rollups[i];
        rollup_service(&r->g, i, &a->key);
        a->sketch_blob = (const unsigned char *)r->blobs.data + (size_t)(uintptr_t)a->sketch_blob;
    }
    return 0;
}

/* ---- logs per (service, minute, severity group) --------------------------------------------- */

void argus_log_rollups_init(argus_log_rollups *r)
{
    memset(r, 0, sizeof *r);
    groups_init(&r->g, sizeof *r->rollups);
}

void argus_log_rollups_free(argus_log_rollups *r)
{
    groups_free(&r->g);
    argus_log_rollups_init(r);
}

enum { L_TIME, L_OBSERVED, L_SEVERITY, L_SERVICE, L_NCOLS };
static const int L_COLS[L_NCOLS] = {ARGUS_LOG_TIME, ARGUS_LOG_OBSERVED_TIME,
                                    ARGUS_LOG_SEVERITY_NUMBER, ARGUS_LOG_SERVICE_NAME};

static int add_log(void *ctx, const argus_value *v)
{
    argus_log_rollups *r = ctx;
    int64_t t = v[L_TIME].i == 0 ? v[L_OBSERVED].i : v[L_TIME].i;
    int64_t minute = t / 60000000000 * 60000000000;
    int64_t sev = v[L_SEVERITY].i;
    sev = sev >= 1 && sev <= 24 ? (sev - 1) / 4 * 4 + 1 : 0;
    int added;
    argus_log_rollup *a = group_of(&r->g, v[L_SERVICE], minute, sev, NO_TEXT, &added);
    if (!a)
        return ARGUS_ENOMEM;
    if (added) {
        a->key.minute_ns = minute;
        a->severity = sev;
    }
    a->count++;
    return 0;
}

int argus_log_rollups_build(argus_log_rollups *r, const argus_otlp_payload *p)
{
    if (group_items(&r->g, &r->n, p, L_COLS, L_NCOLS, add_log, r))
        return ARGUS_ENOMEM;
    r->rollups = r->g.items;
    for (size_t i = 0; i < r->n; i++)
        rollup_service(&r->g, i, &r->rollups[i].key);
    return 0;
}
