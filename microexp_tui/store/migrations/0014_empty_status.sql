-- session status 'empty': a recording that ended without one valid sample (a board that sent
-- only bad checksums, malformed payloads or garbage); its quality counters say why.
-- The sessions table is rebuilt as in 0012 (SQLite cannot change a CHECK constraint in place).
CREATE TABLE sessions_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    participant_id INTEGER NOT NULL REFERENCES participants(id),
    status TEXT NOT NULL
        CHECK (status IN ('recording', 'completed', 'interrupted', 'aborted', 'imported', 'empty')),
    started_at TEXT NOT NULL,
    ended_at TEXT,
    heartbeat_at TEXT,
    protocol TEXT,
    operator TEXT,
    sample_rate_hz REAL NOT NULL CHECK (sample_rate_hz > 0),
    channel_count INTEGER NOT NULL CHECK (channel_count > 0),
    device TEXT NOT NULL,
    simulated INTEGER NOT NULL CHECK (simulated IN (0, 1)),
    notes TEXT,
    samples_per_channel INTEGER NOT NULL DEFAULT 0,
    stored_samples INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL DEFAULT 'board' CHECK (source IN ('board', 'import')),
    sample_format TEXT NOT NULL DEFAULT 'int16'
        CHECK (sample_format IN ('int16', 'int32', 'float32')),
    CHECK (status != 'imported' OR source = 'import')
);
INSERT INTO sessions_new SELECT id, uuid, participant_id, status, started_at, ended_at,
    heartbeat_at, protocol, operator, sample_rate_hz, channel_count, device, simulated, notes,
    samples_per_channel, stored_samples, source, sample_format
FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;
CREATE INDEX sessions_participant ON sessions(participant_id);
CREATE INDEX sessions_status ON sessions(status);
