-- Argus schema, version 3: log insights and patterns.
-- insight_rules: user rules for ai_insight(), read and cached per connection; they take
--   precedence over the built-in rules (see docs/sql.md, section insights):
--   INSERT INTO insight_rules (pattern, category, summary) VALUES ('card declined', 'payment', 'A payment was declined');
-- log_patterns: one row per log template (log_pattern_id(body)), filled by the server's
--   background worker, which also fills the new logs.insight and logs.pattern_id columns.

CREATE TABLE insight_rules (
    id         INTEGER PRIMARY KEY,
    pattern    TEXT    NOT NULL,          -- case-insensitive substring of the body; '*' = the whole category
    category   TEXT,                      -- NULL: matching lines get no insight
    tags       TEXT,                      -- JSON array of strings; NULL: [category]
    summary    TEXT,                      -- NULL: the built-in summary of the category
    suggestion TEXT,                      -- NULL: the built-in suggestion of the category
    confidence REAL,                      -- 0..1, NULL: 0.7
    priority   INTEGER NOT NULL DEFAULT 0, -- higher wins among user rules
    enabled    INTEGER NOT NULL DEFAULT 1  -- 0 with pattern '*': turns off the category's built-in rules
);

-- A change token for the per-connection rule caches: any change to insight_rules writes a new
-- random value, so a cache compares one integer instead of re-reading the rules.
CREATE TABLE insight_rules_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO insight_rules_version (id, version) VALUES (1, 0);
CREATE TRIGGER insight_rules_version_insert AFTER INSERT ON insight_rules BEGIN
    UPDATE insight_rules_version SET version = random() WHERE id = 1;
END;
CREATE TRIGGER insight_rules_version_update AFTER UPDATE ON insight_rules BEGIN
    UPDATE insight_rules_version SET version = random() WHERE id = 1;
END;
CREATE TRIGGER insight_rules_version_delete AFTER DELETE ON insight_rules BEGIN
    UPDATE insight_rules_version SET version = random() WHERE id = 1;
END;

CREATE TABLE log_patterns (
    pattern_id    TEXT    PRIMARY KEY,        -- log_pattern_id(body): 16 hex digits
    template      TEXT    NOT NULL,           -- log_template(body)
    count         INTEGER NOT NULL DEFAULT 0,
    first_seen_ns INTEGER,
    last_seen_ns  INTEGER,
    services      TEXT    NOT NULL DEFAULT '[]', -- sorted JSON array of service names
    category      TEXT                         -- insight category of the pattern's lines, if any
) WITHOUT ROWID;
CREATE INDEX log_patterns_last_seen ON log_patterns (last_seen_ns);

ALTER TABLE logs ADD COLUMN insight TEXT;    -- ai_insight(body, severity_number, attributes)
ALTER TABLE logs ADD COLUMN pattern_id TEXT; -- log_pattern_id(body)
-- "Show the lines of this pattern". Rows are inserted with NULL and tagged later, so the index
-- costs nothing at ingest.
CREATE INDEX logs_pattern_id ON logs (pattern_id) WHERE pattern_id IS NOT NULL;
