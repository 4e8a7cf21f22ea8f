/* DDSketch-style quantile sketch (see argus_sketch.h): log-spaced buckets in two dense stores
 * (positive values, magnitudes of negative values) plus a zero count and the exact min / max.
 *   SELECT sketch_quantile(sketch(duration_ns), 0.99) FROM spans;
 * Dense arrays keep add() at one log() and an increment; merges add counts bucket by bucket. */
#include "argus_sketch.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Keys of values in [DBL_MIN, DBL_MAX] lie within about +-35500; anything beyond this in a blob
 * cannot come from a real value. */
#define KEY_LIMIT 36000
#define MIN_CAP 32

static double gamma_value(void)
{
    return (1.0 + ARGUS_SKETCH_ALPHA) / (1.0 - ARGUS_SKETCH_ALPHA);
}

static double ln_gamma(void)
{
    return log(gamma_value());
}

/* Bucket of a magnitude x >= DBL_MIN: the k with GAMMA^(k-1) < x <= GAMMA^k (up to rounding of
 * log, which at worst moves x to the neighbouring bucket: still within ALPHA of its value). */
static int32_t key_of(double x)
{
    return (int32_t)ceil(log(x) / ln_gamma());
}

/* The value reported for bucket k: the point whose relative distance to both bucket ends is
 * ALPHA. May be inf for the topmost keys; callers clamp to [min, max]. */
static double value_of(int32_t k)
{
    return exp((double)k * ln_gamma()) * (2.0 / (1.0 + gamma_value()));
}

void argus_sketch_init(argus_sketch *s)
{
    memset(s, 0, sizeof *s);
}

void argus_sketch_free(argus_sketch *s)
{
    free(s->pos.counts);
    free(s->neg.counts);
    argus_sketch_init(s);
}

/* ---- dense stores --------------------------------------------------------------------------- */

/* Makes the store's occupied range [lo, hi] (hi - lo < MAX_BUCKETS), folding counts of keys
 * outside it into the nearest end. Grows the array geometrically with the slack split evenly on
 * both sides, so a sketch filled in ascending or descending order reallocates O(log n) times. */
static int store_reshape(argus_sketch_store *st, int32_t lo, int32_t hi, argus_error *err)
{
    int fold = st->total && (lo > st->lo || hi < st->hi);
    if (!fold && st->counts && lo >= st->base && (int64_t)hi < (int64_t)st->base + st->cap) {
        st->lo = lo;
        st->hi = hi;
        return 0;
    }
    uint32_t need = (uint32_t)(hi - lo + 1);
    uint32_t cap = need * 2 > st->cap * 2 ? need * 2 : st->cap * 2;
    if (cap < MIN_CAP)
        cap = MIN_CAP;
    if (cap > ARGUS_SKETCH_MAX_BUCKETS)
        cap = ARGUS_SKETCH_MAX_BUCKETS;
    uint64_t *counts = calloc(cap, sizeof(uint64_t));
    if (!counts)
        return argus_error_set(err, ARGUS_ENOMEM, "sketch: out of memory");
    int32_t base = lo - (int32_t)((cap - need) / 2);
    if (st->total) {
        for (int32_t k = st->lo; k <= st->hi; k++) {
            int32_t t = k < lo ? lo : (k > hi ? hi : k);
            counts[t - base] += st->counts[k - st->base];
        }
    }
    free(st->counts);
    *st = (argus_sketch_store){counts, base, (uint32_t)cap, lo, hi, st->total};
    return 0;
}

/* Adds n (> 0) to bucket key. collapse_high says which end gives way when the range would exceed
 * MAX_BUCKETS: the positive store drops its lowest keys, the negative store its highest (the most
 * negative values), so in both cases the lowest values of the distribution lose accuracy. The
 * caller has checked that the sketch count cannot overflow. */
static int store_add(argus_sketch_store *st, int32_t key, uint64_t n, int collapse_high,
                     argus_error *err)
{
    int32_t lo = key, hi = key;
    if (st->total) {
        lo = key < st->lo ? key : st->lo;
        hi = key > st->hi ? key : st->hi;
    }
    if ((int64_t)hi - lo + 1 > ARGUS_SKETCH_MAX_BUCKETS) {
        if (collapse_high)
            hi = lo + ARGUS_SKETCH_MAX_BUCKETS - 1;
        else
            lo = hi - ARGUS_SKETCH_MAX_BUCKETS + 1;
    }
    if (key < lo)
        key = lo;
    if (key > hi)
        key = hi;
    if (!st->total || lo != st->lo || hi != st->hi) {
        int rc = store_reshape(st, lo, hi, err);
        if (rc)
            return rc;
    }
    st->counts[key - st->base] += n;
    st->total += n;
    return 0;
}

/* ---- adding and merging ------------------------------------------------------------------- */

static void update_extremes(argus_sketch *s, double min, double max)
{
    if (s->count == 0) {
        s->min = min;
        s->max = max;
    } else {
        if (min < s->min)
            s->min = min;
        if (max > s->max)
            s->max = max;
    }
}

int argus_sketch_add(argus_sketch *s, double v, argus_error *err)
{
    if (!isfinite(v))
        return argus_error_set(err, ARGUS_EINVAL, "sketch: value must be a finite number, got %g",
                               v);
    if (s->count == UINT64_MAX)
        return argus_error_set(err, ARGUS_ELIMIT, "sketch: value count overflows");
    int rc = 0;
    if (v >= DBL_MIN)
        rc = store_add(&s->pos, key_of(v), 1, 0, err);
    else if (v <= -DBL_MIN)
        rc = store_add(&s->neg, key_of(-v), 1, 1, err);
    else
        s->zero_count++;
    if (rc)
        return rc;
    update_extremes(s, v, v);
    s->count++;
    return 0;
}

/* Adds src's buckets: the two end buckets first, so the range is reshaped at most twice. */
static int store_merge(argus_sketch_store *dst, const argus_sketch_store *src, int collapse_high,
                       argus_error *err)
{
    if (!src->total)
        return 0;
    const uint64_t *c = src->counts - src->base; /* c[k] for k in [lo, hi] */
    int rc = store_add(dst, src->hi, c[src->hi], collapse_high, err);
    if (!rc && src->lo != src->hi)
        rc = store_add(dst, src->lo, c[src->lo], collapse_high, err);
    for (int32_t k = src->lo + 1; !rc && k < src->hi; k++)
        if (c[k])
            rc = store_add(dst, k, c[k], collapse_high, err);
    return rc;
}

int argus_sketch_merge(argus_sketch *dst, const argus_sketch *src, argus_error *err)
{
    if (src->count == 0)
        return 0;
    if (dst->count > UINT64_MAX - src->count)
        return argus_error_set(err, ARGUS_ELIMIT, "sketch: value count overflows");
    int rc = store_merge(&dst->pos, &src->pos, 0, err);
    if (!rc)
        rc = store_merge(&dst->neg, &src->neg, 1, err);
    if (rc)
        return rc;
    dst->zero_count += src->zero_count;
    update_extremes(dst, src->min, src->max);
    dst->count += src->count;
    return 0;
}

/* ---- quantiles ---------------------------------------------------------------------------- */

/* The estimated value of the rank-th smallest value (0-based), in value order: negative buckets
 * from the largest magnitude down, zeros, positive buckets upwards. */
static double value_at_rank(const argus_sketch *s, uint64_t rank)
{
    if (rank == 0)
        return s->min;
    if (rank >= s->count - 1)
        return s->max;
    uint64_t seen = 0;
    double v = s->max;
    const argus_sketch_store *st = &s->neg;
    if (st->total) {
        for (int32_t k = st->hi; k >= st->lo; k--) {
            seen += st->counts[k - st->base];
            if (seen > rank) {
                v = -value_of(k);
                goto found;
            }
        }
    }
    seen += s->zero_count;
    if (seen > rank) {
        v = 0.0;
        goto found;
    }
    st = &s->pos;
    if (st->total) {
        for (int32_t k = st->lo; k <= st->hi; k++) {
            seen += st->counts[k - st->base];
            if (seen > rank) {
                v = value_of(k);
                goto found;
            }
        }
    }
found:
    /* The true value lies in [min, max]; clamping can only bring the estimate closer. */
    if (v < s->min)
        v = s->min;
    if (v > s->max)
        v = s->max;
    return v;
}

int argus_sketch_quantile(const argus_sketch *s, double p, double *out, argus_error *err)
{
    if (!(p >= 0.0 && p <= 1.0))
        return argus_error_set(err, ARGUS_EINVAL, "sketch: p must be between 0 and 1, got %g", p);
    if (s->count == 0)
        return 1;
    double r = p * (double)(s->count - 1);
    double f = floor(r);
    if (f >= (double)(s->count - 1)) {
        *out = s->max;
        return 0;
    }
    uint64_t k = (uint64_t)f;
    double frac = r - f;
    double a = value_at_rank(s, k);
    if (frac == 0.0) {
        *out = a;
        return 0;
    }
    /* Both ends are within ALPHA of the true order statistics, so for same-sign values the
     * interpolated point is within ALPHA of the exact interpolated percentile as well. */
    double b = value_at_rank(s, k + 1);
    *out = a == b ? a : a + (b - a) * frac;
    return 0;
}

/* ---- serialization ------------------------------------------------------------------------ */

static void put_varint(argus_buf *b, uint64_t v)
{
    uint8_t tmp[ARGUS_VARINT_MAX];
    argus_buf_append(b, tmp, argus_varint_put(tmp, v));
}

static void put_double(argus_buf *b, double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    uint8_t tmp[8];
    for (int i = 0; i < 8; i++)
        tmp[i] = (uint8_t)(u >> (8 * i));
    argus_buf_append(b, tmp, 8);
}

static void put_store(argus_buf *b, const argus_sketch_store *st)
{
    uint64_t nonempty = 0;
    if (st->total)
        for (int32_t k = st->lo; k <= st->hi; k++)
            nonempty += st->counts[k - st->base] != 0;
    put_varint(b, nonempty);
    if (!nonempty)
        return;
    int32_t prev = 0;
    for (int32_t k = st->lo; k <= st->hi; k++) {
        uint64_t c = st->counts[k - st->base];
        if (!c)
            continue;
        if (k == st->lo) /* zigzag: small negative keys (values below 1) stay short */
            put_varint(b, k < 0 ? (uint64_t)(-(int64_t)k) * 2 - 1 : (uint64_t)k * 2);
        else
            put_varint(b, (uint64_t)(k - prev));
        put_varint(b, c);
        prev = k;
    }
}

int argus_sketch_encode(const argus_sketch *s, argus_buf *out, argus_error *err)
{
    argus_buf_appendc(out, (char)ARGUS_SKETCH_MAGIC);
    argus_buf_appendc(out, (char)ARGUS_SKETCH_VERSION);
    put_varint(out, s->count);
    if (s->count) {
        put_double(out, s->min);
        put_double(out, s->max);
    }
    put_varint(out, s->zero_count);
    put_store(out, &s->pos);
    put_store(out, &s->neg);
    if (out->failed)
        return argus_error_set(err, ARGUS_ENOMEM, "sketch: out of memory");
    return 0;
}

/* A cursor over a blob; each reader returns 0 or ARGUS_EFORMAT with a message. */
typedef struct reader {
    const uint8_t *p, *end;
} reader;

static int get_varint(reader *r, uint64_t *v, const char *what, argus_error *err)
{
    size_t pos = 0, avail = (size_t)(r->end - r->p);
    if (argus_varint_get(r->p, avail, &pos, v) == 0) {
        r->p += pos;
        return 0;
    }
    if (pos == avail && (avail == 0 || r->p[avail - 1] & 0x80))
        return argus_error_set(err, ARGUS_EFORMAT, "sketch: blob truncated in %s", what);
    return argus_error_set(err, ARGUS_EFORMAT, "sketch: bad varint in %s", what);
}

static int get_double(reader *r, double *d, const char *what, argus_error *err)
{
    if (r->end - r->p < 8)
        return argus_error_set(err, ARGUS_EFORMAT, "sketch: blob truncated in %s", what);
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u |= (uint64_t)r->p[i] << (8 * i);
    r->p += 8;
    memcpy(d, &u, sizeof *d);
    if (!isfinite(*d))
        return argus_error_set(err, ARGUS_EFORMAT, "sketch: %s is not finite", what);
    return 0;
}

/* What a validating pass learned about one store. */
typedef struct store_info {
    uint64_t total;
    int32_t first, last; /* smallest and largest key, when total > 0 */
} store_info;

/* Reads one store. With dst == NULL it only validates and fills *info; with a dst (second pass,
 * info from the first) it adds the buckets there: when the union of both key ranges needs no
 * collapsing, the range is made once and counts are added straight into the array. */
static int read_store(reader *r, const char *what, store_info *info, argus_sketch_store *dst,
                      int collapse_high, argus_error *err)
{
    uint64_t n = 0;
    int rc = get_varint(r, &n, what, err);
    if (rc)
        return rc;
    if (n > ARGUS_SKETCH_MAX_BUCKETS)
        return argus_error_set(err, ARGUS_EFORMAT, "sketch: %s has %llu buckets (limit %d)", what,
                               (unsigned long long)n, ARGUS_SKETCH_MAX_BUCKETS);
    int direct = 0;
    if (dst && n > 0) {
        int32_t lo = info->first, hi = info->last;
        if (dst->total) {
            lo = dst->lo < lo ? dst->lo : lo;
            hi = dst->hi > hi ? dst->hi : hi;
        }
        if ((int64_t)hi - lo < ARGUS_SKETCH_MAX_BUCKETS) {
            if ((rc = store_reshape(dst, lo, hi, err)))
                return rc;
            direct = 1;
        }
    }
    int64_t first = 0, key = 0;
    uint64_t total = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t raw = 0, count = 0;
        if ((rc = get_varint(r, &raw, what, err)))
            return rc;
        if (i == 0) {
            if (raw > (uint64_t)2 * KEY_LIMIT + 1)
                return argus_error_set(err, ARGUS_EFORMAT, "sketch: %s key out of range", what);
            key = (raw & 1) ? -(int64_t)((raw + 1) / 2) : (int64_t)(raw / 2);
            first = key;
        } else {
            if (raw == 0 || raw > (uint64_t)ARGUS_SKETCH_MAX_BUCKETS)
                return argus_error_set(err, ARGUS_EFORMAT, "sketch: %s keys not increasing", what);
            key += (int64_t)raw;
        }
        if (key > KEY_LIMIT || key < -KEY_LIMIT || key - first >= ARGUS_SKETCH_MAX_BUCKETS)
            return argus_error_set(err, ARGUS_EFORMAT, "sketch: %s key out of range", what);
        if ((rc = get_varint(r, &count, what, err)))
            return rc;
        if (count == 0)
            return argus_error_set(err, ARGUS_EFORMAT, "sketch: %s has an empty bucket", what);
        if (total > UINT64_MAX - count)
            return argus_error_set(err, ARGUS_EFORMAT, "sketch: %s counts overflow", what);
        total += count;
        if (direct) {
            dst->counts[key - dst->base] += count;
            dst->total += count;
        } else if (dst && (rc = store_add(dst, (int32_t)key, count, collapse_high, err))) {
            return rc;
        }
    }
    if (!dst) {
        info->total = total;
        info->first = (int32_t)first;
        info->last = (int32_t)key;
    }
    return 0;
}

typedef struct header {
    uint64_t count, zero_count;
    double min, max;
    store_info pos, neg;
} header;

/* Reads the whole blob. First call it with s == NULL: that validates and fills *h; then, to add
 * the blob into s, call it again with the same h. */
static int read_blob(const void *data, size_t n, header *h, argus_sketch *s, argus_error *err)
{
    reader r = {data, (const uint8_t *)data + n};
    int rc;
    if (!s)
        memset(h, 0, sizeof *h);
    if (n < 2 || r.p[0] != ARGUS_SKETCH_MAGIC)
        return argus_error_set(err, ARGUS_EFORMAT, "sketch: not a sketch blob");
    if (r.p[1] == 0 || r.p[1] > ARGUS_SKETCH_VERSION)
        return argus_error_set(err, ARGUS_EFORMAT,
                               "sketch: blob version %d is not supported (this build reads 1..%d)",
                               r.p[1], ARGUS_SKETCH_VERSION);
    r.p += 2;
    if ((rc = get_varint(&r, &h->count, "count", err)))
        return rc;
    if (h->count) {
        if ((rc = get_double(&r, &h->min, "min", err)) ||
            (rc = get_double(&r, &h->max, "max", err)))
            return rc;
        if (h->min > h->max)
            return argus_error_set(err, ARGUS_EFORMAT, "sketch: min is above max");
    }
    if ((rc = get_varint(&r, &h->zero_count, "zero count", err)))
        return rc;
    if ((rc = read_store(&r, "positive store", &h->pos, s ? &s->pos : NULL, 0, err)))
        return rc;
    if ((rc = read_store(&r, "negative store", &h->neg, s ? &s->neg : NULL, 1, err)))
        return rc;
    if (r.p != r.end)
        return argus_error_set(err, ARGUS_EFORMAT, "sketch: %zu trailing bytes in blob",
                               (size_t)(r.end - r.p));
    uint64_t pos = h->pos.total, neg = h->neg.total;
    if (pos > UINT64_MAX - neg || pos + neg > UINT64_MAX - h->zero_count ||
        pos + neg + h->zero_count != h->count)
        return argus_error_set(err, ARGUS_EFORMAT, "sketch: bucket counts do not add up to count");
    if ((pos && !(h->max > 0)) || (neg && !(h->min < 0)))
        return argus_error_set(err, ARGUS_EFORMAT, "sketch: min/max disagree with the buckets");
    return 0;
}

int argus_sketch_blob_count(const void *data, size_t n, uint64_t *count, argus_error *err)
{
    header h;
    int rc = read_blob(data, n, &h, NULL, err);
    if (rc)
        return rc;
    *count = h.count;
    return 0;
}

int argus_sketch_merge_blob(argus_sketch *s, const void *data, size_t n, argus_error *err)
{
    header h;
    int rc = read_blob(data, n, &h, NULL, err);
    if (rc)
        return rc;
    if (h.count == 0)
        return 0;
    if (s->count > UINT64_MAX - h.count)
        return argus_error_set(err, ARGUS_ELIMIT, "sketch: value count overflows");
    /* Validated: the second pass can only fail on memory. */
    if ((rc = read_blob(data, n, &h, s, err)))
        return rc;
    s->zero_count += h.zero_count;
    update_extremes(s, h.min, h.max);
    s->count += h.count;
    return 0;
}
