/* Exact percentiles (see argus_percentile.h); the SQL face is percentile(value, p) in
 * ext/sqlite/percentile_sqlite.c:  SELECT percentile(duration_ns, 0.99) FROM spans;
 * Plain aggregation appends and selects once at the end (expected O(n)); window use switches to a
 * sorted array so each frame step is a binary search plus one memmove. */
#include "argus_percentile.h"

#include "argus_buf.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void argus_percentile_init(argus_percentile *pc)
{
    memset(pc, 0, sizeof *pc);
}

void argus_percentile_free(argus_percentile *pc)
{
    free(pc->values);
    argus_percentile_init(pc);
}

int argus_percentile_set_p(argus_percentile *pc, double p, argus_error *err)
{
    if (!(p >= 0.0 && p <= 1.0))
        return argus_error_set(err, ARGUS_EINVAL, "percentile: p must be between 0 and 1, got %g",
                               p);
    if (!pc->has_p) {
        pc->p = p;
        pc->has_p = 1;
    } else if (pc->p != p) {
        return argus_error_set(err, ARGUS_EINVAL,
                               "percentile: p must be the same for every row of a group "
                               "(%g, then %g)",
                               pc->p, p);
    }
    return 0;
}

/* First index whose value is > v (sorted mode). */
static size_t upper_bound(const double *a, size_t n, double v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int argus_percentile_add(argus_percentile *pc, double v, argus_error *err)
{
    if (isnan(v))
        return argus_error_set(err, ARGUS_EINVAL, "percentile: value is NaN");
    double *values = argus_array_room(pc->values, pc->n, &pc->cap, sizeof *values, 64);
    if (!values)
        return argus_error_set(err, ARGUS_ENOMEM, "percentile: out of memory");
    pc->values = values;
    if (pc->sorted) {
        size_t at = upper_bound(pc->values, pc->n, v);
        memmove(pc->values + at + 1, pc->values + at, (pc->n - at) * sizeof(double));
        pc->values[at] = v;
    } else {
        pc->values[pc->n] = v;
    }
    pc->n++;
    return 0;
}

int argus_percentile_remove(argus_percentile *pc, double v, argus_error *err)
{
    if (pc->sorted) {
        size_t at = upper_bound(pc->values, pc->n, v);
        if (at > 0 && pc->values[at - 1] == v) {
            memmove(pc->values + at - 1, pc->values + at, (pc->n - at) * sizeof(double));
            pc->n--;
            return 0;
        }
    } else {
        /* Order does not matter until a result is asked for: swap in the last value. */
        for (size_t i = 0; i < pc->n; i++) {
            if (pc->values[i] == v) {
                pc->values[i] = pc->values[--pc->n];
                return 0;
            }
        }
    }
    return argus_error_set(err, ARGUS_EINVAL, "percentile: value %g to remove is not in the group",
                           v);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void swap(double *a, double *b)
{
    double t = *a;
    *a = *b;
    *b = t;
}

/* Reorders v[0..n) so that v[k] holds the k-th smallest value, with no larger value before it and
 * no smaller one after it. Quickselect with median-of-three pivots; if partitioning keeps going
 * badly (an adversarial order) it falls back to sorting, so the worst case stays O(n log n). */
static void select_kth(double *v, size_t n, size_t k)
{
    ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, want = (ptrdiff_t)k;
    int budget = 16;
    for (size_t m = n; m > 1; m >>= 1)
        budget += 2;
    while (hi > lo) {
        if (budget-- == 0) {
            qsort(v + lo, (size_t)(hi - lo + 1), sizeof(double), cmp_double);
            return;
        }
        ptrdiff_t mid = lo + (hi - lo) / 2;
        if (v[mid] < v[lo])
            swap(&v[mid], &v[lo]);
        if (v[hi] < v[lo])
            swap(&v[hi], &v[lo]);
        if (v[hi] < v[mid])
            swap(&v[hi], &v[mid]);
        double pivot = v[mid];
        ptrdiff_t i = lo, j = hi;
        /* Hoare partition; v[lo] <= pivot <= v[hi] stop the inner scans. Equal keys are swapped
         * too, which splits runs of duplicates evenly instead of degrading to O(n^2). */
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                swap(&v[i], &v[j]);
                i++;
                j--;
            }
        }
        /* Now v[lo..j] <= pivot <= v[i..hi], and v(j..i) == pivot. */
        if (want <= j)
            hi = j;
        else if (want >= i)
            lo = i;
        else
            return;
    }
}

static double interpolate(double a, double b, double frac)
{
    if (frac == 0.0 || a == b)
        return a;
    double r = a + (b - a) * frac;
    if (!isfinite(r)) /* b - a overflowed (values near +-DBL_MAX) */
        r = a * (1.0 - frac) + b * frac;
    return r;
}

/* Splits rank p * (n - 1) into its integer part *k and fraction. */
static double split_rank(size_t n, double p, size_t *k)
{
    double r = p * (double)(n - 1);
    double f = floor(r);
    if (f >= (double)(n - 1)) {
        *k = n - 1;
        return 0.0;
    }
    *k = (size_t)f;
    return r - f;
}

double argus_percentile_of(double *values, size_t n, double p)
{
    size_t k;
    double frac = split_rank(n, p, &k);
    select_kth(values, n, k);
    double a = values[k];
    if (frac == 0.0)
        return a;
    /* The next order statistic is the smallest value after position k. */
    double b = values[k + 1];
    for (size_t i = k + 2; i < n; i++)
        if (values[i] < b)
            b = values[i];
    return interpolate(a, b, frac);
}

void argus_percentile_keep_sorted(argus_percentile *pc)
{
    if (!pc->sorted) {
        if (pc->n > 1)
            qsort(pc->values, pc->n, sizeof(double), cmp_double);
        pc->sorted = 1;
    }
}

int argus_percentile_result(argus_percentile *pc, double *out)
{
    if (pc->n == 0 || !pc->has_p)
        return 1;
    if (pc->sorted) {
        size_t k;
        double frac = split_rank(pc->n, pc->p, &k);
        *out = interpolate(pc->values[k], frac > 0.0 ? pc->values[k + 1] : pc->values[k], frac);
    } else {
        *out = argus_percentile_of(pc->values, pc->n, pc->p);
    }
    return 0;
}
