-- Argus schema for MariaDB / MySQL, version 1: the same tables as the SQLite schema at its
-- version 6 (sql/sqlite), in InnoDB and utf8mb4. argus-server (ARGUS_DB=mysql://...) applies the
-- numbered files of sql/mysql in order at start and records them in argus_migrations; each file
-- is split into statements at a ';' that ends a line.
--   SELECT version, name FROM argus_migrations;
-- Ids are assigned by the one writer (max(id) + 1 at start), so that a batch's ids are known and
-- consecutive without asking the server. Text ids are ASCII hex; JSON columns are LONGTEXT
-- holding JSON text, as in SQLite. Partitions: InnoDB refuses FULLTEXT indexes on partitioned
-- tables, so log_records is not partitioned; retention deletes in chunks (as in SQLite).

CREATE TABLE resources (
    id           BIGINT       NOT NULL PRIMARY KEY,  -- resource_id(attributes, schema_url)
    service_name VARCHAR(512) NOT NULL,
    attributes   LONGTEXT     NOT NULL,              -- JSON object
    schema_url   MEDIUMTEXT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE span_records (
    id                       BIGINT       NOT NULL PRIMARY KEY,
    trace_id                 CHAR(32)     CHARACTER SET ascii NOT NULL,
    span_id                  CHAR(16)     CHARACTER SET ascii NOT NULL,
    parent_span_id           CHAR(16)     CHARACTER SET ascii,
    trace_state              MEDIUMTEXT,
    flags                    BIGINT       NOT NULL DEFAULT 0,
    name                     MEDIUMTEXT   NOT NULL,
    kind                     TINYINT      NOT NULL DEFAULT 0,
    start_time_unix_nano     BIGINT       NOT NULL,
    end_time_unix_nano       BIGINT       NOT NULL,
    duration_ns              BIGINT       NOT NULL,
    status_code              TINYINT      NOT NULL DEFAULT 0,
    status_message           MEDIUMTEXT,
    service_name             VARCHAR(512) NOT NULL,
    attributes               LONGTEXT     NOT NULL,
    events                   LONGTEXT     NOT NULL,
    links                    LONGTEXT     NOT NULL,
    resource_id              BIGINT       NOT NULL,   -- resources.id
    scope_name               MEDIUMTEXT,
    scope_version            MEDIUMTEXT,
    dropped_attributes_count INT          NOT NULL DEFAULT 0,
    dropped_events_count     INT          NOT NULL DEFAULT 0,
    dropped_links_count      INT          NOT NULL DEFAULT 0,
    KEY spans_trace_id (trace_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE log_records (
    id                       BIGINT       NOT NULL PRIMARY KEY,
    time_unix_nano           BIGINT       NOT NULL,   -- the record's time, or its observed time
    observed_time_unix_nano  BIGINT       NOT NULL,
    severity_number          TINYINT      NOT NULL DEFAULT 0,
    severity_text            MEDIUMTEXT,
    body                     LONGTEXT,
    body_type                VARCHAR(16),
    attributes               LONGTEXT     NOT NULL,
    trace_id                 CHAR(32)     CHARACTER SET ascii,
    span_id                  CHAR(16)     CHARACTER SET ascii,
    flags                    BIGINT       NOT NULL DEFAULT 0,
    event_name               MEDIUMTEXT,
    service_name             VARCHAR(512) NOT NULL,
    resource_id              BIGINT       NOT NULL,   -- resources.id
    scope_name               MEDIUMTEXT,
    scope_version            MEDIUMTEXT,
    dropped_attributes_count INT          NOT NULL DEFAULT 0,
    insight                  LONGTEXT,                -- ai_insight(body, severity_number, attributes)
    pattern_id               CHAR(16)     CHARACTER SET ascii, -- log_pattern_id(body)
    KEY logs_time (time_unix_nano),
    KEY logs_trace_id (trace_id),
    KEY logs_pattern_id (pattern_id),
    FULLTEXT KEY logs_body (body)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE traces (
    trace_id             CHAR(32)     CHARACTER SET ascii NOT NULL PRIMARY KEY,
    start_time_unix_nano BIGINT       NOT NULL,
    end_time_unix_nano   BIGINT       NOT NULL,
    duration_ns          BIGINT       NOT NULL,
    root_service_name    VARCHAR(512),
    root_name            MEDIUMTEXT,
    has_root             TINYINT      NOT NULL DEFAULT 0,
    span_count           BIGINT       NOT NULL,
    error_count          BIGINT       NOT NULL,
    services             LONGTEXT     NOT NULL,       -- sorted JSON array of service names
    KEY traces_start (start_time_unix_nano)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE span_rollups (
    service_name    VARCHAR(512) NOT NULL,
    minute_ns       BIGINT       NOT NULL,
    requests        BIGINT       NOT NULL,
    errors          BIGINT       NOT NULL,
    duration_sketch LONGBLOB     NOT NULL,            -- sketch_of(duration_ns)
    PRIMARY KEY (service_name, minute_ns),
    KEY span_rollups_minute (minute_ns)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE insight_rules (
    id         BIGINT  NOT NULL PRIMARY KEY,
    pattern    TEXT    NOT NULL,
    category   TEXT,
    tags       TEXT,
    summary    TEXT,
    suggestion TEXT,
    confidence DOUBLE,
    priority   BIGINT  NOT NULL DEFAULT 0,
    enabled    TINYINT NOT NULL DEFAULT 1
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE log_patterns (
    pattern_id    CHAR(16)  CHARACTER SET ascii NOT NULL PRIMARY KEY,
    template      LONGTEXT  NOT NULL,
    count         BIGINT    NOT NULL DEFAULT 0,
    first_seen_ns BIGINT,
    last_seen_ns  BIGINT,
    services      LONGTEXT  NOT NULL,
    category      VARCHAR(64),
    KEY log_patterns_last_seen (last_seen_ns)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE argus_jobs (
    name    VARCHAR(64) NOT NULL PRIMARY KEY,
    last_id BIGINT      NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE ingest_requests (
    request_key BINARY(16) NOT NULL PRIMARY KEY,
    `signal`    TINYINT    NOT NULL,                  -- 0 traces, 1 logs
    stored_ns   BIGINT     NOT NULL,
    KEY ingest_requests_stored (stored_ns)
) ENGINE=InnoDB;

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
