-- Stores the resources of an OTLP traces payload (?1) not stored yet, once each; the spans point
-- at them by resource_id.
INSERT INTO resources (id, service_name, attributes, schema_url)
SELECT resource_id, service_name, attributes, schema_url
FROM otlp_span_resources(?1)
WHERE true
ON CONFLICT (id) DO NOTHING
