/* Small aggregates the trace summary needs, in plain C so every glue layer shares them:
 * arg_min (the value of the row whose keys compare smallest) and a sorted set of distinct strings
 * (json_group_set).
 *   argus_arg_min m; argus_arg_min_init(&m);
 *   argus_arg_min_add(&m, &value, keys, 2, &err) ...; const argus_datum *v =
 * argus_arg_min_value(&m); argus_arg_min_free(&m); argus_string_set s; argus_string_set_init(&s);
 * argus_string_set_add(&s, "a", 1, &err) ...; argus_string_set_json(&s, &buf);
 * argus_string_set_free(&s); */
#ifndef ARGUS_AGGREGATE_H
#define ARGUS_AGGREGATE_H

#include "argus_buf.h"
#include "argus_error.h"

#include <stddef.h>
#include <stdint.h>

/* A SQL value as the glue layers hand it over; p is borrowed for the duration of a call. */
typedef enum argus_datum_type {
    ARGUS_DATUM_NULL,
    ARGUS_DATUM_INT,
    ARGUS_DATUM_REAL,
    ARGUS_DATUM_TEXT,
    ARGUS_DATUM_BLOB,
} argus_datum_type;

typedef struct argus_datum {
    argus_datum_type type;
    int64_t i;
    double d;
    const void *p; /* TEXT / BLOB bytes */
    size_t n;
} argus_datum;

/* Orders like SQL's ORDER BY with a binary collation: NULL < numbers (integers and reals compared
 * by value) < text < blobs; text and blobs bytewise, a prefix first. Returns <0, 0 or >0. */
int argus_datum_compare(const argus_datum *a, const argus_datum *b);

#define ARGUS_ARG_MIN_MAX_KEYS 4

typedef struct argus_arg_min {
    int has;   /* a row was kept */
    int nkeys; /* keys per row */
    argus_datum value;
    argus_datum keys[ARGUS_ARG_MIN_MAX_KEYS];
    argus_buf bytes; /* owned copies of the kept row's TEXT / BLOB bytes */
} argus_arg_min;

void argus_arg_min_init(argus_arg_min *m);
void argus_arg_min_free(argus_arg_min *m);
/* Offers a row: kept when its keys compare smaller than the kept row's (the first such row on
 * ties). nkeys is 1..ARGUS_ARG_MIN_MAX_KEYS and must not change between rows. Returns 0, or
 * ARGUS_EINVAL / ARGUS_ENOMEM. */
int argus_arg_min_add(argus_arg_min *m, const argus_datum *value, const argus_datum *keys,
                      int nkeys, argus_error *err);
/* The kept row's value (borrowed until the next add or free), or NULL when no row was offered. */
const argus_datum *argus_arg_min_value(const argus_arg_min *m);

typedef struct argus_string_set {
    char **items; /* NUL-terminated copies, owned */
    size_t n, cap;
} argus_string_set;

void argus_string_set_init(argus_string_set *s);
void argus_string_set_free(argus_string_set *s);
/* Adds s[0..n) (a repeat of the last added string is skipped at once). 0 or ARGUS_ENOMEM. */
int argus_string_set_add(argus_string_set *s, const char *str, size_t n, argus_error *err);
/* Appends the distinct strings, sorted bytewise, as a JSON array of strings. Sorts the set. */
void argus_string_set_json(argus_string_set *s, argus_buf *out);

#endif
