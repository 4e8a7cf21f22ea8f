-- otlp_spans / otlp_logs / *_json / otlp_check on hand-written payloads (tests/fixtures/hand).
SELECT 'spans-count', (SELECT count(*) FROM otlp_spans(readfile('tests/fixtures/hand/spans_basic.pb'))) = 2;
SELECT 'spans-ids', (SELECT group_concat(span_id || ':' || coalesce(parent_span_id, '-'), ',') FROM otlp_spans(readfile('tests/fixtures/hand/spans_basic.pb'))) = '1112131415161718:-,2112131415161718:1112131415161718';
SELECT 'spans-trace-id', (SELECT DISTINCT trace_id FROM otlp_spans(readfile('tests/fixtures/hand/spans_basic.pb'))) = '0102030405060708090a0b0c0d0e0f10';
SELECT 'spans-service', (SELECT DISTINCT service_name FROM otlp_spans(readfile('tests/fixtures/hand/spans_basic.pb'))) = 'checkout';
SELECT 'spans-times', (SELECT start_time_unix_nano || '/' || end_time_unix_nano || '/' || duration_ns FROM otlp_spans(readfile('tests/fixtures/hand/spans_basic.pb')) WHERE name = 'GET /cart') = '1700000000000000000/1700000000250000000/250000000';
SELECT 'spans-kind-status', (SELECT kind || '/' || status_code || '/' || status_message || '/' || flags FROM otlp_spans(readfile('tests/fixtures/hand/spans_basic.pb')) WHERE name = 'GET /cart') = '2/2/boom/257';
SELECT 'spans-attr-int', (SELECT attributes ->> '$."http.status_code"' FROM otlp_spans(readfile('tests/fixtures/hand/spans_basic.pb')) WHERE name = 'GET /cart') = 200;
SELECT 'spans-attr-double', (SELECT attributes ->> '$.ratio' FROM otlp_spans(readfile('tests/fixtures/hand/spans_basic.pb')) WHERE name = 'GET /cart') = 0.1;
SELECT 'spans-attr-bytes-base64', (SELECT attributes ->> '$.raw' FROM otlp_spans(readfile('tests/fixtures/hand/spans_basic.pb')) WHERE name = 'GET /cart') = '/wAB';
SELECT 'spans-attr-array', (SELECT attributes -> '$.list' FROM otlp_spans(readfile('tests/fixtures/hand/spans_basic.pb')) WHERE name = 'GET /cart') = '["a",2]';
SELECT 'spans-attr-invalid-utf8-replaced', (SELECT attributes ->> '$.map.k' FROM otlp_spans(readfile('tests/fixtures/hand/spans_basic.pb')) WHERE name = 'GET /cart') = 'v' || char(65533);
SELECT 'spans-attributes-valid-json', (SELECT min(json_valid(attributes) AND json_valid(events) AND json_valid(links) AND json_valid(resource_attributes)) FROM otlp_spans(readfile('tests/fixtures/hand/spans_basic.pb'))) = 1;
SELECT 'spans-event', (SELECT events ->> '$[0].name' || '@' || (events ->> '$[0].time_unix_nano') FROM otlp_spans(readfile('tests/fixtures/hand/spans_basic.pb')) WHERE name = 'GET /cart') = 'cache miss@1700000000100000000';
SELECT 'spans-link', (SELECT links ->> '$[0].span_id' FROM otlp_spans(readfile('tests/fixtures/hand/spans_basic.pb')) WHERE name = 'GET /cart') = '1112131415161719';
SELECT 'spans-scope', (SELECT DISTINCT scope_name || ' ' || scope_version FROM otlp_spans(readfile('tests/fixtures/hand/spans_basic.pb'))) = 'my.lib 1.2.3';
SELECT 'spans-null-payload', (SELECT count(*) FROM otlp_spans(NULL)) = 0;
SELECT 'spans-empty-payload', (SELECT count(*) FROM otlp_spans(x'')) = 0;
SELECT 'spans-json-same-rows', (SELECT json_array_length(otlp_spans_json(readfile('tests/fixtures/hand/spans_basic.pb')))) = 2;
SELECT 'spans-json-null', otlp_spans_json(NULL) IS NULL;
SELECT 'check-rejected', otlp_check(readfile('tests/fixtures/hand/spans_basic.pb')) = '{"type":"traces","format":"protobuf","resources":1,"items":3,"rejected":1,"error":"resource_spans[0].scope_spans[0].spans[2]: trace_id must be 16 bytes (32 hex digits)"}';
SELECT 'check-logs', otlp_check(readfile('tests/fixtures/hand/logs_basic.pb'), 'logs') = '{"type":"logs","format":"protobuf","resources":2,"items":4,"rejected":1,"error":"resource_logs[0].scope_logs[0].log_records[2]: span_id must be empty or 8 bytes (16 hex digits)"}';
SELECT 'check-autodetect-logs', otlp_check(readfile('tests/fixtures/hand/logs_basic.pb')) ->> '$.type' = 'logs';
SELECT 'logs-count', (SELECT count(*) FROM otlp_logs(readfile('tests/fixtures/hand/logs_basic.pb'))) = 3;
SELECT 'logs-string-body', (SELECT body || '|' || body_type || '|' || severity_number || '|' || severity_text FROM otlp_logs(readfile('tests/fixtures/hand/logs_basic.pb')) WHERE trace_id IS NOT NULL) = 'payment declined for order 42|string|17|ERROR';
SELECT 'logs-ids', (SELECT trace_id || ':' || span_id || ':' || flags FROM otlp_logs(readfile('tests/fixtures/hand/logs_basic.pb')) WHERE trace_id IS NOT NULL) = '0102030405060708090a0b0c0d0e0f10:1112131415161718:1';
SELECT 'logs-kvlist-body', (SELECT body FROM otlp_logs(readfile('tests/fixtures/hand/logs_basic.pb')) WHERE body_type = 'kvlist') = '{"event":"login","ok":true}';
SELECT 'logs-event-name', (SELECT event_name FROM otlp_logs(readfile('tests/fixtures/hand/logs_basic.pb')) WHERE body_type = 'kvlist') = 'user.login';
SELECT 'logs-unset-time-is-zero', (SELECT time_unix_nano || '/' || observed_time_unix_nano FROM otlp_logs(readfile('tests/fixtures/hand/logs_basic.pb')) WHERE body_type = 'kvlist') = '0/1700000000000001000';
SELECT 'logs-int-body-unknown-service', (SELECT body || '|' || body_type || '|' || service_name FROM otlp_logs(readfile('tests/fixtures/hand/logs_basic.pb')) WHERE body_type = 'int') = '7|int|unknown_service';
SELECT 'logs-no-trace-is-null', (SELECT count(*) FROM otlp_logs(readfile('tests/fixtures/hand/logs_basic.pb')) WHERE trace_id IS NULL) = 2;
-- Storing a capture: the documented ingest statements keep spans, traces and logs right.
INSERT INTO spans (trace_id, span_id, parent_span_id, name, kind, start_time_unix_nano, end_time_unix_nano, duration_ns, status_code, service_name) SELECT trace_id, span_id, parent_span_id, name, kind, start_time_unix_nano, end_time_unix_nano, duration_ns, status_code, service_name FROM otlp_spans(readfile('tests/fixtures/hand/spans_basic.pb'));
SELECT 'store-spans', (SELECT count(*) FROM spans) = 2;
SELECT 'arg-min-picks-first-key', (SELECT arg_min(name, parent_span_id IS NOT NULL, start_time_unix_nano) FROM spans) = 'GET /cart';
SELECT 'arg-min-ties-first-row', (SELECT arg_min(v, k) FROM (SELECT 'a' AS v, 1 AS k UNION ALL SELECT 'b', 1 UNION ALL SELECT 'c', 2)) = 'a';
SELECT 'arg-min-empty-null', (SELECT arg_min(name, start_time_unix_nano) FROM spans WHERE 0) IS NULL;
SELECT 'json-group-set', (SELECT json_group_set(v) FROM (SELECT 'b' AS v UNION ALL SELECT 'a' UNION ALL SELECT 'b' UNION ALL SELECT NULL)) = '["a","b"]';
SELECT 'json-group-set-empty', (SELECT json_group_set(v) FROM (SELECT 1 AS v) WHERE 0) = '[]';
CREATE TEMP TABLE schema_before AS SELECT count(*) AS n FROM sqlite_schema;
SELECT 'migrate-returns-latest', argus_migrate() = (SELECT max(version) FROM argus_migrations);
SELECT 'migrate-idempotent', (SELECT count(*) FROM sqlite_schema) = (SELECT n FROM schema_before);
-- Kind detection: OTLP/JSON logs decode as traces without resources, and are stored as logs.
SELECT 'check-detects-json-logs', otlp_check(readfile('tests/fixtures/logs.json')) ->> '$.type' = 'logs';
SELECT 'check-detects-json-traces', otlp_check(readfile('tests/fixtures/traces.json')) ->> '$.type' = 'traces';
SELECT 'check-empty-json-is-traces', otlp_check('{}') ->> '$.type' = 'traces';
SELECT 'store-detects-json-logs', argus_store(readfile('tests/fixtures/logs.json'))
       = (SELECT count(*) FROM otlp_logs(readfile('tests/fixtures/logs.json'))) AND
       (SELECT count(*) FROM otlp_logs(readfile('tests/fixtures/logs.json'))) > 0;
-- A protobuf whose first ResourceSpans / ResourceLogs is 123 bytes starts "\n{" like JSON: it must
-- still decode as the valid protobuf it is (issue 11), through every entry point.
SELECT 'like-json-starts-0a7b', hex(substr(readfile('tests/fixtures/hand/spans_like_json.pb'), 1, 2)) || hex(substr(readfile('tests/fixtures/hand/logs_like_json.pb'), 1, 2)) = '0A7B0A7B';
SELECT 'like-json-spans', (SELECT group_concat(service_name || ':' || name, ',') FROM otlp_spans(readfile('tests/fixtures/hand/spans_like_json.pb'))) = 'json-lookalike:GET /padded/xxxxxxxxxxxxxxxxxxxxx,second:child';
SELECT 'like-json-logs', (SELECT group_concat(service_name || ':' || coalesce(severity_text, '-'), ',') FROM otlp_logs(readfile('tests/fixtures/hand/logs_like_json.pb'))) = 'json-lookalike:WARN,second:-';
SELECT 'like-json-span-resources', (SELECT count(*) FROM otlp_span_resources(readfile('tests/fixtures/hand/spans_like_json.pb'))) = 2;
SELECT 'like-json-spans-json', json_array_length(otlp_spans_json(readfile('tests/fixtures/hand/spans_like_json.pb'))) = 2;
SELECT 'like-json-check-spans', otlp_check(readfile('tests/fixtures/hand/spans_like_json.pb')) = '{"type":"traces","format":"protobuf","resources":2,"items":2,"rejected":0,"error":null}';
SELECT 'like-json-check-logs', otlp_check(readfile('tests/fixtures/hand/logs_like_json.pb')) = '{"type":"logs","format":"protobuf","resources":2,"items":2,"rejected":0,"error":null}';
SELECT 'like-json-store-spans', argus_store(readfile('tests/fixtures/hand/spans_like_json.pb')) = 2;
SELECT 'like-json-store-logs', argus_store(readfile('tests/fixtures/hand/logs_like_json.pb')) = 2;
SELECT 'like-json-stored', (SELECT count(*) FROM spans WHERE service_name = 'json-lookalike') || '/' || (SELECT count(*) FROM logs WHERE service_name = 'json-lookalike') = '1/1';
-- duration_ns is 0 for a span that ends before it starts (not a negative or wrapped number).
SELECT 'duration-end-before-start', (SELECT duration_ns FROM otlp_spans('{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","name":"backwards","startTimeUnixNano":"1700000000500000000","endTimeUnixNano":"1700000000100000000"}]}]}]}')) = 0;
-- An empty service.name is no name: the span gets unknown_service, as without the attribute.
SELECT 'service-name-empty', (SELECT service_name FROM otlp_spans('{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":""}}]},"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","name":"anon","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}')) = 'unknown_service';
SELECT 'service-name-empty-log', (SELECT service_name FROM otlp_logs('{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":""}}]},"scopeLogs":[{"logRecords":[{"timeUnixNano":"1","body":{"stringValue":"x"}}]}]}]}')) = 'unknown_service';
