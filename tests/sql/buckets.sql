-- Golden tests of time_bucket(), bucket_width() and bucket_series() (ext/sqlite/buckets_sqlite.c).
--   tests/sql/run.sh build
-- Times are unix nanoseconds; 60000000000 is one minute.
SELECT 'floor', time_bucket(1700000012345678901, 60000000000) = 1699999980000000000;
SELECT 'on-boundary', time_bucket(120, 60) = 120;
SELECT 'negative', time_bucket(-1, 10) = -10;
SELECT 'negative-boundary', time_bucket(-20, 10) = -20;
SELECT 'negative-mid', time_bucket(-21, 10) = -30;
SELECT 'null-ts', time_bucket(NULL, 10) IS NULL;
SELECT 'null-width', time_bucket(10, NULL) IS NULL;
SELECT 'numeric-text', time_bucket('25', 10) = 20;
SELECT 'real-truncated', time_bucket(25.9, 10) = 20;
SELECT 'group-by', (SELECT group_concat(b || ':' || n, ',') FROM
                       (SELECT time_bucket(v, 10) AS b, count(*) AS n
                        FROM (SELECT 1 AS v UNION ALL SELECT 9 UNION ALL SELECT 10 UNION ALL SELECT -3)
                        GROUP BY b ORDER BY b)) = '-10:1,0:2,10:1';

-- bucket_width: smallest nice step giving at most max_points buckets.
SELECT 'width-1h-60', bucket_width(0, 3600000000000, 60) = 60000000000;
SELECT 'width-1h-100', bucket_width(0, 3600000000000, 100) = 60000000000;
SELECT 'width-1h-120', bucket_width(0, 3600000000000, 120) = 30000000000;
SELECT 'width-1d-100', bucket_width(0, 86400000000000, 100) = 900000000000;
SELECT 'width-7d-7', bucket_width(0, 7 * 86400000000000, 7) = 86400000000000;
SELECT 'width-30d', bucket_width(0, 90 * 86400000000000, 3) = 30 * 86400000000000;
SELECT 'width-beyond-30d', bucket_width(0, 400 * 86400000000000, 2) = 7 * 30 * 86400000000000;
SELECT 'width-subsecond', bucket_width(0, 100000000, 9) = 20000000;
SELECT 'width-tiny', bucket_width(0, 1000, 10) = 1000000;
SELECT 'width-empty-range', bucket_width(5, 5, 10) = 1000000;
-- Alignment counts: 5s..65s touches 7 buckets of 10 s.
SELECT 'width-aligned', bucket_width(5000000000, 65000000000, 7) = 10000000000;
SELECT 'width-misaligned', bucket_width(5000000000, 65000000000, 6) = 15000000000;
SELECT 'width-fits', (SELECT count(*) FROM bucket_series(1700000000123456789, 1700003600000000000,
                          bucket_width(1700000000123456789, 1700003600000000000, 100))) <= 100;
SELECT 'width-null', bucket_width(NULL, 1, 10) IS NULL;

-- bucket_series: one row per bucket of [start, end).
SELECT 'series', (SELECT group_concat(bucket_start_ns || '-' || bucket_end_ns, ',')
                  FROM bucket_series(5, 35, 10)) = '0-10,10-20,20-30,30-40';
SELECT 'series-end-exclusive', (SELECT count(*) FROM bucket_series(0, 30, 10)) = 3;
SELECT 'series-empty', (SELECT count(*) FROM bucket_series(7, 7, 10)) = 0;
SELECT 'series-negative', (SELECT group_concat(bucket_start_ns, ',') FROM bucket_series(-15, 5, 10))
    = '-20,-10,0';
SELECT 'series-null', (SELECT count(*) FROM bucket_series(NULL, 10, 1)) = 0;
SELECT 'series-limit', (SELECT count(*) FROM bucket_series(0, 100000, 1)) = 100000;
SELECT 'series-hidden-columns', (SELECT start_ns || ',' || end_ns || ',' || width_ns
                                 FROM bucket_series(5, 35, 10) LIMIT 1) = '5,35,10';
-- Zero filling: counts per bucket with empty buckets as 0.
CREATE TEMP TABLE buckets_events (ts INTEGER);
INSERT INTO buckets_events VALUES (3), (4), (27);
SELECT 'zero-fill', (SELECT group_concat(n, ',') FROM
                        (SELECT count(e.ts) AS n FROM bucket_series(0, 40, 10) s
                         LEFT JOIN buckets_events e ON time_bucket(e.ts, 10) = s.bucket_start_ns
                         GROUP BY s.bucket_start_ns ORDER BY s.bucket_start_ns)) = '2,0,1,0';
