/* The traffic argus-loadgen sends: a small web shop (frontend, accounts, checkout, payments,
 * inventory, shipping) whose requests become nested traces (HTTP server/client, SQL, Redis,
 * Kafka, third-party APIs, some failing with exception events) and the logs those services would
 * write for them, serialized with protobuf-c. Used by argus_loadgen.c through workload.h:
 *   argus_workload_build(&w, &rng, spans, logs, now_ns);  argus_payload_render(&w.traces, ...); */
#include "workload.h"

#include "argus_arena.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb-c.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef Opentelemetry__Proto__Common__V1__AnyValue anyvalue;
typedef Opentelemetry__Proto__Common__V1__KeyValue keyvalue;
typedef Opentelemetry__Proto__Common__V1__ArrayValue arrayvalue;
typedef Opentelemetry__Proto__Common__V1__KeyValueList kvlist;
typedef Opentelemetry__Proto__Common__V1__InstrumentationScope scope_t;
typedef Opentelemetry__Proto__Resource__V1__Resource resource_t;
typedef Opentelemetry__Proto__Trace__V1__Span span_t;
typedef Opentelemetry__Proto__Trace__V1__Span__Event event_t;
typedef Opentelemetry__Proto__Trace__V1__Span__Link link_t;
typedef Opentelemetry__Proto__Trace__V1__Status status_t;
typedef Opentelemetry__Proto__Trace__V1__ScopeSpans scope_spans_t;
typedef Opentelemetry__Proto__Trace__V1__ResourceSpans resource_spans_t;
typedef Opentelemetry__Proto__Logs__V1__LogRecord log_t;
typedef Opentelemetry__Proto__Logs__V1__ScopeLogs scope_logs_t;
typedef Opentelemetry__Proto__Logs__V1__ResourceLogs resource_logs_t;
typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest trace_req_t;
typedef Opentelemetry__Proto__Collector__Logs__V1__ExportLogsServiceRequest logs_req_t;

#define MS 1000000ULL /* nanoseconds */
#define US 1000ULL

/* ---- random numbers ------------------------------------------------------------------------ */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void argus_rng_seed(argus_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t argus_rng_next(argus_rng *r)
{
    uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

uint32_t argus_rng_below(argus_rng *r, uint32_t n)
{
    return (uint32_t)(((argus_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

void argus_id_salt_random(argus_id_salt *salt, argus_rng *rng)
{
    uint64_t a = argus_rng_next(rng), b = argus_rng_next(rng), c = argus_rng_next(rng);
    memcpy(salt->trace, &a, 8);
    memcpy(salt->trace + 8, &b, 8);
    memcpy(salt->span, &c, 8);
}

/* ---- the shop: services, endpoints and what each endpoint does ----------------------------- */

enum { FRONTEND, ACCOUNTS, CHECKOUT, PAYMENTS, INVENTORY, SHIPPING, NSERVICES };
enum { SC_HTTP, SC_DB, SC_APP, NSCOPES }; /* instrumentation scopes per service */

typedef struct service {
    const char *name, *version, *language, *sdk_version, *runtime, *runtime_version;
    const char *scope[NSCOPES], *scope_version, *logger;
    const char *db_system, *db_host;
    int db_port;
    const char *exception_type, *frame_fmt; /* frame_fmt: function, line */
    const char *sev_text[4];                /* DEBUG, INFO, WARN, ERROR as this SDK says */
    const char *user_agent;                 /* its HTTP client's user agent */
    const char *command;                    /* process.command_args[0] */
} service;

static const service SERVICES[NSERVICES] = {
    {"frontend",
     "2.14.0",
     "nodejs",
     "1.25.1",
     "nodejs",
     "20.11.1",
     {"@opentelemetry/instrumentation-http", "@opentelemetry/instrumentation-ioredis", "frontend"},
     "0.52.1",
     "frontend.server",
     "redis",
     "redis-master.shop.svc.cluster.local",
     6379,
     "Error",
     "    at %s (/app/dist/server/routes.js:%d:17)",
     {"debug", "info", "warn", "error"},
     "node-fetch/1.0",
     "/usr/local/bin/node"},
    {"accounts",
     "1.3.7",
     "ruby",
     "1.4.0",
     "ruby",
     "3.3.0",
     {"OpenTelemetry::Instrumentation::Rack", "OpenTelemetry::Instrumentation::PG", "accounts"},
     "0.24.0",
     "Accounts::SessionsController",
     "postgresql",
     "pg-accounts.shop.svc.cluster.local",
     5432,
     "ActiveRecord::StatementInvalid",
     "/app/app/controllers/sessions_controller.rb:%2$d:in `%1$s'",
     {"DEBUG", "INFO", "WARN", "ERROR"},
     "Faraday v2.9.0",
     "/usr/local/bin/puma"},
    {"checkout",
     "1.9.3",
     "go",
     "1.28.0",
     "go",
     "go1.22.1",
     {"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp", "github.com/XSAM/otelsql",
      "github.com/shop/checkout"},
     "0.53.0",
     "github.com/shop/checkout/handlers",
     "postgresql",
     "pg-primary.shop.svc.cluster.local",
     5432,
     "*pq.Error",
     "github.com/shop/checkout/handlers.%s\n\t/src/handlers/orders.go:%d",
     {"DEBUG", "INFO", "WARN", "ERROR"},
     "Go-http-client/1.1",
     "/app/checkout"},
    {"payments",
     "3.2.1",
     "java",
     "1.38.0",
     "OpenJDK Runtime Environment",
     "21.0.2+13-LTS",
     {"io.opentelemetry.spring-webmvc-6.0", "io.opentelemetry.jdbc", "com.shop.payments"},
     "2.4.0-alpha",
     "com.shop.payments.ChargeController",
     "mysql",
     "mysql-payments.shop.svc.cluster.local",
     3306,
     "java.sql.SQLTransientConnectionException",
     "\tat com.shop.payments.ChargeController.%s(ChargeController.java:%d)",
     {"DEBUG", "INFO", "WARN", "ERROR"},
     "Java-http-client/21.0.2",
     "/opt/java/bin/java"},
    {"inventory",
     "0.31.0",
     "python",
     "1.24.0",
     "cpython",
     "3.12.2",
     {"opentelemetry.instrumentation.flask", "opentelemetry.instrumentation.psycopg2", "inventory"},
     "0.45b0",
     "inventory.api",
     "postgresql",
     "pg-inventory.shop.svc.cluster.local",
     5432,
     "psycopg2.errors.QueryCanceled",
     "  File \"/app/inventory/api.py\", line %2$d, in %1$s",
     {"DEBUG", "INFO", "WARNING", "ERROR"},
     "python-requests/2.31.0",
     "/usr/local/bin/gunicorn"},
    {"shipping",
     "1.2.0",
     "dotnet",
     "1.8.1",
     ".NET",
     "8.0.3",
     {"OpenTelemetry.Instrumentation.AspNetCore", "OpenTelemetry.Instrumentation.SqlClient",
      "Shop.Shipping"},
     "1.8.1",
     "Shop.Shipping.ShipmentService",
     "mssql",
     "sql-shipping.shop.svc.cluster.local",
     1433,
     "Microsoft.Data.SqlClient.SqlException",
     "   at Shop.Shipping.ShipmentService.%s() in /src/ShipmentService.cs:line %d",
     {"Debug", "Information", "Warning", "Error"},
     "System.Net.Http/8.0",
     "/app/Shop.Shipping"},
};

enum { ST_DB, ST_CACHE, ST_CALL, ST_INTERNAL, ST_PUBLISH, ST_EXTERNAL, ST_END };

/* One thing an endpoint does. ST_DB: a = operation, b = table, c = statement. ST_CACHE: a =
 * command, b = key format. ST_CALL/ST_PUBLISH: target = endpoint. ST_INTERNAL: a = name, b =
 * code function. ST_EXTERNAL: a = method, b = URL, c = what it is ("payment", "label"). */
typedef struct step {
    int kind;
    int target;
    const char *a, *b, *c;
} step;

enum {
    EP_PRODUCTS,
    EP_PRODUCT,
    EP_CART_ADD,
    EP_CHECKOUT,
    EP_ORDER, /* frontend entry points */
    EP_SESSION,
    EP_INV_LIST,
    EP_INV_GET,
    EP_INV_RESERVE,
    EP_CART_ITEMS,
    EP_PLACE_ORDER,
    EP_GET_ORDER,
    EP_CHARGE,
    EP_SHIP_STATUS,
    EP_SHIP_CONSUME,
    NENDPOINTS
};

typedef struct endpoint {
    int service;
    const char *method, *route, *handler; /* method NULL: a Kafka consumer */
    step steps[9];
} endpoint;

static const endpoint ENDPOINTS[NENDPOINTS] = {
    [EP_PRODUCTS] = {FRONTEND,
                     "GET",
                     "/api/products",
                     "listProducts",
                     {{ST_CALL, EP_SESSION},
                      {ST_CACHE, 0, "GET", "products:page:%u"},
                      {ST_CALL, EP_INV_LIST},
                      {ST_INTERNAL, 0, "render product list", "renderProductList"},
                      {ST_END}}},
    [EP_PRODUCT] = {FRONTEND,
                    "GET",
                    "/api/products/{id}",
                    "getProduct",
                    {{ST_CACHE, 0, "GET", "product:%u"},
                     {ST_CALL, EP_INV_GET},
                     {ST_INTERNAL, 0, "render product page", "renderProduct"},
                     {ST_END}}},
    [EP_CART_ADD] = {FRONTEND,
                     "POST",
                     "/api/cart/items",
                     "addToCart",
                     {{ST_CALL, EP_SESSION}, {ST_CALL, EP_CART_ITEMS}, {ST_END}}},
    [EP_CHECKOUT] = {FRONTEND,
                     "POST",
                     "/api/checkout",
                     "checkout",
                     {{ST_CALL, EP_SESSION}, {ST_CALL, EP_PLACE_ORDER}, {ST_END}}},
    [EP_ORDER] = {FRONTEND,
                  "GET",
                  "/api/orders/{id}",
                  "getOrder",
                  {{ST_CALL, EP_SESSION}, {ST_CALL, EP_GET_ORDER}, {ST_END}}},
    [EP_SESSION] = {ACCOUNTS,
                    "GET",
                    "/sessions/{token}",
                    "show",
                    {{ST_CACHE, 0, "GET", "session:%08x"},
                     {ST_DB, 0, "SELECT", "users",
                      "SELECT users.id, users.email, users.tier FROM users INNER JOIN sessions "
                      "ON sessions.user_id = users.id WHERE sessions.token = $1 LIMIT $2"},
                     {ST_END}}},
    [EP_INV_LIST] = {INVENTORY,
                     "GET",
                     "/products",
                     "list_products",
                     {{ST_DB, 0, "SELECT", "products",
                       "SELECT id, sku, name, price_cents, currency FROM products WHERE "
                       "category_id = %s ORDER BY popularity DESC LIMIT %s OFFSET %s"},
                      {ST_DB, 0, "SELECT", "stock_levels",
                       "SELECT sku, available, reserved FROM stock_levels WHERE sku = ANY(%s)"},
                      {ST_END}}},
    [EP_INV_GET] = {INVENTORY,
                    "GET",
                    "/products/{sku}",
                    "get_product",
                    {{ST_DB, 0, "SELECT", "products",
                      "SELECT id, sku, name, description, price_cents, currency FROM products "
                      "WHERE sku = %s"},
                     {ST_DB, 0, "SELECT", "stock_levels",
                      "SELECT available, reserved, warehouse_id FROM stock_levels WHERE sku = %s"},
                     {ST_END}}},
    [EP_INV_RESERVE] = {INVENTORY,
                        "POST",
                        "/reservations",
                        "reserve",
                        {{ST_DB, 0, "UPDATE", "stock_levels",
                          "UPDATE stock_levels SET reserved = reserved + %s WHERE sku = %s AND "
                          "available - reserved >= %s"},
                         {ST_DB, 0, "INSERT", "reservations",
                          "INSERT INTO reservations (order_id, sku, quantity, expires_at) VALUES "
                          "(%s, %s, %s, now() + interval '15 minutes')"},
                         {ST_END}}},
    [EP_CART_ITEMS] = {CHECKOUT,
                       "POST",
                       "/carts/{userId}/items",
                       "AddItem",
                       {{ST_CALL, EP_INV_GET},
                        {ST_CACHE, 0, "HSET", "cart:%u"},
                        {ST_INTERNAL, 0, "compute cart totals", "cartTotals"},
                        {ST_END}}},
    [EP_PLACE_ORDER] = {CHECKOUT,
                        "POST",
                        "/orders",
                        "PlaceOrder",
                        {{ST_CACHE, 0, "HGETALL", "cart:%u"},
                         {ST_INTERNAL, 0, "validate cart", "validateCart"},
                         {ST_CALL, EP_INV_RESERVE},
                         {ST_CALL, EP_CHARGE},
                         {ST_DB, 0, "INSERT", "orders",
                          "INSERT INTO orders (id, user_id, total_cents, currency, status) "
                          "VALUES ($1, $2, $3, $4, 'placed')"},
                         {ST_DB, 0, "INSERT", "order_items",
                          "INSERT INTO order_items (order_id, sku, quantity, price_cents) VALUES "
                          "($1, $2, $3, $4), ($5, $6, $7, $8)"},
                         {ST_PUBLISH, EP_SHIP_CONSUME, "orders"},
                         {ST_CACHE, 0, "DEL", "cart:%u"},
                         {ST_END}}},
    [EP_GET_ORDER] = {CHECKOUT,
                      "GET",
                      "/orders/{id}",
                      "GetOrder",
                      {{ST_DB, 0, "SELECT", "orders",
                        "SELECT o.id, o.status, o.total_cents, i.sku, i.quantity FROM orders o "
                        "JOIN order_items i ON i.order_id = o.id WHERE o.id = $1 AND "
                        "o.user_id = $2"},
                       {ST_CALL, EP_SHIP_STATUS},
                       {ST_END}}},
    [EP_CHARGE] = {PAYMENTS,
                   "POST",
                   "/charges",
                   "createCharge",
                   {{ST_INTERNAL, 0, "fraud check", "evaluateRisk"},
                    {ST_DB, 0, "SELECT", "payment_methods",
                     "SELECT id, provider_token, brand, last4 FROM payment_methods WHERE "
                     "user_id = ? AND is_default = 1"},
                    {ST_EXTERNAL, 0, "POST", "https://api.stripe.com/v1/payment_intents",
                     "payment"},
                    {ST_DB, 0, "INSERT", "charges",
                     "INSERT INTO charges (order_id, amount_cents, currency, provider_ref, status) "
                     "VALUES (?, ?, ?, ?, ?)"},
                    {ST_END}}},
    [EP_SHIP_STATUS] = {SHIPPING,
                        "GET",
                        "/shipments/{orderId}",
                        "GetStatus",
                        {{ST_DB, 0, "SELECT", "shipments",
                          "SELECT TOP (1) id, carrier, tracking_number, status FROM shipments "
                          "WHERE order_id = @orderId"},
                         {ST_END}}},
    [EP_SHIP_CONSUME] = {SHIPPING,
                         NULL,
                         "orders",
                         "HandleOrderPlaced",
                         {{ST_DB, 0, "INSERT", "shipments",
                           "INSERT INTO shipments (order_id, carrier, status) VALUES (@orderId, "
                           "@carrier, 'pending')"},
                          {ST_EXTERNAL, 0, "POST", "https://api.carrier.example/v2/labels",
                           "label"},
                          {ST_END}}},
};

/* Entry points and their share of traffic (percent). */
static const struct {
    int endpoint, weight;
} ROOTS[] = {
    {EP_PRODUCTS, 35}, {EP_PRODUCT, 30}, {EP_CART_ADD, 15}, {EP_CHECKOUT, 10}, {EP_ORDER, 10}};

static const char *BROWSER_AGENTS[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/123.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0",
};

static const char *DB_ERRORS[] = {
    "canceling statement due to statement timeout",
    "deadlock detected",
    "could not obtain a connection from the pool within 5000 ms",
    "duplicate key value violates unique constraint",
};

/* ---- building protobuf-c messages in an arena ---------------------------------------------- */

#define MAXATTRS 28

typedef struct span_list {
    span_t **v;
    size_t n, cap;
} span_list;

typedef struct log_list {
    log_t **v;
    size_t n, cap;
} log_list;

typedef struct gen {
    argus_arena *a;
    argus_rng *rng;
    uint64_t base_ns;
    size_t span_quota, log_quota, nspans, nlogs;
    span_list spans[NSERVICES][NSCOPES];
    log_list logs[NSERVICES];
    resource_t *resource[NSERVICES];
    /* the trace being generated */
    uint8_t *trace_id; /* arena-owned: spans and logs point at it */
    const char *user_agent;
    unsigned user_id;
    char *client_ip;
} gen;

/* Out of memory while building the workload is fatal for a load generator: say so and stop. */
static void *alloc(gen *g, size_t n)
{
    void *p = argus_arena_alloc(g->a, n ? n : 1);
    if (!p) {
        fprintf(stderr, "argus-loadgen: out of memory building the workload\n");
        exit(2);
    }
    memset(p, 0, n);
    return p;
}

static char *fmt(gen *g, const char *f, ...) __attribute__((format(printf, 2, 3)));
static char *fmt(gen *g, const char *f, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(tmp, sizeof tmp, f, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof tmp)
        n = sizeof tmp - 1;
    char *s = alloc(g, (size_t)n + 1);
    memcpy(s, tmp, (size_t)n + 1);
    return s;
}

static uint32_t below(gen *g, uint32_t n)
{
    return argus_rng_below(g->rng, n);
}

static int chance(gen *g, uint32_t per_mille)
{
    return below(g, 1000) < per_mille;
}

/* A duration in [lo, hi) ns, skewed towards lo like real latency distributions. */
static uint64_t dur(gen *g, uint64_t lo, uint64_t hi)
{
    double u = (double)below(g, 1u << 20) / (double)(1u << 20);
    return lo + (uint64_t)((double)(hi - lo) * u * u * u);
}

static void random_bytes(gen *g, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)below(g, 256);
    p[0] |= 1; /* never all-zero */
}

static anyvalue *v_new(gen *g, int which)
{
    anyvalue *v = alloc(g, sizeof *v);
    opentelemetry__proto__common__v1__any_value__init(v);
    v->value_case = which;
    return v;
}

static anyvalue *v_str(gen *g, const char *s)
{
    anyvalue *v = v_new(g, OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE);
    v->string_value = (char *)s;
    return v;
}

static anyvalue *v_int(gen *g, int64_t i)
{
    anyvalue *v = v_new(g, OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE);
    v->int_value = i;
    return v;
}

static anyvalue *v_bool(gen *g, int b)
{
    anyvalue *v = v_new(g, OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE);
    v->bool_value = b != 0;
    return v;
}

static anyvalue *v_dbl(gen *g, double d)
{
    anyvalue *v = v_new(g, OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE);
    v->double_value = d;
    return v;
}

static anyvalue *v_bytes(gen *g, size_t n)
{
    anyvalue *v = v_new(g, OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BYTES_VALUE);
    uint8_t *p = alloc(g, n);
    random_bytes(g, p, n);
    v->bytes_value = (ProtobufCBinaryData){n, p};
    return v;
}

static anyvalue *v_array(gen *g, size_t n, anyvalue **items)
{
    anyvalue *v = v_new(g, OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE);
    arrayvalue *a = alloc(g, sizeof *a);
    opentelemetry__proto__common__v1__array_value__init(a);
    a->values = alloc(g, n * sizeof *items);
    memcpy(a->values, items, n * sizeof *items);
    a->n_values = n;
    v->array_value = a;
    return v;
}

static anyvalue *v_strs(gen *g, size_t n, const char *const *s)
{
    anyvalue *items[8];
    for (size_t i = 0; i < n && i < 8; i++)
        items[i] = v_str(g, s[i]);
    return v_array(g, n < 8 ? n : 8, items);
}

/* An attribute list under construction: points at a message's (attributes, n_attributes). */
typedef struct attrs {
    keyvalue ***kv;
    size_t *n;
} attrs;

static void add(gen *g, attrs at, const char *key, anyvalue *v)
{
    if (!*at.kv)
        *at.kv = alloc(g, MAXATTRS * sizeof **at.kv);
    if (*at.n >= MAXATTRS)
        return;
    keyvalue *kv = alloc(g, sizeof *kv);
    opentelemetry__proto__common__v1__key_value__init(kv);
    kv->key = (char *)key;
    kv->value = v;
    (*at.kv)[(*at.n)++] = kv;
}

/* Starts a kvlist value in *out and returns the handle to fill it. */
static attrs kvlist_new(gen *g, anyvalue **out)
{
    anyvalue *v = v_new(g, OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_KVLIST_VALUE);
    kvlist *l = alloc(g, sizeof *l);
    opentelemetry__proto__common__v1__key_value_list__init(l);
    v->kvlist_value = l;
    *out = v;
    return (attrs){&l->values, &l->n_values};
}

#define SPAN_ATTRS(s) ((attrs){&(s)->attributes, &(s)->n_attributes})

/* ---- resources ----------------------------------------------------------------------------- */

static resource_t *make_resource(gen *g, int svc, int replica)
{
    const service *sv = &SERVICES[svc];
    resource_t *r = alloc(g, sizeof *r);
    opentelemetry__proto__resource__v1__resource__init(r);
    attrs at = {&r->attributes, &r->n_attributes};
    /* replicas are stable: the same (service, replica) always gets the same pod, host and ids */
    uint64_t h = 0x5eed0000ULL + (uint64_t)svc * 16 + (uint64_t)replica;
    uint64_t a = splitmix64(&h), b = splitmix64(&h), c = splitmix64(&h);
    static const char *const pod_chars = "bcdfghjklmnpqrstvwxz2456789";
    char pod[6];
    for (int i = 0; i < 5; i++)
        pod[i] = pod_chars[(a >> (i * 6)) % 27];
    pod[5] = 0;
    add(g, at, "service.name", v_str(g, sv->name));
    add(g, at, "service.version", v_str(g, sv->version));
    add(g, at, "service.namespace", v_str(g, "shop"));
    add(g, at, "service.instance.id",
        v_str(g, fmt(g, "%08x-%04x-4%03x-a%03x-%012llx", (unsigned)(b >> 32),
                     (unsigned)(b >> 16) & 0xffff, (unsigned)b & 0xfff, (unsigned)(c >> 52),
                     (unsigned long long)(c & 0xffffffffffffULL))));
    add(g, at, "deployment.environment.name", v_str(g, "production"));
    add(g, at, "telemetry.sdk.name", v_str(g, "opentelemetry"));
    add(g, at, "telemetry.sdk.language", v_str(g, sv->language));
    add(g, at, "telemetry.sdk.version", v_str(g, sv->sdk_version));
    add(g, at, "process.runtime.name", v_str(g, sv->runtime));
    add(g, at, "process.runtime.version", v_str(g, sv->runtime_version));
    add(g, at, "process.pid", v_int(g, 1 + (int64_t)(a % 64)));
    const char *args[] = {sv->command, "--port", "8080"};
    add(g, at, "process.command_args", v_strs(g, 3, args));
    add(g, at, "host.name",
        v_str(g, fmt(g, "ip-10-0-%u-%u.eu-west-1.compute.internal", (unsigned)(b % 8),
                     (unsigned)(c % 250) + 2)));
    add(g, at, "host.arch", v_str(g, "amd64"));
    add(g, at, "os.type", v_str(g, "linux"));
    add(g, at, "cloud.provider", v_str(g, "aws"));
    add(g, at, "cloud.platform", v_str(g, "aws_eks"));
    add(g, at, "cloud.region", v_str(g, "eu-west-1"));
    add(g, at, "cloud.availability_zone", v_str(g, fmt(g, "eu-west-1%c", 'a' + replica % 3)));
    add(g, at, "k8s.cluster.name", v_str(g, "shop-prod-euw1"));
    add(g, at, "k8s.namespace.name", v_str(g, "shop"));
    add(g, at, "k8s.deployment.name", v_str(g, sv->name));
    add(g, at, "k8s.pod.name",
        v_str(g, fmt(g, "%s-%08llx-%s", sv->name, (unsigned long long)(c >> 32) & 0xfffffff, pod)));
    add(g, at, "k8s.node.name",
        v_str(g, fmt(g, "ip-10-0-%u-%u.eu-west-1.compute.internal", (unsigned)(b % 8),
                     (unsigned)(c % 250) + 2)));
    add(g, at, "container.id",
        v_str(g, fmt(g, "%016llx%016llx%016llx%016llx", (unsigned long long)a,
                     (unsigned long long)b, (unsigned long long)c, (unsigned long long)(a ^ c))));
    return r;
}

/* ---- spans --------------------------------------------------------------------------------- */

typedef struct ctx {
    span_t *span; /* the span (always built, even when beyond the quota) */
    int svc;
} ctx;

static void list_push(gen *g, void ***v, size_t *n, size_t *cap, void *item)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        void **nv = alloc(g, nc * sizeof *nv);
        if (*n)
            memcpy(nv, *v, *n * sizeof *nv);
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = item;
}

static span_t *span_begin(gen *g, int svc, int scope, const span_t *parent, const char *name,
                          int kind, uint64_t start)
{
    span_t *s = alloc(g, sizeof *s);
    opentelemetry__proto__trace__v1__span__init(s);
    s->trace_id = (ProtobufCBinaryData){16, g->trace_id};
    uint8_t *sid = alloc(g, 8);
    random_bytes(g, sid, 8);
    s->span_id = (ProtobufCBinaryData){8, sid};
    if (parent)
        s->parent_span_id = parent->span_id;
    /* W3C sampled, plus "parent is remote" known for every span; remote for server/consumer
     * spans whose parent is in another process */
    int remote = parent && (kind == 2 || kind == 5);
    s->flags = 0x101 | (remote ? 0x200 : 0);
    if (remote && chance(g, 100))
        s->trace_state = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE";
    s->name = (char *)name;
    s->kind = kind;
    s->start_time_unix_nano = start;
    s->end_time_unix_nano = start;
    if (g->nspans < g->span_quota) {
        span_list *l = &g->spans[svc][scope];
        list_push(g, (void ***)&l->v, &l->n, &l->cap, s);
        g->nspans++;
    }
    return s;
}

static void span_error(gen *g, span_t *s, const char *message)
{
    status_t *st = alloc(g, sizeof *st);
    opentelemetry__proto__trace__v1__status__init(st);
    st->code = OPENTELEMETRY__PROTO__TRACE__V1__STATUS__STATUS_CODE__STATUS_CODE_ERROR;
    st->message = (char *)message;
    s->status = st;
}

static char *stacktrace(gen *g, int svc, const char *type, const char *message)
{
    const service *sv = &SERVICES[svc];
    char frames[768];
    size_t n = 0;
    static const char *fns[] = {"handle", "execute", "process", "call", "run"};
    for (int i = 0; i < 4 && n < sizeof frames - 128; i++) {
        int w = snprintf(frames + n, sizeof frames - n, "\n");
        n += (size_t)w;
        w = snprintf(frames + n, sizeof frames - n, sv->frame_fmt, fns[i], 40 + (int)below(g, 400));
        if (w > 0)
            n += (size_t)w;
    }
    frames[n < sizeof frames ? n : sizeof frames - 1] = 0;
    return fmt(g, "%s: %s%s", type, message, frames);
}

static void exception_event(gen *g, span_t *s, int svc, const char *type, const char *message,
                            uint64_t when)
{
    event_t *e = alloc(g, sizeof *e);
    opentelemetry__proto__trace__v1__span__event__init(e);
    e->time_unix_nano = when;
    e->name = "exception";
    attrs at = {&e->attributes, &e->n_attributes};
    add(g, at, "exception.type", v_str(g, type));
    add(g, at, "exception.message", v_str(g, message));
    add(g, at, "exception.stacktrace", v_str(g, stacktrace(g, svc, type, message)));
    add(g, at, "exception.escaped", v_bool(g, 0));
    s->events = alloc(g, sizeof *s->events);
    s->events[0] = e;
    s->n_events = 1;
}

/* ---- logs ---------------------------------------------------------------------------------- */

enum { SEV_DEBUG, SEV_INFO, SEV_WARN, SEV_ERROR };
static const int SEV_NUMBER[] = {5, 9, 13, 17};

/* A log record of service svc at time t, correlated with span s when s is not NULL. NULL once
 * the log quota is met (callers then skip the details). */
static log_t *log_new(gen *g, int svc, const span_t *s, int sev, uint64_t t)
{
    if (g->nlogs >= g->log_quota)
        return NULL;
    log_t *l = alloc(g, sizeof *l);
    opentelemetry__proto__logs__v1__log_record__init(l);
    l->time_unix_nano = t;
    l->observed_time_unix_nano = t + 200 * US + below(g, 3000) * US;
    l->severity_number = SEV_NUMBER[sev];
    l->severity_text = (char *)SERVICES[svc].sev_text[sev];
    if (s) {
        l->trace_id = s->trace_id;
        l->span_id = s->span_id;
        l->flags = 1;
    }
    log_list *ll = &g->logs[svc];
    list_push(g, (void ***)&ll->v, &ll->n, &ll->cap, l);
    g->nlogs++;
    return l;
}

#define LOG_ATTRS(l) ((attrs){&(l)->attributes, &(l)->n_attributes})

static void log_exception(gen *g, log_t *l, int svc, const char *type, const char *message)
{
    add(g, LOG_ATTRS(l), "exception.type", v_str(g, type));
    add(g, LOG_ATTRS(l), "exception.message", v_str(g, message));
    add(g, LOG_ATTRS(l), "exception.stacktrace", v_str(g, stacktrace(g, svc, type, message)));
}

static void add_code_attrs(gen *g, log_t *l, int svc, const char *function)
{
    add(g, LOG_ATTRS(l), "code.namespace", v_str(g, SERVICES[svc].logger));
    add(g, LOG_ATTRS(l), "code.function", v_str(g, function));
    add(g, LOG_ATTRS(l), "code.lineno", v_int(g, 20 + below(g, 600)));
    add(g, LOG_ATTRS(l), "thread.name",
        v_str(g, fmt(g, svc == PAYMENTS ? "http-nio-8080-exec-%u" : "worker-%u", below(g, 16))));
}

/* Logs with no trace context: what services print between requests. */
static void background_log(gen *g)
{
    int svc = (int)below(g, NSERVICES);
    uint64_t t = g->base_ns - 5000 * MS + below(g, 4000) * MS;
    log_t *l;
    switch (below(g, 4)) {
    case 0:
        if (!(l = log_new(g, svc, NULL, SEV_DEBUG, t)))
            return;
        {
            double pause = 0.3 + below(g, 4000) / 100.0;
            l->body = v_str(g, fmt(g, "GC pause %.2f ms (%s), heap %u MiB -> %u MiB", pause,
                                   pause > 20 ? "full" : "young", 180 + below(g, 200),
                                   120 + below(g, 50)));
            add(g, LOG_ATTRS(l), "gc.type", v_str(g, pause > 20 ? "full" : "young"));
            add(g, LOG_ATTRS(l), "gc.pause_ms", v_dbl(g, pause));
            add(g, LOG_ATTRS(l), "process.memory.heap_used_bytes",
                v_int(g, (int64_t)(120 + below(g, 200)) << 20));
        }
        break;
    case 1:
        if (!(l = log_new(g, svc, NULL, SEV_INFO, t)))
            return;
        {
            unsigned active = below(g, 20), idle = below(g, 10), waiting = below(g, 3);
            l->body = v_str(g, fmt(g, "connection pool stats: active=%u idle=%u waiting=%u", active,
                                   idle, waiting));
            add(g, LOG_ATTRS(l), "pool.name", v_str(g, fmt(g, "%s-db", SERVICES[svc].name)));
            add(g, LOG_ATTRS(l), "pool.active", v_int(g, active));
            add(g, LOG_ATTRS(l), "pool.idle", v_int(g, idle));
            add(g, LOG_ATTRS(l), "pool.waiting", v_int(g, waiting));
            add(g, LOG_ATTRS(l), "pool.utilization", v_dbl(g, active / 30.0));
        }
        break;
    case 2:
        if (!(l = log_new(g, svc, NULL, SEV_INFO, t)))
            return;
        {
            l->body = v_str(g, "feature flags reloaded");
            l->event_name = "config.reloaded";
            anyvalue *flags;
            attrs fa = kvlist_new(g, &flags);
            add(g, fa, "new_checkout_flow", v_bool(g, chance(g, 500)));
            add(g, fa, "recommendations_v2", v_bool(g, chance(g, 200)));
            add(g, fa, "max_cart_items", v_int(g, 50));
            add(g, fa, "search_boost", v_dbl(g, 1.25));
            add(g, LOG_ATTRS(l), "feature_flags", flags);
            static const char *sources[] = {"configmap/shop-flags", "env"};
            add(g, LOG_ATTRS(l), "config.sources", v_strs(g, 2, sources));
            add(g, LOG_ATTRS(l), "config.checksum", v_bytes(g, 16));
        }
        break;
    default:
        if (!(l = log_new(g, svc, NULL, SEV_WARN, t)))
            return;
        {
            unsigned tenant = below(g, 300), pct = 80 + below(g, 20);
            l->body = v_str(g, fmt(g, "rate limit approaching for tenant t_%u: %u%% of quota used",
                                   tenant, pct));
            add(g, LOG_ATTRS(l), "tenant.id", v_str(g, fmt(g, "t_%u", tenant)));
            add(g, LOG_ATTRS(l), "ratelimit.used_ratio", v_dbl(g, pct / 100.0));
            add(g, LOG_ATTRS(l), "ratelimit.limit", v_int(g, 1000));
            add(g, LOG_ATTRS(l), "ratelimit.enforced", v_bool(g, 0));
        }
    }
}

/* ---- one trace: endpoints, steps --------------------------------------------------------------
 */

typedef struct outcome {
    uint64_t end;
    int status;         /* HTTP status the endpoint answered (or 200 / 500 for consumers) */
    const char *error;  /* set when the endpoint failed: why */
    const char *extype; /* and the exception type */
} outcome;

static outcome run_endpoint(gen *g, int ep, const span_t *parent, int caller, uint64_t start,
                            int depth);

static char *concrete_path(gen *g, const char *route)
{
    char out[256];
    size_t n = 0;
    for (const char *p = route; *p && n < sizeof out - 24;) {
        if (*p == '{') {
            const char *q = strchr(p, '}');
            if (!q)
                break;
            if (strncmp(p, "{token}", 7) == 0)
                n += (size_t)snprintf(out + n, sizeof out - n, "%08x%08x",
                                      (unsigned)argus_rng_next(g->rng), below(g, 1u << 31));
            else
                n += (size_t)snprintf(out + n, sizeof out - n, "%u", 10000 + below(g, 90000));
            p = q + 1;
        } else {
            out[n++] = *p++;
        }
    }
    out[n] = 0;
    return fmt(g, "%s", out);
}

static const char *reason(int status)
{
    switch (status) {
    case 402: return "Payment Required";
    case 404: return "Not Found";
    case 409: return "Conflict";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Internal Server Error";
    }
}

static outcome run_db(gen *g, int svc, const step *st, const span_t *parent, uint64_t start)
{
    const service *sv = &SERVICES[svc];
    char *name = fmt(g, "%s %s", st->a, st->b);
    span_t *s = span_begin(g, svc, SC_DB, parent, name, 3, start);
    int slow = chance(g, 15), failed = chance(g, 6);
    uint64_t d = slow ? dur(g, 120 * MS, 900 * MS) : dur(g, 250 * US, 25 * MS);
    s->end_time_unix_nano = start + d;
    int rows = strcmp(st->a, "SELECT") == 0 ? (int)below(g, 50) : 1;
    attrs at = SPAN_ATTRS(s);
    add(g, at, "db.system", v_str(g, sv->db_system));
    add(g, at, "db.namespace", v_str(g, "shop"));
    add(g, at, "db.operation.name", v_str(g, st->a));
    add(g, at, "db.collection.name", v_str(g, st->b));
    const char *stmt = st->c; /* as instrumentations record it: placeholders, no values */
    add(g, at, "db.query.text", v_str(g, stmt));
    add(g, at, "server.address", v_str(g, sv->db_host));
    add(g, at, "server.port", v_int(g, sv->db_port));
    add(g, at, "db.response.returned_rows", v_int(g, failed ? 0 : rows));
    add(g, at, "db.client.connection.pool.name", v_str(g, fmt(g, "%s-db", sv->name)));
    outcome o = {s->end_time_unix_nano, 200, NULL, NULL};
    if (failed) {
        const char *msg = DB_ERRORS[below(g, 4)];
        span_error(g, s, msg);
        add(g, at, "error.type", v_str(g, sv->exception_type));
        exception_event(g, s, svc, sv->exception_type, msg, s->end_time_unix_nano);
        o.status = 500;
        o.error = msg;
        o.extype = sv->exception_type;
        log_t *l = log_new(g, svc, s, SEV_ERROR, s->end_time_unix_nano);
        if (l) {
            l->body = v_str(g, fmt(g, "query failed: %s", msg));
            add(g, LOG_ATTRS(l), "db.query.text", v_str(g, stmt));
            log_exception(g, l, svc, sv->exception_type, msg);
        }
    } else if (slow) {
        log_t *l = log_new(g, svc, s, SEV_WARN, s->end_time_unix_nano);
        if (l) {
            double ms = (double)d / MS;
            l->body = v_str(g, fmt(g, "slow query took %.1f ms: %s %s", ms, st->a, st->b));
            add(g, LOG_ATTRS(l), "db.query.text", v_str(g, stmt));
            add(g, LOG_ATTRS(l), "db.duration_ms", v_dbl(g, ms));
            add(g, LOG_ATTRS(l), "db.slow_query_threshold_ms", v_int(g, 100));
            add(g, LOG_ATTRS(l), "db.rows", v_int(g, rows));
        }
    } else if (chance(g, 250)) {
        log_t *l = log_new(g, svc, s, SEV_DEBUG, s->end_time_unix_nano);
        if (l) {
            l->body = v_str(g, fmt(g, "executed %s on %s in %.2f ms (%d rows)", st->a, st->b,
                                   (double)d / MS, rows));
            add(g, LOG_ATTRS(l), "db.rows", v_int(g, rows));
            add(g, LOG_ATTRS(l), "db.cached_plan", v_bool(g, chance(g, 800)));
        }
    }
    return o;
}

static outcome run_cache(gen *g, int svc, const step *st, const span_t *parent, uint64_t start)
{
    span_t *s = span_begin(g, svc, SC_DB, parent, st->a, 3, start);
    uint64_t d = dur(g, 80 * US, 3 * MS);
    s->end_time_unix_nano = start + d;
    char *key = fmt(
        g, st->b, strchr(st->b, 'x') ? (unsigned)argus_rng_next(g->rng) : 10000 + below(g, 90000));
    attrs at = SPAN_ATTRS(s);
    add(g, at, "db.system", v_str(g, "redis"));
    add(g, at, "db.operation.name", v_str(g, st->a));
    add(g, at, "db.query.text", v_str(g, fmt(g, "%s %s", st->a, key)));
    add(g, at, "db.namespace", v_str(g, "0"));
    add(g, at, "server.address", v_str(g, "redis-master.shop.svc.cluster.local"));
    add(g, at, "server.port", v_int(g, 6379));
    outcome o = {s->end_time_unix_nano, 200, NULL, NULL};
    if (chance(g, 4)) { /* Redis trouble is survivable: callers fall back */
        const char *msg = chance(g, 500) ? "Connection timeout"
                                         : "READONLY You can't write against a read only replica.";
        span_error(g, s, msg);
        exception_event(g, s, svc, "RedisError", msg, s->end_time_unix_nano);
        log_t *l = log_new(g, svc, s, SEV_WARN, s->end_time_unix_nano);
        if (l) {
            l->body = v_str(g, fmt(g, "cache unavailable, falling back to database: %s", msg));
            add(g, LOG_ATTRS(l), "cache.key", v_str(g, key));
            add(g, LOG_ATTRS(l), "cache.fallback", v_bool(g, 1));
        }
    } else if (strcmp(st->a, "GET") == 0 || strcmp(st->a, "HGETALL") == 0) {
        int hit = chance(g, 700);
        add(g, at, "cache.hit", v_bool(g, hit));
        if (!hit && chance(g, 300)) {
            log_t *l = log_new(g, svc, s, SEV_DEBUG, s->end_time_unix_nano);
            if (l) {
                l->body = v_str(g, fmt(g, "cache miss for key %s", key));
                add(g, LOG_ATTRS(l), "cache.key", v_str(g, key));
                add(g, LOG_ATTRS(l), "cache.ttl_seconds", v_int(g, 300));
            }
        }
    }
    return o;
}

static outcome run_internal(gen *g, int svc, const step *st, const span_t *parent, uint64_t start)
{
    span_t *s = span_begin(g, svc, SC_APP, parent, st->a, 1, start);
    s->end_time_unix_nano = start + dur(g, 40 * US, 6 * MS);
    attrs at = SPAN_ATTRS(s);
    add(g, at, "code.function", v_str(g, st->b));
    add(g, at, "code.namespace", v_str(g, SERVICES[svc].logger));
    add(g, at, "code.lineno", v_int(g, 10 + below(g, 400)));
    outcome o = {s->end_time_unix_nano, 200, NULL, NULL};
    if (strcmp(st->b, "evaluateRisk") == 0) {
        double score = below(g, 1000) / 1000.0;
        add(g, at, "fraud.score", v_dbl(g, score));
        anyvalue *rules[3] = {v_str(g, "velocity"), v_str(g, "geo_mismatch"), v_str(g, "bin")};
        add(g, at, "fraud.rules_evaluated", v_array(g, 3, rules));
        add(g, at, "fraud.review_required", v_bool(g, score > 0.9));
    } else if (strcmp(st->b, "cartTotals") == 0 || strcmp(st->b, "validateCart") == 0) {
        unsigned items = 1 + below(g, 6);
        double total = items * (4.99 + below(g, 9000) / 100.0);
        add(g, at, "cart.item_count", v_int(g, items));
        add(g, at, "cart.total", v_dbl(g, total));
        anyvalue *qty[6];
        for (unsigned i = 0; i < items && i < 6; i++)
            qty[i] = v_int(g, 1 + below(g, 3));
        add(g, at, "cart.quantities", v_array(g, items < 6 ? items : 6, qty));
        log_t *l = chance(g, 400) ? log_new(g, svc, s, SEV_INFO, s->end_time_unix_nano) : NULL;
        if (l) {
            l->body =
                v_str(g, fmt(g, "cart %u: %u items, total %.2f USD", g->user_id, items, total));
            anyvalue *cart;
            attrs ca = kvlist_new(g, &cart);
            add(g, ca, "user_id", v_int(g, g->user_id));
            add(g, ca, "items", v_int(g, items));
            add(g, ca, "total", v_dbl(g, total));
            add(g, ca, "currency", v_str(g, "USD"));
            add(g, ca, "coupon_applied", v_bool(g, chance(g, 150)));
            add(g, LOG_ATTRS(l), "cart", cart);
            add_code_attrs(g, l, svc, st->b);
        }
    } else {
        add(g, at, "template.name", v_str(g, fmt(g, "%s.html", st->b)));
        add(g, at, "template.cached", v_bool(g, chance(g, 900)));
    }
    return o;
}

static outcome run_external(gen *g, int svc, const step *st, const span_t *parent, uint64_t start)
{
    span_t *s = span_begin(g, svc, SC_HTTP, parent, st->a, 3, start);
    s->end_time_unix_nano = start + dur(g, 60 * MS, 650 * MS);
    const char *host = strstr(st->b, "://") + 3;
    const char *slash = strchr(host, '/');
    attrs at = SPAN_ATTRS(s);
    add(g, at, "http.request.method", v_str(g, st->a));
    add(g, at, "url.full", v_str(g, st->b));
    add(g, at, "server.address", v_str(g, fmt(g, "%.*s", (int)(slash - host), host)));
    add(g, at, "server.port", v_int(g, 443));
    add(g, at, "network.protocol.version", v_str(g, "1.1"));
    add(g, at, "network.peer.address",
        v_str(g, fmt(g, "54.%u.%u.%u", below(g, 250), below(g, 250), below(g, 250))));
    add(g, at, "user_agent.original", v_str(g, SERVICES[svc].user_agent));
    outcome o = {s->end_time_unix_nano, 200, NULL, NULL};
    int payment = strcmp(st->c, "payment") == 0;
    int failed = chance(g, payment ? 30 : 50);
    int code = failed ? (payment ? 402 : 503) : 200;
    add(g, at, "http.response.status_code", v_int(g, code));
    double amount = 9.99 + below(g, 40000) / 100.0;
    log_t *l;
    if (payment) {
        add(g, at, "payment.provider", v_str(g, "stripe"));
        add(g, at, "payment.amount", v_dbl(g, amount));
        add(g, at, "payment.currency", v_str(g, "USD"));
    }
    if (failed) {
        const char *msg =
            payment ? "card_declined: insufficient_funds" : "upstream label service unavailable";
        span_error(g, s, msg);
        add(g, at, "error.type", v_str(g, fmt(g, "%d", code)));
        o.status = code;
        o.error = msg;
        o.extype = payment ? "PaymentDeclinedException" : "CarrierUnavailableException";
        if ((l = log_new(g, svc, s, SEV_WARN, s->end_time_unix_nano))) {
            l->body = v_str(
                g, payment ? fmt(g, "payment declined for order ord_%u: %s", g->user_id * 7, msg)
                           : fmt(g, "carrier API returned %d, will retry", code));
            add(g, LOG_ATTRS(l), "http.response.status_code", v_int(g, code));
            add(g, LOG_ATTRS(l), payment ? "payment.decline_code" : "retry.attempt",
                payment ? v_str(g, "insufficient_funds") : v_int(g, 1 + below(g, 3)));
        }
    } else if (payment && (l = log_new(g, svc, s, SEV_INFO, s->end_time_unix_nano))) {
        l->body = v_str(g, fmt(g, "payment authorized: %.2f USD", amount));
        anyvalue *pay;
        attrs pa = kvlist_new(g, &pay);
        add(g, pa, "provider", v_str(g, "stripe"));
        add(g, pa, "amount_cents", v_int(g, (int64_t)(amount * 100 + 0.5)));
        add(g, pa, "card_brand", v_str(g, chance(g, 600) ? "visa" : "mastercard"));
        add(g, pa, "three_d_secure", v_bool(g, chance(g, 300)));
        add(g, pa, "risk_score", v_dbl(g, below(g, 100) / 100.0));
        add(g, LOG_ATTRS(l), "payment", pay);
        add_code_attrs(g, l, svc, "createCharge");
    } else if (!payment && (l = log_new(g, svc, s, SEV_DEBUG, s->end_time_unix_nano))) {
        /* the carrier answers in protobuf; the raw response is logged as bytes */
        l->body = v_bytes(g, 24 + below(g, 40));
        add(g, LOG_ATTRS(l), "http.response.header.content-type",
            v_strs(g, 1, (const char *[]){"application/x-protobuf"}));
        add(g, LOG_ATTRS(l), "response.checksum", v_bytes(g, 8));
    }
    return o;
}

static outcome run_call(gen *g, int svc, const step *st, const span_t *parent, uint64_t start,
                        int depth)
{
    const endpoint *to = &ENDPOINTS[st->target];
    const service *target = &SERVICES[to->service];
    char *name = fmt(g, "%s %s", to->method, to->route);
    span_t *s = span_begin(g, svc, SC_HTTP, parent, name, 3, start);
    char *path = concrete_path(g, to->route);
    attrs at = SPAN_ATTRS(s);
    add(g, at, "http.request.method", v_str(g, to->method));
    add(g, at, "url.full", v_str(g, fmt(g, "http://%s:8080%s", target->name, path)));
    add(g, at, "url.template", v_str(g, to->route));
    add(g, at, "server.address", v_str(g, target->name));
    add(g, at, "server.port", v_int(g, 8080));
    add(g, at, "network.protocol.version", v_str(g, "1.1"));
    uint64_t net = dur(g, 150 * US, 2 * MS);
    outcome child = run_endpoint(g, st->target, s, svc, start + net, depth + 1);
    s->end_time_unix_nano = child.end + dur(g, 100 * US, 1 * MS);
    add(g, at, "http.response.status_code", v_int(g, child.status));
    add(g, at, "http.request.resend_count", v_int(g, 0));
    outcome o = {s->end_time_unix_nano, child.status, child.error, child.extype};
    if (child.status >= 400) {
        span_error(g, s, "");
        add(g, at, "error.type", v_str(g, fmt(g, "%d", child.status)));
    }
    return o;
}

static outcome run_publish(gen *g, int svc, const step *st, const span_t *parent, uint64_t start,
                           int depth)
{
    char *name = fmt(g, "publish %s", st->a);
    span_t *s = span_begin(g, svc, SC_APP, parent, name, 4, start);
    s->end_time_unix_nano = start + dur(g, 300 * US, 8 * MS);
    char *order = fmt(g, "ord_%08x", (unsigned)argus_rng_next(g->rng));
    unsigned partition = below(g, 12);
    attrs at = SPAN_ATTRS(s);
    add(g, at, "messaging.system", v_str(g, "kafka"));
    add(g, at, "messaging.operation.type", v_str(g, "publish"));
    add(g, at, "messaging.destination.name", v_str(g, st->a));
    add(g, at, "messaging.destination.partition.id", v_str(g, fmt(g, "%u", partition)));
    add(g, at, "messaging.kafka.message.key", v_str(g, order));
    add(g, at, "messaging.message.body.size", v_int(g, 300 + below(g, 900)));
    add(g, at, "server.address", v_str(g, "kafka-0.kafka.shop.svc.cluster.local"));
    log_t *l = log_new(g, svc, s, SEV_INFO, s->end_time_unix_nano);
    if (l) {
        /* a structured business event: the body is a kvlist with nested array and kvlist */
        l->event_name = "order.placed";
        unsigned n = 1 + below(g, 3);
        double total = 0;
        anyvalue *items[3];
        for (unsigned i = 0; i < n; i++) {
            anyvalue *item;
            attrs ia = kvlist_new(g, &item);
            double price = 4.99 + below(g, 9000) / 100.0;
            total += price;
            add(g, ia, "sku", v_str(g, fmt(g, "SKU-%05u", below(g, 99999))));
            add(g, ia, "quantity", v_int(g, 1 + below(g, 3)));
            add(g, ia, "unit_price", v_dbl(g, price));
            items[i] = item;
        }
        anyvalue *body;
        attrs ba = kvlist_new(g, &body);
        add(g, ba, "event", v_str(g, "order_placed"));
        add(g, ba, "order_id", v_str(g, order));
        add(g, ba, "amount", v_dbl(g, (double)(int64_t)(total * 100 + 0.5) / 100));
        add(g, ba, "currency", v_str(g, "USD"));
        add(g, ba, "items", v_array(g, n, items));
        anyvalue *customer;
        attrs ca = kvlist_new(g, &customer);
        add(g, ca, "id", v_int(g, g->user_id));
        add(g, ca, "tier", v_str(g, chance(g, 200) ? "gold" : "standard"));
        add(g, ca, "first_order", v_bool(g, chance(g, 100)));
        add(g, ba, "customer", customer);
        l->body = body;
        add(g, LOG_ATTRS(l), "messaging.destination.name", v_str(g, st->a));
        add(g, LOG_ATTRS(l), "messaging.destination.partition.id",
            v_str(g, fmt(g, "%u", partition)));
    }
    outcome o = {s->end_time_unix_nano, 200, NULL, NULL};
    /* the consumer runs later, asynchronously: its failure does not fail the publisher */
    run_endpoint(g, st->target, s, svc, s->end_time_unix_nano + dur(g, 2 * MS, 80 * MS), depth + 1);
    return o;
}

static outcome run_endpoint(gen *g, int ep, const span_t *parent, int caller, uint64_t start,
                            int depth)
{
    const endpoint *e = &ENDPOINTS[ep];
    int svc = e->service;
    const service *sv = &SERVICES[svc];
    int consumer = e->method == NULL;
    char *name = consumer ? fmt(g, "process %s", e->route) : fmt(g, "%s %s", e->method, e->route);
    span_t *s =
        span_begin(g, svc, consumer ? SC_APP : SC_HTTP, parent, name, consumer ? 5 : 2, start);
    attrs at = SPAN_ATTRS(s);
    char *path = NULL;
    /* internal callers come from their pod's address; the root from the user's */
    const char *client =
        depth == 0 ? g->client_ip : fmt(g, "10.0.%d.%d", caller + 1, 10 + (int)below(g, 3));
    if (consumer) {
        add(g, at, "messaging.system", v_str(g, "kafka"));
        add(g, at, "messaging.operation.type", v_str(g, "process"));
        add(g, at, "messaging.destination.name", v_str(g, e->route));
        add(g, at, "messaging.consumer.group.name", v_str(g, "shipping"));
        add(g, at, "messaging.kafka.offset", v_int(g, 1000000 + below(g, 1u << 30)));
        /* consumers link to the context of the message they process */
        link_t *ln = alloc(g, sizeof *ln);
        opentelemetry__proto__trace__v1__span__link__init(ln);
        ln->trace_id = parent->trace_id;
        ln->span_id = parent->span_id;
        ln->flags = 0x301;
        add(g, (attrs){&ln->attributes, &ln->n_attributes}, "messaging.operation.type",
            v_str(g, "publish"));
        s->links = alloc(g, sizeof *s->links);
        s->links[0] = ln;
        s->n_links = 1;
    } else {
        path = concrete_path(g, e->route);
        add(g, at, "http.request.method", v_str(g, e->method));
        add(g, at, "http.route", v_str(g, e->route));
        add(g, at, "url.path", v_str(g, path));
        add(g, at, "url.scheme", v_str(g, depth == 0 ? "https" : "http"));
        add(g, at, "server.address", v_str(g, depth == 0 ? "shop.example.com" : sv->name));
        add(g, at, "server.port", v_int(g, depth == 0 ? 443 : 8080));
        add(g, at, "network.protocol.version", v_str(g, depth == 0 ? "2" : "1.1"));
        add(g, at, "client.address", v_str(g, client));
        add(g, at, "user_agent.original",
            v_str(g, depth == 0 ? g->user_agent : SERVICES[caller].user_agent));
        const char *accept[] = {"application/json", "text/plain;q=0.9", "*/*;q=0.8"};
        add(g, at, "http.request.header.accept", v_strs(g, depth == 0 ? 3 : 1, accept));
        if (depth == 0) {
            add(g, at, "enduser.id", v_str(g, fmt(g, "user-%u", g->user_id)));
            add(g, at, "session.id",
                v_str(g, fmt(g, "%016llx", (unsigned long long)argus_rng_next(g->rng))));
            add(g, at, "feature_flag.new_checkout_flow", v_bool(g, g->user_id % 4 == 0));
        }
    }
    uint64_t cursor = start + dur(g, 50 * US, 1500 * US);
    outcome o = {0, ep == EP_PLACE_ORDER ? 201 : 200, NULL, NULL};
    for (const step *st = e->steps; st->kind != ST_END; st++) {
        outcome r;
        switch (st->kind) {
        case ST_DB: r = run_db(g, svc, st, s, cursor); break;
        case ST_CACHE: r = run_cache(g, svc, st, s, cursor); break;
        case ST_INTERNAL: r = run_internal(g, svc, st, s, cursor); break;
        case ST_EXTERNAL: r = run_external(g, svc, st, s, cursor); break;
        case ST_PUBLISH: r = run_publish(g, svc, st, s, cursor, depth); break;
        default: r = run_call(g, svc, st, s, cursor, depth); break;
        }
        cursor = r.end + dur(g, 20 * US, 600 * US);
        if (r.status >= 400) {
            o.status = r.status == 402 || r.status == 404 ? r.status
                       : st->kind == ST_CALL              ? 502
                                                          : (r.status == 503 ? 503 : 500);
            o.error = r.error;
            o.extype = r.extype;
            break;
        }
        if (ep == EP_GET_ORDER && st == e->steps && chance(g, 50)) {
            o.status = 404; /* no such order: the remaining steps do not run */
            break;
        }
    }
    s->end_time_unix_nano = cursor + dur(g, 30 * US, 2 * MS);
    o.end = s->end_time_unix_nano;
    double ms = (double)(o.end - start) / MS;
    if (!consumer)
        add(g, at, "http.response.status_code", v_int(g, o.status));
    if (o.status >= 500 || (consumer && o.error)) {
        /* server spans are errors for 5xx only; 4xx are the client's problem */
        const char *type = o.extype ? o.extype : sv->exception_type;
        const char *msg = o.error ? o.error : reason(o.status);
        span_error(g, s, fmt(g, "%s: %s", type, msg));
        add(g, at, "error.type", v_str(g, type));
        exception_event(g, s, svc, type, msg, o.end - 10 * US);
    }
    int sev = o.status >= 500 || (consumer && o.error) ? SEV_ERROR
              : o.status >= 400                        ? SEV_WARN
                                                       : SEV_INFO;
    log_t *l = log_new(g, svc, s, sev, o.end);
    if (l) {
        if (consumer) {
            l->body = v_str(g, o.error ? fmt(g, "failed to create shipment: %s", o.error)
                                       : fmt(g, "shipment created for order in %.1f ms", ms));
            add(g, LOG_ATTRS(l), "messaging.destination.name", v_str(g, e->route));
        } else {
            /* an access log line */
            l->body = v_str(g, fmt(g, "%s %s %d %.1fms", e->method, path, o.status, ms));
            add(g, LOG_ATTRS(l), "http.request.method", v_str(g, e->method));
            add(g, LOG_ATTRS(l), "http.route", v_str(g, e->route));
            add(g, LOG_ATTRS(l), "url.path", v_str(g, path));
            add(g, LOG_ATTRS(l), "http.response.status_code", v_int(g, o.status));
            add(g, LOG_ATTRS(l), "http.server.request.duration_ms", v_dbl(g, ms));
            add(g, LOG_ATTRS(l), "client.address", v_str(g, client));
            add(g, LOG_ATTRS(l), "http.response.body.size", v_int(g, 200 + below(g, 20000)));
            add(g, LOG_ATTRS(l), "http.cache_hit", v_bool(g, chance(g, 200)));
        }
        if (sev == SEV_ERROR)
            log_exception(g, l, svc, o.extype ? o.extype : sv->exception_type,
                          o.error ? o.error : reason(o.status));
        add_code_attrs(g, l, svc, e->handler);
    }
    return o;
}

static void run_trace(gen *g)
{
    g->trace_id = alloc(g, 16);
    random_bytes(g, g->trace_id, 16);
    g->user_id = 1000 + below(g, 50000);
    g->user_agent = BROWSER_AGENTS[below(g, sizeof BROWSER_AGENTS / sizeof *BROWSER_AGENTS)];
    g->client_ip =
        fmt(g, "%u.%u.%u.%u", 81 + below(g, 100), below(g, 256), below(g, 256), 1 + below(g, 254));
    uint32_t w = below(g, 100), acc = 0;
    int root = ROOTS[0].endpoint;
    for (size_t i = 0; i < sizeof ROOTS / sizeof *ROOTS; i++) {
        acc += (uint32_t)ROOTS[i].weight;
        if (w < acc) {
            root = ROOTS[i].endpoint;
            break;
        }
    }
    /* traces finish a few seconds before base_ns, as if just exported by a batch processor */
    uint64_t start = g->base_ns - 6000 * MS + below(g, 3000) * MS;
    run_endpoint(g, root, NULL, FRONTEND, start, 0);
    if (chance(g, 150))
        background_log(g);
}

/* ---- assembling and serializing the requests ----------------------------------------------- */

static scope_t *make_scope(gen *g, const char *name, const char *version)
{
    scope_t *s = alloc(g, sizeof *s);
    opentelemetry__proto__common__v1__instrumentation_scope__init(s);
    s->name = (char *)name;
    s->version = (char *)version;
    return s;
}

static trace_req_t *traces_request(gen *g)
{
    trace_req_t *req = alloc(g, sizeof *req);
    opentelemetry__proto__collector__trace__v1__export_trace_service_request__init(req);
    req->resource_spans = alloc(g, NSERVICES * sizeof *req->resource_spans);
    for (int svc = 0; svc < NSERVICES; svc++) {
        resource_spans_t *rs = NULL;
        for (int sc = 0; sc < NSCOPES; sc++) {
            span_list *l = &g->spans[svc][sc];
            if (!l->n)
                continue;
            if (!rs) {
                rs = alloc(g, sizeof *rs);
                opentelemetry__proto__trace__v1__resource_spans__init(rs);
                rs->resource = g->resource[svc];
                rs->schema_url = "https://opentelemetry.io/schemas/1.26.0";
                rs->scope_spans = alloc(g, NSCOPES * sizeof *rs->scope_spans);
                req->resource_spans[req->n_resource_spans++] = rs;
            }
            scope_spans_t *ss = alloc(g, sizeof *ss);
            opentelemetry__proto__trace__v1__scope_spans__init(ss);
            ss->scope = make_scope(g, SERVICES[svc].scope[sc], SERVICES[svc].scope_version);
            ss->spans = l->v;
            ss->n_spans = l->n;
            rs->scope_spans[rs->n_scope_spans++] = ss;
        }
    }
    return req;
}

static logs_req_t *logs_request(gen *g)
{
    logs_req_t *req = alloc(g, sizeof *req);
    opentelemetry__proto__collector__logs__v1__export_logs_service_request__init(req);
    req->resource_logs = alloc(g, NSERVICES * sizeof *req->resource_logs);
    for (int svc = 0; svc < NSERVICES; svc++) {
        log_list *l = &g->logs[svc];
        if (!l->n)
            continue;
        resource_logs_t *rl = alloc(g, sizeof *rl);
        opentelemetry__proto__logs__v1__resource_logs__init(rl);
        rl->resource = g->resource[svc];
        rl->scope_logs = alloc(g, sizeof *rl->scope_logs);
        scope_logs_t *sl = alloc(g, sizeof *sl);
        opentelemetry__proto__logs__v1__scope_logs__init(sl);
        sl->scope = make_scope(g, SERVICES[svc].logger, NULL);
        sl->log_records = l->v;
        sl->n_log_records = l->n;
        rl->scope_logs[rl->n_scope_logs++] = sl;
        req->resource_logs[req->n_resource_logs++] = rl;
    }
    return req;
}

/* Where the ids and times are: a walk over the wire format along the message paths that hold
 * them. Message kinds and, per (kind, field number), what the field is. */
enum { M_TREQ, M_RSPANS, M_SSPANS, M_SPAN, M_EVENT, M_LINK, M_LREQ, M_RLOGS, M_SLOGS, M_LOG };
enum { A_DESCEND, A_TRACE_ID, A_SPAN_ID, A_TIME };

static const struct rule {
    uint8_t msg, field, action, child;
} RULES[] = {
    {M_TREQ, 1, A_DESCEND, M_RSPANS},   /* ExportTraceServiceRequest.resource_spans */
    {M_RSPANS, 2, A_DESCEND, M_SSPANS}, /* ResourceSpans.scope_spans */
    {M_SSPANS, 2, A_DESCEND, M_SPAN},   /* ScopeSpans.spans */
    {M_SPAN, 1, A_TRACE_ID, 0},         /* Span.trace_id */
    {M_SPAN, 2, A_SPAN_ID, 0},          /* Span.span_id */
    {M_SPAN, 4, A_SPAN_ID, 0},          /* Span.parent_span_id */
    {M_SPAN, 7, A_TIME, 0},             /* Span.start_time_unix_nano */
    {M_SPAN, 8, A_TIME, 0},             /* Span.end_time_unix_nano */
    {M_SPAN, 11, A_DESCEND, M_EVENT},   /* Span.events */
    {M_SPAN, 13, A_DESCEND, M_LINK},    /* Span.links */
    {M_EVENT, 1, A_TIME, 0},            /* Event.time_unix_nano */
    {M_LINK, 1, A_TRACE_ID, 0},         /* Link.trace_id */
    {M_LINK, 2, A_SPAN_ID, 0},          /* Link.span_id */
    {M_LREQ, 1, A_DESCEND, M_RLOGS},    /* ExportLogsServiceRequest.resource_logs */
    {M_RLOGS, 2, A_DESCEND, M_SLOGS},   /* ResourceLogs.scope_logs */
    {M_SLOGS, 2, A_DESCEND, M_LOG},     /* ScopeLogs.log_records */
    {M_LOG, 1, A_TIME, 0},              /* LogRecord.time_unix_nano */
    {M_LOG, 11, A_TIME, 0},             /* LogRecord.observed_time_unix_nano */
    {M_LOG, 9, A_TRACE_ID, 0},          /* LogRecord.trace_id */
    {M_LOG, 10, A_SPAN_ID, 0},          /* LogRecord.span_id */
};

static const struct rule *find_rule(int msg, uint64_t field)
{
    for (size_t i = 0; i < sizeof RULES / sizeof *RULES; i++)
        if (RULES[i].msg == msg && RULES[i].field == field)
            return &RULES[i];
    return NULL;
}

static int varint(const uint8_t *p, size_t end, size_t *pos, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && *pos < end; shift += 7) {
        uint8_t b = p[(*pos)++];
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

static int add_patch(argus_payload *p, size_t *cap, size_t offset, int kind)
{
    if (p->npatches == *cap) {
        size_t nc = *cap ? *cap * 2 : 1024;
        argus_patch *np = realloc(p->patches, nc * sizeof *np);
        if (!np)
            return -1;
        p->patches = np;
        *cap = nc;
    }
    p->patches[p->npatches++] = (argus_patch){(uint32_t)offset, (uint32_t)kind};
    return 0;
}

static int walk(argus_payload *p, size_t *cap, size_t pos, size_t end, int msg)
{
    const uint8_t *d = p->data;
    while (pos < end) {
        uint64_t tag, len;
        if (varint(d, end, &pos, &tag))
            return -1;
        const struct rule *r = find_rule(msg, tag >> 3);
        switch (tag & 7) {
        case 0:
            if (varint(d, end, &pos, &len))
                return -1;
            break;
        case 1:
            if (end - pos < 8)
                return -1;
            if (r && r->action == A_TIME && add_patch(p, cap, pos, ARGUS_PATCH_TIME))
                return -1;
            pos += 8;
            break;
        case 2:
            if (varint(d, end, &pos, &len) || len > end - pos)
                return -1;
            if (r && r->action == A_DESCEND && walk(p, cap, pos, pos + len, r->child))
                return -1;
            if (r && r->action == A_TRACE_ID && len == 16 &&
                add_patch(p, cap, pos, ARGUS_PATCH_TRACE_ID))
                return -1;
            if (r && r->action == A_SPAN_ID && len == 8 &&
                add_patch(p, cap, pos, ARGUS_PATCH_SPAN_ID))
                return -1;
            pos += len;
            break;
        case 5:
            if (end - pos < 4)
                return -1;
            pos += 4;
            break;
        default: return -1;
        }
    }
    return pos == end ? 0 : -1;
}

static int finish_payload(argus_payload *p, const ProtobufCMessage *m, int root, size_t items)
{
    p->items = items;
    p->len = protobuf_c_message_get_packed_size(m);
    p->data = malloc(p->len ? p->len : 1);
    if (!p->data)
        return -1;
    protobuf_c_message_pack(m, p->data);
    size_t cap = 0;
    return walk(p, &cap, 0, p->len, root);
}

int argus_workload_build(argus_workload *w, argus_rng *rng, size_t spans, size_t logs,
                         uint64_t base_ns)
{
    memset(w, 0, sizeof *w);
    w->base_ns = base_ns;
    argus_arena arena;
    argus_arena_init(&arena, 0);
    gen g = {.a = &arena, .rng = rng, .base_ns = base_ns, .span_quota = spans, .log_quota = logs};
    for (int svc = 0; svc < NSERVICES; svc++)
        g.resource[svc] = make_resource(&g, svc, (int)below(&g, 3));
    while (g.nspans < spans || g.nlogs < logs)
        run_trace(&g);
    int rc = 0;
    if (spans)
        rc = finish_payload(&w->traces, &traces_request(&g)->base, M_TREQ, g.nspans);
    if (!rc && logs)
        rc = finish_payload(&w->logs, &logs_request(&g)->base, M_LREQ, g.nlogs);
    argus_arena_free(&arena);
    if (rc)
        argus_workload_free(w);
    return rc;
}

void argus_workload_free(argus_workload *w)
{
    free(w->traces.data);
    free(w->traces.patches);
    free(w->logs.data);
    free(w->logs.patches);
    memset(w, 0, sizeof *w);
}

int argus_payload_render(const argus_payload *p, uint8_t *dst, const argus_id_salt *salt,
                         int64_t delta_ns)
{
    memcpy(dst, p->data, p->len);
    int zero = 0;
    for (size_t i = 0; i < p->npatches; i++) {
        uint8_t *q = dst + p->patches[i].offset;
        uint8_t any = 0;
        switch (p->patches[i].kind) {
        case ARGUS_PATCH_TRACE_ID:
            for (int k = 0; k < 16; k++)
                any |= (q[k] ^= salt->trace[k]);
            zero |= !any;
            break;
        case ARGUS_PATCH_SPAN_ID:
            for (int k = 0; k < 8; k++)
                any |= (q[k] ^= salt->span[k]);
            zero |= !any;
            break;
        default: {
            uint64_t t = 0;
            for (int k = 7; k >= 0; k--)
                t = t << 8 | q[k];
            t += (uint64_t)delta_ns;
            for (int k = 0; k < 8; k++)
                q[k] = (uint8_t)(t >> (8 * k));
        }
        }
    }
    return zero ? -1 : 0;
}
