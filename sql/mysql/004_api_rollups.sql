-- Argus MariaDB/MySQL schema, version 4: the API's per-minute rollups by operation and by log
-- pattern and the traces list's indexes, as sql/sqlite/008_api_rollups.sql. Long texts are keyed
-- by hash as in version 3: service_key = LEFT(UNHEX(SHA2(service_name, 256)), 16), and likewise
-- name_key for the span name.
--
-- span_operation_rollups: per service, minute and span name. Maintained at ingest by
-- server/store_mysql.c (the "operation rollups" block):
--   SELECT name, sum(spans), sum(errors) FROM span_operation_rollups
--   WHERE service_key = LEFT(UNHEX(SHA2(?, 256)), 16) AND minute_ns >= ? AND minute_ns < ?
--   GROUP BY name_key, name;
--
-- log_pattern_rollups: per minute, pattern and service, the records tagged with that pattern,
-- kept by the triggers below as pattern_id is set or changed (a record moved off a pattern
-- lowers its count, down to 0: read sum(count) > 0).
--
-- Both are purged like span_rollups / log_rollups: whole minutes before the cut-off.

CREATE TABLE span_operation_rollups (
    service_key    BINARY(16)   NOT NULL,
    minute_ns      BIGINT       NOT NULL,
    name_key       BINARY(16)   NOT NULL,
    service_name   MEDIUMTEXT   NOT NULL,
    name           MEDIUMTEXT   NOT NULL,
    spans          BIGINT       NOT NULL,
    errors         BIGINT       NOT NULL,
    requests       BIGINT       NOT NULL,
    request_errors BIGINT       NOT NULL,
    PRIMARY KEY (service_key, minute_ns, name_key),
    KEY span_operation_rollups_minute (minute_ns)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT INTO span_operation_rollups (service_key, minute_ns, name_key, service_name, name, spans,
                                    errors, requests, request_errors)
SELECT LEFT(UNHEX(SHA2(service_name, 256)), 16), minute_ns, LEFT(UNHEX(SHA2(name, 256)), 16),
       service_name, name, count(*), sum(status_code = 2),
       sum(kind IN (2, 5) OR parent_span_id IS NULL),
       sum((kind IN (2, 5) OR parent_span_id IS NULL) AND status_code = 2)
FROM (SELECT service_name, start_time_unix_nano DIV 60000000000 * 60000000000 AS minute_ns, name,
             status_code, kind, parent_span_id
      FROM span_records) s
GROUP BY service_name, minute_ns, name;

CREATE TABLE log_pattern_rollups (
    minute_ns    BIGINT       NOT NULL,
    pattern_id   CHAR(16)     CHARACTER SET ascii NOT NULL,
    service_key  BINARY(16)   NOT NULL,
    service_name MEDIUMTEXT   NOT NULL,
    count        BIGINT       NOT NULL,
    first_ns     BIGINT       NOT NULL,
    last_ns      BIGINT       NOT NULL,
    example_id   BIGINT       NOT NULL,
    PRIMARY KEY (minute_ns, pattern_id, service_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT INTO log_pattern_rollups (minute_ns, pattern_id, service_key, service_name, count, first_ns,
                                 last_ns, example_id)
SELECT time_unix_nano DIV 60000000000 * 60000000000, pattern_id,
       LEFT(UNHEX(SHA2(service_name, 256)), 16), service_name, count(*), min(time_unix_nano),
       max(time_unix_nano), max(id)
FROM log_records WHERE pattern_id IS NOT NULL
GROUP BY time_unix_nano DIV 60000000000, pattern_id, service_name;

-- Single-statement triggers (the migration runner splits this file at a ';' ending a line).
CREATE TRIGGER log_pattern_rollups_insert AFTER INSERT ON log_records FOR EACH ROW
INSERT INTO log_pattern_rollups (minute_ns, pattern_id, service_key, service_name, count, first_ns,
                                 last_ns, example_id)
SELECT NEW.time_unix_nano DIV 60000000000 * 60000000000, NEW.pattern_id,
       LEFT(UNHEX(SHA2(NEW.service_name, 256)), 16), NEW.service_name, 1, NEW.time_unix_nano,
       NEW.time_unix_nano, NEW.id
FROM DUAL WHERE NEW.pattern_id IS NOT NULL
ON DUPLICATE KEY UPDATE count = count + 1, first_ns = LEAST(first_ns, VALUES(first_ns)),
    last_ns = GREATEST(last_ns, VALUES(last_ns)),
    example_id = GREATEST(example_id, VALUES(example_id));

CREATE TRIGGER log_pattern_rollups_untag AFTER UPDATE ON log_records FOR EACH ROW
UPDATE log_pattern_rollups SET count = count - 1
WHERE OLD.pattern_id IS NOT NULL AND NOT (OLD.pattern_id <=> NEW.pattern_id)
  AND minute_ns = OLD.time_unix_nano DIV 60000000000 * 60000000000
  AND pattern_id = OLD.pattern_id AND service_key = LEFT(UNHEX(SHA2(OLD.service_name, 256)), 16);

CREATE TRIGGER log_pattern_rollups_tag AFTER UPDATE ON log_records FOR EACH ROW
FOLLOWS log_pattern_rollups_untag
INSERT INTO log_pattern_rollups (minute_ns, pattern_id, service_key, service_name, count, first_ns,
                                 last_ns, example_id)
SELECT NEW.time_unix_nano DIV 60000000000 * 60000000000, NEW.pattern_id,
       LEFT(UNHEX(SHA2(NEW.service_name, 256)), 16), NEW.service_name, 1, NEW.time_unix_nano,
       NEW.time_unix_nano, NEW.id
FROM DUAL WHERE NEW.pattern_id IS NOT NULL AND NOT (OLD.pattern_id <=> NEW.pattern_id)
ON DUPLICATE KEY UPDATE count = count + 1, first_ns = LEAST(first_ns, VALUES(first_ns)),
    last_ns = GREATEST(last_ns, VALUES(last_ns)),
    example_id = GREATEST(example_id, VALUES(example_id));

-- The traces list's error=true filter and sort=duration (MariaDB has no partial indexes).
CREATE INDEX traces_errors ON traces (error_count, start_time_unix_nano);
CREATE INDEX traces_duration ON traces (duration_ns);
