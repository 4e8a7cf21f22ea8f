-- Argus schema, version 1: spans, logs, the traces summary and log full-text search.
-- Applied by argus_schema_migrate() (argus-shell and argus-server call it at start).
-- Ids are lower-case hex text, times are unix nanoseconds (UTC), attributes/events/links are JSON.

CREATE TABLE spans (
    id                       INTEGER PRIMARY KEY,
    trace_id                 TEXT    NOT NULL,
    span_id                  TEXT    NOT NULL,
    parent_span_id           TEXT,
    trace_state              TEXT,
    flags                    INTEGER NOT NULL DEFAULT 0,
    name                     TEXT    NOT NULL,
    kind                     INTEGER NOT NULL DEFAULT 0,
    start_time_unix_nano     INTEGER NOT NULL,
    end_time_unix_nano       INTEGER NOT NULL,
    duration_ns              INTEGER NOT NULL,
    status_code              INTEGER NOT NULL DEFAULT 0,
    status_message           TEXT,
    service_name             TEXT    NOT NULL,
    attributes               TEXT    NOT NULL DEFAULT '{}',
    events                   TEXT    NOT NULL DEFAULT '[]',
    links                    TEXT    NOT NULL DEFAULT '[]',
    resource_attributes      TEXT    NOT NULL DEFAULT '{}',
    scope_name               TEXT,
    scope_version            TEXT,
    dropped_attributes_count INTEGER NOT NULL DEFAULT 0,
    dropped_events_count     INTEGER NOT NULL DEFAULT 0,
    dropped_links_count      INTEGER NOT NULL DEFAULT 0
);
-- The only secondary index on spans: every index costs insert throughput. Trace lists and
-- dashboards read the traces summary and rollups instead of scanning spans.
CREATE INDEX spans_trace_id ON spans (trace_id);

-- One row per trace, maintained at ingest (see sql/sqlite/ingest/).
CREATE TABLE traces (
    trace_id             TEXT    PRIMARY KEY,
    start_time_unix_nano INTEGER NOT NULL,
    end_time_unix_nano   INTEGER NOT NULL,
    duration_ns          INTEGER NOT NULL,
    root_service_name    TEXT,
    root_name            TEXT,
    has_root             INTEGER NOT NULL DEFAULT 0, -- 0: root not (yet) received; root_* is the earliest span
    span_count           INTEGER NOT NULL,
    error_count          INTEGER NOT NULL,
    services             TEXT    NOT NULL DEFAULT '[]' -- sorted JSON array of service names
) WITHOUT ROWID;
CREATE INDEX traces_start ON traces (start_time_unix_nano);

CREATE TABLE logs (
    id                       INTEGER PRIMARY KEY,
    time_unix_nano           INTEGER NOT NULL, -- the record's time, or its observed time when unset
    observed_time_unix_nano  INTEGER NOT NULL,
    severity_number          INTEGER NOT NULL DEFAULT 0,
    severity_text            TEXT,
    body                     TEXT,
    body_type                TEXT,             -- string, bool, int, double, bytes, array, kvlist
    attributes               TEXT    NOT NULL DEFAULT '{}',
    trace_id                 TEXT,
    span_id                  TEXT,
    flags                    INTEGER NOT NULL DEFAULT 0,
    event_name               TEXT,
    service_name             TEXT    NOT NULL,
    resource_attributes      TEXT    NOT NULL DEFAULT '{}',
    scope_name               TEXT,
    scope_version            TEXT,
    dropped_attributes_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX logs_time ON logs (time_unix_nano);
CREATE INDEX logs_trace_id ON logs (trace_id) WHERE trace_id IS NOT NULL;

-- Full-text search over log bodies, kept in step with logs by triggers.
CREATE VIRTUAL TABLE logs_fts USING fts5 (body, content = 'logs', content_rowid = 'id');
CREATE TRIGGER logs_fts_insert AFTER INSERT ON logs BEGIN
    INSERT INTO logs_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER logs_fts_delete AFTER DELETE ON logs BEGIN
    INSERT INTO logs_fts (logs_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER logs_fts_update AFTER UPDATE OF body ON logs BEGIN
    INSERT INTO logs_fts (logs_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO logs_fts (rowid, body) VALUES (new.id, new.body);
END;
