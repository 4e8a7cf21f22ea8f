-- Installs the Argus functions from argus_udf.so into a MariaDB (10.6+) or MySQL 8 server:
--   mariadb -u root < sql/mysql/install.sql
-- argus_udf.so must be in the server's plugin directory (SHOW VARIABLES LIKE 'plugin_dir').
-- Running it again is harmless. It also upgrades in place: every function is dropped first, so
-- the server unloads the old library, then the file found now is loaded (replace the file by a
-- new one, e.g. with `install`, never overwrite it while it is loaded). docs/mysql.md lists the
-- functions; uninstall.sql removes them.

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

CREATE FUNCTION otlp_spans_json RETURNS STRING SONAME 'argus_udf.so';
CREATE FUNCTION otlp_logs_json RETURNS STRING SONAME 'argus_udf.so';
CREATE FUNCTION otlp_check RETURNS STRING SONAME 'argus_udf.so';
CREATE FUNCTION resource_id RETURNS INTEGER SONAME 'argus_udf.so';
CREATE FUNCTION time_bucket RETURNS INTEGER SONAME 'argus_udf.so';
CREATE FUNCTION bucket_width RETURNS INTEGER SONAME 'argus_udf.so';
CREATE FUNCTION log_template RETURNS STRING SONAME 'argus_udf.so';
CREATE FUNCTION log_pattern_id RETURNS STRING SONAME 'argus_udf.so';
CREATE FUNCTION ai_insight RETURNS STRING SONAME 'argus_udf.so';
CREATE FUNCTION insight_builtin_rules RETURNS STRING SONAME 'argus_udf.so';
CREATE FUNCTION sketch_add RETURNS STRING SONAME 'argus_udf.so';
CREATE FUNCTION sketch_quantile RETURNS REAL SONAME 'argus_udf.so';
CREATE FUNCTION sketch_count RETURNS INTEGER SONAME 'argus_udf.so';
CREATE AGGREGATE FUNCTION percentile RETURNS REAL SONAME 'argus_udf.so';
CREATE AGGREGATE FUNCTION sketch_of RETURNS STRING SONAME 'argus_udf.so';
CREATE AGGREGATE FUNCTION sketch_merge RETURNS STRING SONAME 'argus_udf.so';
CREATE AGGREGATE FUNCTION waterfall_json RETURNS STRING SONAME 'argus_udf.so';
CREATE AGGREGATE FUNCTION arg_min RETURNS STRING SONAME 'argus_udf.so';
CREATE AGGREGATE FUNCTION json_group_set RETURNS STRING SONAME 'argus_udf.so';
