-- The insight worker's progress: the highest logs.id it has tagged (none before its first batch).
SELECT last_id FROM argus_jobs WHERE name = 'insights'
