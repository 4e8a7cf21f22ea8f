/* Per-operation span counts of a decoded traces payload; see argus_span_operations.h. */
#include "argus_span_operations.h"

#include "argus_error.h"
#include "argus_otlp_rows.h"
#include "argus_signal.h"

#include <stdlib.h>
#include <string.h>

void argus_span_operations_init(argus_span_operations *o)
{
    memset(o, 0, sizeof *o);
    argus_buf_init(&o->names);
    argus_buf_init(&o->scratch);
    argus_buf_init(&o->name_scratch);
}

void argus_span_operations_free(argus_span_operations *o)
{
    free(o->ops);
    free(o->slots);
    argus_buf_free(&o->names);
    argus_buf_free(&o->scratch);
    argus_buf_free(&o->name_scratch);
    argus_span_operations_init(o);
}

/* FNV-1a over the bytes of s[0..n), continuing from h. */
static uint64_t fnv(uint64_t h, const void *s, size_t n)
{
    const unsigned char *p = s;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static uint64_t group_hash(const argus_value *service, int64_t minute, const argus_value *name)
{
    uint64_t h = fnv(0xcbf29ce484222325ULL, service->s, service->n) ^ service->type;
    h = fnv(h * 31, &minute, sizeof minute) ^ name->type;
    return fnv(h * 31, name->s, name->n);
}

/* Rebuilds the hash slots with room for at least twice the groups' capacity. */
static int rehash(argus_span_operations *o)
{
    size_t nslots = o->nslots ? o->nslots * 2 : 64;
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return ARGUS_ENOMEM;
    for (size_t i = 0; i < o->n; i++) {
        size_t s = (size_t)o->ops[i].hash & (nslots - 1);
        while (slots[s])
            s = (s + 1) & (nslots - 1);
        slots[s] = (uint32_t)(i + 1);
    }
    free(o->slots);
    o->slots = slots;
    o->nslots = nslots;
    return 0;
}

/* The names of groups are stored as offsets into o->names while it may still move. */
static int same_group(const argus_span_operations *o, const argus_span_operation *g, uint64_t h,
                      const argus_value *service, int64_t minute, const argus_value *name)
{
    return g->hash == h && g->minute_ns == minute && g->service_n == service->n &&
           g->name_n == name->n && g->service_null == (service->type == ARGUS_VAL_NULL) &&
           g->name_null == (name->type == ARGUS_VAL_NULL) &&
           memcmp(o->names.data + (size_t)(uintptr_t)g->service, service->s, service->n) == 0 &&
           memcmp(o->names.data + (size_t)(uintptr_t)g->name, name->s, name->n) == 0;
}

/* Counts one span given its values of COLS. */
enum { C_PARENT, C_KIND, C_START, C_STATUS, C_SERVICE, C_NAME, NCOLS };
static const int COLS[NCOLS] = {ARGUS_SPAN_PARENT_SPAN_ID, ARGUS_SPAN_KIND,
                                ARGUS_SPAN_START_TIME,     ARGUS_SPAN_STATUS_CODE,
                                ARGUS_SPAN_SERVICE_NAME,   ARGUS_SPAN_NAME};

static int add(argus_span_operations *o, const argus_value *parent, const argus_value *kind,
               const argus_value *start, const argus_value *status, argus_value service,
               argus_value name)
{
    /* NULL keeps its type (the group's *_null flag) but hashes and compares as "" */
    if (service.type == ARGUS_VAL_NULL)
        service.s = "", service.n = 0;
    if (name.type == ARGUS_VAL_NULL)
        name.s = "", name.n = 0;
    int64_t minute = start->i / 60000000000 * 60000000000;
    uint64_t h = group_hash(&service, minute, &name);
    if (2 * (o->n + 1) > o->nslots && rehash(o))
        return ARGUS_ENOMEM;
    size_t s = (size_t)h & (o->nslots - 1);
    argus_span_operation *g = NULL;
    for (; o->slots[s]; s = (s + 1) & (o->nslots - 1))
        if (same_group(o, &o->ops[o->slots[s] - 1], h, &service, minute, &name)) {
            g = &o->ops[o->slots[s] - 1];
            break;
        }
    if (!g) {
        argus_span_operation *ops = argus_array_room(o->ops, o->n, &o->cap, sizeof *o->ops, 16);
        if (!ops || argus_buf_reserve(&o->names, service.n + name.n + 1))
            return ARGUS_ENOMEM;
        o->ops = ops;
        g = &o->ops[o->n];
        *g = (argus_span_operation){.service = (const char *)(uintptr_t)o->names.len,
                                    .service_n = service.n,
                                    .name = (const char *)(uintptr_t)(o->names.len + service.n),
                                    .name_n = name.n,
                                    .minute_ns = minute,
                                    .service_null = service.type == ARGUS_VAL_NULL,
                                    .name_null = name.type == ARGUS_VAL_NULL,
                                    .hash = h};
        argus_buf_append(&o->names, service.s, service.n);
        argus_buf_append(&o->names, name.s, name.n);
        o->slots[s] = (uint32_t)(++o->n);
    }
    int request = kind->i == 2 || kind->i == 5 || parent->type == ARGUS_VAL_NULL;
    int error = status->i == 2;
    g->spans++;
    g->errors += error;
    g->requests += request;
    g->request_errors += request && error;
    return 0;
}

int argus_span_operations_build(argus_span_operations *o, const argus_otlp_payload *p)
{
    o->n = 0;
    argus_buf_reset(&o->names);
    if (o->slots)
        memset(o->slots, 0, o->nslots * sizeof *o->slots);
    int rc = 0;
    if (p->rows) {
        /* rendered ahead (argus_otlp_render()): one row of values per valid span, read directly
         * (no iterator, no validity checks again) */
        const size_t ncols = (size_t)argus_signal_get(ARGUS_SIGNAL_TRACES)->ncolumns;
        const size_t n = argus_otlp_valid_items(p);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            const argus_value *r = p->rows + i * ncols;
            rc = add(o, &r[COLS[C_PARENT]], &r[COLS[C_KIND]], &r[COLS[C_START]], &r[COLS[C_STATUS]],
                     r[COLS[C_SERVICE]], r[COLS[C_NAME]]);
        }
    } else {
        argus_value v[NCOLS];
        for (argus_otlp_iter it = argus_otlp_iter_start(p); rc == 0 && argus_otlp_iter_next(&it);) {
            /* the name in a scratch buffer of its own: rendering a value may reset the buffer */
            for (int c = 0; c < NCOLS; c++)
                argus_otlp_span_column(&it, COLS[c], &v[c],
                                       c == C_NAME ? &o->name_scratch : &o->scratch);
            rc = o->scratch.failed || o->name_scratch.failed
                     ? ARGUS_ENOMEM
                     : add(o, &v[C_PARENT], &v[C_KIND], &v[C_START], &v[C_STATUS], v[C_SERVICE],
                           v[C_NAME]);
        }
    }
    if (rc) {
        o->n = 0;
        return ARGUS_ENOMEM;
    }
    /* The names buffer no longer moves: offsets become pointers. */
    for (size_t i = 0; i < o->n; i++) {
        o->ops[i].service = o->names.data + (size_t)(uintptr_t)o->ops[i].service;
        o->ops[i].name = o->names.data + (size_t)(uintptr_t)o->ops[i].name;
    }
    return 0;
}
