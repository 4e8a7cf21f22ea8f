-- Argus schema, version 7: per-service, per-minute log counts by severity group, so the services
-- list and the dashboard count log records of any range without reading the records (counting a
-- day of 5M records by service read every record: seconds). Maintained at ingest by
-- sql/sqlite/ingest/logs_30_rollups.sql, purged with the records (minutes before the cut-off):
--   SELECT service_name, sum(count) FROM log_rollups WHERE minute_ns >= ? AND minute_ns < ?
--   GROUP BY service_name;
-- severity: the group's first severity number (1 TRACE, 5 DEBUG, 9 INFO, 13 WARN, 17 ERROR,
-- 21 FATAL), 0 for records without one.

CREATE TABLE log_rollups (
    service_name TEXT    NOT NULL,
    minute_ns    INTEGER NOT NULL, -- unix ns of the minute's start (UTC)
    severity     INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (service_name, minute_ns, severity)
) WITHOUT ROWID;
CREATE INDEX log_rollups_minute ON log_rollups (minute_ns);

INSERT INTO log_rollups (service_name, minute_ns, severity, count)
SELECT service_name, time_unix_nano / 60000000000 * 60000000000,
       CASE WHEN severity_number BETWEEN 1 AND 24 THEN (severity_number - 1) / 4 * 4 + 1 ELSE 0 END,
       count(*)
FROM log_records GROUP BY 1, 2, 3;
