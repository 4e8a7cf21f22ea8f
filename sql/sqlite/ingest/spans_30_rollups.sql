-- Adds a traces payload's (?1) requests to the per-service, per-minute rollups: one aggregate row
-- per (service, minute) merged into the stored one, counts summed and duration sketches merged.
-- Requests: SERVER (2) / CONSUMER (5) spans and root spans; errors: those with status code 2.
-- otlp_span_rollups() groups the spans in C (a hash table): the same rows as
--   SELECT service_name, start_time_unix_nano / 60000000000 * 60000000000, count(*),
--          sum(status_code = 2), sketch(duration_ns)
--   FROM otlp_spans(?1) WHERE kind IN (2, 5) OR parent_span_id IS NULL GROUP BY 1, 2
-- without sorting the spans first.
INSERT INTO span_rollups (service_name, minute_ns, requests, errors, duration_sketch)
SELECT service_name, minute_ns, requests, errors, duration_sketch
FROM otlp_span_rollups(?1)
WHERE true
ON CONFLICT (service_name, minute_ns) DO UPDATE SET
    requests        = span_rollups.requests + excluded.requests,
    errors          = span_rollups.errors + excluded.errors,
    duration_sketch = sketch_add(span_rollups.duration_sketch, excluded.duration_sketch)
