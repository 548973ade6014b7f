-- detected facial expressions (live and offline) and their activations
CREATE TABLE expression_runs (
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    source TEXT NOT NULL CHECK (source IN ('live', 'offline')),
    detector TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (session_id, source)
) WITHOUT ROWID;
CREATE TABLE expressions (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL,
    source TEXT NOT NULL,
    onset_index INTEGER NOT NULL CHECK (onset_index >= 0),
    offset_index INTEGER NOT NULL CHECK (offset_index > onset_index),
    apex_index INTEGER NOT NULL CHECK (apex_index >= onset_index AND apex_index < offset_index),
    rate_hz REAL NOT NULL CHECK (rate_hz > 0),
    kind TEXT NOT NULL CHECK (kind IN ('micro', 'macro')),
    action_units TEXT NOT NULL DEFAULT '',
    emotion TEXT,
    confidence REAL NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
    emotion_source TEXT NOT NULL,
    FOREIGN KEY (session_id, source) REFERENCES expression_runs(session_id, source)
);
CREATE INDEX expressions_session ON expressions(session_id, source, onset_index);
CREATE TABLE expression_activations (
    expression_id INTEGER NOT NULL REFERENCES expressions(id) ON DELETE CASCADE,
    channel_index INTEGER NOT NULL CHECK (channel_index >= 0),
    onset_index INTEGER NOT NULL CHECK (onset_index >= 0),
    offset_index INTEGER NOT NULL CHECK (offset_index > onset_index),
    apex_index INTEGER NOT NULL,
    peak_counts REAL NOT NULL,
    peak_pct_mvc REAL
);
CREATE INDEX expression_activations_expression ON expression_activations(expression_id);
