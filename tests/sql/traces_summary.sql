-- The traces summary stays right when one trace arrives in several payloads with its root last.
SELECT 'store-a', argus_store(readfile('tests/fixtures/hand/spans_split_a.pb')) = 2;
SELECT 'a-no-root-yet', (SELECT has_root FROM traces) = 0;
SELECT 'a-provisional-root-is-earliest', (SELECT root_service_name || '/' || root_name FROM traces) = 'inventory/reserve';
SELECT 'a-counts', (SELECT span_count || '/' || error_count FROM traces) = '2/1';
SELECT 'a-times', (SELECT start_time_unix_nano || '/' || end_time_unix_nano || '/' || duration_ns FROM traces) = '1700000000200000000/1700000000400000000/200000000';
SELECT 'store-b', argus_store(readfile('tests/fixtures/hand/spans_split_b.pb')) = 1;
SELECT 'one-trace', (SELECT count(*) FROM traces) = 1;
SELECT 'b-root-arrived', (SELECT has_root || '/' || root_service_name || '/' || root_name FROM traces) = '1/api-gateway/POST /orders';
SELECT 'b-counts', (SELECT span_count || '/' || error_count FROM traces) = '3/1';
SELECT 'b-times', (SELECT start_time_unix_nano || '/' || end_time_unix_nano || '/' || duration_ns FROM traces) = '1700000000100000000/1700000000500000000/400000000';
SELECT 'b-services-sorted-set', (SELECT services FROM traces) = '["api-gateway","inventory"]';
-- A later child does not displace the root.
SELECT 'store-a-again', argus_store(readfile('tests/fixtures/hand/spans_split_a.pb')) = 2;
SELECT 'root-kept', (SELECT root_name || '/' || span_count FROM traces) = 'POST /orders/5';
SELECT 'spans-stored', (SELECT count(*) FROM spans) = 5;
-- A trace whose error span arrives in a later payload than its first span: the error is counted.
SELECT 'late-error-first', argus_store('{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"late"}}]},"scopeSpans":[{"spans":[{"traceId":"cccccccccccccccccccccccccccccc01","spanId":"cccccccccccccc01","name":"ok root","startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000900000000"}]}]}]}') = 1;
SELECT 'late-error-none-yet', (SELECT span_count || '/' || error_count FROM traces WHERE trace_id = 'cccccccccccccccccccccccccccccc01') = '1/0';
SELECT 'late-error-second', argus_store('{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"late"}}]},"scopeSpans":[{"spans":[{"traceId":"cccccccccccccccccccccccccccccc01","spanId":"cccccccccccccc02","parentSpanId":"cccccccccccccc01","name":"failing child","startTimeUnixNano":"1700000000100000000","endTimeUnixNano":"1700000000200000000","status":{"code":2}},{"traceId":"cccccccccccccccccccccccccccccc01","spanId":"cccccccccccccc03","parentSpanId":"cccccccccccccc01","name":"ok child","startTimeUnixNano":"1700000000300000000","endTimeUnixNano":"1700000000400000000"}]}]}]}') = 2;
SELECT 'late-error-counted', (SELECT span_count || '/' || error_count FROM traces WHERE trace_id = 'cccccccccccccccccccccccccccccc01') = '3/1';
