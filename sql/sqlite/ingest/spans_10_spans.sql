-- Stores every valid span of an OTLP traces payload (?1: protobuf or OTLP/JSON); its resource is
-- stored by spans_15_resources.sql.
INSERT INTO span_records (trace_id, span_id, parent_span_id, trace_state, flags, name, kind,
                          start_time_unix_nano, end_time_unix_nano, duration_ns, status_code,
                          status_message, service_name, attributes, events, links, resource_id,
                          scope_name, scope_version, dropped_attributes_count, dropped_events_count,
                   dropped_links_count)
SELECT trace_id, span_id, parent_span_id, trace_state, flags, name, kind,
       start_time_unix_nano, end_time_unix_nano, duration_ns, status_code,
       status_message, service_name, attributes, events, links, resource_id,
       scope_name, scope_version, dropped_attributes_count, dropped_events_count,
       dropped_links_count
FROM otlp_spans(?1)
