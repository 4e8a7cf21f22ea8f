/* The telemetry signals Argus stores (traces, logs) and one descriptor per signal: the names every
 * layer uses for it, its columns, and the tag under which a decoded payload is bound by pointer.
 * Everything that differs between traces and logs is written here once; the rest of the code
 * asks the descriptor instead of testing the signal:
 *   const argus_signal_desc *d = argus_signal_get(ARGUS_SIGNAL_LOGS);
 *   sqlite3_bind_pointer(st, 1, payload, d->pointer_type, NULL);   // otlp_logs(?1)
 * Decoding, rendering and recycling a payload of any signal: argus_otlp_payload (argus_otlp.h).
 * Adding a signal: an enum value, a descriptor in signal.c, its columns (argus_otlp_rows.h). */
#ifndef ARGUS_SIGNAL_H
#define ARGUS_SIGNAL_H

#include <stddef.h>

typedef enum argus_signal {
    ARGUS_SIGNAL_TRACES = 0,
    ARGUS_SIGNAL_LOGS = 1,
    ARGUS_SIGNAL_COUNT
} argus_signal;

/* The sqlite3_bind_pointer() tags under which otlp_spans(?) / otlp_logs(?) accept a decoded
 * argus_otlp_payload of that signal (the server binds what its receivers decoded). */
#define ARGUS_POINTER_TRACES "argus_otlp_traces"
#define ARGUS_POINTER_LOGS "argus_otlp_logs"

struct argus_otlp_iter;
struct argus_value;
struct argus_buf;

/* The columns of an item row that come from its resource and scope, by role: which column holds
 * each (context_columns below). Every item of a resource shares the first ARGUS_RES_NCOLUMNS. */
enum {
    ARGUS_RES_ID,
    ARGUS_RES_SERVICE_NAME,
    ARGUS_RES_ATTRIBUTES,
    ARGUS_RES_SCHEMA_URL,
    ARGUS_RES_NCOLUMNS,
    ARGUS_SCOPE_NAME = ARGUS_RES_NCOLUMNS,
    ARGUS_SCOPE_VERSION,
    ARGUS_SCOPE_ATTRIBUTES,
    ARGUS_SCOPE_SCHEMA_URL,
    ARGUS_CTX_NCOLUMNS
};

typedef struct argus_signal_desc {
    argus_signal signal;
    const char *name;           /* "traces" / "logs": stats, log lines, otlp_check's "type" */
    const char *items;          /* "spans" / "log records": counted items in messages */
    const char *rows;           /* "spans" / "logs": the view, and the ingest statements' kind */
    const char *table_function; /* "otlp_spans" / "otlp_logs": one row per item */
    const char *resources_function; /* "otlp_span_resources" / "otlp_log_resources" */
    const char *json_function;      /* "otlp_spans_json" / "otlp_logs_json" */
    const char *pointer_type;       /* ARGUS_POINTER_TRACES / ARGUS_POINTER_LOGS */
    /* OTLP/JSON key of the top-level list ("resourceSpans"), and the protobuf path names of the
     * three levels ("resource_spans", "scope_spans", "spans") used in rejection messages */
    const char *json_key;
    const char *level_names[3];
    /* the columns of one item row (argus_otlp_rows.h) */
    int ncolumns;
    const char *const *column_names;         /* SQL names */
    const char *const *column_types;         /* "TEXT" / "INTEGER" */
    int context_columns[ARGUS_CTX_NCOLUMNS]; /* indexed by ARGUS_RES_* / ARGUS_SCOPE_* */
    /* Renders column col of the iterator's current item from the decoded structs; scratch
     * (owned by caller) is reset and used for rendered text. argus_otlp_column() is the call
     * that also serves rows rendered ahead. */
    void (*column)(const struct argus_otlp_iter *it, int col, struct argus_value *out,
                   struct argus_buf *scratch);
    /* NULL when the item (argus_pb_span / argus_pb_log) is valid, else a static message naming
     * the bad field. */
    const char *(*invalid)(const void *item);
} argus_signal_desc;

/* The descriptor of signal s (s < ARGUS_SIGNAL_COUNT; never NULL). */
const argus_signal_desc *argus_signal_get(argus_signal s);

/* "traces" / "logs". */
const char *argus_signal_name(argus_signal s);

/* The columns a signal's records table stores after its id (span_records / log_records, in
 * SQLite and MySQL alike): every column of the item row but the resource's attributes and schema
 * URL (stored once, in resources) and the scope's attributes and schema URL (not stored); in
 * column order. Writes at most max into out; returns how many. */
int argus_signal_stored_columns(const argus_signal_desc *d, int *out, int max);

#endif
