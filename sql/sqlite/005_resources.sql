-- Argus schema, version 5: each resource stored once.
-- Every span and log record of a service instance repeats its resource (a Kubernetes pod's
-- resource attributes are ~1 KB of JSON); rows now name it by resource_id instead, and the
-- spans and logs views read it back, so their columns read as before:
--   span_records / log_records  the stored rows, with resource_id (write here for speed)
--   resources                   id = resource_id(attributes, schema_url), a 63-bit hash
--   spans / logs                views: the records with resource_attributes; INSERT and DELETE
--                               work on them too (UPDATE on logs: insight and pattern_id)
-- Existing rows are copied over; the log search index is rebuilt.

CREATE TABLE resources (
    id           INTEGER PRIMARY KEY, -- resource_id(attributes, schema_url)
    service_name TEXT    NOT NULL,
    attributes   TEXT    NOT NULL DEFAULT '{}', -- JSON object
    schema_url   TEXT
);
-- Two different resources with the same hash are refused (the request fails) rather than
-- stored under one id.
CREATE TRIGGER resources_id_collision BEFORE INSERT ON resources
WHEN EXISTS (SELECT 1 FROM resources
             WHERE id = new.id
               AND (attributes IS NOT new.attributes
                    OR coalesce(schema_url, '') <> coalesce(new.schema_url, '')))
BEGIN
    SELECT RAISE(ABORT, 'resources: a different resource is stored under this resource_id');
END;

CREATE TABLE span_records (
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
    resource_id              INTEGER NOT NULL, -- resources.id
    scope_name               TEXT,
    scope_version            TEXT,
    dropped_attributes_count INTEGER NOT NULL DEFAULT 0,
    dropped_events_count     INTEGER NOT NULL DEFAULT 0,
    dropped_links_count      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE log_records (
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
    resource_id              INTEGER NOT NULL, -- resources.id
    scope_name               TEXT,
    scope_version            TEXT,
    dropped_attributes_count INTEGER NOT NULL DEFAULT 0,
    insight                  TEXT,             -- ai_insight(body, severity_number, attributes)
    pattern_id               TEXT              -- log_pattern_id(body)
);

-- Copy what version 4 stored.
INSERT INTO resources (id, service_name, attributes)
SELECT resource_id(resource_attributes), min(service_name), resource_attributes
FROM (SELECT resource_attributes, service_name FROM spans
      UNION SELECT resource_attributes, service_name FROM logs)
GROUP BY resource_attributes;

INSERT INTO span_records
SELECT id, trace_id, span_id, parent_span_id, trace_state, flags, name, kind,
       start_time_unix_nano, end_time_unix_nano, duration_ns, status_code, status_message,
       service_name, attributes, events, links, resource_id(resource_attributes), scope_name,
       scope_version, dropped_attributes_count, dropped_events_count, dropped_links_count
FROM spans ORDER BY id;

INSERT INTO log_records
SELECT id, time_unix_nano, observed_time_unix_nano, severity_number, severity_text, body,
       body_type, attributes, trace_id, span_id, flags, event_name, service_name,
       resource_id(resource_attributes), scope_name, scope_version, dropped_attributes_count,
       insight, pattern_id
FROM logs ORDER BY id;

DROP TABLE spans; -- with its index
DROP TABLE logs;  -- with its indexes and search-index triggers
DROP TABLE logs_fts;

-- The indexes of version 1 and 3, on the new tables.
CREATE INDEX spans_trace_id ON span_records (trace_id);
CREATE INDEX logs_time ON log_records (time_unix_nano);
CREATE INDEX logs_trace_id ON log_records (trace_id) WHERE trace_id IS NOT NULL;
CREATE INDEX logs_pattern_id ON log_records (pattern_id) WHERE pattern_id IS NOT NULL;

-- Full-text search over log bodies, kept in step with log_records by triggers.
CREATE VIRTUAL TABLE logs_fts USING fts5 (body, content = 'log_records', content_rowid = 'id');
INSERT INTO logs_fts (logs_fts) VALUES ('rebuild');
CREATE TRIGGER logs_fts_insert AFTER INSERT ON log_records BEGIN
    INSERT INTO logs_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER logs_fts_delete AFTER DELETE ON log_records BEGIN
    INSERT INTO logs_fts (logs_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER logs_fts_update AFTER UPDATE OF body ON log_records BEGIN
    INSERT INTO logs_fts (logs_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO logs_fts (rowid, body) VALUES (new.id, new.body);
END;

-- The views keep the columns of version 4 (resource_id added last). resource_attributes is a
-- subquery rather than a join: SQLite evaluates it only for queries that read the column, so
-- SELECT count(*) FROM spans, or a GROUP BY service_name, never touch resources. A record whose
-- resource is not stored reads NULL there.
CREATE VIEW spans AS
SELECT s.id, s.trace_id, s.span_id, s.parent_span_id, s.trace_state, s.flags, s.name, s.kind,
       s.start_time_unix_nano, s.end_time_unix_nano, s.duration_ns, s.status_code,
       s.status_message, s.service_name, s.attributes, s.events, s.links,
       (SELECT r.attributes FROM resources r WHERE r.id = s.resource_id) AS resource_attributes,
       s.scope_name, s.scope_version, s.dropped_attributes_count, s.dropped_events_count,
       s.dropped_links_count, s.resource_id
FROM span_records s;

CREATE VIEW logs AS
SELECT l.id, l.time_unix_nano, l.observed_time_unix_nano, l.severity_number, l.severity_text,
       l.body, l.body_type, l.attributes, l.trace_id, l.span_id, l.flags, l.event_name,
       l.service_name,
       (SELECT r.attributes FROM resources r WHERE r.id = l.resource_id) AS resource_attributes,
       l.scope_name, l.scope_version, l.dropped_attributes_count, l.insight, l.pattern_id,
       l.resource_id
FROM log_records l;

-- Writing through the views: the defaults of the tables apply to omitted columns.
CREATE TRIGGER spans_insert INSTEAD OF INSERT ON spans BEGIN
    INSERT INTO span_records (id, trace_id, span_id, parent_span_id, trace_state, flags, name,
                              kind, start_time_unix_nano, end_time_unix_nano, duration_ns,
                              status_code, status_message, service_name, attributes, events,
                              links, resource_id, scope_name, scope_version,
                              dropped_attributes_count, dropped_events_count,
                              dropped_links_count)
    VALUES (new.id, new.trace_id, new.span_id, new.parent_span_id, new.trace_state,
            coalesce(new.flags, 0), new.name, coalesce(new.kind, 0), new.start_time_unix_nano,
            new.end_time_unix_nano, new.duration_ns, coalesce(new.status_code, 0),
            new.status_message, new.service_name, coalesce(new.attributes, '{}'),
            coalesce(new.events, '[]'), coalesce(new.links, '[]'),
            resource_id(new.resource_attributes), new.scope_name, new.scope_version,
            coalesce(new.dropped_attributes_count, 0), coalesce(new.dropped_events_count, 0),
            coalesce(new.dropped_links_count, 0));
    INSERT INTO resources (id, service_name, attributes)
    VALUES (resource_id(new.resource_attributes), new.service_name,
            coalesce(new.resource_attributes, '{}'))
    ON CONFLICT (id) DO NOTHING;
END;
CREATE TRIGGER spans_delete INSTEAD OF DELETE ON spans BEGIN
    DELETE FROM span_records WHERE id = old.id;
END;

CREATE TRIGGER logs_insert INSTEAD OF INSERT ON logs BEGIN
    INSERT INTO log_records (id, time_unix_nano, observed_time_unix_nano, severity_number,
                             severity_text, body, body_type, attributes, trace_id, span_id, flags,
                             event_name, service_name, resource_id, scope_name, scope_version,
                             dropped_attributes_count, insight, pattern_id)
    VALUES (new.id, new.time_unix_nano, new.observed_time_unix_nano,
            coalesce(new.severity_number, 0), new.severity_text, new.body, new.body_type,
            coalesce(new.attributes, '{}'), new.trace_id, new.span_id, coalesce(new.flags, 0),
            new.event_name, new.service_name, resource_id(new.resource_attributes),
            new.scope_name, new.scope_version, coalesce(new.dropped_attributes_count, 0),
            new.insight, new.pattern_id);
    INSERT INTO resources (id, service_name, attributes)
    VALUES (resource_id(new.resource_attributes), new.service_name,
            coalesce(new.resource_attributes, '{}'))
    ON CONFLICT (id) DO NOTHING;
END;
CREATE TRIGGER logs_delete INSTEAD OF DELETE ON logs BEGIN
    DELETE FROM log_records WHERE id = old.id;
END;
CREATE TRIGGER logs_update_insight INSTEAD OF UPDATE OF insight, pattern_id ON logs BEGIN
    SELECT RAISE(ABORT, 'logs: only insight and pattern_id can be updated through the view')
    WHERE new.id IS NOT old.id OR new.time_unix_nano IS NOT old.time_unix_nano
       OR new.observed_time_unix_nano IS NOT old.observed_time_unix_nano
       OR new.severity_number IS NOT old.severity_number
       OR new.severity_text IS NOT old.severity_text OR new.body IS NOT old.body
       OR new.body_type IS NOT old.body_type OR new.attributes IS NOT old.attributes
       OR new.trace_id IS NOT old.trace_id OR new.span_id IS NOT old.span_id
       OR new.flags IS NOT old.flags OR new.event_name IS NOT old.event_name
       OR new.service_name IS NOT old.service_name
       OR new.resource_attributes IS NOT old.resource_attributes
       OR new.scope_name IS NOT old.scope_name OR new.scope_version IS NOT old.scope_version
       OR new.dropped_attributes_count IS NOT old.dropped_attributes_count
       OR new.resource_id IS NOT old.resource_id;
    UPDATE log_records SET insight = new.insight, pattern_id = new.pattern_id WHERE id = old.id;
END;
