/* Trace waterfall assembly (see argus_waterfall.h): display order, self time, critical path.
 *   SELECT span_id, depth, offset_ns, is_critical FROM trace_waterfall('4bf92f35...');
 * Everything below works on "ranks": positions of the spans once sorted by (start, span_id, end,
 * input position), so every decision (duplicates, cycle cuts, sibling order) is deterministic
 * whatever order the rows arrive in. No recursion anywhere: traces can be thousands deep. */
#include "argus_waterfall.h"

#include "argus_hash.h"

#include <stdlib.h>
#include <string.h>

#define NONE ARGUS_WATERFALL_NONE

typedef struct key {
    int64_t start;
    int64_t end; /* never before start */
    const char *id;
    size_t id_len;
    size_t pos; /* input position */
} key;

/* A candidate child for the critical-path walk, sorted so the last-finishing comes first. */
typedef struct cand {
    int64_t end;
    int64_t start;
    size_t rank;
} cand;

static int cmp_key(const void *a, const void *b)
{
    const key *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    size_t m = x->id_len < y->id_len ? x->id_len : y->id_len;
    int c = m ? memcmp(x->id, y->id, m) : 0;
    if (c)
        return c;
    if (x->id_len != y->id_len)
        return x->id_len < y->id_len ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int cmp_cand(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->end != y->end)
        return x->end > y->end ? -1 : 1;
    if (x->start != y->start)
        return x->start > y->start ? -1 : 1;
    return x->rank > y->rank ? -1 : x->rank < y->rank;
}

/* hi - lo for hi >= lo, exact even when the difference does not fit in int64. */
static uint64_t udiff(int64_t lo, int64_t hi)
{
    return (uint64_t)hi - (uint64_t)lo;
}

static int64_t sat64(uint64_t v)
{
    return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

/* Open-addressing table from span id to the rank of the first span with that id. Keyed
 * (argus_hash.h): the ids are the client's, and ids made to share one chain would make the
 * assembly walk it for every span. */
typedef struct id_table {
    size_t *slot; /* rank + 1, 0 = empty */
    size_t mask;
    const argus_hash_key *key;
} id_table;

static size_t id_slot(const id_table *t, const char *s, size_t n)
{
    return (size_t)argus_hash_bytes(t->key, t->key->start, s, n) & t->mask;
}

static size_t id_find(const id_table *t, const key *keys, const char *s, size_t n)
{
    size_t i = id_slot(t, s, n);
    while (t->slot[i]) {
        const key *k = &keys[t->slot[i] - 1];
        if (k->id_len == n && (n == 0 || memcmp(k->id, s, n) == 0))
            return t->slot[i] - 1;
        i = (i + 1) & t->mask;
    }
    return NONE;
}

/* Inserts rank r unless its id is present; returns 1 if it was a duplicate. */
static int id_insert(id_table *t, const key *keys, size_t r)
{
    const key *k = &keys[r];
    size_t i = id_slot(t, k->id, k->id_len);
    while (t->slot[i]) {
        const key *o = &keys[t->slot[i] - 1];
        if (o->id_len == k->id_len && (k->id_len == 0 || memcmp(o->id, k->id, k->id_len) == 0))
            return 1;
        i = (i + 1) & t->mask;
    }
    t->slot[i] = r + 1;
    return 0;
}

/* Working memory of one assembly, all indexed by rank unless said otherwise. */
typedef struct work {
    key *keys;
    size_t *parent;  /* rank of the display parent or NONE */
    size_t *kid_beg; /* children of r: kids[kid_beg[r] .. kid_beg[r] + kid_cnt[r]) */
    size_t *kid_cnt;
    size_t *kids;  /* ranks, ascending within each parent */
    size_t *disp;  /* rank -> display position */
    size_t *order; /* display position -> rank */
    size_t *stack;
    unsigned char *flags;
    int64_t *clip_s; /* the span clipped to its ancestors, for the critical path */
    int64_t *clip_e;
    cand *cands; /* walkable children of r: cands[kid_beg[r] .. kid_beg[r] + cand_cnt[r]) */
    size_t *cand_cnt;
    size_t *cand_next;
    id_table ids;
} work;

enum { F_DUP = 1, F_ORPHAN = 2, F_VISITING = 4, F_DONE = 8, F_EXCLUDED = 16 };

static void work_free(work *w)
{
    free(w->keys);
    free(w->parent);
    free(w->kid_beg);
    free(w->kid_cnt);
    free(w->kids);
    free(w->disp);
    free(w->order);
    free(w->stack);
    free(w->flags);
    free(w->clip_s);
    free(w->clip_e);
    free(w->cands);
    free(w->cand_cnt);
    free(w->cand_next);
    free(w->ids.slot);
}

static int work_alloc(work *w, size_t n)
{
    memset(w, 0, sizeof *w);
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    w->keys = malloc(n * sizeof *w->keys);
    w->parent = malloc(n * sizeof(size_t));
    w->kid_beg = malloc(n * sizeof(size_t));
    w->kid_cnt = calloc(n, sizeof(size_t));
    w->kids = malloc(n * sizeof(size_t));
    w->disp = malloc(n * sizeof(size_t));
    w->order = malloc(n * sizeof(size_t));
    w->stack = malloc(n * sizeof(size_t));
    w->flags = calloc(n, 1);
    w->clip_s = malloc(n * sizeof(int64_t));
    w->clip_e = malloc(n * sizeof(int64_t));
    w->cands = malloc(n * sizeof(cand));
    w->cand_cnt = calloc(n, sizeof(size_t));
    w->cand_next = malloc(n * sizeof(size_t));
    w->ids.slot = calloc(cap, sizeof(size_t));
    w->ids.mask = cap - 1;
    w->ids.key = argus_hash_secret();
    if (!w->keys || !w->parent || !w->kid_beg || !w->kid_cnt || !w->kids || !w->disp || !w->order ||
        !w->stack || !w->flags || !w->clip_s || !w->clip_e || !w->cands || !w->cand_cnt ||
        !w->cand_next || !w->ids.slot) {
        work_free(w);
        return -1;
    }
    return 0;
}

/* Resolves parent links: duplicates, orphans. */
static void link_parents(work *w, const argus_waterfall_span *spans, size_t n)
{
    for (size_t r = 0; r < n; r++)
        if (id_insert(&w->ids, w->keys, r))
            w->flags[r] |= F_DUP;
    for (size_t r = 0; r < n; r++) {
        const argus_waterfall_span *s = &spans[w->keys[r].pos];
        w->parent[r] = NONE;
        if (!s->parent_span_id || s->parent_span_id_len == 0)
            continue;
        size_t p = id_find(&w->ids, w->keys, s->parent_span_id, s->parent_span_id_len);
        if (p == NONE)
            w->flags[r] |= F_ORPHAN;
        else
            w->parent[r] = p;
    }
}

/* Follows parent links from every span; a walk that meets its own path has found a cycle, which
 * is cut at its lowest-ranked span. Each span is walked over once, so this is O(n). */
static void break_cycles(work *w, size_t n)
{
    unsigned char *f = w->flags;
    for (size_t r = 0; r < n; r++) {
        if (f[r] & F_DONE)
            continue;
        size_t x = r;
        while (x != NONE && !(f[x] & (F_VISITING | F_DONE))) {
            f[x] |= F_VISITING;
            x = w->parent[x];
        }
        for (size_t y = r; y != x; y = w->parent[y])
            f[y] = (unsigned char)((f[y] & ~F_VISITING) | F_DONE);
        if (x != NONE && (f[x] & F_VISITING)) {
            size_t low = x, y = x;
            do {
                f[y] = (unsigned char)((f[y] & ~F_VISITING) | F_DONE);
                if (y < low)
                    low = y;
                y = w->parent[y];
            } while (y != x);
            w->parent[low] = NONE;
            f[low] |= F_ORPHAN;
        }
    }
}

/* Children lists in rank order (counting sort by parent), then a depth-first preorder. */
static void order_spans(work *w, size_t n)
{
    for (size_t r = 0; r < n; r++)
        if (w->parent[r] != NONE)
            w->kid_cnt[w->parent[r]]++;
    size_t at = 0;
    for (size_t r = 0; r < n; r++) {
        w->kid_beg[r] = at;
        at += w->kid_cnt[r];
    }
    /* Fill using cand_next as the per-parent fill cursor (it is not needed yet). */
    memcpy(w->cand_next, w->kid_beg, n * sizeof(size_t));
    for (size_t r = 0; r < n; r++)
        if (w->parent[r] != NONE)
            w->kids[w->cand_next[w->parent[r]]++] = r;

    size_t top = 0, k = 0;
    for (size_t r = n; r-- > 0;)
        if (w->parent[r] == NONE)
            w->stack[top++] = r;
    while (top) {
        size_t r = w->stack[--top];
        w->disp[r] = k;
        w->order[k++] = r;
        for (size_t i = w->kid_cnt[r]; i-- > 0;)
            w->stack[top++] = w->kids[w->kid_beg[r] + i];
    }
}

/* Time not covered by any child: children come in start order, so one sweep merges them. */
static uint64_t self_time(const work *w, size_t r)
{
    int64_t ps = w->keys[r].start, pe = w->keys[r].end;
    uint64_t covered = 0;
    int have = 0;
    int64_t lo = 0, hi = 0;
    for (size_t i = 0; i < w->kid_cnt[r]; i++) {
        const key *c = &w->keys[w->kids[w->kid_beg[r] + i]];
        int64_t cs = c->start > ps ? c->start : ps;
        int64_t ce = c->end < pe ? c->end : pe;
        if (cs >= ce)
            continue;
        if (have && cs <= hi) {
            if (ce > hi)
                hi = ce;
            continue;
        }
        if (have)
            covered += udiff(lo, hi);
        lo = cs;
        hi = ce;
        have = 1;
    }
    if (have)
        covered += udiff(lo, hi);
    return udiff(ps, pe) - covered;
}

static int is_async(const argus_waterfall_span *spans, const work *w, size_t parent, size_t child)
{
    return spans[w->keys[parent].pos].kind == ARGUS_SPAN_KIND_PRODUCER &&
           spans[w->keys[child].pos].kind == ARGUS_SPAN_KIND_CONSUMER;
}

/* Jaeger's critical path, iteratively. Because the point we return to a span with only moves
 * earlier, each span's candidate list (latest end first) is consumed by a single forward cursor:
 * O(n) walking after the O(n log n) sorts. */
static void critical_path(work *w, const argus_waterfall_span *spans, size_t n,
                          argus_waterfall_row *rows)
{
    for (size_t k = 0; k < n; k++) {
        size_t r = w->order[k], p = w->parent[r];
        const key *s = &w->keys[r];
        if (p == NONE) {
            w->clip_s[r] = s->start;
            w->clip_e[r] = s->end;
            continue;
        }
        if (w->flags[p] & F_EXCLUDED) {
            w->flags[r] |= F_EXCLUDED;
            continue;
        }
        w->clip_s[r] = s->start > w->clip_s[p] ? s->start : w->clip_s[p];
        w->clip_e[r] = s->end < w->clip_e[p] ? s->end : w->clip_e[p];
        if (w->clip_s[r] > w->clip_e[r])
            w->flags[r] |= F_EXCLUDED;
    }
    for (size_t r = 0; r < n; r++) {
        size_t beg = w->kid_beg[r], m = 0;
        for (size_t i = 0; i < w->kid_cnt[r]; i++) {
            size_t c = w->kids[beg + i];
            if ((w->flags[c] & F_EXCLUDED) || is_async(spans, w, r, c))
                continue;
            w->cands[beg + m++] = (cand){w->clip_e[c], w->clip_s[c], c};
        }
        if (m > 1)
            qsort(&w->cands[beg], m, sizeof(cand), cmp_cand);
        w->cand_cnt[r] = m;
        w->cand_next[r] = 0;
    }
    for (size_t root = 0; root < n; root++) {
        if (w->parent[root] != NONE)
            continue;
        size_t cur = root;
        int bounded = 0;
        int64_t bound = 0;
        rows[w->disp[root]].is_critical = 1;
        for (;;) {
            const cand *cs = &w->cands[w->kid_beg[cur]];
            size_t *next = &w->cand_next[cur];
            while (bounded && *next < w->cand_cnt[cur] && cs[*next].end >= bound)
                (*next)++;
            if (*next < w->cand_cnt[cur]) {
                cur = cs[(*next)++].rank;
                rows[w->disp[cur]].is_critical = 1;
                bounded = 0;
                continue;
            }
            if (cur == root)
                break;
            bound = w->clip_s[cur];
            bounded = 1;
            cur = w->parent[cur];
        }
    }
}

int argus_waterfall_build(const argus_waterfall_span *spans, size_t n, argus_waterfall_row *rows,
                          argus_error *err)
{
    if (n == 0)
        return 0;
    if (n > ARGUS_WATERFALL_MAX_SPANS)
        return argus_error_set(err, ARGUS_ELIMIT, "waterfall: %zu spans, more than the limit of %d",
                               n, ARGUS_WATERFALL_MAX_SPANS);
    work w;
    if (work_alloc(&w, n) != 0)
        return argus_error_set(err, ARGUS_ENOMEM, "waterfall: out of memory for %zu spans", n);
    for (size_t i = 0; i < n; i++) {
        const argus_waterfall_span *s = &spans[i];
        w.keys[i] = (key){s->start_ns, s->end_ns < s->start_ns ? s->start_ns : s->end_ns,
                          s->span_id ? s->span_id : "", s->span_id ? s->span_id_len : 0, i};
    }
    qsort(w.keys, n, sizeof(key), cmp_key);
    link_parents(&w, spans, n);
    break_cycles(&w, n);
    order_spans(&w, n);

    int64_t trace_start = w.keys[0].start; /* keys are sorted by start first */
    for (size_t k = 0; k < n; k++) {
        size_t r = w.order[k], p = w.parent[r];
        const key *s = &w.keys[r];
        argus_waterfall_row *row = &rows[k];
        memset(row, 0, sizeof *row);
        row->span = s->pos;
        row->parent = p == NONE ? NONE : w.disp[p];
        row->depth = p == NONE ? 0 : rows[w.disp[p]].depth + 1;
        row->offset_ns = sat64(udiff(trace_start, s->start));
        row->duration_ns = sat64(udiff(s->start, s->end));
        row->self_ns = sat64(self_time(&w, r));
        row->child_count = (int64_t)w.kid_cnt[r];
        row->has_error = spans[s->pos].status_code == ARGUS_STATUS_ERROR;
        row->is_orphan = (w.flags[r] & F_ORPHAN) != 0;
        row->is_duplicate = (w.flags[r] & F_DUP) != 0;
    }
    /* Reverse preorder visits every span after all of its descendants. */
    for (size_t k = n; k-- > 0;) {
        argus_waterfall_row *row = &rows[k];
        if (row->parent != NONE && (row->has_error || row->descendant_error))
            rows[row->parent].descendant_error = 1;
    }
    critical_path(&w, spans, n, rows);
    work_free(&w);
    return 0;
}

static void json_text(argus_buf *b, const char *s, size_t n)
{
    if (s)
        argus_json_string(b, s, n);
    else
        argus_buf_appends(b, "null");
}

int argus_waterfall_json(argus_buf *out, const argus_waterfall_span *spans, size_t n,
                         argus_error *err)
{
    argus_waterfall_row *rows = NULL;
    if (n) {
        rows = malloc(n * sizeof *rows);
        if (!rows)
            return argus_error_set(err, ARGUS_ENOMEM, "waterfall: out of memory for %zu spans", n);
        int rc = argus_waterfall_build(spans, n, rows, err);
        if (rc) {
            free(rows);
            return rc;
        }
    }
    argus_buf_appendc(out, '[');
    for (size_t k = 0; k < n; k++) {
        const argus_waterfall_row *row = &rows[k];
        const argus_waterfall_span *s = &spans[row->span];
        if (k)
            argus_buf_appendc(out, ',');
        argus_buf_appends(out, "{\"span_id\":");
        json_text(out, s->span_id ? s->span_id : "", s->span_id ? s->span_id_len : 0);
        argus_buf_appends(out, ",\"parent_span_id\":");
        json_text(out, s->parent_span_id_len ? s->parent_span_id : NULL, s->parent_span_id_len);
        argus_buf_appends(out, ",\"name\":");
        json_text(out, s->name, s->name_len);
        argus_buf_appends(out, ",\"service_name\":");
        json_text(out, s->service_name, s->service_name_len);
        argus_json_field_int(out, ",\"kind\":", s->kind);
        argus_json_field_int(out, ",\"start_time_unix_nano\":", s->start_ns);
        argus_json_field_int(out, ",\"end_time_unix_nano\":", s->end_ns);
        argus_json_field_int(out, ",\"duration_ns\":", row->duration_ns);
        argus_json_field_int(out, ",\"status_code\":", s->status_code);
        argus_json_field_int(out, ",\"depth\":", row->depth);
        argus_json_field_int(out, ",\"offset_ns\":", row->offset_ns);
        argus_json_field_int(out, ",\"self_ns\":", row->self_ns);
        argus_json_field_int(out, ",\"child_count\":", row->child_count);
        argus_json_field_bool(out, ",\"is_critical\":", row->is_critical);
        argus_json_field_bool(out, ",\"has_error\":", row->has_error);
        argus_json_field_bool(out, ",\"descendant_error\":", row->descendant_error);
        argus_json_field_bool(out, ",\"is_orphan\":", row->is_orphan);
        argus_json_field_bool(out, ",\"is_duplicate\":", row->is_duplicate);
        argus_buf_appendc(out, '}');
    }
    argus_buf_appendc(out, ']');
    free(rows);
    if (out->failed)
        return argus_error_set(err, ARGUS_ENOMEM, "waterfall: out of memory writing json");
    return 0;
}

void argus_waterfall_set_init(argus_waterfall_set *set)
{
    memset(set, 0, sizeof *set);
}

void argus_waterfall_set_free(argus_waterfall_set *set)
{
    free(set->spans);
    argus_arena_free(&set->arena);
    argus_waterfall_set_init(set);
}

/* Copies s[0..n) into the arena; NULL stays NULL. Returns -1 when out of memory. */
static int copy_text(argus_arena *a, const char **s, size_t n)
{
    if (!*s)
        return 0;
    char *copy = argus_arena_strndup(a, *s, n);
    if (!copy)
        return -1;
    *s = copy;
    return 0;
}

int argus_waterfall_set_add(argus_waterfall_set *set, const argus_waterfall_span *span,
                            argus_error *err)
{
    if (set->n >= ARGUS_WATERFALL_MAX_SPANS)
        return argus_error_set(err, ARGUS_ELIMIT, "waterfall: more than %d spans",
                               ARGUS_WATERFALL_MAX_SPANS);
    argus_waterfall_span *p = argus_array_room(set->spans, set->n, &set->cap, sizeof *p, 64);
    if (!p)
        return argus_error_set(err, ARGUS_ENOMEM, "waterfall: out of memory");
    set->spans = p;
    argus_waterfall_span s = *span;
    if (copy_text(&set->arena, &s.span_id, s.span_id_len) ||
        copy_text(&set->arena, &s.parent_span_id, s.parent_span_id_len) ||
        copy_text(&set->arena, &s.name, s.name_len) ||
        copy_text(&set->arena, &s.service_name, s.service_name_len))
        return argus_error_set(err, ARGUS_ENOMEM, "waterfall: out of memory");
    set->spans[set->n++] = s;
    return 0;
}
