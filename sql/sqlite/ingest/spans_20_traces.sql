-- Keeps the traces summary right when a trace arrives in several payloads, out of order, or with
-- its root last: per payload, one aggregate row per trace merged into the stored one. The root is
-- the span without a parent (else, provisionally, the earliest span); services is the sorted set
-- of service names. otlp_span_traces() groups the spans in C (a hash table): the same rows as
--   SELECT trace_id, min(start_time_unix_nano), max(end_time_unix_nano),
--          max(end_time_unix_nano) - min(start_time_unix_nano),
--          arg_min(service_name, parent_span_id IS NOT NULL, start_time_unix_nano),
--          arg_min(name, parent_span_id IS NOT NULL, start_time_unix_nano),
--          max(parent_span_id IS NULL), count(*), sum(status_code = 2), json_group_set(service_name)
--   FROM otlp_spans(?1) GROUP BY trace_id
-- without sorting every span first.
INSERT INTO traces (trace_id, start_time_unix_nano, end_time_unix_nano, duration_ns,
                    root_service_name, root_name, has_root, span_count, error_count, services)
SELECT trace_id, start_time_unix_nano, end_time_unix_nano, duration_ns, root_service_name,
       root_name, has_root, span_count, error_count, services
FROM otlp_span_traces(?1)
WHERE true
ON CONFLICT (trace_id) DO UPDATE SET
    root_service_name = CASE WHEN excluded.has_root > traces.has_root
                               OR (excluded.has_root = traces.has_root
                                   AND excluded.start_time_unix_nano < traces.start_time_unix_nano)
                             THEN excluded.root_service_name ELSE traces.root_service_name END,
    root_name         = CASE WHEN excluded.has_root > traces.has_root
                               OR (excluded.has_root = traces.has_root
                                   AND excluded.start_time_unix_nano < traces.start_time_unix_nano)
                             THEN excluded.root_name ELSE traces.root_name END,
    has_root          = max(traces.has_root, excluded.has_root),
    start_time_unix_nano = min(traces.start_time_unix_nano, excluded.start_time_unix_nano),
    end_time_unix_nano   = max(traces.end_time_unix_nano, excluded.end_time_unix_nano),
    duration_ns          = max(traces.end_time_unix_nano, excluded.end_time_unix_nano)
                         - min(traces.start_time_unix_nano, excluded.start_time_unix_nano),
    span_count  = traces.span_count + excluded.span_count,
    error_count = traces.error_count + excluded.error_count,
    services    = CASE WHEN traces.services = excluded.services THEN traces.services
                  ELSE (SELECT json_group_array(value) FROM (SELECT value FROM json_each(traces.services)
                        UNION SELECT value FROM json_each(excluded.services) ORDER BY 1))
                  END
