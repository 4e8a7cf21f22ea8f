-- Stores every valid log record of an OTLP logs payload (?1); the FTS index follows by trigger,
-- the resources are stored by logs_15_resources.sql.
INSERT INTO log_records (time_unix_nano, observed_time_unix_nano, severity_number, severity_text,
                         body, body_type, attributes, trace_id, span_id, flags, event_name,
                         service_name, resource_id, scope_name, scope_version,
                         dropped_attributes_count)
SELECT CASE WHEN time_unix_nano = 0 THEN observed_time_unix_nano ELSE time_unix_nano END,
       observed_time_unix_nano, severity_number, severity_text, body,
       body_type, attributes, trace_id, span_id, flags, event_name, service_name,
       resource_id, scope_name, scope_version, dropped_attributes_count
FROM otlp_logs(?1)
