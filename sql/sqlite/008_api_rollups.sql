-- Argus schema, version 8: per-minute rollups by operation and by log pattern, so the API's
-- operation lists, top failing operations and log patterns read a few rows per minute instead of
-- every record of the range (on 5M spans a day's top failing operations read every span: 10 s).
--
-- span_operation_rollups: per service, minute and span name. Maintained at ingest by
-- sql/sqlite/ingest/spans_35_operation_rollups.sql:
--   spans, errors                  every span of that name, those with status code 2 (ERROR)
--   requests, request_errors       the same for request spans: SERVER (2) / CONSUMER (5) or root
--   SELECT name, sum(spans), sum(errors) FROM span_operation_rollups
--   WHERE service_name = ? AND minute_ns >= ? AND minute_ns < ? GROUP BY name;
--
-- log_pattern_rollups: per minute, pattern and service, the lines the insight worker tagged with
-- that pattern (pattern_id is set after ingest): count, first and last record time, newest id.
-- Kept by the triggers below as pattern_id is set (or changed) on log_records.
--   SELECT pattern_id, sum(count) FROM log_pattern_rollups
--   WHERE minute_ns >= ? AND minute_ns < ? GROUP BY pattern_id;
--
-- Both are purged like span_rollups / log_rollups: whole minutes before the cut-off, everything
-- on a full delete. Existing rows are counted in here.

CREATE TABLE span_operation_rollups (
    service_name   TEXT    NOT NULL,
    minute_ns      INTEGER NOT NULL, -- unix ns of the minute's start (UTC)
    name           TEXT    NOT NULL,
    spans          INTEGER NOT NULL,
    errors         INTEGER NOT NULL,
    requests       INTEGER NOT NULL,
    request_errors INTEGER NOT NULL,
    PRIMARY KEY (service_name, minute_ns, name)
) WITHOUT ROWID;
CREATE INDEX span_operation_rollups_minute ON span_operation_rollups (minute_ns);

INSERT INTO span_operation_rollups (service_name, minute_ns, name, spans, errors, requests,
                                    request_errors)
SELECT service_name, start_time_unix_nano / 60000000000 * 60000000000, name, count(*),
       sum(status_code = 2), sum(kind IN (2, 5) OR parent_span_id IS NULL),
       sum((kind IN (2, 5) OR parent_span_id IS NULL) AND status_code = 2)
FROM span_records GROUP BY 1, 2, 3;

CREATE TABLE log_pattern_rollups (
    minute_ns    INTEGER NOT NULL, -- unix ns of the minute's start (UTC) of time_unix_nano
    pattern_id   TEXT    NOT NULL,
    service_name TEXT    NOT NULL,
    count        INTEGER NOT NULL,
    first_ns     INTEGER NOT NULL,
    last_ns      INTEGER NOT NULL,
    example_id   INTEGER NOT NULL, -- the newest record's id
    PRIMARY KEY (minute_ns, pattern_id, service_name)
) WITHOUT ROWID;

INSERT INTO log_pattern_rollups (minute_ns, pattern_id, service_name, count, first_ns, last_ns,
                                 example_id)
SELECT time_unix_nano / 60000000000 * 60000000000, pattern_id, service_name, count(*),
       min(time_unix_nano), max(time_unix_nano), max(id)
FROM log_records WHERE pattern_id IS NOT NULL GROUP BY 1, 2, 3;

-- A line tagged later (the insight worker's UPDATE) or stored with its pattern.
CREATE TRIGGER log_pattern_rollups_insert AFTER INSERT ON log_records
WHEN new.pattern_id IS NOT NULL BEGIN
    INSERT INTO log_pattern_rollups (minute_ns, pattern_id, service_name, count, first_ns,
                                     last_ns, example_id)
    VALUES (new.time_unix_nano / 60000000000 * 60000000000, new.pattern_id, new.service_name, 1,
            new.time_unix_nano, new.time_unix_nano, new.id)
    ON CONFLICT (minute_ns, pattern_id, service_name) DO UPDATE SET
        count = count + 1, first_ns = min(first_ns, excluded.first_ns),
        last_ns = max(last_ns, excluded.last_ns), example_id = max(example_id, excluded.example_id);
END;
CREATE TRIGGER log_pattern_rollups_update AFTER UPDATE OF pattern_id ON log_records
WHEN new.pattern_id IS NOT old.pattern_id BEGIN
    UPDATE log_pattern_rollups SET count = count - 1
    WHERE minute_ns = old.time_unix_nano / 60000000000 * 60000000000
      AND pattern_id = old.pattern_id AND service_name = old.service_name;
    DELETE FROM log_pattern_rollups
    WHERE minute_ns = old.time_unix_nano / 60000000000 * 60000000000
      AND pattern_id = old.pattern_id AND service_name = old.service_name AND count <= 0;
    INSERT INTO log_pattern_rollups (minute_ns, pattern_id, service_name, count, first_ns,
                                     last_ns, example_id)
    SELECT new.time_unix_nano / 60000000000 * 60000000000, new.pattern_id, new.service_name, 1,
           new.time_unix_nano, new.time_unix_nano, new.id
    WHERE new.pattern_id IS NOT NULL
    ON CONFLICT (minute_ns, pattern_id, service_name) DO UPDATE SET
        count = count + 1, first_ns = min(first_ns, excluded.first_ns),
        last_ns = max(last_ns, excluded.last_ns), example_id = max(example_id, excluded.example_id);
END;

-- The traces list's error=true filter and sort=duration read these instead of every trace of
-- the range (each costs the ingest of a trace summary an index entry: see docs/api.md).
CREATE INDEX traces_errors ON traces (start_time_unix_nano) WHERE error_count > 0;
CREATE INDEX traces_duration ON traces (duration_ns);
