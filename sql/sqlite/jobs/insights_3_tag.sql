-- Tags the log records with ids in (?1, ?2] with their insight and pattern. It uses log_records,
-- the table behind the logs view: no column of the resource is needed, and an UPDATE of the
-- view would run a trigger per row.
UPDATE log_records SET insight = ai_insight(body, severity_number, attributes),
                       pattern_id = log_pattern_id(body)
WHERE id > ?1 AND id <= ?2
