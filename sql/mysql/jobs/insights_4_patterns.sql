-- Merges the lines of (?1, ?2] into log_patterns, one row per pattern of the batch, as
-- sql/sqlite/jobs/insights_4_patterns.sql does. category: the newest categorised line of the
-- pattern in the batch, else the pattern keeps the one it had. VALUE(x) is the batch's value
-- (MariaDB's spelling of VALUES(x) that also works inside a subquery). The category's lookup is
-- held to the pattern index (its entries are (pattern_id, id): the batch's lines of one pattern):
-- left to itself MariaDB walks logs_time newest first for the LIMIT 1, which reads the whole
-- table for each pattern with no categorised line (minutes per batch at 1M records). The batch's
-- lines are read by primary key range: through logs_pattern_id, "pattern_id IS NOT NULL" walks
-- every line ever tagged.
INSERT INTO log_patterns (pattern_id, template, count, first_seen_ns, last_seen_ns, services, category)
SELECT l.pattern_id, CONVERT(log_template(min(l.body)) USING utf8mb4), count(*),
       min(l.time_unix_nano), max(l.time_unix_nano),
       CONVERT(json_group_set(l.service_name) USING utf8mb4),
       (SELECT JSON_VALUE(c.insight, '$.category') FROM log_records c FORCE INDEX (logs_pattern_id)
        WHERE c.pattern_id = l.pattern_id AND c.id > ?1 AND c.id <= ?2
          AND JSON_VALUE(c.insight, '$.category') IS NOT NULL
        ORDER BY c.time_unix_nano DESC, c.id DESC LIMIT 1)
FROM log_records l FORCE INDEX (PRIMARY)
WHERE l.id > ?1 AND l.id <= ?2 AND l.pattern_id IS NOT NULL
GROUP BY l.pattern_id
ON DUPLICATE KEY UPDATE
    count = count + VALUE(count),
    first_seen_ns = least(coalesce(first_seen_ns, VALUE(first_seen_ns)), VALUE(first_seen_ns)),
    last_seen_ns = greatest(coalesce(last_seen_ns, VALUE(last_seen_ns)), VALUE(last_seen_ns)),
    services = (SELECT CONVERT(json_group_set(j.v) USING utf8mb4)
                FROM JSON_TABLE(JSON_MERGE_PRESERVE(services, VALUE(services)), '$[*]'
                                COLUMNS (v LONGTEXT PATH '$')) j),
    category = coalesce(VALUE(category), category)
