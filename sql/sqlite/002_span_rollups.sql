-- Argus schema, version 2: per-service, per-minute span rollups for dashboards.
-- Maintained at ingest by sql/sqlite/ingest/spans_30_rollups.sql; read them as
--   SELECT minute_ns, sum(requests), sum(errors), sketch_quantile(sketch_merge(duration_sketch), 0.95)
--   FROM span_rollups WHERE minute_ns BETWEEN ? AND ? GROUP BY minute_ns;
-- A request is a SERVER (2) or CONSUMER (5) span or a root span; an error is one with status 2.

CREATE TABLE span_rollups (
    service_name    TEXT    NOT NULL,
    minute_ns       INTEGER NOT NULL, -- unix ns of the minute's start (UTC)
    requests        INTEGER NOT NULL,
    errors          INTEGER NOT NULL,
    duration_sketch BLOB    NOT NULL, -- sketch(duration_ns) of the minute's requests
    PRIMARY KEY (service_name, minute_ns)
) WITHOUT ROWID;
-- The primary key serves one service's range; this serves ranges across all services (the
-- dashboard's default view) and retention, which deletes by age.
CREATE INDEX span_rollups_minute ON span_rollups (minute_ns);
