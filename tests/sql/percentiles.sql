-- SQL-script tests of percentile(), the sketch functions and the per-minute span rollups
-- (sql/sqlite/ingest/spans_30_rollups.sql run on hand-made OTLP/JSON payloads).
--   tests/sql/run.sh build      (runs from the repository root; every row must be "<case>|1")

-- ---- percentile(value, p): exact, rank = p * (n - 1), linear interpolation -------------------
CREATE TEMP TABLE pct_v (g TEXT, x REAL);
INSERT INTO pct_v VALUES ('a', 1), ('a', 2), ('a', 3), ('a', 4), ('a', NULL),
                         ('b', 10), ('c', 5), ('c', 5), ('c', 5), ('c', 1), ('c', 9);

SELECT 'pct-median-even', (SELECT percentile(x, 0.5) FROM pct_v WHERE g = 'a') = 2.5;
SELECT 'pct-quartile', (SELECT percentile(x, 0.25) FROM pct_v WHERE g = 'a') = 1.75;
SELECT 'pct-p90', (SELECT percentile(x, 0.9) FROM pct_v WHERE g = 'a') = 3.7;
SELECT 'pct-min', (SELECT percentile(x, 0) FROM pct_v WHERE g = 'a') = 1;
SELECT 'pct-max', (SELECT percentile(x, 1) FROM pct_v WHERE g = 'a') = 4;
SELECT 'pct-single', (SELECT percentile(x, 0.99) FROM pct_v WHERE g = 'b') = 10;
SELECT 'pct-duplicates', (SELECT percentile(x, 0.5) FROM pct_v WHERE g = 'c') = 5;
SELECT 'pct-duplicates-low', (SELECT percentile(x, 0.125) FROM pct_v WHERE g = 'c') = 3;
SELECT 'pct-no-rows', (SELECT percentile(x, 0.5) FROM pct_v WHERE g = 'none') IS NULL;
SELECT 'pct-only-null', (SELECT percentile(NULL, 0.5)) IS NULL;
SELECT 'pct-integers', percentile(value, 0.5) = 50.5 FROM generate_series(1, 100);
SELECT 'pct-group-by',
       (SELECT group_concat(g || '=' || m, ',')
        FROM (SELECT g, percentile(x, 0.5) AS m FROM pct_v GROUP BY g ORDER BY g))
       = 'a=2.5,b=10.0,c=5.0';
SELECT 'pct-window',
       (SELECT group_concat(m, ',')
        FROM (SELECT percentile(x, 0.5) OVER (ORDER BY rowid ROWS 1 PRECEDING) AS m
              FROM pct_v WHERE g = 'a'))
       = '1.0,1.5,2.5,3.5,4.0';

-- ---- sketches -------------------------------------------------------------------------------
CREATE TEMP TABLE pct_d AS
SELECT value AS i, (value * 7919 % 10007) * 1000 + 1 AS ns FROM generate_series(1, 10000);

SELECT 'sketch-count', (SELECT sketch_count(sketch(ns)) FROM pct_d) = 10000;
SELECT 'sketch-p50-1pct',
       (SELECT abs(sketch_quantile(sketch(ns), 0.5) / percentile(ns, 0.5) - 1) FROM pct_d) <= 0.01;
SELECT 'sketch-p99-1pct',
       (SELECT abs(sketch_quantile(sketch(ns), 0.99) / percentile(ns, 0.99) - 1) FROM pct_d) <= 0.01;
SELECT 'sketch-p999-1pct',
       (SELECT abs(sketch_quantile(sketch(ns), 0.999) / percentile(ns, 0.999) - 1) FROM pct_d)
       <= 0.01;
SELECT 'sketch-min-exact', (SELECT sketch_quantile(sketch(ns), 0) = min(ns) FROM pct_d);
SELECT 'sketch-max-exact', (SELECT sketch_quantile(sketch(ns), 1) = max(ns) FROM pct_d);
SELECT 'sketch-constant', (SELECT sketch_quantile(sketch(42), 0.5)) = 42;
SELECT 'sketch-null-ignored', (SELECT sketch_count(sketch(x)) FROM pct_v) = 10;
SELECT 'sketch-empty-null', (SELECT sketch(ns) FROM pct_d WHERE i < 0) IS NULL;
SELECT 'sketch-compact', (SELECT length(sketch(ns)) FROM pct_d) < 2000;
SELECT 'sketch-version-byte', (SELECT hex(substr(sketch(1), 1, 2))) = 'D501';
-- Merging sketches of parts gives the very blob of the whole.
SELECT 'sketch-merge-equals-whole',
       (SELECT sketch_merge(s) FROM (SELECT sketch(ns) AS s FROM pct_d GROUP BY i % 7))
       = (SELECT sketch(ns) FROM pct_d);
SELECT 'sketch-add-equals-whole',
       sketch_add((SELECT sketch(ns) FROM pct_d WHERE i <= 3000),
                  (SELECT sketch(ns) FROM pct_d WHERE i > 3000))
       = (SELECT sketch(ns) FROM pct_d);
SELECT 'sketch-add-null-left', sketch_add(NULL, sketch(5)) = sketch(5);
SELECT 'sketch-add-null-both', sketch_add(NULL, NULL) IS NULL;
SELECT 'sketch-merge-null', (SELECT sketch_merge(NULL)) IS NULL;
SELECT 'sketch-negative-1pct',
       abs(sketch_quantile(sketch(-value), 0.9) / percentile(-value, 0.9) - 1) <= 0.01
  FROM generate_series(1, 1000);
SELECT 'sketch-zeros', sketch_quantile(sketch(value % 2 * value), 0.25) = 0
  FROM generate_series(1, 1000);

-- ---- per-minute rollups: the real ingest statement on hand-made payloads ------------------------
-- Minute m0 starts at 1700000040 s (a multiple of 60). kind: 1 internal, 2 server, 3 client,
-- 5 consumer; status 2 = error. Requests: server/consumer spans and roots.
CREATE TEMP TABLE pct_spans (payload INT, service TEXT, span INT, parent INT, kind INT,
                             start_ms INT, dur_ms INT, status INT);
INSERT INTO pct_spans VALUES
    (1, 'pct-api',    1, NULL, 2,  1000, 100, 0),  -- root server: request
    (1, 'pct-api',    2, 1,    3,  1010,  20, 0),  -- client child: not a request
    (1, 'pct-api',    3, 1,    1,  1040,  30, 2),  -- internal child error: not a request
    (1, 'pct-api',    4, NULL, 1,  2000, 300, 2),  -- internal root: request, error
    (1, 'pct-worker', 5, 99,   5,  3000,  50, 0),  -- consumer with remote parent: request
    (1, 'pct-api',    6, NULL, 2, 65000, 200, 2),  -- root server, next minute, error
    (2, 'pct-api',    7, 98,   2, 30000, 400, 0),  -- server with remote parent, same minute
    (2, 'pct-worker', 8, 99,   5, 59999,  70, 2);  -- consumer error, last ms of the minute
CREATE TEMP VIEW pct_payloads AS
SELECT payload, json_object('resourceSpans', json_group_array(json(rs))) AS body
FROM (SELECT payload, json_object(
          'resource', json_object('attributes', json_array(json_object(
              'key', 'service.name', 'value', json_object('stringValue', service)))),
          'scopeSpans', json_array(json_object('spans', json_group_array(json_object(
              'traceId', printf('%032d', span), 'spanId', printf('%016d', span),
              'parentSpanId', CASE WHEN parent IS NOT NULL THEN printf('%016d', parent) END,
              'name', 'op', 'kind', kind,
              'startTimeUnixNano', CAST((1700000040000 + start_ms) * 1000000 AS TEXT),
              'endTimeUnixNano', CAST((1700000040000 + start_ms + dur_ms) * 1000000 AS TEXT),
              'status', json_object('code', status)))))) AS rs
      FROM pct_spans GROUP BY payload, service)
GROUP BY payload;

.parameter init
REPLACE INTO temp.sqlite_parameters VALUES ('?1', (SELECT body FROM pct_payloads WHERE payload = 1));
.read sql/sqlite/ingest/spans_30_rollups.sql
REPLACE INTO temp.sqlite_parameters VALUES ('?1', (SELECT body FROM pct_payloads WHERE payload = 2));
.read sql/sqlite/ingest/spans_30_rollups.sql
.parameter clear

SELECT 'rollup-payload-decodes', (SELECT count(*) FROM otlp_spans((SELECT body FROM pct_payloads
                                                                  WHERE payload = 1))) = 6;
SELECT 'rollup-rows', (SELECT count(*) FROM span_rollups) = 3;
SELECT 'rollup-api-m0',
       (SELECT requests || '/' || errors || '/' || sketch_count(duration_sketch) FROM span_rollups
        WHERE service_name = 'pct-api' AND minute_ns = 1700000040000000000) = '3/1/3';
SELECT 'rollup-api-m1',
       (SELECT requests || '/' || errors FROM span_rollups
        WHERE service_name = 'pct-api' AND minute_ns = 1700000100000000000) = '1/1';
SELECT 'rollup-worker-m0',
       (SELECT requests || '/' || errors || '/' || sketch_count(duration_sketch) FROM span_rollups
        WHERE service_name = 'pct-worker' AND minute_ns = 1700000040000000000) = '2/1/2';
SELECT 'rollup-api-m0-durations',
       (SELECT sketch_quantile(duration_sketch, 0) = 100e6
           AND sketch_quantile(duration_sketch, 1) = 400e6
           AND abs(sketch_quantile(duration_sketch, 0.5) / 300e6 - 1) <= 0.01
        FROM span_rollups WHERE service_name = 'pct-api' AND minute_ns = 1700000040000000000);
-- The dashboard query: one row per minute across services.
SELECT 'rollup-dashboard',
       (SELECT group_concat(line, ';') FROM (
            SELECT ((minute_ns - 1700000040000000000) / 60000000000) || ':' || sum(requests)
                   || ':' || sum(errors) || ':'
                   || (sketch_quantile(sketch_merge(duration_sketch), 1) / 1e6) AS line
            FROM span_rollups WHERE minute_ns BETWEEN 1700000040000000000 AND 1700000100000000000
            GROUP BY minute_ns ORDER BY minute_ns))
       = '0:5:2:400.0;1:1:1:200.0';
