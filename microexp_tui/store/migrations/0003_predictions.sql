-- emotion prediction runs and per-window predictions
CREATE TABLE prediction_runs (
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    model_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('live', 'reprocess')),
    classes TEXT NOT NULL,
    hop_ms REAL NOT NULL CHECK (hop_ms > 0),
    window_samples INTEGER NOT NULL CHECK (window_samples > 0),
    model_card TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (session_id, model_id)
) WITHOUT ROWID;
CREATE TABLE predictions (
    session_id INTEGER NOT NULL,
    model_id TEXT NOT NULL,
    sample_index INTEGER NOT NULL CHECK (sample_index >= 0),
    label TEXT NOT NULL,
    activation REAL NOT NULL,
    probabilities BLOB NOT NULL,
    PRIMARY KEY (session_id, model_id, sample_index),
    FOREIGN KEY (session_id, model_id) REFERENCES prediction_runs(session_id, model_id)
) WITHOUT ROWID;
