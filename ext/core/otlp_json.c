/* OTLP/JSON decoding (see argus_otlp.h): jansson parses the payload, then a walk driven by the
 * protobuf-c descriptors builds exactly the structs protobuf decoding would give, in the arena.
 *   argus_pb_traces *t;
 *   if (argus_otlp_json_decode_traces(buf, len, &arena, &t, &err) == 0) ... t->resource_spans ...
 * Rules: OTLP "JSON Protobuf Encoding" — lowerCamelCase or snake_case keys, hex (or base64) ids,
 * integer or named enums, 64-bit integers as numbers or decimal strings, unknown keys ignored.
 * The arena's limit also bounds jansson's transient tree (estimated before parsing). */
#include "argus_otlp.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Path frames needed for the deepest accepted payload: 6 above the first AnyValue, at most 3 per
 * AnyValue container level. */
#define MAX_FRAMES (3 * ARGUS_OTLP_MAX_DEPTH + 16)
#define MAX_FIELD_NAME 64
/* jansson refuses input nested deeper than this, so the integer pre-pass need not track more. */
#define SCAN_MAX_DEPTH 2048

typedef struct frame {
    const char *key; /* borrowed from the jansson tree */
    size_t index;    /* SIZE_MAX when the frame is not an array element */
} frame;

typedef struct ctx {
    argus_arena *arena;
    argus_error *err;
    int depth;   /* open AnyValue containers (arrayValue / kvlistValue) */
    int nframes; /* may exceed MAX_FRAMES; frames beyond it are not recorded */
    frame frames[MAX_FRAMES];
} ctx;

/* ---- errors --------------------------------------------------------------------------------- */

static int frame_text(const frame *f, char *buf, size_t cap)
{
    if (f->index == SIZE_MAX)
        return snprintf(buf, cap, "%s", f->key);
    return snprintf(buf, cap, "%s[%zu]", f->key, f->index);
}

/* Renders the path of the current value as "resourceSpans[0].scopeSpans[1].spans[3].name". A path
 * too long for cap keeps its first frames and as many last frames as fit, with "..." between. */
static void render_path(const ctx *c, char *out, size_t cap)
{
    int n = c->nframes < MAX_FRAMES ? c->nframes : MAX_FRAMES;
    char tmp[MAX_FIELD_NAME + 32];
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += (size_t)frame_text(&c->frames[i], tmp, sizeof tmp) + 1;
    size_t o = 0;
    out[0] = '\0';
    int head_end = n; /* frames [0, head_end) are written in full */
    if (total >= cap) {
        size_t used = 0;
        head_end = 0;
        while (head_end < n) {
            size_t l = (size_t)frame_text(&c->frames[head_end], tmp, sizeof tmp) + 1;
            if (used + l > cap / 2)
                break;
            used += l;
            head_end++;
        }
    }
    for (int i = 0; i < head_end; i++) {
        o += (size_t)snprintf(out + o, cap - o, "%s", i ? "." : "");
        o += (size_t)frame_text(&c->frames[i], out + o, cap - o);
    }
    if (head_end == n)
        return;
    /* Tail: the last frames that fit after "...". */
    size_t room = cap - o - 5, used = 0;
    int tail = n;
    while (tail > head_end) {
        size_t l = (size_t)frame_text(&c->frames[tail - 1], tmp, sizeof tmp) + 1;
        if (used + l > room)
            break;
        used += l;
        tail--;
    }
    o += (size_t)snprintf(out + o, cap - o, "%s...", head_end ? "." : "");
    for (int i = tail; i < n && o < cap; i++) {
        o += (size_t)snprintf(out + o, cap - o, ".");
        if (o < cap)
            o += (size_t)frame_text(&c->frames[i], out + o, cap - o);
    }
}

__attribute__((format(printf, 3, 4))) static int fail(ctx *c, int code, const char *fmt, ...)
{
    /* Sized so that "otlp: json: " + path + ": " + what always fits in argus_error.message. */
    char what[96], path[144];
    _Static_assert(sizeof "otlp: json: : " + sizeof what + sizeof path - 3 <=
                       sizeof((argus_error *)0)->message,
                   "error message buffer too small");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    render_path(c, path, sizeof path);
    if (path[0])
        return argus_error_set(c->err, code, "otlp: json: %s: %s", path, what);
    return argus_error_set(c->err, code, "otlp: json: %s", what);
}

static int out_of_memory(argus_error *err)
{
    return argus_error_set(err, ARGUS_ENOMEM,
                           "otlp: json: decoded payload exceeds the memory limit");
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

/* A short printable copy of a user string for error messages. */
static void quote_short(char *out, size_t cap, const char *s, size_t n)
{
    size_t o = 0, i = 0;
    for (; i < n && o + 4 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        out[o++] = ch >= 0x20 && ch < 0x7f && ch != '"' ? (char)ch : '?';
    }
    if (i < n) {
        out[o++] = '.';
        out[o++] = '.';
        out[o++] = '.';
    }
    out[o] = '\0';
}

/* ---- numbers -------------------------------------------------------------------------------- */

enum { NUM_OK = 0, NUM_TYPE = 1, NUM_RANGE = 2 };

/* [-]digits -> sign and magnitude. */
static int parse_decimal(const char *s, size_t n, int *neg, uint64_t *mag)
{
    size_t i = 0;
    int range = 0;
    uint64_t v = 0;
    *neg = 0;
    if (i < n && s[i] == '-') {
        *neg = 1;
        i++;
    }
    if (i == n)
        return NUM_TYPE;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return NUM_TYPE;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            range = 1;
        else
            v = v * 10 + d;
    }
    *mag = v;
    return range ? NUM_RANGE : NUM_OK;
}

/* A JSON integer, integral real or decimal string -> sign and magnitude (any 64-bit value). */
static int to_magnitude(const json_t *v, int *neg, uint64_t *mag)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        *neg = i < 0;
        *mag = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;
        return NUM_OK;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (!isfinite(d) || d != floor(d))
            return NUM_TYPE;
        if (d <= -18446744073709551616.0 || d >= 18446744073709551616.0)
            return NUM_RANGE;
        *neg = d < 0;
        *mag = (uint64_t)(d < 0 ? -d : d);
        return NUM_OK;
    }
    if (json_is_string(v))
        return parse_decimal(json_string_value(v), json_string_length(v), neg, mag);
    return NUM_TYPE;
}

/* A JSON integer in the range of int64 (is_signed) or uint64, its bits in *out. */
static int to_int(const json_t *v, int is_signed, uint64_t *out)
{
    int neg;
    uint64_t mag;
    int rc = to_magnitude(v, &neg, &mag);
    if (rc)
        return rc;
    if (is_signed ? mag > (uint64_t)INT64_MAX + (neg ? 1 : 0) : neg && mag)
        return NUM_RANGE;
    *out = neg ? 0 - mag : mag; /* two's complement: INT64_MIN's magnitude maps onto it */
    return NUM_OK;
}

static int to_i64(const json_t *v, int64_t *out)
{
    uint64_t u;
    int rc = to_int(v, 1, &u);
    if (rc == NUM_OK)
        *out = (int64_t)u;
    return rc;
}

static int to_u64(const json_t *v, uint64_t *out)
{
    return to_int(v, 0, out);
}

static int to_double(const json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return NUM_OK;
    }
    if (!json_is_string(v))
        return NUM_TYPE;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 3 && memcmp(s, "NaN", 3) == 0) {
        *out = NAN;
        return NUM_OK;
    }
    if (n == 8 && memcmp(s, "Infinity", 8) == 0) {
        *out = INFINITY;
        return NUM_OK;
    }
    if (n == 9 && memcmp(s, "-Infinity", 9) == 0) {
        *out = -INFINITY;
        return NUM_OK;
    }
    /* A number in a string: let jansson parse it (locale-independent, correctly rounded). */
    if (n == 0 || n > 64 || !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) ||
        !(s[n - 1] >= '0' && s[n - 1] <= '9'))
        return NUM_TYPE;
    json_error_t e;
    json_t *num = json_loadb(s, n, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &e);
    int rc = num && json_is_number(num) ? NUM_OK : NUM_TYPE;
    if (rc == NUM_OK)
        *out = json_number_value(num);
    json_decref(num);
    return rc;
}

/* ---- ids and bytes -------------------------------------------------------------------------- */

static int set_bytes(ctx *c, ProtobufCBinaryData *dst, size_t n)
{
    dst->len = n;
    dst->data = n ? argus_arena_alloc(c->arena, n) : NULL;
    return n && !dst->data ? out_of_memory(c->err) : 0;
}

/* trace_id / span_id / parent_span_id: hex, or base64 when the length is that of base64 for the
 * expected size. Anything else is stored as one zero byte, which the validator rejects, so only
 * that span / log record is dropped (partial success) rather than the whole request. */
static int decode_id(ctx *c, const json_t *v, size_t want, ProtobufCBinaryData *dst)
{
    if (!json_is_string(v))
        return fail(c, ARGUS_EFORMAT, "expected a hex string, got %s", type_name(v));
    const char *s = json_string_value(v);
    size_t n = json_string_length(v), chars, blen;
    if (n == 0) {
        dst->len = 0;
        dst->data = NULL;
        return 0;
    }
    int hex = argus_hex_decode(s, n, NULL) == 0;
    if ((n == (want + 2) / 3 * 4 || n == (want * 4 + 2) / 3) && !(hex && n == 2 * want) &&
        argus_base64_check(s, n, &chars, &blen) && blen == want) {
        if (set_bytes(c, dst, want))
            return ARGUS_ENOMEM;
        argus_base64_decode(s, chars, dst->data);
        return 0;
    }
    /* hex; of the wrong size too: kept as it is, the validator names the problem */
    if (hex) {
        if (set_bytes(c, dst, n / 2))
            return ARGUS_ENOMEM;
        argus_hex_decode(s, n, dst->data);
        return 0;
    }
    if (set_bytes(c, dst, 1))
        return ARGUS_ENOMEM;
    dst->data[0] = 0;
    return 0;
}

static int decode_base64(ctx *c, const json_t *v, ProtobufCBinaryData *dst)
{
    if (!json_is_string(v))
        return fail(c, ARGUS_EFORMAT, "expected a base64 string, got %s", type_name(v));
    const char *s = json_string_value(v);
    size_t chars, blen;
    if (!argus_base64_check(s, json_string_length(v), &chars, &blen))
        return fail(c, ARGUS_EFORMAT, "invalid base64");
    if (set_bytes(c, dst, blen))
        return ARGUS_ENOMEM;
    if (blen)
        argus_base64_decode(s, chars, dst->data);
    return 0;
}

/* ---- descriptor-driven walk ----------------------------------------------------------------- */

static int is_id_field(const ProtobufCFieldDescriptor *f)
{
    size_t n = strlen(f->name);
    return n >= 3 && strcmp(f->name + n - 3, "_id") == 0;
}

/* lowerCamelCase -> snake_case, then the descriptor's own (binary) search by name. */
static const ProtobufCFieldDescriptor *find_field(const ProtobufCMessageDescriptor *d,
                                                  const char *key)
{
    char name[MAX_FIELD_NAME];
    size_t o = 0;
    for (const char *p = key; *p; p++) {
        if (o + 3 > sizeof name)
            return NULL;
        if (*p >= 'A' && *p <= 'Z') {
            name[o++] = '_';
            name[o++] = (char)(*p - 'A' + 'a');
        } else {
            name[o++] = *p;
        }
    }
    name[o] = '\0';
    return protobuf_c_message_descriptor_get_field_by_name(d, name);
}

static size_t type_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: return sizeof(uint64_t);
    case PROTOBUF_C_TYPE_DOUBLE: return sizeof(double);
    case PROTOBUF_C_TYPE_FLOAT: return sizeof(float);
    case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING: return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE: return sizeof(ProtobufCMessage *);
    default: return sizeof(uint32_t); /* int32, sint32, sfixed32, uint32, fixed32, enum */
    }
}

static int number_error(ctx *c, int rc, const char *what, const json_t *v)
{
    if (rc == NUM_RANGE)
        return fail(c, ARGUS_EFORMAT, "integer out of range for %s", what);
    return fail(c, ARGUS_EFORMAT, "expected an integer, got %s", type_name(v));
}

static int decode_enum(ctx *c, const ProtobufCFieldDescriptor *f, const json_t *v, int32_t *dst)
{
    if (json_is_string(v)) {
        const ProtobufCEnumValue *ev =
            protobuf_c_enum_descriptor_get_value_by_name(f->descriptor, json_string_value(v));
        if (ev && strlen(json_string_value(v)) == json_string_length(v)) {
            *dst = ev->value;
            return 0;
        }
    }
    int64_t i;
    int rc = to_i64(v, &i);
    if (rc == NUM_OK && (i < INT32_MIN || i > INT32_MAX))
        rc = NUM_RANGE;
    if (rc == NUM_OK) {
        *dst = (int32_t)i;
        return 0;
    }
    if (json_is_string(v)) {
        char q[48];
        quote_short(q, sizeof q, json_string_value(v), json_string_length(v));
        return fail(c, ARGUS_EFORMAT, "unknown %s value \"%s\"",
                    ((const ProtobufCEnumDescriptor *)f->descriptor)->short_name, q);
    }
    if (rc == NUM_RANGE)
        return fail(c, ARGUS_EFORMAT, "integer out of range for an enum");
    return fail(c, ARGUS_EFORMAT, "expected an integer or enum name, got %s", type_name(v));
}

/* One non-message value (singular field or array element) into dst. */
static int decode_scalar(ctx *c, const ProtobufCFieldDescriptor *f, const json_t *v, void *dst)
{
    int rc;
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        if (!json_is_string(v))
            return fail(c, ARGUS_EFORMAT, "expected a string, got %s", type_name(v));
        char *s = argus_arena_strndup(c->arena, json_string_value(v), json_string_length(v));
        if (!s)
            return out_of_memory(c->err);
        *(char **)dst = s;
        return 0;
    }
    case PROTOBUF_C_TYPE_BYTES:
        if (is_id_field(f))
            return decode_id(c, v, strcmp(f->name, "trace_id") == 0 ? 16 : 8, dst);
        return decode_base64(c, v, dst);
    case PROTOBUF_C_TYPE_BOOL:
        if (!json_is_boolean(v))
            return fail(c, ARGUS_EFORMAT, "expected true or false, got %s", type_name(v));
        *(protobuf_c_boolean *)dst = json_is_true(v);
        return 0;
    case PROTOBUF_C_TYPE_ENUM: return decode_enum(c, f, v, dst);
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32: {
        int64_t i;
        rc = to_i64(v, &i);
        if (rc == NUM_OK && (i < INT32_MIN || i > INT32_MAX))
            rc = NUM_RANGE;
        if (rc)
            return number_error(c, rc, "int32", v);
        *(int32_t *)dst = (int32_t)i;
        return 0;
    }
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: {
        uint64_t u;
        rc = to_u64(v, &u);
        if (rc == NUM_OK && u > UINT32_MAX)
            rc = NUM_RANGE;
        if (rc)
            return number_error(c, rc, "uint32", v);
        *(uint32_t *)dst = (uint32_t)u;
        return 0;
    }
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        if ((rc = to_i64(v, dst)) != 0)
            return number_error(c, rc, "int64", v);
        return 0;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        if ((rc = to_u64(v, dst)) != 0)
            return number_error(c, rc, "uint64", v);
        return 0;
    case PROTOBUF_C_TYPE_DOUBLE:
    case PROTOBUF_C_TYPE_FLOAT: {
        double d;
        if (to_double(v, &d) != NUM_OK)
            return fail(c, ARGUS_EFORMAT, "expected a number, got %s", type_name(v));
        if (f->type == PROTOBUF_C_TYPE_FLOAT)
            *(float *)dst = (float)d;
        else
            *(double *)dst = d;
        return 0;
    }
    default: return fail(c, ARGUS_EFORMAT, "unsupported field type");
    }
}

static int decode_message(ctx *c, const json_t *obj, const ProtobufCMessageDescriptor *d,
                          ProtobufCMessage **out);

static int decode_element(ctx *c, const ProtobufCFieldDescriptor *f, const json_t *v, void *dst)
{
    if (f->type != PROTOBUF_C_TYPE_MESSAGE)
        return decode_scalar(c, f, v, dst);
    if (!json_is_object(v))
        return fail(c, ARGUS_EFORMAT, "expected an object, got %s", type_name(v));
    return decode_message(c, v, f->descriptor, dst);
}

static int decode_field(ctx *c, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                        const json_t *v)
{
    char *base = (char *)m;
    if (m->descriptor == &opentelemetry__proto__common__v1__any_value__descriptor &&
        f->id == OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE) {
        /* JavaScript exporters send every whole-number double (1e300, 2**70) as intValue; a
         * value that no int64 can hold is kept as the double it is rather than refused. */
        int64_t i;
        double d;
        if (to_i64(v, &i) != NUM_OK && (json_is_number(v) || json_is_string(v)) &&
            to_double(v, &d) == NUM_OK) {
            Opentelemetry__Proto__Common__V1__AnyValue *av = (void *)m;
            av->value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE;
            av->double_value = d;
            return 0;
        }
    }
    if (f->label != PROTOBUF_C_LABEL_REPEATED) {
        int rc = decode_element(c, f, v, base + f->offset);
        if (rc)
            return rc;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
            *(uint32_t *)(base + f->quantifier_offset) = f->id;
        else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset)
            *(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
        return 0;
    }
    if (!json_is_array(v))
        return fail(c, ARGUS_EFORMAT, "expected an array, got %s", type_name(v));
    size_t n = json_array_size(v), size = type_size(f->type);
    char *arr = NULL;
    if (n) {
        if (n > SIZE_MAX / size || !(arr = argus_arena_alloc(c->arena, n * size)))
            return out_of_memory(c->err);
        memset(arr, 0, n * size);
    }
    frame *top = c->nframes <= MAX_FRAMES ? &c->frames[c->nframes - 1] : NULL;
    for (size_t i = 0; i < n; i++) {
        if (top)
            top->index = i;
        int rc = decode_element(c, f, json_array_get(v, i), arr + i * size);
        if (rc)
            return rc;
    }
    *(size_t *)(base + f->quantifier_offset) = n;
    *(void **)(base + f->offset) = arr;
    return 0;
}

static int decode_message(ctx *c, const json_t *obj, const ProtobufCMessageDescriptor *d,
                          ProtobufCMessage **out)
{
    int container = d == &opentelemetry__proto__common__v1__array_value__descriptor ||
                    d == &opentelemetry__proto__common__v1__key_value_list__descriptor;
    if (container && ++c->depth > ARGUS_OTLP_MAX_DEPTH)
        return fail(c, ARGUS_ELIMIT, "AnyValue nesting deeper than %d levels",
                    ARGUS_OTLP_MAX_DEPTH);
    ProtobufCMessage *m = argus_arena_alloc(c->arena, d->sizeof_message);
    if (!m)
        return out_of_memory(c->err);
    d->message_init(m);
    json_t *o = (json_t *)obj;
    for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it)) {
        const char *key = json_object_iter_key(it);
        json_t *v = json_object_iter_value(it);
        if (json_is_null(v))
            continue;
        const ProtobufCFieldDescriptor *f = find_field(d, key);
        if (!f)
            continue;
        if (c->nframes < MAX_FRAMES)
            c->frames[c->nframes] = (frame){key, SIZE_MAX};
        c->nframes++;
        int rc = decode_field(c, m, f, v);
        if (rc)
            return rc;
        c->nframes--;
    }
    if (container)
        c->depth--;
    *out = m;
    return 0;
}

/* ---- pre-pass: integers beyond int64, jansson's memory ----------------------------------- */

/* Lower bounds of what jansson 2.14 allocates per value on a 64-bit system (measured: an empty
 * object 224 bytes, an empty array 138, a string 90 + its length, a number 42). jansson's tree is
 * not in the arena, so its size is checked against the arena's limit before parsing: a payload of
 * empty objects costs jansson ~75 times its size. */
#define COST_OBJECT 200
#define COST_ARRAY 120
#define COST_STRING 80
#define COST_NUMBER 32

typedef struct scan_result {
    size_t big;         /* integer literals wrapped in quotes */
    size_t bad;         /* bytes of invalid UTF-8 in strings, each becoming \uFFFD */
    size_t lone;        /* \uD800-\uDFFF escapes that are no surrogate pair, becoming \uFFFD */
    size_t tree_memory; /* jansson's allocations, at least */
} scan_result;

static int hex4(const char *s, unsigned *v)
{
    *v = 0;
    for (int k = 0; k < 4; k++) {
        int d = argus_hex_value((unsigned char)s[k]);
        if (d < 0)
            return 0;
        *v = *v << 4 | (unsigned)d;
    }
    return 1;
}

/* At s[i] = '\\' followed by 'u': 12 for a valid surrogate pair of escapes, 6 for a lone
 * surrogate escape (\uD800-\uDFFF without its other half), 0 for anything else (a character, or
 * malformed: jansson reports that). */
static size_t surrogate_escape(const char *s, size_t len, size_t i)
{
    unsigned v, w;
    if (len - i < 6 || !hex4(s + i + 2, &v) || v < 0xD800 || v > 0xDFFF)
        return 0;
    if (v < 0xDC00 && len - i >= 12 && s[i + 6] == '\\' && s[i + 7] == 'u' && hex4(s + i + 8, &w) &&
        w >= 0xDC00 && w <= 0xDFFF)
        return 12;
    return 6;
}

/* jansson rejects integer literals that do not fit in json_int_t (int64), but fixed64 times may be
 * up to 2^64-1. Before parsing, such literals in value position are wrapped in quotes, so they
 * arrive as decimal strings, which every integer field accepts (and range-checks). jansson also
 * rejects invalid UTF-8 and lone surrogate escapes in strings, which protobuf payloads may carry
 * and which we render as U+FFFD: they become \uFFFD here, so both formats decode alike. Only
 * measures when out is NULL. */
static scan_result scan(const char *s, size_t len, char *out, size_t *out_len)
{
    unsigned char arrays[SCAN_MAX_DEPTH / 8 + 1]; /* bit d: the container at depth d is [ */
    size_t depth = 0, i = 0, o = 0, copied = 0;
    size_t objects = 0, narrays = 0, strings = 0, numbers = 0;
    scan_result r = {0, 0, 0, 0};
    char prev = 0; /* last significant character outside strings */
    memset(arrays, 0, sizeof arrays);
    while (i < len) {
        char ch = s[i];
        if (ch == '"') {
            for (i++; i < len && s[i] != '"';) {
                unsigned char c = (unsigned char)s[i];
                size_t k = 0, skip = 1;
                if (c == '\\') {
                    k = i + 1 < len && s[i + 1] == 'u' ? surrogate_escape(s, len, i) : 0;
                    if (k != 6) {
                        i += k ? k : 2; /* a pair, or an escape jansson reads (or reports) */
                        continue;
                    }
                    skip = 6;
                    r.lone++;
                } else if (c >= 0x80) {
                    k = argus_utf8_seq(s + i, len - i);
                    if (k) {
                        i += k;
                        continue;
                    }
                    r.bad++; /* one byte of invalid UTF-8 */
                } else {
                    i++;
                    continue;
                }
                if (out) {
                    memcpy(out + o, s + copied, i - copied);
                    o += i - copied;
                    memcpy(out + o, "\\uFFFD", 6);
                    o += 6;
                    copied = i + skip;
                }
                i += skip;
            }
            i++;
            strings++;
            prev = '"';
            continue;
        }
        if (ch == '-' || (ch >= '0' && ch <= '9')) {
            size_t start = i, digits;
            if (ch == '-')
                i++;
            digits = i;
            while (i < len && s[i] >= '0' && s[i] <= '9')
                i++;
            size_t nd = i - digits;
            int plain = nd && s[digits] != '0' &&
                        !(i < len && (s[i] == '.' || s[i] == 'e' || s[i] == 'E' || s[i] == '+' ||
                                      s[i] == '-'));
            int in_value = prev == ':' || prev == '[' ||
                           (prev == ',' && depth > 0 && depth <= SCAN_MAX_DEPTH &&
                            (arrays[depth / 8] >> (depth % 8) & 1));
            const char *max = ch == '-' ? "9223372036854775808" : "9223372036854775807";
            if (plain && in_value && nd >= 19 && (nd > 19 || memcmp(s + digits, max, 19) > 0)) {
                if (out) {
                    memcpy(out + o, s + copied, start - copied);
                    o += start - copied;
                    out[o++] = '"';
                    memcpy(out + o, s + start, i - start);
                    o += i - start;
                    out[o++] = '"';
                    copied = i;
                }
                r.big++;
            }
            while (i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == 'e' ||
                               s[i] == 'E' || s[i] == '+' || s[i] == '-'))
                i++;
            numbers++;
            prev = '0';
            continue;
        }
        switch (ch) {
        case '{':
        case '[':
            depth++;
            if (depth <= SCAN_MAX_DEPTH) {
                if (ch == '[')
                    arrays[depth / 8] |= (unsigned char)(1u << (depth % 8));
                else
                    arrays[depth / 8] &= (unsigned char)~(1u << (depth % 8));
            }
            if (ch == '{')
                objects++;
            else
                narrays++;
            prev = ch;
            break;
        case '}':
        case ']':
            if (depth)
                depth--;
            prev = ch;
            break;
        case ' ':
        case '\t':
        case '\r':
        case '\n': break;
        default: prev = ch;
        }
        i++;
    }
    if (out) {
        memcpy(out + o, s + copied, len - copied);
        *out_len = o + len - copied;
    }
    /* Each count is below len, so no product overflows a 64-bit size_t for any real payload. */
    r.tree_memory = objects * COST_OBJECT + narrays * COST_ARRAY + strings * COST_STRING +
                    numbers * COST_NUMBER;
    return r;
}

/* ---- entry points --------------------------------------------------------------------------- */

static int decode(const char *json, size_t len, argus_arena *a, const ProtobufCMessageDescriptor *d,
                  void **out, argus_error *err)
{
    if (out)
        *out = NULL;
    if (!a || !out || (!json && len))
        return argus_error_set(err, ARGUS_EINVAL, "otlp: json: invalid argument");

    scan_result pre = scan(json, len, NULL, NULL);
    if (a->limit && pre.tree_memory > a->limit)
        return out_of_memory(err);
    char *copy = NULL;
    size_t copy_len = 0;
    if (pre.big || pre.bad || pre.lone) {
        /* +2 per wrapped literal, +5 per invalid byte; a lone escape keeps its length */
        if (pre.big > (SIZE_MAX - len) / 8 || pre.bad > (SIZE_MAX - len) / 8 ||
            !(copy = malloc(len + 2 * pre.big + 5 * pre.bad)))
            return out_of_memory(err);
        scan(json, len, copy, &copy_len);
    }
    json_error_t je;
    json_t *root = json_loadb(copy ? copy : json, copy ? copy_len : len,
                              JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    free(copy);
    if (!root) {
        if (json_error_code(&je) == json_error_out_of_memory)
            return out_of_memory(err);
        return argus_error_set(
            err, json_error_code(&je) == json_error_stack_overflow ? ARGUS_ELIMIT : ARGUS_EFORMAT,
            "otlp: json: invalid JSON at line %d, column %d: %s", je.line, je.column, je.text);
    }
    int rc;
    if (!json_is_object(root)) {
        rc = argus_error_set(err, ARGUS_EFORMAT,
                             "otlp: json: the payload must be a JSON object, not %s",
                             type_name(root));
    } else {
        ctx c;
        c.arena = a;
        c.err = err;
        c.depth = 0;
        c.nframes = 0;
        ProtobufCMessage *m = NULL;
        rc = decode_message(&c, root, d, &m);
        if (rc == 0)
            *out = m;
    }
    json_decref(root);
    return rc;
}

int argus_otlp_json_decode(const char *json, size_t len, argus_arena *a,
                           const ProtobufCMessageDescriptor *d, void **out, argus_error *err)
{
    return decode(json, len, a, d, out, err);
}

int argus_otlp_json_decode_traces(const char *json, size_t len, argus_arena *a,
                                  argus_pb_traces **out, argus_error *err)
{
    return decode(json, len, a, &opentelemetry__proto__trace__v1__traces_data__descriptor,
                  (void **)out, err);
}

int argus_otlp_json_decode_logs(const char *json, size_t len, argus_arena *a, argus_pb_logs **out,
                                argus_error *err)
{
    return decode(json, len, a, &opentelemetry__proto__logs__v1__logs_data__descriptor,
                  (void **)out, err);
}
