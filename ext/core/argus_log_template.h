/* Log templates: a log body with its variable parts masked, so similar lines group into patterns.
 * Backs the SQL functions log_template(body) and log_pattern_id(body):
 *   SELECT log_template(body), count(*) FROM logs GROUP BY 1 ORDER BY 2 DESC;
 * Core use: argus_buf b; argus_buf_init(&b); argus_log_template_render(s, n, &b, &err); ... */
#ifndef ARGUS_LOG_TEMPLATE_H
#define ARGUS_LOG_TEMPLATE_H

#include "argus_buf.h"
#include "argus_error.h"

#include <stddef.h>
#include <stdint.h>

/* Appends the template of s[0..n) to out (caller-owned; not reset first). One pass over the
 * input, no allocation besides out's growth. Masks: <num> <hex> <uuid> <ip> <email> "<str>"
 * <id> (URL path ids) <val> (URL query values) <ts> <duration> <size>; whitespace runs become
 * one space, leading/trailing whitespace is dropped. Returns 0, or ARGUS_ENOMEM when out could
 * not grow (err says so). */
int argus_log_template_render(const char *s, size_t n, argus_buf *out, argus_error *err);

/* The pattern id of a template: 64-bit FNV-1a over its bytes (offset basis 0xcbf29ce484222325,
 * prime 0x100000001b3). Stable across versions and platforms. */
uint64_t argus_log_template_hash(const char *tmpl, size_t n);

/* Writes the id of body s[0..n) as 16 lower-case hex digits plus NUL into out, using scratch
 * (caller-owned, reset here) for the template. 0 or ARGUS_ENOMEM. */
int argus_log_template_id(const char *s, size_t n, argus_buf *scratch, char out[17],
                          argus_error *err);

#endif
