/* The aggregates the trace summary uses, as UDFs: arg_min(value, key1 [, key2 .. key4]) (the
 * value of the row whose keys sort first, as ORDER BY key1, key2 would; NULL < numbers < text)
 * and json_group_set(value) (a sorted JSON array of the distinct non-NULL values):
 *   SELECT trace_id, arg_min(name, start_time_unix_nano), json_group_set(service_name)
 *   FROM spans GROUP BY trace_id;
 * arg_min returns text here: a UDF has one result type. */
#include "argus_udf.h"

#include <stdlib.h>
#include <string.h>

#define ARG_MIN_MAX_KEYS 4

/* An owned copy of a value. */
typedef struct held_value {
    argus_uv_type type;
    int64_t i;
    double r;
    char *s;
    size_t n;
} held_value;

typedef struct arg_min_state {
    int have;
    unsigned nkeys;
    held_value value;
    held_value keys[ARG_MIN_MAX_KEYS];
    argus_buf out;
} arg_min_state;

static int rank(argus_uv_type t)
{
    return t == ARGUS_UV_NULL ? 0 : t == ARGUS_UV_TEXT ? 2 : 1;
}

/* Compares like SQLite's ORDER BY with the BINARY collation. */
static int compare(const argus_udf_value *a, const held_value *b)
{
    int ra = rank(a->type), rb = rank(b->type);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    if (ra == 0)
        return 0;
    if (ra == 1) {
        if (a->type == ARGUS_UV_INT && b->type == ARGUS_UV_INT)
            return a->i < b->i ? -1 : a->i > b->i;
        double x = a->type == ARGUS_UV_INT ? (double)a->i : a->r;
        double y = b->type == ARGUS_UV_INT ? (double)b->i : b->r;
        return x < y ? -1 : x > y;
    }
    size_t n = a->n < b->n ? a->n : b->n;
    int c = n ? memcmp(a->s, b->s, n) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return a->n < b->n ? -1 : a->n > b->n;
}

static int hold(held_value *h, const argus_udf_value *v)
{
    free(h->s);
    memset(h, 0, sizeof *h);
    h->type = v->type;
    h->i = v->i;
    h->r = v->r;
    if (v->type == ARGUS_UV_TEXT) {
        h->s = malloc(v->n ? v->n : 1);
        if (!h->s) {
            h->type = ARGUS_UV_NULL;
            return -1;
        }
        if (v->n)
            memcpy(h->s, v->s, v->n);
        h->n = v->n;
    }
    return 0;
}

static void arg_min_reset(arg_min_state *s)
{
    free(s->value.s);
    memset(&s->value, 0, sizeof s->value);
    for (unsigned i = 0; i < ARG_MIN_MAX_KEYS; i++) {
        free(s->keys[i].s);
        memset(&s->keys[i], 0, sizeof s->keys[i]);
    }
    s->have = 0;
}

ARGUS_UDF_EXPORT char arg_min_init(argus_udf_init *initid, argus_udf_args *args, char *message)
{
    if (argus_udf_check_arity(args, "arg_min", message))
        return 1;
    arg_min_state *s = calloc(1, sizeof *s);
    if (!s)
        return argus_udf_refuse(message, "arg_min: out of memory");
    argus_buf_init(&s->out);
    initid->ptr = (char *)s;
    initid->maybe_null = 1;
    initid->max_length = ARGUS_UDF_MAX_LENGTH;
    return 0;
}

ARGUS_UDF_EXPORT void arg_min_deinit(argus_udf_init *initid)
{
    arg_min_state *s = (arg_min_state *)(void *)initid->ptr;
    if (!s)
        return;
    arg_min_reset(s);
    argus_buf_free(&s->out);
    free(s);
}

ARGUS_UDF_EXPORT void arg_min_clear(argus_udf_init *initid, char *is_null, char *error)
{
    (void)is_null;
    (void)error;
    arg_min_reset((arg_min_state *)(void *)initid->ptr);
}

ARGUS_UDF_EXPORT void arg_min_add(argus_udf_init *initid, argus_udf_args *args, char *is_null,
                                  char *error)
{
    (void)is_null;
    arg_min_state *s = (arg_min_state *)(void *)initid->ptr;
    unsigned nkeys = args->arg_count - 1;
    argus_udf_value keys[ARG_MIN_MAX_KEYS];
    for (unsigned i = 0; i < nkeys; i++)
        keys[i] = argus_udf_arg(args, i + 1);
    if (s->have) {
        int c = 0;
        for (unsigned i = 0; i < nkeys && c == 0; i++)
            c = compare(&keys[i], &s->keys[i]);
        if (c >= 0)
            return; /* the first row wins ties */
    }
    argus_udf_value v = argus_udf_arg(args, 0);
    int failed = hold(&s->value, &v);
    for (unsigned i = 0; i < nkeys; i++)
        failed |= hold(&s->keys[i], &keys[i]);
    s->nkeys = nkeys;
    s->have = 1;
    if (failed) {
        argus_error err;
        argus_error_set(&err, ARGUS_ENOMEM, "arg_min: out of memory");
        argus_udf_fail(error, &err);
    }
}

ARGUS_UDF_EXPORT char *arg_min(argus_udf_init *initid, argus_udf_args *args, char *result,
                               unsigned long *length, char *is_null, char *error)
{
    (void)args;
    (void)result;
    arg_min_state *s = (arg_min_state *)(void *)initid->ptr;
    *is_null = 1;
    if (!s->have || s->value.type == ARGUS_UV_NULL)
        return NULL;
    argus_udf_value v = {s->value.type, s->value.i, s->value.r, s->value.s, s->value.n};
    char num[40];
    size_t n = 0;
    const char *text = argus_udf_text(v, num, &n);
    argus_buf_reset(&s->out);
    argus_buf_append(&s->out, text, n);
    return argus_udf_result(&s->out, length, is_null, error);
}

/* ---- json_group_set(value) ------------------------------------------------------------------ */

typedef struct group_set_state {
    char **items; /* NUL-terminated copies; SQLite also keeps a text only up to its first NUL */
    size_t n, cap;
    argus_buf out;
} group_set_state;

static void group_set_reset(group_set_state *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->items[i]);
    s->n = 0;
}

ARGUS_UDF_EXPORT char json_group_set_init(argus_udf_init *initid, argus_udf_args *args,
                                          char *message)
{
    if (argus_udf_check_arity(args, "json_group_set", message))
        return 1;
    group_set_state *s = calloc(1, sizeof *s);
    if (!s)
        return argus_udf_refuse(message, "json_group_set: out of memory");
    argus_buf_init(&s->out);
    initid->ptr = (char *)s;
    initid->maybe_null = 0;
    initid->max_length = ARGUS_UDF_MAX_LENGTH;
    return 0;
}

ARGUS_UDF_EXPORT void json_group_set_deinit(argus_udf_init *initid)
{
    group_set_state *s = (group_set_state *)(void *)initid->ptr;
    if (!s)
        return;
    group_set_reset(s);
    free(s->items);
    argus_buf_free(&s->out);
    free(s);
}

ARGUS_UDF_EXPORT void json_group_set_clear(argus_udf_init *initid, char *is_null, char *error)
{
    (void)is_null;
    (void)error;
    group_set_reset((group_set_state *)(void *)initid->ptr);
}

ARGUS_UDF_EXPORT void json_group_set_add(argus_udf_init *initid, argus_udf_args *args,
                                         char *is_null, char *error)
{
    (void)is_null;
    group_set_state *s = (group_set_state *)(void *)initid->ptr;
    char num[40];
    size_t n = 0;
    const char *text = argus_udf_text(argus_udf_arg(args, 0), num, &n);
    if (!text)
        return;
    n = strnlen(text, n);
    /* Most groups repeat the same few values: skip an immediate repeat cheaply. */
    if (s->n && strlen(s->items[s->n - 1]) == n && memcmp(s->items[s->n - 1], text, n) == 0)
        return;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        char **items = realloc(s->items, cap * sizeof *items);
        if (!items)
            goto nomem;
        s->items = items;
        s->cap = cap;
    }
    s->items[s->n] = malloc(n + 1);
    if (!s->items[s->n])
        goto nomem;
    memcpy(s->items[s->n], text, n);
    s->items[s->n][n] = 0;
    s->n++;
    return;
nomem : {
    argus_error err;
    argus_error_set(&err, ARGUS_ENOMEM, "json_group_set: out of memory");
    argus_udf_fail(error, &err);
}
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

ARGUS_UDF_EXPORT char *json_group_set(argus_udf_init *initid, argus_udf_args *args, char *result,
                                      unsigned long *length, char *is_null, char *error)
{
    (void)args;
    (void)result;
    group_set_state *s = (group_set_state *)(void *)initid->ptr;
    argus_buf *b = &s->out;
    argus_buf_reset(b);
    argus_buf_appendc(b, '[');
    if (s->n)
        qsort(s->items, s->n, sizeof *s->items, cmp_str);
    for (size_t i = 0; i < s->n; i++) {
        if (i == 0 || strcmp(s->items[i], s->items[i - 1]) != 0) {
            if (b->len > 1)
                argus_buf_appendc(b, ',');
            argus_json_string(b, s->items[i], strlen(s->items[i]));
        }
    }
    argus_buf_appendc(b, ']');
    return argus_udf_result(b, length, is_null, error);
}
