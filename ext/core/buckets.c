/* Chart bucketing (see argus_buckets.h).
 *   SELECT time_bucket(ts, 60000000000), bucket_width(start, end, 100);
 * All arithmetic is checked: timestamps are int64 nanoseconds and user input may sit anywhere in
 * that range, so floors are computed without overflow and widths via unsigned differences. */
#include "argus_buckets.h"

#include <stddef.h>

#define MS ARGUS_NS_PER_MS
#define SEC ARGUS_NS_PER_S
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

/* Widths people read easily; a chart axis labelled in these steps lines up with the clock. */
static const int64_t nice_widths[] = {
    1 * MS,    2 * MS,  5 * MS,   10 * MS,  20 * MS,  50 * MS,  100 * MS, 200 * MS,
    500 * MS,  1 * SEC, 2 * SEC,  5 * SEC,  10 * SEC, 15 * SEC, 30 * SEC, 1 * MIN,
    2 * MIN,   5 * MIN, 10 * MIN, 15 * MIN, 30 * MIN, 1 * HOUR, 3 * HOUR, 6 * HOUR,
    12 * HOUR, 1 * DAY, 2 * DAY,  7 * DAY,  30 * DAY,
};

/* floor(a / w) for w > 0; cannot overflow because |a / w| <= |a|. */
static int64_t floor_div(int64_t a, int64_t w)
{
    int64_t q = a / w;
    if (a % w != 0 && a < 0)
        q--;
    return q;
}

int argus_buckets_floor(int64_t ts_ns, int64_t width_ns, int64_t *out, argus_error *err)
{
    if (width_ns <= 0)
        return argus_error_set(err, ARGUS_EINVAL, "buckets: width must be positive, got %lld",
                               (long long)width_ns);
    int64_t start;
    if (__builtin_mul_overflow(floor_div(ts_ns, width_ns), width_ns, &start))
        return argus_error_set(err, ARGUS_ELIMIT,
                               "buckets: the bucket of %lld is out of the 64-bit range",
                               (long long)ts_ns);
    *out = start;
    return 0;
}

/* Bucket count without validation: end > start, width > 0. */
static uint64_t count_buckets(int64_t start, int64_t end, int64_t width)
{
    return (uint64_t)floor_div(end - 1, width) - (uint64_t)floor_div(start, width) + 1;
}

int argus_buckets_count(int64_t start_ns, int64_t end_ns, int64_t width_ns, uint64_t *out,
                        argus_error *err)
{
    if (width_ns <= 0)
        return argus_error_set(err, ARGUS_EINVAL, "buckets: width must be positive, got %lld",
                               (long long)width_ns);
    if (end_ns < start_ns)
        return argus_error_set(err, ARGUS_EINVAL, "buckets: end %lld is before start %lld",
                               (long long)end_ns, (long long)start_ns);
    *out = end_ns == start_ns ? 0 : count_buckets(start_ns, end_ns, width_ns);
    return 0;
}

int argus_buckets_width(int64_t start_ns, int64_t end_ns, int64_t max_points, int64_t *out,
                        argus_error *err)
{
    if (end_ns < start_ns)
        return argus_error_set(err, ARGUS_EINVAL, "buckets: end %lld is before start %lld",
                               (long long)end_ns, (long long)start_ns);
    if (max_points < 1)
        return argus_error_set(err, ARGUS_EINVAL,
                               "buckets: max_points must be at least 1, got %lld",
                               (long long)max_points);
    if (end_ns == start_ns) {
        *out = nice_widths[0];
        return 0;
    }
    for (size_t i = 0; i < sizeof nice_widths / sizeof nice_widths[0]; i++) {
        if (count_buckets(start_ns, end_ns, nice_widths[i]) <= (uint64_t)max_points) {
            *out = nice_widths[i];
            return 0;
        }
    }
    /* Past the table: multiples of 30 days. A range of r ns touches at most r / w + 2 buckets, so
     * starting from the multiple that fits without alignment luck, at most two more are tried. */
    uint64_t range = (uint64_t)end_ns - (uint64_t)start_ns;
    uint64_t step = (uint64_t)(30 * DAY);
    uint64_t k = range / step / (uint64_t)max_points;
    if (k == 0)
        k = 1;
    for (;; k++) {
        if (k > (uint64_t)INT64_MAX / step) {
            *out = INT64_MAX; /* one bucket of the widest representable width */
            return 0;
        }
        int64_t w = (int64_t)(k * step);
        if (count_buckets(start_ns, end_ns, w) <= (uint64_t)max_points) {
            *out = w;
            return 0;
        }
    }
}
