-- participants, sessions, montage, sample chunks, events, quality
PRAGMA application_id = 1296390224;  -- 'MEXP'
CREATE TABLE schema_version (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at TEXT NOT NULL
);
CREATE TABLE participants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE COLLATE NOCASE,
    birth_year INTEGER CHECK (birth_year IS NULL OR birth_year BETWEEN 1900 AND 2200),
    sex TEXT,
    handedness TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE participant_identity (
    participant_id INTEGER PRIMARY KEY REFERENCES participants(id) ON DELETE CASCADE,
    name TEXT,
    contact TEXT,
    notes TEXT
);
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    participant_id INTEGER NOT NULL REFERENCES participants(id),
    status TEXT NOT NULL
        CHECK (status IN ('recording', 'completed', 'interrupted', 'aborted')),
    started_at TEXT NOT NULL,
    ended_at TEXT,
    heartbeat_at TEXT,
    protocol TEXT,
    operator TEXT,
    sample_rate_hz INTEGER NOT NULL CHECK (sample_rate_hz > 0),
    channel_count INTEGER NOT NULL CHECK (channel_count > 0),
    device TEXT NOT NULL,
    simulated INTEGER NOT NULL CHECK (simulated IN (0, 1)),
    notes TEXT,
    samples_per_channel INTEGER NOT NULL DEFAULT 0,
    stored_samples INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_participant ON sessions(participant_id);
CREATE INDEX sessions_status ON sessions(status);
CREATE TABLE channels (
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    channel_index INTEGER NOT NULL CHECK (channel_index >= 0),
    label TEXT NOT NULL,
    muscle TEXT,
    sensor_kind TEXT NOT NULL,
    action_units TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (session_id, channel_index)
) WITHOUT ROWID;
CREATE TABLE sample_chunks (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    first_sample INTEGER NOT NULL CHECK (first_sample >= 0),
    n_samples INTEGER NOT NULL CHECK (n_samples > 0),
    channel_count INTEGER NOT NULL CHECK (channel_count > 0),
    data BLOB NOT NULL CHECK (length(data) = 2 * n_samples * channel_count),
    UNIQUE (session_id, first_sample)
);
CREATE TABLE markers (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    sample_index INTEGER NOT NULL CHECK (sample_index >= 0),
    code INTEGER NOT NULL CHECK (code BETWEEN 0 AND 65535),
    source TEXT NOT NULL,
    label TEXT,
    host_time_s REAL
);
CREATE INDEX markers_session ON markers(session_id, sample_index);
CREATE TABLE sequence_gaps (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    first_missing_index INTEGER NOT NULL CHECK (first_missing_index >= 0),
    n_lost INTEGER NOT NULL CHECK (n_lost > 0)
);
CREATE INDEX sequence_gaps_session ON sequence_gaps(session_id, first_missing_index);
CREATE TABLE artifacts (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    channel INTEGER NOT NULL CHECK (channel >= 0),
    flag TEXT NOT NULL,
    start_index INTEGER NOT NULL CHECK (start_index >= 0),
    stop_index INTEGER NOT NULL CHECK (stop_index > start_index)
);
CREATE INDEX artifacts_session ON artifacts(session_id, start_index);
CREATE TABLE session_quality (
    session_id INTEGER PRIMARY KEY REFERENCES sessions(id),
    frames INTEGER NOT NULL DEFAULT 0,
    crc_errors INTEGER NOT NULL DEFAULT 0,
    malformed INTEGER NOT NULL DEFAULT 0,
    sequence_gaps INTEGER NOT NULL DEFAULT 0,
    lost_samples INTEGER NOT NULL DEFAULT 0,
    queue_overflows INTEGER NOT NULL DEFAULT 0,
    garbage_bytes INTEGER NOT NULL DEFAULT 0,
    device_tx_overflows INTEGER NOT NULL DEFAULT 0,
    reconnects INTEGER NOT NULL DEFAULT 0,
    extra TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT
);
