-- validations of EMG expressions against video-coded action units
CREATE TABLE au_validations (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    created_at TEXT NOT NULL,
    expressions_source TEXT NOT NULL,
    au_file TEXT NOT NULL,
    au_file_sha256 TEXT NOT NULL,
    offset_s REAL NOT NULL,
    tolerance_ms REAL NOT NULL CHECK (tolerance_ms > 0),
    overall_f1 REAL,
    report TEXT NOT NULL
);
CREATE INDEX au_validations_session ON au_validations(session_id, id);
