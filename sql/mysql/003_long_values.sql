-- Argus MariaDB/MySQL schema, version 3: every value OTLP allows is stored, as SQLite stores it.
-- Version 1 limited service names to VARCHAR(512) (a longer one failed the whole request), enums
-- to TINYINT (OTLP enums are int32: an unknown kind such as 1000 is valid on the wire) and the
-- dropped counts to INT (they are uint32). Service names become MEDIUMTEXT; the rollup tables,
-- whose primary key cannot hold a long text, are keyed by service_key instead:
--   service_key = LEFT(UNHEX(SHA2(service_name, 256)), 16)
-- the first 16 bytes of the name's SHA-256, computed the same way by server/store_mysql.c.
--   SELECT requests FROM span_rollups
--   WHERE service_key = LEFT(UNHEX(SHA2('checkout', 256)), 16) AND minute_ns = ?;

ALTER TABLE resources MODIFY service_name MEDIUMTEXT NOT NULL;

ALTER TABLE span_records
    MODIFY kind                     INT          NOT NULL DEFAULT 0,
    MODIFY status_code              INT          NOT NULL DEFAULT 0,
    MODIFY service_name             MEDIUMTEXT   NOT NULL,
    MODIFY dropped_attributes_count BIGINT       NOT NULL DEFAULT 0,
    MODIFY dropped_events_count     BIGINT       NOT NULL DEFAULT 0,
    MODIFY dropped_links_count      BIGINT       NOT NULL DEFAULT 0;

ALTER TABLE log_records
    MODIFY severity_number          INT          NOT NULL DEFAULT 0,
    MODIFY service_name             MEDIUMTEXT   NOT NULL,
    MODIFY dropped_attributes_count BIGINT       NOT NULL DEFAULT 0;

ALTER TABLE traces MODIFY root_service_name MEDIUMTEXT;

ALTER TABLE span_rollups ADD COLUMN service_key BINARY(16) NOT NULL DEFAULT '' FIRST;
UPDATE span_rollups SET service_key = LEFT(UNHEX(SHA2(service_name, 256)), 16);
ALTER TABLE span_rollups
    DROP PRIMARY KEY,
    ADD PRIMARY KEY (service_key, minute_ns),
    MODIFY service_key  BINARY(16) NOT NULL,
    MODIFY service_name MEDIUMTEXT NOT NULL;

ALTER TABLE log_rollups ADD COLUMN service_key BINARY(16) NOT NULL DEFAULT '' FIRST;
UPDATE log_rollups SET service_key = LEFT(UNHEX(SHA2(service_name, 256)), 16);
ALTER TABLE log_rollups
    DROP PRIMARY KEY,
    ADD PRIMARY KEY (service_key, minute_ns, severity),
    MODIFY service_key  BINARY(16) NOT NULL,
    MODIFY service_name MEDIUMTEXT NOT NULL;
