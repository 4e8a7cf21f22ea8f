/* Log insights: rules that recognise what went wrong in a log line (timeout, refused connection,
 * out of memory, ...) and say it as JSON. Backs SELECT ai_insight(body, severity, attrs) FROM logs;
 * Core use: argus_insight_rules *r; argus_insight_rules_new(NULL, 0, &r, &err);
 *   argus_insight_eval(r, body, n, severity, attrs, n_attrs, &buf, &err); ... _free(r); */
#ifndef ARGUS_INSIGHT_H
#define ARGUS_INSIGHT_H

#include "argus_buf.h"
#include "argus_error.h"

#include <stddef.h>
#include <stdint.h>

/* A user rule (a row of the insight_rules table). Strings are borrowed for the duration of
 * argus_insight_rules_new, which copies them. */
typedef struct argus_insight_rule {
    int64_t id;
    const char *pattern;    /* case-insensitive (ASCII) substring; "*" with enabled = 0 turns off
                               the built-in rules of category */
    const char *category;   /* NULL: matching lines get no insight (silences built-in rules) */
    const char *tags_json;  /* JSON array of strings; NULL: [category] */
    const char *summary;    /* NULL: the built-in summary of the category, if any */
    const char *suggestion; /* NULL: the built-in suggestion of the category, or JSON null */
    double confidence;      /* 0..1; negative or NaN: 0.7 */
    int64_t priority;       /* higher first among user rules; ties: lower id first */
    int enabled;
} argus_insight_rule;

/* Compiled rules: the built-in set plus user rules, ready for matching. Immutable once built, so
 * one may be shared by threads. */
typedef struct argus_insight_rules argus_insight_rules;

#define ARGUS_INSIGHT_MAX_TAGS 8

/* The outcome of matching one line. Pointers are borrowed from the rules object. */
typedef struct argus_insight_match {
    const char *category; /* NULL: nothing to say */
    const char *summary;
    const char *suggestion; /* may be NULL */
    const char *tags[ARGUS_INSIGHT_MAX_TAGS];
    size_t ntags;
    double confidence;        /* after the severity adjustment, rounded to 0.01 */
    const char *builtin_name; /* the winning built-in rule, or NULL */
    int64_t user_id;          /* the winning user rule's id when builtin_name is NULL */
    int status;               /* HTTP status found in attributes or body, 0 if none */
} argus_insight_match;

/* Compiles the built-in rules plus user[0..n) (may be NULL when n == 0) into *out (owned by
 * caller; free with argus_insight_rules_free). ARGUS_EINVAL when a rule's tags are not a JSON
 * array of strings or its pattern is NULL; ARGUS_ENOMEM. */
int argus_insight_rules_new(const argus_insight_rule *user, size_t n, argus_insight_rules **out,
                            argus_error *err);
void argus_insight_rules_free(argus_insight_rules *r);
/* Number of user rules that take part in matching (enabled, with a pattern other than "*"). */
size_t argus_insight_rules_user_count(const argus_insight_rules *r);

/* Matches one log line: body[0..n), its OTel severity_number (0 = unknown) and its attributes
 * as a JSON object text (may be NULL; invalid JSON is ignored). Fills *m. Allocates nothing
 * unless attrs hold an HTTP status or exception.* attributes (then jansson parses them).
 * Returns 1 when there is an insight, 0 when not. */
int argus_insight_classify(const argus_insight_rules *r, const char *body, size_t n, int severity,
                           const char *attrs, size_t attrs_n, argus_insight_match *m);

/* Writes m as the insight JSON object into out (appended):
 * {"category":..,"tags":[..],"summary":..,"suggestion":..,"confidence":..,"rule":..}.
 * 0 or ARGUS_ENOMEM. */
int argus_insight_render(const argus_insight_match *m, argus_buf *out, argus_error *err);

/* classify + render: 1 with the JSON appended to out, 0 when there is nothing to say, or a
 * negative ARGUS_E* code. */
int argus_insight_eval(const argus_insight_rules *r, const char *body, size_t n, int severity,
                       const char *attrs, size_t attrs_n, argus_buf *out, argus_error *err);

/* The built-in rules as a JSON array of {"name","category","patterns","tags","summary",
 * "suggestion","confidence","priority"} objects (documentation and the insight_builtin_rules()
 * SQL function). 0 or ARGUS_ENOMEM. */
int argus_insight_builtin_json(argus_buf *out, argus_error *err);

#endif
