-- Adds a traces payload's (?1) spans to the per-service, per-minute, per-name counts
-- (span_operation_rollups, migration 008): one aggregate row per (service, minute, name) added to
-- the stored one. Requests as in spans_30_rollups.sql: SERVER (2) / CONSUMER (5) or root spans.
INSERT INTO span_operation_rollups (service_name, minute_ns, name, spans, errors, requests,
                                    request_errors)
SELECT service_name,
       start_time_unix_nano / 60000000000 * 60000000000,
       name,
       count(*),
       sum(status_code = 2),
       sum(kind IN (2, 5) OR parent_span_id IS NULL),
       sum((kind IN (2, 5) OR parent_span_id IS NULL) AND status_code = 2)
FROM otlp_spans(?1)
WHERE true
GROUP BY 1, 2, 3
ON CONFLICT (service_name, minute_ns, name) DO UPDATE SET
    spans          = span_operation_rollups.spans + excluded.spans,
    errors         = span_operation_rollups.errors + excluded.errors,
    requests       = span_operation_rollups.requests + excluded.requests,
    request_errors = span_operation_rollups.request_errors + excluded.request_errors
