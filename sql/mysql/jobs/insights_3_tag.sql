-- Tags the log records with ids in (?1, ?2] with their insight and pattern. A UDF cannot read
-- tables, so the user rules of insight_rules go to ai_insight as its fourth argument (the same
-- rules SQLite's ai_insight reads from the table; docs/mysql.md, "User rules").
UPDATE log_records
SET insight = CONVERT(ai_insight(body, severity_number, attributes,
                  (SELECT JSON_ARRAYAGG(JSON_OBJECT('id', id, 'pattern', pattern, 'category', category,
                       'tags', tags, 'summary', summary, 'suggestion', suggestion,
                       'confidence', confidence, 'priority', priority, 'enabled', enabled))
                   FROM insight_rules)) USING utf8mb4),
    pattern_id = CONVERT(log_pattern_id(body) USING ascii)
WHERE id > ?1 AND id <= ?2
