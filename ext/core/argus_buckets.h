/* Time bucketing for charts: bucket starts, "nice" bucket widths for a range, bucket counts.
 * Backs time_bucket(ts_ns, width_ns), bucket_width(start_ns, end_ns, max_points) and the
 * bucket_series(start_ns, end_ns, width_ns) table-valued function:
 *   SELECT time_bucket(start_time_unix_nano, bucket_width(?1, ?2, 120)) AS t, count(*)
 *   FROM spans WHERE start_time_unix_nano >= ?1 AND start_time_unix_nano < ?2 GROUP BY t; */
#ifndef ARGUS_BUCKETS_H
#define ARGUS_BUCKETS_H

#include "argus_error.h"

#include <stdint.h>

#define ARGUS_NS_PER_MS INT64_C(1000000)
#define ARGUS_NS_PER_S INT64_C(1000000000)
/* The most rows bucket_series() produces (ARGUS_ELIMIT beyond). */
#define ARGUS_BUCKETS_MAX_SERIES 100000

/* The start of the bucket of width width_ns holding ts_ns: the largest multiple of width_ns
 * (counted from the unix epoch) not after ts_ns — a floor, also for negative timestamps.
 * ARGUS_EINVAL when width_ns <= 0, ARGUS_ELIMIT when the start is below INT64_MIN. */
int argus_buckets_floor(int64_t ts_ns, int64_t width_ns, int64_t *out, argus_error *err);

/* The number of buckets of width width_ns that the half-open range [start_ns, end_ns) touches:
 * from the bucket of start_ns to the bucket of the last nanosecond before end_ns; 0 when
 * end_ns = start_ns. ARGUS_EINVAL when width_ns <= 0 or end_ns < start_ns. */
int argus_buckets_count(int64_t start_ns, int64_t end_ns, int64_t width_ns, uint64_t *out,
                        argus_error *err);

/* The smallest step of 1, 2, 5, 10, 20, 50, 100, 200, 500 ms, 1, 2, 5, 10, 15, 30 s, 1, 2, 5, 10,
 * 15, 30 min, 1, 3, 6, 12 h, 1, 2, 7, 30 days with which [start_ns, end_ns) touches at most
 * max_points buckets; past 30 days, the smallest multiple of 30 days that does. The epoch is a
 * boundary of every width, so a range across it never fits in one bucket: max_points = 1 then
 * gives INT64_MAX. ARGUS_EINVAL when end_ns < start_ns or max_points < 1. */
int argus_buckets_width(int64_t start_ns, int64_t end_ns, int64_t max_points, int64_t *out,
                        argus_error *err);

#endif
