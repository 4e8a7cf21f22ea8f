-- Argus schema, version 6: requests already stored, so a retried Export is stored once.
-- An exporter that timed out (or a proxy that cut the connection) sends the identical request
-- again; the server keeps a digest of each stored request's bytes (the first 16 bytes of its
-- SHA-256, after decompression, with the signal) and stores a request whose digest is here as
-- nothing, answering it as stored. Distinct requests never share a digest. Rows older than the
-- retention go with the data:
--   SELECT signal, count(*) FROM ingest_requests GROUP BY signal;

CREATE TABLE ingest_requests (
    key       BLOB    PRIMARY KEY, -- 16 bytes
    signal    INTEGER NOT NULL,    -- 0 traces, 1 logs
    stored_ns INTEGER NOT NULL     -- unix ns of the commit that stored it
) WITHOUT ROWID;
CREATE INDEX ingest_requests_stored ON ingest_requests (stored_ns);
