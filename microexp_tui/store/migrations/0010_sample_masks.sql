-- sample chunks of 2- or 4-byte values, with an optional mask of missing values
-- `data` holds int16, int32 or float32 values (the session's sample_format); `missing`
-- is NULL when every value is present, else one bit per value in row-major order (bit k
-- of byte k // 8 is value k, least significant bit first), 1 where the value is missing.
-- The table is rebuilt (the old CHECK allowed 2-byte values only): a one-off copy.
CREATE TABLE sample_chunks_new (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    first_sample INTEGER NOT NULL CHECK (first_sample >= 0),
    n_samples INTEGER NOT NULL CHECK (n_samples > 0),
    channel_count INTEGER NOT NULL CHECK (channel_count > 0),
    data BLOB NOT NULL
        CHECK (length(data) IN (2 * n_samples * channel_count, 4 * n_samples * channel_count)),
    missing BLOB CHECK (missing IS NULL OR length(missing) = (n_samples * channel_count + 7) / 8),
    UNIQUE (session_id, first_sample)
);
INSERT INTO sample_chunks_new (id, session_id, first_sample, n_samples, channel_count, data)
SELECT id, session_id, first_sample, n_samples, channel_count, data FROM sample_chunks;
DROP TABLE sample_chunks;
ALTER TABLE sample_chunks_new RENAME TO sample_chunks;
