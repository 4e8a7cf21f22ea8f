/* OTLP protobuf decoding, validation, iteration and JSON rendering (see argus_otlp.h).
 * Decoding is protobuf-c into a bump arena; a schema-aware pre-pass over the wire format first
 * checks lengths and nesting depth so hostile input gets a precise error and bounded recursion.
 * OTLP/JSON payloads are handed to otlp_json.c, which builds the same structs. */
#include "argus_otlp.h"

#include <stdio.h>
#include <string.h>

#define MAX_MESSAGE_DEPTH (8 + 2 * ARGUS_OTLP_MAX_DEPTH)

static const char UNKNOWN_SERVICE[] = "unknown_service";

int argus_otlp_is_json(const void *payload, size_t len)
{
    const unsigned char *p = payload;
    for (size_t i = 0; i < len; i++) {
        if (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')
            continue;
        return p[i] == '{';
    }
    return 0;
}

/* ---- wire-format pre-pass ------------------------------------------------------------------ */

static int read_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (*pos >= len)
            return -1;
        uint8_t b = p[(*pos)++];
        if (shift == 63 && b > 1)
            return -1;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* Checks that p[0..len) is well-formed protobuf for message d, recursing into known message
 * fields. base is the offset of p in the whole payload, for error messages. */
static int check_wire(const uint8_t *p, size_t len, const ProtobufCMessageDescriptor *d, int depth,
                      size_t base, argus_error *err)
{
    if (depth > MAX_MESSAGE_DEPTH)
        return argus_error_set(err, ARGUS_ELIMIT,
                               "otlp: protobuf: nesting deeper than %d levels at offset %zu",
                               MAX_MESSAGE_DEPTH, base);
    size_t pos = 0;
    while (pos < len) {
        size_t at = pos;
        uint64_t tag;
        if (read_varint(p, len, &pos, &tag) != 0)
            return argus_error_set(err, ARGUS_EFORMAT,
                                   "otlp: protobuf: truncated field tag at offset %zu in %s",
                                   base + at, d->short_name);
        uint64_t field = tag >> 3;
        unsigned wire = (unsigned)(tag & 7);
        if (field == 0 || field > 536870911u)
            return argus_error_set(err, ARGUS_EFORMAT,
                                   "otlp: protobuf: invalid field number %llu at offset %zu in %s",
                                   (unsigned long long)field, base + at, d->short_name);
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field(d, (unsigned)field);
        uint64_t n;
        switch (wire) {
        case 0:
            if (read_varint(p, len, &pos, &n) != 0)
                return argus_error_set(err, ARGUS_EFORMAT,
                                       "otlp: protobuf: truncated varint (field %llu of %s) at "
                                       "offset %zu",
                                       (unsigned long long)field, d->short_name, base + at);
            break;
        case 1:
        case 5: {
            size_t w = wire == 1 ? 8 : 4;
            if (len - pos < w)
                return argus_error_set(err, ARGUS_EFORMAT,
                                       "otlp: protobuf: truncated fixed%zu (field %llu of %s) at "
                                       "offset %zu",
                                       w * 8, (unsigned long long)field, d->short_name, base + at);
            pos += w;
            break;
        }
        case 2:
            if (read_varint(p, len, &pos, &n) != 0 || n > len - pos)
                return argus_error_set(err, ARGUS_EFORMAT,
                                       "otlp: protobuf: truncated length-delimited field %llu of "
                                       "%s at offset %zu",
                                       (unsigned long long)field, d->short_name, base + at);
            if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
                int rc = check_wire(p + pos, (size_t)n, f->descriptor, depth + 1, base + pos, err);
                if (rc)
                    return rc;
            }
            pos += (size_t)n;
            break;
        default:
            return argus_error_set(err, ARGUS_EFORMAT,
                                   "otlp: protobuf: unsupported wire type %u (field %llu of %s) at "
                                   "offset %zu",
                                   wire, (unsigned long long)field, d->short_name, base + at);
        }
        if (f && wire != 2 &&
            (f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING ||
             f->type == PROTOBUF_C_TYPE_BYTES))
            return argus_error_set(err, ARGUS_EFORMAT,
                                   "otlp: protobuf: field %s of %s has wire type %u at offset %zu",
                                   f->name, d->short_name, wire, base + at);
    }
    return 0;
}

static size_t memory_limit(size_t len)
{
    if (len > (SIZE_MAX - ARGUS_OTLP_MEMORY_BASE) / ARGUS_OTLP_MEMORY_FACTOR)
        return SIZE_MAX;
    return ARGUS_OTLP_MEMORY_BASE + len * ARGUS_OTLP_MEMORY_FACTOR;
}

static void *decode_pb(argus_arena *a, const ProtobufCMessageDescriptor *d, const void *payload,
                       size_t len, argus_error *err)
{
    if (check_wire(payload, len, d, 0, 0, err))
        return NULL;
    ProtobufCAllocator pa = argus_arena_protobuf(a);
    ProtobufCMessage *m = protobuf_c_message_unpack(d, &pa, len, payload);
    if (!m) {
        if (a->exhausted)
            argus_error_set(err, ARGUS_ENOMEM,
                            "otlp: protobuf: decoded payload exceeds the memory limit (%zu bytes)",
                            a->limit);
        else
            argus_error_set(err, ARGUS_EFORMAT,
                            "otlp: protobuf: not a valid %s message (%zu bytes)", d->short_name,
                            len);
    }
    return m;
}

/* ---- validation ----------------------------------------------------------------------------- */

static int all_zero(const ProtobufCBinaryData *b)
{
    for (size_t i = 0; i < b->len; i++)
        if (b->data[i])
            return 0;
    return 1;
}

const char *argus_otlp_span_invalid(const argus_pb_span *s)
{
    if (s->trace_id.len != 16)
        return "trace_id must be 16 bytes (32 hex digits)";
    if (all_zero(&s->trace_id))
        return "trace_id must not be all zeros";
    if (s->span_id.len != 8)
        return "span_id must be 8 bytes (16 hex digits)";
    if (all_zero(&s->span_id))
        return "span_id must not be all zeros";
    if (s->parent_span_id.len != 0 && s->parent_span_id.len != 8)
        return "parent_span_id must be empty or 8 bytes (16 hex digits)";
    return NULL;
}

const char *argus_otlp_log_invalid(const argus_pb_log *l)
{
    if (l->trace_id.len != 0 && l->trace_id.len != 16)
        return "trace_id must be empty or 16 bytes (32 hex digits)";
    if (l->span_id.len != 0 && l->span_id.len != 8)
        return "span_id must be empty or 8 bytes (16 hex digits)";
    return NULL;
}

/* ---- traces -------------------------------------------------------------------------------- */

void argus_otlp_traces_init(argus_otlp_traces *t)
{
    memset(t, 0, sizeof *t);
    argus_arena_init(&t->arena, 0);
}

void argus_otlp_traces_free(argus_otlp_traces *t)
{
    argus_arena_free(&t->arena);
    t->data = NULL;
    t->rows = NULL;
}

int argus_otlp_traces_decode(argus_otlp_traces *t, const void *payload, size_t len,
                             argus_error *err)
{
    argus_arena_reset(&t->arena);
    t->arena.limit = memory_limit(len);
    t->data = NULL;
    t->rows = NULL;
    t->span_count = t->rejected = 0;
    t->reject_message[0] = '\0';
    if (argus_otlp_is_json(payload, len)) {
        t->format = ARGUS_OTLP_JSON;
        int rc = argus_otlp_json_decode_traces(payload, len, &t->arena, &t->data, err);
        if (rc)
            return rc;
    } else {
        t->format = ARGUS_OTLP_PROTOBUF;
        t->data = decode_pb(&t->arena, &opentelemetry__proto__trace__v1__traces_data__descriptor,
                            payload, len, err);
        if (!t->data)
            return err ? err->code : ARGUS_EFORMAT;
    }
    const argus_pb_traces *d = t->data;
    for (size_t ri = 0; ri < d->n_resource_spans; ri++) {
        const argus_pb_resource_spans *rs = d->resource_spans[ri];
        for (size_t si = 0; si < rs->n_scope_spans; si++) {
            const argus_pb_scope_spans *ss = rs->scope_spans[si];
            for (size_t ki = 0; ki < ss->n_spans; ki++) {
                const char *why = argus_otlp_span_invalid(ss->spans[ki]);
                if (why && t->rejected++ == 0)
                    snprintf(t->reject_message, sizeof t->reject_message,
                             "resource_spans[%zu].scope_spans[%zu].spans[%zu]: %s", ri, si, ki,
                             why);
            }
            t->span_count += ss->n_spans;
        }
    }
    return 0;
}

static void resource_info(argus_otlp_resource_info *ri, const argus_pb_resource *r)
{
    ri->resource = r;
    ri->service_name = UNKNOWN_SERVICE;
    ri->service_name_len = sizeof UNKNOWN_SERVICE - 1;
    if (!r)
        return;
    for (size_t i = 0; i < r->n_attributes; i++) {
        const argus_pb_keyvalue *kv = r->attributes[i];
        if (strcmp(kv->key, "service.name") == 0 && kv->value &&
            kv->value->value_case ==
                OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE &&
            kv->value->string_value[0]) {
            ri->service_name = kv->value->string_value;
            ri->service_name_len = strlen(kv->value->string_value);
            return;
        }
    }
}

argus_span_iter argus_span_iter_start(const argus_otlp_traces *t)
{
    argus_span_iter it;
    memset(&it, 0, sizeof it);
    it.data = t->data;
    it.rows = t->rows;
    return it;
}

int argus_span_iter_next(argus_span_iter *it)
{
    const argus_pb_traces *d = it->data;
    if (!d)
        return 0;
    while (it->ri < d->n_resource_spans) {
        const argus_pb_resource_spans *rs = d->resource_spans[it->ri];
        if (it->si == 0 && it->ki == 0)
            resource_info(&it->res, rs->resource);
        while (it->si < rs->n_scope_spans) {
            const argus_pb_scope_spans *ss = rs->scope_spans[it->si];
            it->scope = ss->scope;
            while (it->ki < ss->n_spans) {
                const argus_pb_span *s = ss->spans[it->ki++];
                if (!argus_otlp_span_invalid(s)) {
                    it->span = s;
                    it->n++;
                    return 1;
                }
            }
            it->si++;
            it->ki = 0;
        }
        it->ri++;
        it->si = it->ki = 0;
    }
    it->span = NULL;
    return 0;
}

/* ---- logs ---------------------------------------------------------------------------------- */

void argus_otlp_logs_init(argus_otlp_logs *l)
{
    memset(l, 0, sizeof *l);
    argus_arena_init(&l->arena, 0);
}

void argus_otlp_logs_free(argus_otlp_logs *l)
{
    argus_arena_free(&l->arena);
    l->data = NULL;
    l->rows = NULL;
}

int argus_otlp_logs_decode(argus_otlp_logs *l, const void *payload, size_t len, argus_error *err)
{
    argus_arena_reset(&l->arena);
    l->arena.limit = memory_limit(len);
    l->data = NULL;
    l->rows = NULL;
    l->log_count = l->rejected = 0;
    l->reject_message[0] = '\0';
    if (argus_otlp_is_json(payload, len)) {
        l->format = ARGUS_OTLP_JSON;
        int rc = argus_otlp_json_decode_logs(payload, len, &l->arena, &l->data, err);
        if (rc)
            return rc;
    } else {
        l->format = ARGUS_OTLP_PROTOBUF;
        l->data = decode_pb(&l->arena, &opentelemetry__proto__logs__v1__logs_data__descriptor,
                            payload, len, err);
        if (!l->data)
            return err ? err->code : ARGUS_EFORMAT;
    }
    const argus_pb_logs *d = l->data;
    for (size_t ri = 0; ri < d->n_resource_logs; ri++) {
        const argus_pb_resource_logs *rl = d->resource_logs[ri];
        for (size_t si = 0; si < rl->n_scope_logs; si++) {
            const argus_pb_scope_logs *sl = rl->scope_logs[si];
            for (size_t ki = 0; ki < sl->n_log_records; ki++) {
                const char *why = argus_otlp_log_invalid(sl->log_records[ki]);
                if (why && l->rejected++ == 0)
                    snprintf(l->reject_message, sizeof l->reject_message,
                             "resource_logs[%zu].scope_logs[%zu].log_records[%zu]: %s", ri, si, ki,
                             why);
            }
            l->log_count += sl->n_log_records;
        }
    }
    return 0;
}

argus_log_iter argus_log_iter_start(const argus_otlp_logs *l)
{
    argus_log_iter it;
    memset(&it, 0, sizeof it);
    it.data = l->data;
    it.rows = l->rows;
    return it;
}

int argus_log_iter_next(argus_log_iter *it)
{
    const argus_pb_logs *d = it->data;
    if (!d)
        return 0;
    while (it->ri < d->n_resource_logs) {
        const argus_pb_resource_logs *rl = d->resource_logs[it->ri];
        if (it->si == 0 && it->ki == 0)
            resource_info(&it->res, rl->resource);
        while (it->si < rl->n_scope_logs) {
            const argus_pb_scope_logs *sl = rl->scope_logs[it->si];
            it->scope = sl->scope;
            while (it->ki < sl->n_log_records) {
                const argus_pb_log *r = sl->log_records[it->ki++];
                if (!argus_otlp_log_invalid(r)) {
                    it->log = r;
                    it->n++;
                    return 1;
                }
            }
            it->si++;
            it->ki = 0;
        }
        it->ri++;
        it->si = it->ki = 0;
    }
    it->log = NULL;
    return 0;
}

/* ---- rendering ------------------------------------------------------------------------------ */

const char *argus_otlp_anyvalue_type(const argus_pb_anyvalue *v)
{
    if (!v)
        return NULL;
    switch (v->value_case) {
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE: return "string";
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE: return "bool";
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE: return "int";
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE: return "double";
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BYTES_VALUE: return "bytes";
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE: return "array";
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_KVLIST_VALUE: return "kvlist";
    default: return NULL;
    }
}

/* Depth is bounded by the decoders (ARGUS_OTLP_MAX_DEPTH), so plain recursion is safe here. */
void argus_otlp_anyvalue_json(argus_buf *b, const argus_pb_anyvalue *v)
{
    if (!v) {
        argus_buf_append(b, "null", 4);
        return;
    }
    switch (v->value_case) {
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE:
        argus_json_string(b, v->string_value, strlen(v->string_value));
        break;
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE:
        argus_buf_appends(b, v->bool_value ? "true" : "false");
        break;
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE:
        argus_json_int(b, v->int_value);
        break;
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE:
        argus_json_double(b, v->double_value);
        break;
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BYTES_VALUE:
        argus_json_base64(b, v->bytes_value.data, v->bytes_value.len);
        break;
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE: {
        argus_buf_appendc(b, '[');
        const Opentelemetry__Proto__Common__V1__ArrayValue *a = v->array_value;
        for (size_t i = 0; a && i < a->n_values; i++) {
            if (i)
                argus_buf_appendc(b, ',');
            argus_otlp_anyvalue_json(b, a->values[i]);
        }
        argus_buf_appendc(b, ']');
        break;
    }
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_KVLIST_VALUE: {
        const Opentelemetry__Proto__Common__V1__KeyValueList *l = v->kvlist_value;
        argus_otlp_attributes_json(b, l ? l->values : NULL, l ? l->n_values : 0);
        break;
    }
    default: argus_buf_append(b, "null", 4);
    }
}

void argus_otlp_attributes_json(argus_buf *b, argus_pb_keyvalue *const *kv, size_t n)
{
    argus_buf_appendc(b, '{');
    for (size_t i = 0; i < n; i++) {
        if (i)
            argus_buf_appendc(b, ',');
        argus_json_string(b, kv[i]->key, strlen(kv[i]->key));
        argus_buf_appendc(b, ':');
        argus_otlp_anyvalue_json(b, kv[i]->value);
    }
    argus_buf_appendc(b, '}');
}

/* A link's id as hex; null when absent or not of the OTLP length (links are not validated as
 * spans are: a bad link id should not cost the span). */
static void hex_json(argus_buf *b, const ProtobufCBinaryData *id, size_t want)
{
    char hex[33];
    if (id->len != want || want > 16) {
        argus_buf_append(b, "null", 4);
        return;
    }
    argus_hex(hex, id->data, id->len);
    argus_buf_appendc(b, '"');
    argus_buf_append(b, hex, id->len * 2);
    argus_buf_appendc(b, '"');
}

void argus_otlp_events_json(argus_buf *b, const argus_pb_span *s)
{
    argus_buf_appendc(b, '[');
    for (size_t i = 0; i < s->n_events; i++) {
        const argus_pb_event *e = s->events[i];
        if (i)
            argus_buf_appendc(b, ',');
        argus_buf_appends(b, "{\"time_unix_nano\":");
        argus_json_uint(b, e->time_unix_nano);
        argus_buf_appends(b, ",\"name\":");
        argus_json_string(b, e->name, strlen(e->name));
        argus_buf_appends(b, ",\"attributes\":");
        argus_otlp_attributes_json(b, e->attributes, e->n_attributes);
        argus_buf_appends(b, ",\"dropped_attributes_count\":");
        argus_json_uint(b, e->dropped_attributes_count);
        argus_buf_appendc(b, '}');
    }
    argus_buf_appendc(b, ']');
}

void argus_otlp_links_json(argus_buf *b, const argus_pb_span *s)
{
    argus_buf_appendc(b, '[');
    for (size_t i = 0; i < s->n_links; i++) {
        const argus_pb_link *l = s->links[i];
        if (i)
            argus_buf_appendc(b, ',');
        argus_buf_appends(b, "{\"trace_id\":");
        hex_json(b, &l->trace_id, 16);
        argus_buf_appends(b, ",\"span_id\":");
        hex_json(b, &l->span_id, 8);
        argus_buf_appends(b, ",\"trace_state\":");
        if (l->trace_state[0])
            argus_json_string(b, l->trace_state, strlen(l->trace_state));
        else
            argus_buf_appends(b, "null"); /* as the span's trace_state column */
        argus_buf_appends(b, ",\"attributes\":");
        argus_otlp_attributes_json(b, l->attributes, l->n_attributes);
        argus_buf_appends(b, ",\"dropped_attributes_count\":");
        argus_json_uint(b, l->dropped_attributes_count);
        argus_buf_appends(b, ",\"flags\":");
        argus_json_uint(b, l->flags);
        argus_buf_appendc(b, '}');
    }
    argus_buf_appendc(b, ']');
}

int argus_otlp_body_text(argus_buf *b, const argus_pb_anyvalue *v)
{
    if (!v || v->value_case == OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE__NOT_SET)
        return 0;
    if (v->value_case == OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE) {
        argus_utf8_sanitize(b, v->string_value, strlen(v->string_value));
        return 1;
    }
    argus_otlp_anyvalue_json(b, v);
    return 1;
}
