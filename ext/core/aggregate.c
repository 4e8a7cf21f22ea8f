/* arg_min and the distinct string set (see argus_aggregate.h); the SQL aggregates arg_min() and
 * json_group_set() are thin glue over them.
 *   SELECT arg_min(name, parent_span_id IS NOT NULL, start_time_unix_nano) FROM spans; */
#include "argus_aggregate.h"

#include <stdlib.h>
#include <string.h>

static int type_rank(argus_datum_type t)
{
    switch (t) {
    case ARGUS_DATUM_NULL: return 0;
    case ARGUS_DATUM_INT:
    case ARGUS_DATUM_REAL: return 1;
    case ARGUS_DATUM_TEXT: return 2;
    default: return 3;
    }
}

int argus_datum_compare(const argus_datum *a, const argus_datum *b)
{
    int ra = type_rank(a->type), rb = type_rank(b->type);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    if (ra == 0)
        return 0;
    if (ra == 1) {
        if (a->type == ARGUS_DATUM_INT && b->type == ARGUS_DATUM_INT)
            return a->i < b->i ? -1 : a->i > b->i;
        double x = a->type == ARGUS_DATUM_INT ? (double)a->i : a->d;
        double y = b->type == ARGUS_DATUM_INT ? (double)b->i : b->d;
        return x < y ? -1 : x > y;
    }
    size_t n = a->n < b->n ? a->n : b->n;
    int c = n ? memcmp(a->p, b->p, n) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return a->n < b->n ? -1 : a->n > b->n;
}

void argus_arg_min_init(argus_arg_min *m)
{
    memset(m, 0, sizeof *m);
    argus_buf_init(&m->bytes);
}

void argus_arg_min_free(argus_arg_min *m)
{
    argus_buf_free(&m->bytes);
    argus_arg_min_init(m);
}

/* Copies d's bytes into m->bytes; the pointer is fixed up once every copy is in place. */
static void keep_bytes(argus_arg_min *m, argus_datum *dst, const argus_datum *src, size_t *off)
{
    *dst = *src;
    if (src->type != ARGUS_DATUM_TEXT && src->type != ARGUS_DATUM_BLOB)
        return;
    *off = m->bytes.len;
    argus_buf_append(&m->bytes, src->n ? src->p : "", src->n);
}

int argus_arg_min_add(argus_arg_min *m, const argus_datum *value, const argus_datum *keys,
                      int nkeys, argus_error *err)
{
    if (nkeys < 1 || nkeys > ARGUS_ARG_MIN_MAX_KEYS || (m->has && nkeys != m->nkeys))
        return argus_error_set(err, ARGUS_EINVAL,
                               "aggregate: arg_min takes 1 to %d keys, the same for every row",
                               ARGUS_ARG_MIN_MAX_KEYS);
    if (m->has) {
        int c = 0;
        for (int i = 0; i < nkeys && c == 0; i++)
            c = argus_datum_compare(&keys[i], &m->keys[i]);
        if (c >= 0)
            return 0;
    }
    argus_buf_reset(&m->bytes);
    size_t offs[ARGUS_ARG_MIN_MAX_KEYS + 1] = {0};
    keep_bytes(m, &m->value, value, &offs[0]);
    for (int i = 0; i < nkeys; i++)
        keep_bytes(m, &m->keys[i], &keys[i], &offs[i + 1]);
    if (m->bytes.failed) {
        m->has = 0;
        return argus_error_set(err, ARGUS_ENOMEM, "aggregate: out of memory");
    }
    for (int i = 0; i <= nkeys; i++) {
        argus_datum *d = i == 0 ? &m->value : &m->keys[i - 1];
        if (d->type == ARGUS_DATUM_TEXT || d->type == ARGUS_DATUM_BLOB)
            d->p = m->bytes.data + offs[i];
    }
    m->nkeys = nkeys;
    m->has = 1;
    return 0;
}

const argus_datum *argus_arg_min_value(const argus_arg_min *m)
{
    return m->has ? &m->value : NULL;
}

void argus_string_set_init(argus_string_set *s)
{
    memset(s, 0, sizeof *s);
}

void argus_string_set_free(argus_string_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->items[i]);
    free(s->items);
    argus_string_set_init(s);
}

int argus_string_set_add(argus_string_set *s, const char *str, size_t n, argus_error *err)
{
    /* Most groups repeat the same few values: skip an immediate repeat cheaply. */
    if (s->n && strlen(s->items[s->n - 1]) == n && memcmp(s->items[s->n - 1], str, n) == 0)
        return 0;
    char **items = argus_array_room(s->items, s->n, &s->cap, sizeof *items, 8);
    if (!items)
        return argus_error_set(err, ARGUS_ENOMEM, "aggregate: out of memory");
    s->items = items;
    char *copy = malloc(n + 1);
    if (!copy)
        return argus_error_set(err, ARGUS_ENOMEM, "aggregate: out of memory");
    memcpy(copy, str, n);
    copy[n] = '\0';
    s->items[s->n++] = copy;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void argus_string_set_json(argus_string_set *s, argus_buf *out)
{
    argus_buf_appendc(out, '[');
    if (s->n)
        qsort(s->items, s->n, sizeof *s->items, cmp_str);
    for (size_t i = 0; i < s->n; i++) {
        if (i && strcmp(s->items[i], s->items[i - 1]) == 0)
            continue;
        if (i)
            argus_buf_appendc(out, ',');
        argus_json_string(out, s->items[i], strlen(s->items[i]));
    }
    argus_buf_appendc(out, ']');
}
