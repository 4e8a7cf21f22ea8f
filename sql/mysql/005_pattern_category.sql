-- Argus MariaDB/MySQL schema, version 5: a pattern's category is as long as the insight rule's
-- category it comes from (insight_rules.category is TEXT, SQLite has no limit); VARCHAR(64)
-- made the insight worker's batch fail, again and again, on a longer user category.

ALTER TABLE log_patterns MODIFY category MEDIUMTEXT;
