-- Argus MariaDB/MySQL schema, version 2: per-service, per-minute log counts by severity group,
-- as sql/sqlite/007_log_rollups.sql (the services list and the dashboard count logs of any range
-- without reading the records). Maintained at ingest by server/store_mysql.c, purged with the
-- records. severity: the group's first severity number (1 TRACE, 5 DEBUG, 9 INFO, 13 WARN,
-- 17 ERROR, 21 FATAL), 0 for records without one.
--   SELECT service_name, sum(count) FROM log_rollups WHERE minute_ns >= ? AND minute_ns < ?
--   GROUP BY service_name;

CREATE TABLE log_rollups (
    service_name VARCHAR(512) NOT NULL,
    minute_ns    BIGINT       NOT NULL,
    severity     TINYINT      NOT NULL,
    count        BIGINT       NOT NULL,
    PRIMARY KEY (service_name, minute_ns, severity),
    KEY log_rollups_minute (minute_ns)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT INTO log_rollups (service_name, minute_ns, severity, count)
SELECT service_name, time_unix_nano DIV 60000000000 * 60000000000,
       CASE WHEN severity_number BETWEEN 1 AND 24 THEN (severity_number - 1) DIV 4 * 4 + 1 ELSE 0 END,
       count(*)
FROM log_records GROUP BY 1, 2, 3;
