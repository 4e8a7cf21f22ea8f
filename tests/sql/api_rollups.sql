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

-- otlp_span_traces() and otlp_span_rollups(), which the traces summary and span_rollups ingest
-- statements read: the same rows as their GROUP BY over otlp_spans(), on the same payloads plus
-- one with ties (two roots starting together, two earliest children, a service met again later)
INSERT INTO op_payloads VALUES ('ties', '{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"zeta"}}]},"scopeSpans":[{"spans":[{"traceId":"dddddddddddddddddddddddddddddd01","spanId":"dddddddddddddd01","name":"root one","kind":2,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000500000000"},{"traceId":"dddddddddddddddddddddddddddddd02","spanId":"dddddddddddddd03","parentSpanId":"dddddddddddddd09","name":"child one","startTimeUnixNano":"1700000000100000000","endTimeUnixNano":"1700000000200000000","status":{"code":2}}]}]},{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"alpha"}}]},"scopeSpans":[{"spans":[{"traceId":"dddddddddddddddddddddddddddddd01","spanId":"dddddddddddddd02","name":"root two","kind":5,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000900000000","status":{"code":2}},{"traceId":"dddddddddddddddddddddddddddddd02","spanId":"dddddddddddddd04","parentSpanId":"dddddddddddddd09","name":"child two","kind":2,"startTimeUnixNano":"1700000000100000000","endTimeUnixNano":"1700000000300000000"},{"traceId":"dddddddddddddddddddddddddddddd01","spanId":"dddddddddddddd05","parentSpanId":"dddddddddddddd01","name":"late","startTimeUnixNano":"1700000061000000000","endTimeUnixNano":"1700000061000000000"}]}]},{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"zeta"}}]},"scopeSpans":[{"spans":[{"traceId":"dddddddddddddddddddddddddddddd01","spanId":"dddddddddddddd06","parentSpanId":"dddddddddddddd01","name":"again","kind":2,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000000000001"}]}]}]}');
SELECT 'tr-fn-' || f, (SELECT count(*) FROM otlp_span_traces(p)) > 0 AND NOT EXISTS (
  SELECT * FROM (SELECT trace_id, start_time_unix_nano, end_time_unix_nano, duration_ns,
                        root_service_name, root_name, has_root, span_count, error_count, services
                 FROM otlp_span_traces(p)
                 UNION ALL
                 SELECT trace_id, min(start_time_unix_nano), max(end_time_unix_nano),
                        max(end_time_unix_nano) - min(start_time_unix_nano),
                        arg_min(service_name, parent_span_id IS NOT NULL, start_time_unix_nano),
                        arg_min(name, parent_span_id IS NOT NULL, start_time_unix_nano),
                        max(parent_span_id IS NULL), count(*), sum(status_code = 2),
                        json_group_set(service_name)
                 FROM otlp_spans(p) GROUP BY trace_id)
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 HAVING count(*) <> 2)
FROM op_payloads;
SELECT 'tr-fn-order-' || f, (SELECT group_concat(trace_id) FROM otlp_span_traces(p))
       IS (SELECT group_concat(trace_id) FROM (SELECT DISTINCT trace_id FROM otlp_spans(p) ORDER BY 1))
FROM op_payloads;
SELECT 'tr-fn-ties', (SELECT group_concat(root_service_name || '/' || root_name || '/' || has_root || '/' || services, ' ')
                      FROM otlp_span_traces((SELECT p FROM op_payloads WHERE f = 'ties')))
       = 'zeta/root one/1/["alpha","zeta"] zeta/child one/0/["alpha","zeta"]';
SELECT 'ru-fn-' || f, (SELECT count(*) FROM otlp_span_rollups(p)) > 0 AND NOT EXISTS (
  SELECT * FROM (SELECT service_name, minute_ns, requests, errors, duration_sketch
                 FROM otlp_span_rollups(p)
                 UNION ALL
                 SELECT service_name, start_time_unix_nano / 60000000000 * 60000000000, count(*),
                        sum(status_code = 2), sketch(duration_ns)
                 FROM otlp_spans(p) WHERE +(kind IN (2, 5) OR parent_span_id IS NULL) GROUP BY 1, 2)
  GROUP BY 1, 2, 3, 4, 5 HAVING count(*) <> 2)
FROM op_payloads;
SELECT 'tr-fn-columns', (SELECT group_concat(name || ' ' || type, ', ') FROM pragma_table_info('otlp_span_traces'))
       = 'trace_id TEXT, start_time_unix_nano INTEGER, end_time_unix_nano INTEGER, duration_ns INTEGER, root_service_name TEXT, root_name TEXT, has_root INTEGER, span_count INTEGER, error_count INTEGER, services TEXT';
SELECT 'ru-fn-columns', (SELECT group_concat(name || ' ' || type, ', ') FROM pragma_table_info('otlp_span_rollups'))
       = 'service_name TEXT, minute_ns INTEGER, requests INTEGER, errors INTEGER, duration_sketch BLOB';
-- otlp_log_rollups(), which the log_rollups ingest statement reads: the same rows as its GROUP BY
-- over otlp_logs() (observed time when the record has none, severities out of range as 0)
CREATE TEMP TABLE log_payloads AS
  SELECT 'logs.pb' AS f, readfile('tests/fixtures/logs.pb') AS p
  UNION ALL SELECT 'logs.json', CAST(readfile('tests/fixtures/logs.json') AS TEXT)
  UNION ALL SELECT 'logs_basic', readfile('tests/fixtures/hand/logs_basic.pb')
  UNION ALL SELECT 'logs_like_json', readfile('tests/fixtures/hand/logs_like_json.pb')
  UNION ALL SELECT 'edges', '{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"b"}}]},"scopeLogs":[{"logRecords":[{"timeUnixNano":"0","observedTimeUnixNano":"1700000000000000000","severityNumber":9},{"timeUnixNano":"1700000059999999999","severityNumber":12},{"timeUnixNano":"1700000060000000000","severityNumber":0},{"timeUnixNano":"1700000001000000000","severityNumber":25},{"timeUnixNano":"1700000002000000000","severityNumber":24}]}]},{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"a"}}]},"scopeLogs":[{"logRecords":[{"timeUnixNano":"1700000000000000000","severityNumber":1},{"timeUnixNano":"1700000000000000000","severityNumber":4}]}]}]}';
SELECT 'lr-fn-' || f, (SELECT count(*) FROM otlp_log_rollups(p)) > 0 AND NOT EXISTS (
  SELECT * FROM (SELECT service_name, minute_ns, severity, count FROM otlp_log_rollups(p)
                 UNION ALL
                 SELECT service_name,
                        (CASE WHEN time_unix_nano = 0 THEN observed_time_unix_nano ELSE time_unix_nano END)
                            / 60000000000 * 60000000000,
                        CASE WHEN severity_number BETWEEN 1 AND 24 THEN (severity_number - 1) / 4 * 4 + 1 ELSE 0 END,
                        count(*)
                 FROM otlp_logs(p) GROUP BY 1, 2, 3)
  GROUP BY 1, 2, 3, 4 HAVING count(*) <> 2)
FROM log_payloads;
SELECT 'lr-fn-edges', (SELECT group_concat(service_name || ':' || ((minute_ns - 1699999980000000000) / 60000000000) || ':' || severity || ':' || count, ' ')
                       FROM otlp_log_rollups((SELECT p FROM log_payloads WHERE f = 'edges')))
       = 'b:0:9:1 b:1:9:1 b:1:0:1 b:0:0:1 b:0:21:1 a:0:1:2';
SELECT 'lr-fn-columns', (SELECT group_concat(name || ' ' || type, ', ') FROM pragma_table_info('otlp_log_rollups'))
       = 'service_name TEXT, minute_ns INTEGER, severity INTEGER, count INTEGER';
SELECT 'lr-fn-null', (SELECT count(*) FROM otlp_log_rollups(NULL)) = 0;
SELECT 'tr-fn-null', (SELECT count(*) FROM otlp_span_traces(NULL)) + (SELECT count(*) FROM otlp_span_rollups(NULL)) = 0;
SELECT 'tr-fn-empty-json', (SELECT count(*) FROM otlp_span_traces('{"resourceSpans":[]}'))
       + (SELECT count(*) FROM otlp_span_rollups('{"resourceSpans":[]}')) = 0;

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
