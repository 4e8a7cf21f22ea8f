/* A mergeable quantile sketch in the manner of DDSketch (Masson et al., VLDB 2019): values fall in
 * logarithmically spaced buckets, so any quantile comes back within 1% relative error, and two
 * sketches merge by adding bucket counts. SQL: sketch(), sketch_merge(), sketch_add(),
 * sketch_quantile(), sketch_count() (ext/sqlite/percentile_sqlite.c), e.g. per-minute rollups:
 *   SELECT sketch_quantile(sketch_merge(duration_sketch), 0.95) FROM span_rollups WHERE ...; */
#ifndef ARGUS_SKETCH_H
#define ARGUS_SKETCH_H

#include "argus_buf.h"
#include "argus_error.h"

#include <stddef.h>
#include <stdint.h>

/* Relative accuracy: for a value x the sketch answers some y with |y - x| <= ALPHA * |x|. Bucket
 * k holds the positive values in (GAMMA^(k-1), GAMMA^k], GAMMA = (1 + ALPHA) / (1 - ALPHA). */
#define ARGUS_SKETCH_ALPHA 0.01
/* At most this many buckets per sign (2048 buckets span a ratio of 6e17 between the smallest and
 * largest value, e.g. 1 ns .. 19 years). Beyond it the lowest values collapse into the lowest
 * kept bucket: high quantiles stay accurate, the lowest ones lose accuracy. */
#define ARGUS_SKETCH_MAX_BUCKETS 2048
/* The blob format this build writes; it reads every version up to this one. */
#define ARGUS_SKETCH_VERSION 1
#define ARGUS_SKETCH_MAGIC 0xD5

/* Bucket counts for one sign. A zeroed struct is empty. */
typedef struct argus_sketch_store {
    uint64_t *counts; /* owned; counts[i] belongs to key base + i */
    int32_t base;
    uint32_t cap;
    int32_t lo, hi; /* smallest / largest key with a nonzero count, when total > 0 */
    uint64_t total;
} argus_sketch_store;

/* A zeroed struct is an empty sketch (SQLite aggregate contexts start zeroed). */
typedef struct argus_sketch {
    uint64_t count;         /* every value added */
    uint64_t zero_count;    /* values with |v| < DBL_MIN (0, -0 and subnormals) */
    double min, max;        /* exact extremes, meaningful when count > 0 */
    argus_sketch_store pos; /* keys of positive values */
    argus_sketch_store neg; /* keys of |v| for negative values */
} argus_sketch;

void argus_sketch_init(argus_sketch *s);
/* Releases the buckets; s is an empty sketch afterwards. */
void argus_sketch_free(argus_sketch *s);

/* Adds one value. ARGUS_EINVAL for NaN or infinities, ARGUS_ELIMIT when the count would overflow,
 * ARGUS_ENOMEM. s is unchanged on error. */
int argus_sketch_add(argus_sketch *s, double v, argus_error *err);

/* Adds every value of src into dst (dst != src). ARGUS_ELIMIT on count overflow (dst unchanged),
 * ARGUS_ENOMEM (dst then only fit for argus_sketch_free). */
int argus_sketch_merge(argus_sketch *dst, const argus_sketch *src, argus_error *err);

/* Writes the p-quantile (p in [0, 1]) to *out: rank p * (count - 1) interpolated linearly between
 * the two closest ranks, exactly like argus_percentile; p = 0 and p = 1 give the exact min and
 * max. Returns 0, 1 when the sketch is empty (*out untouched), ARGUS_EINVAL for a bad p. */
int argus_sketch_quantile(const argus_sketch *s, double p, double *out, argus_error *err);

/* Appends the serialized sketch to out (borrowed). Format, version 1 (varint = unsigned LEB128):
 *   u8 MAGIC, u8 version, varint count, [f64 min, f64 max: little-endian, only if count > 0],
 *   varint zero_count, then the positive and the negative store, each as
 *   varint n (nonempty buckets), [zigzag varint first key, varint count,
 *   (n - 1) x (varint key delta >= 1, varint count)].
 * An empty sketch is 6 bytes. ARGUS_ENOMEM when out failed to grow. */
int argus_sketch_encode(const argus_sketch *s, argus_buf *out, argus_error *err);

/* Adds the sketch serialized in data[0..n) (borrowed) into s. The blob is checked completely
 * before s is touched: ARGUS_EFORMAT (with the reason) for anything that is not a valid sketch of
 * a version this build knows, ARGUS_ELIMIT on count overflow (s unchanged); ARGUS_ENOMEM (s then
 * only fit for argus_sketch_free). */
int argus_sketch_merge_blob(argus_sketch *s, const void *data, size_t n, argus_error *err);

/* Validates a serialized sketch and returns its value count in *count without decoding it. */
int argus_sketch_blob_count(const void *data, size_t n, uint64_t *count, argus_error *err);

#endif
