/* Column values of decoded spans and log records (see argus_otlp_rows.h). Everything a user sees
 * as a column of otlp_spans()/otlp_logs() is defined here once, for every glue layer. */
#include "argus_otlp_rows.h"

#include <stdint.h>
#include <string.h>

const char *const argus_span_column_names[ARGUS_SPAN_NCOLUMNS] = {"trace_id",
                                                                  "span_id",
                                                                  "parent_span_id",
                                                                  "trace_state",
                                                                  "flags",
                                                                  "name",
                                                                  "kind",
                                                                  "start_time_unix_nano",
                                                                  "end_time_unix_nano",
                                                                  "duration_ns",
                                                                  "status_code",
                                                                  "status_message",
                                                                  "service_name",
                                                                  "attributes",
                                                                  "events",
                                                                  "links",
                                                                  "resource_attributes",
                                                                  "scope_name",
                                                                  "scope_version",
                                                                  "scope_attributes",
                                                                  "dropped_attributes_count",
                                                                  "dropped_events_count",
                                                                  "dropped_links_count",
                                                                  "resource_schema_url",
                                                                  "scope_schema_url",
                                                                  "resource_id"};

const char *const argus_span_column_types[ARGUS_SPAN_NCOLUMNS] = {
    "TEXT",    "TEXT",    "TEXT",    "TEXT",    "INTEGER", "TEXT", "INTEGER", "INTEGER", "INTEGER",
    "INTEGER", "INTEGER", "TEXT",    "TEXT",    "TEXT",    "TEXT", "TEXT",    "TEXT",    "TEXT",
    "TEXT",    "TEXT",    "INTEGER", "INTEGER", "INTEGER", "TEXT", "TEXT",    "INTEGER"};

const char *const argus_log_column_names[ARGUS_LOG_NCOLUMNS] = {"time_unix_nano",
                                                                "observed_time_unix_nano",
                                                                "severity_number",
                                                                "severity_text",
                                                                "body",
                                                                "body_type",
                                                                "attributes",
                                                                "trace_id",
                                                                "span_id",
                                                                "flags",
                                                                "event_name",
                                                                "dropped_attributes_count",
                                                                "service_name",
                                                                "resource_attributes",
                                                                "scope_name",
                                                                "scope_version",
                                                                "scope_attributes",
                                                                "resource_schema_url",
                                                                "scope_schema_url",
                                                                "resource_id"};

const char *const argus_log_column_types[ARGUS_LOG_NCOLUMNS] = {
    "INTEGER", "INTEGER", "INTEGER", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "INTEGER",
    "TEXT",    "INTEGER", "TEXT",    "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "INTEGER"};

static void set_int(argus_value *v, int64_t i)
{
    v->type = ARGUS_VAL_INT;
    v->i = i;
}

/* Text that is NULL when empty; replaced invalid UTF-8 goes through scratch. */
static void set_text(argus_value *v, const char *s, int null_if_empty, argus_buf *scratch)
{
    size_t n = s ? strlen(s) : 0;
    if (!s || (n == 0 && null_if_empty)) {
        v->type = ARGUS_VAL_NULL;
        return;
    }
    v->type = ARGUS_VAL_TEXT;
    if (argus_utf8_valid(s, n)) {
        v->s = s;
        v->n = n;
        return;
    }
    argus_buf_reset(scratch);
    argus_utf8_sanitize(scratch, s, n);
    v->s = argus_buf_cstr(scratch);
    v->n = scratch->len;
    if (!v->s)
        v->type = ARGUS_VAL_NULL;
}

static void set_hex(argus_value *v, const ProtobufCBinaryData *id, argus_buf *scratch)
{
    if (id->len == 0) {
        v->type = ARGUS_VAL_NULL;
        return;
    }
    argus_buf_reset(scratch);
    if (argus_buf_reserve(scratch, id->len * 2 + 1) != 0) {
        v->type = ARGUS_VAL_NULL;
        return;
    }
    argus_hex(scratch->data, id->data, id->len);
    scratch->len = id->len * 2;
    v->type = ARGUS_VAL_TEXT;
    v->s = scratch->data;
    v->n = scratch->len;
}

static void set_json_done(argus_value *v, argus_buf *scratch)
{
    v->s = argus_buf_cstr(scratch);
    v->n = scratch->len;
    v->type = v->s ? ARGUS_VAL_JSON : ARGUS_VAL_NULL;
}

int64_t argus_otlp_resource_id(const char *attrs_json, size_t n, const char *schema_url, size_t m)
{
    /* FNV-1a over "<attributes>\xff<schema url>", then a 64-bit finalizer (MurmurHash3's fmix64)
     * so that every input bit reaches every output bit. */
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)attrs_json[i]) * 0x100000001b3u;
    h = (h ^ 0xffu) * 0x100000001b3u;
    for (size_t i = 0; schema_url && i < m; i++)
        h = (h ^ (unsigned char)schema_url[i]) * 0x100000001b3u;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53u;
    h ^= h >> 33;
    return (int64_t)(h & INT64_MAX);
}

/* resource_id of the resource rendered into scratch (its attributes) with schema url u. */
static void set_resource_id(argus_value *v, const argus_pb_resource *r, const char *u,
                            argus_buf *scratch)
{
    argus_buf_reset(scratch);
    argus_otlp_attributes_json(scratch, r ? r->attributes : NULL, r ? r->n_attributes : 0);
    if (scratch->failed) {
        v->type = ARGUS_VAL_NULL;
        return;
    }
    set_int(v, argus_otlp_resource_id(scratch->data, scratch->len, u, u ? strlen(u) : 0));
}

static void set_attrs(argus_value *v, argus_pb_keyvalue *const *kv, size_t n, argus_buf *scratch)
{
    argus_buf_reset(scratch);
    argus_otlp_attributes_json(scratch, kv, n);
    set_json_done(v, scratch);
}

/* Fills *v when column col is one of the item's resource or scope columns (the same for every
 * signal); 1 then, else 0. */
static int context_column(const argus_otlp_iter *it, int col, argus_value *v, argus_buf *scratch)
{
    const argus_pb_resource *r = it->res.resource;
    const argus_pb_scope *sc = it->scope;
    int role = 0;
    while (role < ARGUS_CTX_NCOLUMNS && it->sig->context_columns[role] != col)
        role++;
    switch (role) {
    case ARGUS_RES_SERVICE_NAME: set_text(v, it->res.service_name, 0, scratch); return 1;
    case ARGUS_RES_ATTRIBUTES:
        set_attrs(v, r ? r->attributes : NULL, r ? r->n_attributes : 0, scratch);
        return 1;
    case ARGUS_RES_SCHEMA_URL: set_text(v, it->resource_schema, 1, scratch); return 1;
    case ARGUS_RES_ID: set_resource_id(v, r, it->resource_schema, scratch); return 1;
    case ARGUS_SCOPE_NAME: set_text(v, sc ? sc->name : NULL, 1, scratch); return 1;
    case ARGUS_SCOPE_VERSION: set_text(v, sc ? sc->version : NULL, 1, scratch); return 1;
    case ARGUS_SCOPE_ATTRIBUTES:
        set_attrs(v, sc ? sc->attributes : NULL, sc ? sc->n_attributes : 0, scratch);
        return 1;
    case ARGUS_SCOPE_SCHEMA_URL: set_text(v, it->scope_schema, 1, scratch); return 1;
    default: return 0;
    }
}

void argus_otlp_span_render(const argus_otlp_iter *it, int col, argus_value *v, argus_buf *scratch)
{
    const argus_pb_span *s = it->span;
    if (context_column(it, col, v, scratch))
        return;
    switch (col) {
    case ARGUS_SPAN_TRACE_ID: set_hex(v, &s->trace_id, scratch); break;
    case ARGUS_SPAN_SPAN_ID: set_hex(v, &s->span_id, scratch); break;
    case ARGUS_SPAN_PARENT_SPAN_ID: set_hex(v, &s->parent_span_id, scratch); break;
    case ARGUS_SPAN_TRACE_STATE: set_text(v, s->trace_state, 1, scratch); break;
    case ARGUS_SPAN_FLAGS: set_int(v, s->flags); break;
    case ARGUS_SPAN_NAME: set_text(v, s->name, 0, scratch); break;
    case ARGUS_SPAN_KIND: set_int(v, s->kind); break;
    /* Times are fixed64; values above INT64_MAX (year 2262+) cannot be SQLite integers and
     * wrap, which is what every OTLP consumer storing int64 does. */
    case ARGUS_SPAN_START_TIME: set_int(v, (int64_t)s->start_time_unix_nano); break;
    case ARGUS_SPAN_END_TIME: set_int(v, (int64_t)s->end_time_unix_nano); break;
    case ARGUS_SPAN_DURATION:
        set_int(v, s->end_time_unix_nano > s->start_time_unix_nano
                       ? (int64_t)(s->end_time_unix_nano - s->start_time_unix_nano)
                       : 0);
        break;
    case ARGUS_SPAN_STATUS_CODE: set_int(v, s->status ? s->status->code : 0); break;
    case ARGUS_SPAN_STATUS_MESSAGE:
        set_text(v, s->status ? s->status->message : NULL, 1, scratch);
        break;
    case ARGUS_SPAN_ATTRIBUTES: set_attrs(v, s->attributes, s->n_attributes, scratch); break;
    case ARGUS_SPAN_EVENTS:
        argus_buf_reset(scratch);
        argus_otlp_events_json(scratch, s);
        set_json_done(v, scratch);
        break;
    case ARGUS_SPAN_LINKS:
        argus_buf_reset(scratch);
        argus_otlp_links_json(scratch, s);
        set_json_done(v, scratch);
        break;
    case ARGUS_SPAN_DROPPED_ATTRIBUTES: set_int(v, s->dropped_attributes_count); break;
    case ARGUS_SPAN_DROPPED_EVENTS: set_int(v, s->dropped_events_count); break;
    case ARGUS_SPAN_DROPPED_LINKS: set_int(v, s->dropped_links_count); break;
    default: v->type = ARGUS_VAL_NULL;
    }
}

void argus_otlp_log_render(const argus_otlp_iter *it, int col, argus_value *v, argus_buf *scratch)
{
    const argus_pb_log *l = it->log;
    if (context_column(it, col, v, scratch))
        return;
    switch (col) {
    case ARGUS_LOG_TIME: set_int(v, (int64_t)l->time_unix_nano); break;
    case ARGUS_LOG_OBSERVED_TIME: set_int(v, (int64_t)l->observed_time_unix_nano); break;
    case ARGUS_LOG_SEVERITY_NUMBER: set_int(v, l->severity_number); break;
    case ARGUS_LOG_SEVERITY_TEXT: set_text(v, l->severity_text, 1, scratch); break;
    case ARGUS_LOG_BODY:
        argus_buf_reset(scratch);
        if (!argus_otlp_body_text(scratch, l->body)) {
            v->type = ARGUS_VAL_NULL;
            break;
        }
        v->s = argus_buf_cstr(scratch);
        v->n = scratch->len;
        v->type = v->s ? ARGUS_VAL_TEXT : ARGUS_VAL_NULL;
        break;
    case ARGUS_LOG_BODY_TYPE: {
        const char *t = argus_otlp_anyvalue_type(l->body);
        v->type = t ? ARGUS_VAL_TEXT : ARGUS_VAL_NULL;
        v->s = t;
        v->n = t ? strlen(t) : 0;
        break;
    }
    case ARGUS_LOG_ATTRIBUTES: set_attrs(v, l->attributes, l->n_attributes, scratch); break;
    case ARGUS_LOG_TRACE_ID: set_hex(v, &l->trace_id, scratch); break;
    case ARGUS_LOG_SPAN_ID: set_hex(v, &l->span_id, scratch); break;
    case ARGUS_LOG_FLAGS: set_int(v, l->flags); break;
    case ARGUS_LOG_EVENT_NAME: set_text(v, l->event_name, 1, scratch); break;
    case ARGUS_LOG_DROPPED_ATTRIBUTES: set_int(v, l->dropped_attributes_count); break;
    default: v->type = ARGUS_VAL_NULL;
    }
}

/* Copies v's text into the arena unless it is there already (values borrowed from the decoded
 * structs are; rendered ones are in scratch). */
static int keep(argus_arena *a, argus_value *v, const argus_buf *scratch)
{
    if (v->type != ARGUS_VAL_TEXT && v->type != ARGUS_VAL_JSON)
        return 0;
    if (scratch->data && v->s >= scratch->data && v->s < scratch->data + scratch->cap) {
        char *p = argus_arena_strndup(a, v->s, v->n);
        if (!p)
            return -1;
        v->s = p;
    }
    return 0;
}

void argus_otlp_column(const argus_otlp_iter *it, int col, argus_value *v, argus_buf *scratch)
{
    if (!it->rows) {
        it->sig->column(it, col, v, scratch);
        return;
    }
    if (col >= 0 && col < it->sig->ncolumns)
        *v = it->rows[(it->n - 1) * (size_t)it->sig->ncolumns + (size_t)col];
    else
        v->type = ARGUS_VAL_NULL;
}

void argus_otlp_span_column(const argus_otlp_iter *it, int col, argus_value *v, argus_buf *scratch)
{
    argus_otlp_column(it, col, v, scratch);
}

void argus_otlp_log_column(const argus_otlp_iter *it, int col, argus_value *v, argus_buf *scratch)
{
    argus_otlp_column(it, col, v, scratch);
}

/* Renders the valid items of p into rows of the signal's ncolumns values in p's arena. The
 * columns every item of a resource shares are rendered for its first item only. */
static const argus_value *render_rows(argus_otlp_payload *p, argus_error *err)
{
    const argus_signal_desc *sig = argus_signal_get(p->signal);
    const int ncols = sig->ncolumns;
    const int *shared = sig->context_columns;
    size_t n = argus_otlp_valid_items(p);
    argus_arena *a = &p->arena;
    argus_value *rows = argus_arena_alloc(a, (n ? n : 1) * (size_t)ncols * sizeof *rows);
    argus_buf scratch;
    argus_buf_init(&scratch);
    int rc = rows ? 0 : -1;
    const void *res_of = NULL;
    const argus_value *first = NULL; /* the current resource's first row */
    argus_otlp_iter it = argus_otlp_iter_start(p);
    for (size_t i = 0; rc == 0 && argus_otlp_iter_next(&it); i++) {
        argus_value *row = rows + i * (size_t)ncols;
        int same = it.resource_entry == res_of;
        for (int c = 0; rc == 0 && c < ncols; c++) {
            if (same && (c == shared[0] || c == shared[1] || c == shared[2] || c == shared[3])) {
                row[c] = first[c];
                continue;
            }
            sig->column(&it, c, &row[c], &scratch);
            rc = scratch.failed ? -1 : keep(a, &row[c], &scratch);
        }
        if (!same) {
            res_of = it.resource_entry;
            first = row;
        }
    }
    argus_buf_free(&scratch);
    if (rc) {
        argus_error_set(err, ARGUS_ENOMEM,
                        "otlp: rendering rows exceeds the memory limit (%zu bytes)", a->limit);
        return NULL;
    }
    return rows;
}

int argus_otlp_render(argus_otlp_payload *p, argus_error *err)
{
    if (!p->data || p->rows)
        return 0;
    p->rows = render_rows(p, err);
    return p->rows ? 0 : ARGUS_ENOMEM;
}

static void value_json(argus_buf *out, const argus_value *v)
{
    switch (v->type) {
    case ARGUS_VAL_INT: argus_json_int(out, v->i); break;
    case ARGUS_VAL_TEXT: argus_json_string(out, v->s, v->n); break;
    case ARGUS_VAL_JSON: argus_buf_append(out, v->s, v->n); break;
    default: argus_buf_append(out, "null", 4);
    }
}

void argus_otlp_rows_json(argus_buf *out, const argus_otlp_payload *p)
{
    const argus_signal_desc *sig = argus_signal_get(p->signal);
    argus_buf scratch;
    argus_buf_init(&scratch);
    argus_buf_appendc(out, '[');
    int first = 1;
    for (argus_otlp_iter it = argus_otlp_iter_start(p); argus_otlp_iter_next(&it);) {
        argus_buf_appends(out, first ? "{" : ",{");
        first = 0;
        for (int c = 0; c < sig->ncolumns; c++) {
            argus_value v;
            argus_otlp_column(&it, c, &v, &scratch);
            if (c)
                argus_buf_appendc(out, ',');
            argus_json_string(out, sig->column_names[c], strlen(sig->column_names[c]));
            argus_buf_appendc(out, ':');
            value_json(out, &v);
        }
        argus_buf_appendc(out, '}');
    }
    argus_buf_appendc(out, ']');
    argus_buf_free(&scratch);
}

void argus_otlp_check_json(argus_buf *out, const argus_otlp_payload *p)
{
    argus_buf_appends(out, "{\"type\":\"");
    argus_buf_appends(out, argus_signal_name(p->signal));
    argus_buf_appends(out, "\",\"format\":");
    argus_buf_appends(out, p->format == ARGUS_OTLP_JSON ? "\"json\"" : "\"protobuf\"");
    argus_json_field_uint(out, ",\"resources\":", p->data ? p->resource_count : 0);
    argus_json_field_uint(out, ",\"items\":", p->item_count);
    argus_json_field_uint(out, ",\"rejected\":", p->rejected);
    argus_json_field_cstr(out, ",\"error\":", p->rejected ? p->reject_message : NULL);
    argus_buf_appendc(out, '}');
}
