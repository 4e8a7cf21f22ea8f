-- Records the progress: every log record up to ?1 is tagged.
INSERT INTO argus_jobs (name, last_id) VALUES ('insights', ?1)
ON DUPLICATE KEY UPDATE last_id = VALUE(last_id)
