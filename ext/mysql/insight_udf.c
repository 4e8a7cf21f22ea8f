/* ai_insight(body [, severity_number [, attributes_json [, rules_json]]]) and
 * insight_builtin_rules() as UDFs (core: insight.c). A UDF cannot read tables, so user rules
 * (SQLite reads them from insight_rules) come as a fourth argument: a JSON array of rule objects
 * with the columns of insight_rules as keys, typically built by a subquery:
 *   SELECT ai_insight(body, severity_number, attributes,
 *     (SELECT JSON_ARRAYAGG(JSON_OBJECT('id', id, 'pattern', pattern, 'category', category))
 *      FROM insight_rules)) FROM logs;
 * The rules are compiled once per statement and again only when their text changes. */
#include "argus_udf.h"

#include "argus_insight.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

typedef struct insight_state {
    argus_insight_rules *rules; /* compiled from rules_text (built-in only when it is NULL) */
    char *rules_text;           /* the fourth argument they were compiled from, or NULL */
    size_t rules_len;
    int have_rules;
} insight_state;

/* The compiled rules dropped (at the end of the statement). */
static void forget_rules(insight_state *st)
{
    argus_insight_rules_free(st->rules);
    free(st->rules_text);
    memset(st, 0, sizeof *st);
}
/* Rules are compiled at the first row (also constant ones): a bad rule then fails the statement
 * with the same message as in SQLite. */
ARGUS_UDF_SCALAR_STATE(ai_insight, insight_state, forget_rules)
ARGUS_UDF_SCALAR(insight_builtin_rules)

/* A string member, or NULL when absent or JSON null; -1 for any other type. */
static int member_text(json_t *o, const char *key, const char **out)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return -1;
    *out = json_string_value(v);
    return 0;
}

/* Compiles the built-in rules plus the rule objects of json[0..n) (NULL: none) into *out. */
static int compile_rules(const char *json, size_t n, argus_insight_rules **out, argus_error *err)
{
    if (!json)
        return argus_insight_rules_new(NULL, 0, out, err);
    json_error_t jerr;
    json_t *arr = json_loadb(json, n, JSON_DECODE_ANY, &jerr);
    if (!arr || !json_is_array(arr)) {
        json_decref(arr);
        return argus_error_set(err, ARGUS_EINVAL,
                               "insight: rules must be a JSON array of rule objects");
    }
    size_t count = json_array_size(arr);
    argus_insight_rule *rules = calloc(count ? count : 1, sizeof *rules);
    char **tags = calloc(count ? count : 1, sizeof *tags); /* dumped tag arrays */
    int rc = 0;
    if (!rules || !tags)
        rc = argus_error_set(err, ARGUS_ENOMEM, "insight: out of memory");
    for (size_t i = 0; rc == 0 && i < count; i++) {
        json_t *o = json_array_get(arr, i);
        argus_insight_rule *r = &rules[i];
        if (!json_is_object(o)) {
            rc = argus_error_set(err, ARGUS_EINVAL, "insight: rules[%zu] is not an object", i);
            break;
        }
        json_t *v = json_object_get(o, "id");
        r->id = json_is_integer(v) ? (int64_t)json_integer_value(v) : (int64_t)i + 1;
        const char *bad = NULL;
        if (member_text(o, "pattern", &r->pattern))
            bad = "pattern";
        else if (member_text(o, "category", &r->category))
            bad = "category";
        else if (member_text(o, "summary", &r->summary))
            bad = "summary";
        else if (member_text(o, "suggestion", &r->suggestion))
            bad = "suggestion";
        if (bad) {
            rc = argus_error_set(err, ARGUS_EINVAL, "insight: rule %lld: %s must be a string",
                                 (long long)r->id, bad);
            break;
        }
        /* tags: a JSON array, or its text (the insight_rules.tags column as stored) */
        v = json_object_get(o, "tags");
        if (json_is_string(v))
            r->tags_json = json_string_value(v);
        else if (v && !json_is_null(v)) {
            tags[i] = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            r->tags_json = tags[i] ? tags[i] : "not json";
        }
        v = json_object_get(o, "confidence");
        r->confidence = json_is_number(v) ? json_number_value(v) : -1;
        v = json_object_get(o, "priority");
        r->priority = json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
        v = json_object_get(o, "enabled");
        r->enabled = !v || json_is_null(v) || json_is_true(v) ||
                     (json_is_integer(v) && json_integer_value(v) != 0);
    }
    if (rc == 0)
        rc = argus_insight_rules_new(rules, count, out, err);
    for (size_t i = 0; tags && i < count; i++)
        free(tags[i]);
    free(tags);
    free(rules);
    json_decref(arr);
    return rc;
}

/* The rules for this row's fourth argument, compiled when it differs from the last one. */
static int current_rules(insight_state *st, const char *json, size_t n, argus_error *err)
{
    if (st->have_rules &&
        (json ? st->rules_text && st->rules_len == n && memcmp(st->rules_text, json, n) == 0
              : !st->rules_text))
        return 0;
    argus_insight_rules *fresh = NULL;
    int rc = compile_rules(json, n, &fresh, err);
    if (rc)
        return rc;
    char *copy = NULL;
    if (json) {
        copy = malloc(n ? n : 1);
        if (!copy) {
            argus_insight_rules_free(fresh);
            return argus_error_set(err, ARGUS_ENOMEM, "insight: out of memory");
        }
        memcpy(copy, json, n);
    }
    argus_insight_rules_free(st->rules);
    free(st->rules_text);
    st->rules = fresh;
    st->rules_text = copy;
    st->rules_len = n;
    st->have_rules = 1;
    return 0;
}

ARGUS_UDF_EXPORT char *ai_insight(argus_udf_init *initid, argus_udf_args *args, char *result,
                                  unsigned long *length, char *is_null, char *error)
{
    (void)result;
    insight_state *st = argus_udf_state_of(initid);
    argus_buf *out = &argus_udf_ctx_of(initid)->out;
    char b0[40], b2[40], b3[40];
    size_t n = 0, attrs_n = 0, rules_n = 0;
    *is_null = 1;
    const char *body = argus_udf_text_arg(args, 0, b0, &n);
    if (!body)
        return NULL;
    /* sqlite3_value_int(): the 64-bit value cut to int (argument 1 absent: 0) */
    int severity = (int)argus_udf_int64(argus_udf_arg(args, 1));
    const char *attrs = argus_udf_text_arg(args, 2, b2, &attrs_n);
    const char *rules = argus_udf_text_arg(args, 3, b3, &rules_n);
    argus_error err;
    argus_error_clear(&err);
    int rc = current_rules(st, rules, rules_n, &err);
    argus_buf_reset(out);
    if (rc == 0)
        rc = argus_insight_eval(st->rules, body, n, severity, attrs, attrs_n, out, &err);
    if (rc == 0)
        return NULL; /* no insight */
    return argus_udf_answer(initid, rc < 0 ? rc : 0, &err, length, is_null, error);
}

ARGUS_UDF_EXPORT char *insight_builtin_rules(argus_udf_init *initid, argus_udf_args *args,
                                             char *result, unsigned long *length, char *is_null,
                                             char *error)
{
    (void)args;
    (void)result;
    argus_buf *out = &argus_udf_ctx_of(initid)->out;
    argus_error err;
    argus_buf_reset(out);
    int rc = argus_insight_builtin_json(out, &err);
    return argus_udf_answer(initid, rc, &err, length, is_null, error);
}
