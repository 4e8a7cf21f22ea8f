-- Merges the lines of (?1, ?2] into log_patterns, one row per pattern of the batch. category: the
-- newest categorised line of the pattern in the batch (found through the logs_pattern_id
-- index), else the pattern keeps the one it had. docs/sql.md ("log_patterns table") shows the
-- same fill by hand. The batch's lines are read by rowid range (NOT INDEXED): through
-- logs_pattern_id, "pattern_id IS NOT NULL" walks every line ever tagged, a batch's cost growing
-- with the table (0.12 s against 0.005 s per 2000 lines at 1.8M tagged).
INSERT INTO log_patterns (pattern_id, template, count, first_seen_ns, last_seen_ns, services, category)
SELECT l.pattern_id, log_template(min(l.body)), count(*), min(l.time_unix_nano),
       max(l.time_unix_nano), json_group_set(l.service_name),
       (SELECT c.insight ->> '$.category' FROM log_records c
        WHERE c.pattern_id = l.pattern_id AND c.id > ?1 AND c.id <= ?2
          AND c.insight ->> '$.category' IS NOT NULL
        ORDER BY c.time_unix_nano DESC, c.id DESC LIMIT 1)
FROM log_records l NOT INDEXED
WHERE l.id > ?1 AND l.id <= ?2 AND l.pattern_id IS NOT NULL
GROUP BY l.pattern_id
ON CONFLICT (pattern_id) DO UPDATE SET
    count = count + excluded.count,
    first_seen_ns = min(coalesce(first_seen_ns, excluded.first_seen_ns), excluded.first_seen_ns),
    last_seen_ns = max(coalesce(last_seen_ns, excluded.last_seen_ns), excluded.last_seen_ns),
    services = (SELECT json_group_set(value) FROM (SELECT value FROM json_each(services)
                UNION ALL SELECT value FROM json_each(excluded.services))),
    category = coalesce(excluded.category, category)
