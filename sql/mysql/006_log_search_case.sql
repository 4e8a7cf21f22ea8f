-- Argus MariaDB/MySQL schema, version 6: log search ignores case and accents, as SQLite's FTS5
-- (unicode61) does. The tables are utf8mb4_bin, and a FULLTEXT index matches by its column's
-- collation: "Order" did not find "order". log_records.body becomes utf8mb4_unicode_ci (the
-- table and its FULLTEXT index are rebuilt: on a large table this takes a while, once). Nothing
-- else compares bodies.
--   SELECT count(*) FROM log_records WHERE MATCH (body) AGAINST ('"ORDER"' IN BOOLEAN MODE);

ALTER TABLE log_records MODIFY body LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
