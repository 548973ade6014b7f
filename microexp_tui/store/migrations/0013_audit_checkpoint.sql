-- audit checkpoint: the last audit row whose chain was verified, so opening checks only newer rows
CREATE TABLE audit_checkpoint (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    verified_id INTEGER NOT NULL,
    verified_hash TEXT NOT NULL,
    at TEXT NOT NULL
);
