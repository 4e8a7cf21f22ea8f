-- Removes the Argus functions of argus_udf.so (sql/mysql/install.sql) from the server:
--   mariadb -u root < sql/mysql/uninstall.sql
-- Harmless when they are not installed. The server unloads the library once all are gone.

DROP FUNCTION IF EXISTS otlp_spans_json;
DROP FUNCTION IF EXISTS otlp_logs_json;
DROP FUNCTION IF EXISTS otlp_check;
DROP FUNCTION IF EXISTS resource_id;
DROP FUNCTION IF EXISTS time_bucket;
DROP FUNCTION IF EXISTS bucket_width;
DROP FUNCTION IF EXISTS log_template;
DROP FUNCTION IF EXISTS log_pattern_id;
DROP FUNCTION IF EXISTS ai_insight;
DROP FUNCTION IF EXISTS insight_builtin_rules;
DROP FUNCTION IF EXISTS sketch_add;
DROP FUNCTION IF EXISTS sketch_quantile;
DROP FUNCTION IF EXISTS sketch_count;
DROP FUNCTION IF EXISTS percentile;
DROP FUNCTION IF EXISTS sketch_of;
DROP FUNCTION IF EXISTS sketch_merge;
DROP FUNCTION IF EXISTS waterfall_json;
DROP FUNCTION IF EXISTS arg_min;
DROP FUNCTION IF EXISTS json_group_set;
