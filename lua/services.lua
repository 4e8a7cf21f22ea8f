-- Services and their operations (docs/api.md).
--   curl 'http://127.0.0.1:8080/api/services?start=now-1h'
--   curl 'http://127.0.0.1:8080/api/services/checkout/operations'
local P = lib.params

local function services(req)
  local s, e = P.range(req)
  if db.dialect == "mysql" then return lib.mysql.services(s, e) end
  -- Everything comes from the per-minute rollups (span_rollups, log_rollups): whole minutes
  -- touched by the range.
  return db.json([[
    WITH r AS (
      SELECT service_name, sum(requests) AS requests, sum(errors) AS errors,
             sketch_quantile(sketch_merge(duration_sketch), 0.95) AS p95
      FROM span_rollups WHERE minute_ns >= ?1 / 60000000000 * 60000000000 AND minute_ns < ?2
      GROUP BY service_name),
    lg AS (
      SELECT service_name, sum(count) AS logs FROM log_rollups
      WHERE minute_ns >= ?1 / 60000000000 * 60000000000 AND minute_ns < ?2 GROUP BY service_name),
    names AS (SELECT service_name FROM r UNION SELECT service_name FROM lg)
    SELECT json_object('services', json(coalesce((SELECT json_group_array(json_object(
      'service', n.service_name,
      'requests', coalesce(r.requests, 0),
      'errors', coalesce(r.errors, 0),
      'error_rate', CASE WHEN coalesce(r.requests, 0) > 0 THEN r.errors * 1.0 / r.requests ELSE 0 END,
      'p95_ns', CAST(round(r.p95) AS INTEGER),
      'logs', coalesce(lg.logs, 0)))
      FROM (SELECT service_name FROM names ORDER BY service_name) n
      LEFT JOIN r ON r.service_name = n.service_name
      LEFT JOIN lg ON lg.service_name = n.service_name), '[]')))]], s, e)
end

local function operations(req)
  local s, e = P.range(req)
  local limit = P.limit(req, 100, 1000)
  if db.dialect == "mysql" then
    return lib.mysql.operations(s, e, req.params.service, limit)
  end
  -- From the per-minute operation rollups (migration 008): whole minutes touched by the range.
  return db.json([[
    SELECT json_object('operations', json(coalesce((SELECT json_group_array(json_object(
      'name', name, 'spans', n, 'errors', errs))
      FROM (SELECT name, sum(spans) AS n, sum(errors) AS errs FROM span_operation_rollups
            WHERE service_name = ?3 AND minute_ns >= ?1 / 60000000000 * 60000000000
              AND minute_ns < ?2
            GROUP BY name ORDER BY n DESC, name LIMIT ?4)), '[]')))]],
    s, e, req.params.service, limit)
end

return {
  {method = "GET", path = "/api/services", handler = services},
  {method = "GET", path = "/api/services/{service}/operations", handler = operations},
}
