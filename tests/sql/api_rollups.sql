-- Migration 008's rollups: span_operation_rollups filled at ingest (spans_35_operation_rollups.sql),
-- log_pattern_rollups kept by triggers as pattern_id is set, changed or stored with the record.
SELECT 'store-split-a', argus_store(readfile('tests/fixtures/hand/spans_split_a.pb')) = 2;
SELECT 'store-split-b', argus_store(readfile('tests/fixtures/hand/spans_split_b.pb')) = 1;
SELECT 'store-traces-fixture', argus_store(readfile('tests/fixtures/traces.pb')) > 0;
SELECT 'op-spans-match-records', NOT EXISTS (
  SELECT service_name, minute_ns, name, spans, errors, requests, request_errors FROM span_operation_rollups
  EXCEPT
  SELECT service_name, start_time_unix_nano / 60000000000 * 60000000000, name, count(*),
         sum(status_code = 2), sum(kind IN (2, 5) OR parent_span_id IS NULL),
         sum((kind IN (2, 5) OR parent_span_id IS NULL) AND status_code = 2)
  FROM span_records GROUP BY 1, 2, 3);
SELECT 'op-rows-cover-records', (SELECT sum(spans) FROM span_operation_rollups) = (SELECT count(*) FROM span_records);
SELECT 'op-requests-match-span-rollups', (SELECT sum(requests) || '/' || sum(request_errors) FROM span_operation_rollups)
       = (SELECT sum(requests) || '/' || sum(errors) FROM span_rollups);
-- the same payload again adds to the stored rows
SELECT 'store-split-a-again', argus_store(readfile('tests/fixtures/hand/spans_split_a.pb')) = 2;
SELECT 'op-added', (SELECT sum(spans) FROM span_operation_rollups) = (SELECT count(*) FROM span_records);

-- otlp_span_operations(), which the ingest statement reads: the same rows as GROUP BY over
-- otlp_spans() on every traces fixture, protobuf and OTLP/JSON (the JSON ones are not rendered ahead)
CREATE TEMP TABLE op_payloads AS
  SELECT 'traces.pb' AS f, readfile('tests/fixtures/traces.pb') AS p
  UNION ALL SELECT 'traces.json', CAST(readfile('tests/fixtures/traces.json') AS TEXT)
  UNION ALL SELECT 'spans_basic', readfile('tests/fixtures/hand/spans_basic.pb')
  UNION ALL SELECT 'spans_like_json', readfile('tests/fixtures/hand/spans_like_json.pb')
  UNION ALL SELECT 'spans_split_a', readfile('tests/fixtures/hand/spans_split_a.pb')
  UNION ALL SELECT 'spans_split_b', readfile('tests/fixtures/hand/spans_split_b.pb');
SELECT 'op-fn-' || f, (SELECT count(*) FROM otlp_span_operations(p)) > 0 AND NOT EXISTS (
  SELECT * FROM (SELECT service_name, minute_ns, name, spans, errors, requests, request_errors
                 FROM otlp_span_operations(p)
                 UNION ALL
                 SELECT service_name, start_time_unix_nano / 60000000000 * 60000000000, name,
                        count(*), sum(status_code = 2), sum(kind IN (2, 5) OR parent_span_id IS NULL),
                        sum((kind IN (2, 5) OR parent_span_id IS NULL) AND status_code = 2)
                 FROM otlp_spans(p) GROUP BY 1, 2, 3)
  GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING count(*) <> 2)
FROM op_payloads;
SELECT 'op-fn-columns', (SELECT group_concat(name || ' ' || type, ', ') FROM pragma_table_info('otlp_span_operations'))
       = 'service_name TEXT, minute_ns INTEGER, name TEXT, spans INTEGER, errors INTEGER, requests INTEGER, request_errors INTEGER';
SELECT 'op-fn-null', (SELECT count(*) FROM otlp_span_operations(NULL)) = 0;
SELECT 'op-fn-empty-json', (SELECT count(*) FROM otlp_span_operations('{"resourceSpans":[]}')) = 0;

-- Patterns: a record stored with its pattern, one tagged later, one re-tagged, one untagged.
INSERT INTO log_records (id, time_unix_nano, observed_time_unix_nano, service_name, resource_id, body, pattern_id)
VALUES (1, 60000000000 * 10 + 5, 0, 'a', 0, 'one', 'p1'),
       (2, 60000000000 * 10 + 7, 0, 'a', 0, 'two', NULL),
       (3, 60000000000 * 11 + 1, 0, 'b', 0, 'three', NULL);
SELECT 'pattern-on-insert', (SELECT count || '/' || first_ns || '/' || example_id FROM log_pattern_rollups
                             WHERE pattern_id = 'p1') = '1/600000000005/1';
UPDATE log_records SET pattern_id = 'p1' WHERE id = 2;
UPDATE log_records SET pattern_id = 'p2' WHERE id = 3;
SELECT 'pattern-on-update', (SELECT group_concat(minute_ns || ':' || pattern_id || ':' || service_name || ':' || count
                                                 || ':' || first_ns || ':' || last_ns || ':' || example_id, ' ')
                             FROM (SELECT * FROM log_pattern_rollups ORDER BY 1, 2, 3))
       = '600000000000:p1:a:2:600000000005:600000000007:2 660000000000:p2:b:1:660000000001:660000000001:3';
UPDATE log_records SET pattern_id = 'p1' WHERE id = 1;
SELECT 'pattern-same-value-no-change', (SELECT count FROM log_pattern_rollups WHERE pattern_id = 'p1') = 2;
UPDATE log_records SET pattern_id = 'p2' WHERE id = 1;
SELECT 'pattern-moved', (SELECT count FROM log_pattern_rollups WHERE pattern_id = 'p1') = 1
       AND (SELECT sum(count) FROM log_pattern_rollups WHERE pattern_id = 'p2') = 2;
UPDATE log_records SET pattern_id = NULL WHERE id IN (2, 3);
SELECT 'pattern-cleared-row-gone', (SELECT group_concat(pattern_id || ':' || count) FROM log_pattern_rollups) = 'p2:1';
SELECT 'pattern-sum-matches-records', (SELECT sum(count) FROM log_pattern_rollups)
       = (SELECT count(*) FROM log_records WHERE pattern_id IS NOT NULL);
