-- session setup, electrode checks, calibration, notes, overrides, events
CREATE TABLE session_setup (
    session_id INTEGER PRIMARY KEY REFERENCES sessions(id),
    montage_preset TEXT,
    protocol_path TEXT,
    protocol_seed INTEGER,
    consent_template TEXT,
    consent_sha256 TEXT,
    consent_confirmed_at TEXT,
    resumed_from_session_id INTEGER REFERENCES sessions(id),
    start_block INTEGER NOT NULL DEFAULT 0 CHECK (start_block >= 0),
    settings TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE electrode_checks (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    channel_index INTEGER NOT NULL CHECK (channel_index >= 0),
    grade TEXT NOT NULL CHECK (grade IN ('green', 'amber', 'red')),
    rest_level_counts REAL,
    noise_counts REAL,
    mains_fraction REAL,
    clipping_fraction REAL,
    flat_line INTEGER NOT NULL CHECK (flat_line IN (0, 1)),
    contraction_rise REAL,
    contraction_lit INTEGER CHECK (contraction_lit IS NULL OR contraction_lit IN (0, 1)),
    reasons TEXT NOT NULL DEFAULT '',
    rest_start_index INTEGER,
    rest_stop_index INTEGER,
    checked_at TEXT NOT NULL
);
CREATE INDEX electrode_checks_session ON electrode_checks(session_id, channel_index);
CREATE TABLE calibrations (
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    channel_index INTEGER NOT NULL CHECK (channel_index >= 0),
    baseline REAL NOT NULL,
    rest_sd REAL NOT NULL CHECK (rest_sd >= 0),
    max_value REAL NOT NULL,
    valid INTEGER NOT NULL CHECK (valid IN (0, 1)),
    rest_start_index INTEGER NOT NULL,
    rest_stop_index INTEGER NOT NULL,
    mvc_start_index INTEGER,
    mvc_stop_index INTEGER,
    computed_at TEXT NOT NULL,
    PRIMARY KEY (session_id, channel_index)
) WITHOUT ROWID;
CREATE TABLE session_notes (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    at TEXT NOT NULL,
    author TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX session_notes_session ON session_notes(session_id);
CREATE TABLE operator_overrides (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
    actor TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX operator_overrides_session ON operator_overrides(session_id);
CREATE TABLE protocol_progress (
    session_id INTEGER PRIMARY KEY REFERENCES sessions(id),
    protocol TEXT NOT NULL,
    blocks_total INTEGER NOT NULL CHECK (blocks_total >= 0),
    blocks_done INTEGER NOT NULL CHECK (blocks_done >= 0),
    start_index INTEGER,
    state TEXT NOT NULL CHECK (state IN ('running', 'paused', 'completed', 'aborted')),
    updated_at TEXT NOT NULL
);
CREATE TABLE muscle_events (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    channel_index INTEGER NOT NULL CHECK (channel_index >= 0),
    start_index INTEGER NOT NULL CHECK (start_index >= 0),
    stop_index INTEGER NOT NULL CHECK (stop_index > start_index),
    peak REAL NOT NULL,
    micro INTEGER NOT NULL CHECK (micro IN (0, 1))
);
CREATE INDEX muscle_events_session ON muscle_events(session_id, start_index);
