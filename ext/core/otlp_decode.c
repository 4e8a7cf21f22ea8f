/* OTLP protobuf decoding, validation, iteration and JSON rendering (see argus_otlp.h).
 * Decoding is protobuf-c into a bump arena; a schema-aware pre-pass over the wire format first
 * checks lengths and nesting depth so hostile input gets a precise error and bounded recursion.
 * OTLP/JSON payloads are handed to otlp_json.c, which builds the same structs. */
#include "argus_otlp.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Messages nest at most this deep: the fixed levels above an AnyValue, plus three per container
 * level (AnyValue > KeyValueList > KeyValue); the AnyValue limit itself is counted apart. */
#define MAX_MESSAGE_DEPTH (12 + 3 * ARGUS_OTLP_MAX_DEPTH)

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

/* ArrayValue and KeyValueList: the AnyValue containers, limited to ARGUS_OTLP_MAX_DEPTH nested
 * levels whatever their mix, as the OTLP/JSON decoder does. */
static int is_container(const ProtobufCMessageDescriptor *d)
{
    return d == &opentelemetry__proto__common__v1__array_value__descriptor ||
           d == &opentelemetry__proto__common__v1__key_value_list__descriptor;
}

/* What argus_otlp_check_wire() adds up while checking; NULL when only checking. */
typedef struct wire_costs {
    const argus_otlp_wire_cost *costs;
    size_t n;
    uint64_t total;
} wire_costs;

/* Checks that p[0..len) is well-formed protobuf for message d, recursing into known message
 * fields. base is the offset of p in the whole payload, for error messages; containers is the
 * number of AnyValue containers around it. Adds the costs of what it meets to wc (when given). */
static int check_wire(const uint8_t *p, size_t len, const ProtobufCMessageDescriptor *d, int depth,
                      int containers, size_t base, wire_costs *wc, argus_error *err)
{
    if (is_container(d) && ++containers > ARGUS_OTLP_MAX_DEPTH)
        return argus_error_set(err, ARGUS_ELIMIT,
                               "otlp: protobuf: AnyValue nesting deeper than %d levels at offset "
                               "%zu",
                               ARGUS_OTLP_MAX_DEPTH, base);
    if (depth > MAX_MESSAGE_DEPTH)
        return argus_error_set(err, ARGUS_ELIMIT,
                               "otlp: protobuf: nesting deeper than %d levels at offset %zu",
                               MAX_MESSAGE_DEPTH, base);
    size_t pos = 0;
    while (pos < len) {
        size_t at = pos;
        uint64_t tag;
        if (argus_varint_get(p, len, &pos, &tag) != 0)
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
            if (argus_varint_get(p, len, &pos, &n) != 0)
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
            if (argus_varint_get(p, len, &pos, &n) != 0 || n > len - pos)
                return argus_error_set(err, ARGUS_EFORMAT,
                                       "otlp: protobuf: truncated length-delimited field %llu of "
                                       "%s at offset %zu",
                                       (unsigned long long)field, d->short_name, base + at);
            if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
                if (wc)
                    for (size_t k = 0; k < wc->n; k++)
                        if (wc->costs[k].message == f->descriptor) {
                            wc->total += wc->costs[k].cost;
                            break;
                        }
                int rc = check_wire(p + pos, (size_t)n, f->descriptor, depth + 1, containers,
                                    base + pos, wc, err);
                if (rc)
                    return rc;
            } else if (wc) {
                wc->total += n; /* a string or bytes: copied once more when rendered */
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

/* checked: argus_otlp_check_wire() checked these bytes already. */
static void *decode_pb(argus_arena *a, const ProtobufCMessageDescriptor *d, const void *payload,
                       size_t len, int checked, argus_error *err)
{
    if (!checked && check_wire(payload, len, d, 0, 0, 0, NULL, err))
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

/* The descriptor's validity rule, called directly so the compiler can inline it in the loops
 * below (they run once per item). */
static inline const char *item_invalid(argus_signal sig, const void *item)
{
    return sig == ARGUS_SIGNAL_TRACES ? argus_otlp_span_invalid(item)
                                      : argus_otlp_log_invalid(item);
}

/* ---- payloads of any signal ------------------------------------------------------------------ */

/* Where the three levels of a signal's payload keep their lists: the generated structs of both
 * signals have the same shape (data -> resource entries -> scope entries -> items), so one walker
 * serves both through these offsets. */
typedef struct shape {
    const ProtobufCMessageDescriptor *message;          /* TracesData / LogsData */
    size_t n_resources, resources;                      /* in the top message */
    size_t resource, n_scopes, scopes, resource_schema; /* in a resource entry */
    size_t scope, n_items, items, scope_schema;         /* in a scope entry */
} shape;

#define AT(p, off, T) (*(T const *)((const char *)(p) + (off)))

static const shape SHAPES[ARGUS_SIGNAL_COUNT] = {
    [ARGUS_SIGNAL_TRACES] = {&opentelemetry__proto__trace__v1__traces_data__descriptor,
                             offsetof(argus_pb_traces, n_resource_spans),
                             offsetof(argus_pb_traces, resource_spans),
                             offsetof(argus_pb_resource_spans, resource),
                             offsetof(argus_pb_resource_spans, n_scope_spans),
                             offsetof(argus_pb_resource_spans, scope_spans),
                             offsetof(argus_pb_resource_spans, schema_url),
                             offsetof(argus_pb_scope_spans, scope),
                             offsetof(argus_pb_scope_spans, n_spans),
                             offsetof(argus_pb_scope_spans, spans),
                             offsetof(argus_pb_scope_spans, schema_url)},
    [ARGUS_SIGNAL_LOGS] =
        {&opentelemetry__proto__logs__v1__logs_data__descriptor,
         offsetof(argus_pb_logs, n_resource_logs), offsetof(argus_pb_logs, resource_logs),
         offsetof(argus_pb_resource_logs, resource), offsetof(argus_pb_resource_logs, n_scope_logs),
         offsetof(argus_pb_resource_logs, scope_logs), offsetof(argus_pb_resource_logs, schema_url),
         offsetof(argus_pb_scope_logs, scope), offsetof(argus_pb_scope_logs, n_log_records),
         offsetof(argus_pb_scope_logs, log_records), offsetof(argus_pb_scope_logs, schema_url)},
};

static size_t n_at(const void *m, size_t off)
{
    return AT(m, off, size_t);
}
static const void *elem_at(const void *m, size_t off, size_t i)
{
    return AT(m, off, void *const *)[i];
}

void argus_otlp_payload_init(argus_otlp_payload *p, argus_signal sig)
{
    memset(p, 0, sizeof *p);
    p->signal = sig;
    argus_arena_init(&p->arena, 0);
}

void argus_otlp_payload_free(argus_otlp_payload *p)
{
    argus_arena_free(&p->arena);
    p->data = NULL;
    p->rows = NULL;
}

void argus_otlp_recycle(argus_otlp_payload *p, size_t keep_bytes)
{
    argus_arena_reset(&p->arena);
    if (p->arena.used > keep_bytes)
        argus_arena_free(&p->arena);
    p->data = NULL;
    p->rows = NULL;
    p->wire_checked = NULL;
    p->resource_count = p->item_count = p->rejected = 0;
    p->reject_message[0] = '\0';
}

size_t argus_otlp_valid_items(const argus_otlp_payload *p)
{
    return p->item_count - p->rejected;
}

/* Decodes as JSON, or as protobuf, into p->data. */
static int decode_as(argus_otlp_payload *p, const shape *sh, argus_otlp_format f,
                     const void *payload, size_t len, int checked, argus_error *err)
{
    p->format = f;
    if (f == ARGUS_OTLP_JSON)
        return argus_otlp_json_decode(payload, len, &p->arena, sh->message, &p->data, err);
    p->data = decode_pb(&p->arena, sh->message, payload, len, checked, err);
    return p->data ? 0 : err ? err->code : ARGUS_EFORMAT;
}

int argus_otlp_check_wire(argus_otlp_payload *p, const void *payload, size_t len,
                          const argus_otlp_wire_cost *costs, size_t ncosts, uint64_t *cost,
                          argus_error *err)
{
    wire_costs wc = {costs, ncosts, 0};
    p->wire_checked = NULL;
    int rc = check_wire(payload ? payload : "", len, SHAPES[p->signal].message, 0, 0, 0, &wc, err);
    *cost += wc.total;
    if (rc == 0 && payload) {
        p->wire_checked = payload;
        p->wire_checked_len = len;
    }
    return rc;
}

int argus_otlp_decode(argus_otlp_payload *p, const void *payload, size_t len,
                      argus_otlp_format format, argus_error *err)
{
    const shape *sh = &SHAPES[p->signal];
    const argus_signal_desc *sig = argus_signal_get(p->signal);
    /* argus_otlp_check_wire() checked these very bytes just before */
    int checked = payload && payload == p->wire_checked && len == p->wire_checked_len;
    p->wire_checked = NULL;
    argus_otlp_recycle(p, SIZE_MAX);
    p->arena.limit = memory_limit(len);
    if (p->memory_cap && p->memory_cap < p->arena.limit)
        p->arena.limit = p->memory_cap;
    if (!payload)
        payload = "";
    int rc;
    if (format == ARGUS_OTLP_AUTO && argus_otlp_is_json(payload, len)) {
        rc = decode_as(p, sh, ARGUS_OTLP_JSON, payload, len, 0, err);
        if (rc) {
            /* Not OTLP/JSON: maybe a protobuf that merely starts like JSON. Keep the JSON error
             * unless it is one. */
            argus_error pb_err;
            argus_otlp_recycle(p, SIZE_MAX);
            if (decode_as(p, sh, ARGUS_OTLP_PROTOBUF, payload, len, checked, &pb_err) == 0)
                rc = 0;
            else
                p->format = ARGUS_OTLP_JSON;
        }
    } else {
        rc = decode_as(p, sh, format == ARGUS_OTLP_JSON ? ARGUS_OTLP_JSON : ARGUS_OTLP_PROTOBUF,
                       payload, len, checked, err);
    }
    if (rc) {
        p->data = NULL;
        return rc;
    }
    const void *d = p->data;
    p->resource_count = n_at(d, sh->n_resources);
    for (size_t ri = 0; ri < p->resource_count; ri++) {
        const void *re = elem_at(d, sh->resources, ri);
        for (size_t si = 0, ns = n_at(re, sh->n_scopes); si < ns; si++) {
            const void *se = elem_at(re, sh->scopes, si);
            size_t ni = n_at(se, sh->n_items);
            for (size_t ki = 0; ki < ni; ki++) {
                const char *why = item_invalid(p->signal, elem_at(se, sh->items, ki));
                if (why && p->rejected++ == 0)
                    snprintf(p->reject_message, sizeof p->reject_message,
                             "%s[%zu].%s[%zu].%s[%zu]: %s", sig->level_names[0], ri,
                             sig->level_names[1], si, sig->level_names[2], ki, why);
            }
            p->item_count += ni;
        }
    }
    return 0;
}

int argus_otlp_decode_any(argus_otlp_payload *tr, argus_otlp_payload *lg, const void *payload,
                          size_t len, argus_otlp_format format, argus_otlp_payload **out,
                          argus_error *err)
{
    argus_error quiet;
    tr->signal = ARGUS_SIGNAL_TRACES;
    lg->signal = ARGUS_SIGNAL_LOGS;
    *out = tr;
    if (argus_otlp_decode(tr, payload, len, format, &quiet) == 0) {
        if (tr->resource_count == 0 && argus_otlp_decode(lg, payload, len, format, &quiet) == 0 &&
            lg->resource_count > 0)
            *out = lg;
        return 0;
    }
    *out = lg;
    return argus_otlp_decode(lg, payload, len, format, err);
}

void argus_otlp_traces_init(argus_otlp_traces *t)
{
    argus_otlp_payload_init(t, ARGUS_SIGNAL_TRACES);
}
void argus_otlp_traces_free(argus_otlp_traces *t)
{
    argus_otlp_payload_free(t);
}
int argus_otlp_traces_decode(argus_otlp_traces *t, const void *payload, size_t len,
                             argus_error *err)
{
    t->signal = ARGUS_SIGNAL_TRACES;
    return argus_otlp_decode(t, payload, len, ARGUS_OTLP_AUTO, err);
}
void argus_otlp_logs_init(argus_otlp_logs *l)
{
    argus_otlp_payload_init(l, ARGUS_SIGNAL_LOGS);
}
void argus_otlp_logs_free(argus_otlp_logs *l)
{
    argus_otlp_payload_free(l);
}
int argus_otlp_logs_decode(argus_otlp_logs *l, const void *payload, size_t len, argus_error *err)
{
    l->signal = ARGUS_SIGNAL_LOGS;
    return argus_otlp_decode(l, payload, len, ARGUS_OTLP_AUTO, err);
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

argus_otlp_iter argus_otlp_iter_start(const argus_otlp_payload *p)
{
    argus_otlp_iter it;
    memset(&it, 0, sizeof it);
    it.sig = argus_signal_get(p->signal);
    it.data = p->data;
    it.rows = p->rows;
    it.all_valid = p->rejected == 0;
    return it;
}

int argus_otlp_iter_next(argus_otlp_iter *it)
{
    const void *d = it->data;
    if (!d)
        return 0;
    const shape *sh = &SHAPES[it->sig->signal];
    size_t nr = n_at(d, sh->n_resources);
    while (it->ri < nr) {
        const void *re = elem_at(d, sh->resources, it->ri);
        if (it->si == 0 && it->ki == 0) {
            resource_info(&it->res, AT(re, sh->resource, const argus_pb_resource *));
            it->resource_entry = re;
            it->resource_schema = AT(re, sh->resource_schema, const char *);
        }
        size_t ns = n_at(re, sh->n_scopes);
        while (it->si < ns) {
            const void *se = elem_at(re, sh->scopes, it->si);
            it->scope_entry = se;
            it->scope = AT(se, sh->scope, const argus_pb_scope *);
            it->scope_schema = AT(se, sh->scope_schema, const char *);
            size_t ni = n_at(se, sh->n_items);
            while (it->ki < ni) {
                const void *item = elem_at(se, sh->items, it->ki++);
                if (it->all_valid || !item_invalid(it->sig->signal, item)) {
                    it->item = item;
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
    it->item = NULL;
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

/* [item, item, ...]: the n items of a span's list, the i-th written by fn(b, s, i). */
static void json_array(argus_buf *b, const argus_pb_span *s, size_t n,
                       void (*fn)(argus_buf *, const argus_pb_span *, size_t))
{
    argus_buf_appendc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            argus_buf_appendc(b, ',');
        fn(b, s, i);
    }
    argus_buf_appendc(b, ']');
}

static void event_json(argus_buf *b, const argus_pb_span *s, size_t i)
{
    const argus_pb_event *e = s->events[i];
    argus_json_field_uint(b, "{\"time_unix_nano\":", e->time_unix_nano);
    argus_json_field_cstr(b, ",\"name\":", e->name);
    argus_buf_appends(b, ",\"attributes\":");
    argus_otlp_attributes_json(b, e->attributes, e->n_attributes);
    argus_json_field_uint(b, ",\"dropped_attributes_count\":", e->dropped_attributes_count);
    argus_buf_appendc(b, '}');
}

static void link_json(argus_buf *b, const argus_pb_span *s, size_t i)
{
    const argus_pb_link *l = s->links[i];
    argus_buf_appends(b, "{\"trace_id\":");
    hex_json(b, &l->trace_id, 16);
    argus_buf_appends(b, ",\"span_id\":");
    hex_json(b, &l->span_id, 8);
    /* empty is null, as in the span's trace_state column */
    argus_json_field_cstr(b, ",\"trace_state\":", l->trace_state[0] ? l->trace_state : NULL);
    argus_buf_appends(b, ",\"attributes\":");
    argus_otlp_attributes_json(b, l->attributes, l->n_attributes);
    argus_json_field_uint(b, ",\"dropped_attributes_count\":", l->dropped_attributes_count);
    argus_json_field_uint(b, ",\"flags\":", l->flags);
    argus_buf_appendc(b, '}');
}

void argus_otlp_events_json(argus_buf *b, const argus_pb_span *s)
{
    json_array(b, s, s->n_events, event_json);
}

void argus_otlp_links_json(argus_buf *b, const argus_pb_span *s)
{
    json_array(b, s, s->n_links, link_json);
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
