-- The newest log record: what there is to tag.
SELECT coalesce(max(id), 0) FROM log_records
