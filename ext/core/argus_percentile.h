/* Exact percentiles with linear interpolation between closest ranks (rank = p * (n - 1)).
 * Backs the SQL aggregate/window function percentile(value, p):
 *   SELECT service_name, percentile(duration_ns, 0.95) FROM spans GROUP BY 1;
 * Core use: argus_percentile pc; argus_percentile_init(&pc); argus_percentile_set_p(&pc, .95, &e);
 *   argus_percentile_add(&pc, v, &e) ...; argus_percentile_result(&pc, &out); _free(&pc); */
#ifndef ARGUS_PERCENTILE_H
#define ARGUS_PERCENTILE_H

#include "argus_error.h"

#include <stddef.h>

/* Holds every value of a group. A zeroed struct is a valid empty state (SQLite aggregate contexts
 * are zeroed), so argus_percentile_init() is equivalent to memset 0. */
typedef struct argus_percentile {
    double *values; /* owned; values[0..n) */
    size_t n;
    size_t cap;
    double p;   /* the group's p, once has_p is set */
    int has_p;  /* p was given at least once */
    int sorted; /* values[] kept in ascending order (window mode: cheap repeated results) */
} argus_percentile;

void argus_percentile_init(argus_percentile *pc);
/* Releases the values; pc is empty (and has no p) afterwards. */
void argus_percentile_free(argus_percentile *pc);

/* Sets the group's p on first call; later calls must pass the same p. ARGUS_EINVAL when p is not
 * in [0, 1] (or NaN) or differs from the group's p. */
int argus_percentile_set_p(argus_percentile *pc, double p, argus_error *err);

/* Adds one value. ARGUS_EINVAL for NaN, ARGUS_ENOMEM when the array cannot grow. */
int argus_percentile_add(argus_percentile *pc, double v, argus_error *err);

/* Removes one occurrence of v (window functions' inverse step). ARGUS_EINVAL if v is absent. */
int argus_percentile_remove(argus_percentile *pc, double v, argus_error *err);

/* Sorts the values once and keeps them sorted through later adds/removes, so each result is a
 * lookup: for window functions, which ask for a result at every row. */
void argus_percentile_keep_sorted(argus_percentile *pc);

/* Writes the p-th percentile of the values to *out and returns 0, or returns 1 (and leaves *out
 * alone) when there are no values or no p. May reorder the values. */
int argus_percentile_result(argus_percentile *pc, double *out);

/* The p-th percentile of values[0..n) (n > 0, p in [0, 1]); reorders the array. */
double argus_percentile_of(double *values, size_t n, double p);

#endif
