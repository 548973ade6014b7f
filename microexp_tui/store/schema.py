"""Schema DDL as an ordered list of migrations, each applied in its own transaction.

To change the schema, append a `Migration` with the next version; never edit a released
one. `schema_version` holds one row per applied migration; the highest is the version.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from microexp_tui.domain.sessions import utc_now_iso
from microexp_tui.errors import StoreError
from microexp_tui.store import audit
from microexp_tui.store.au_validation import (
    AU_VALIDATION_DESCRIPTION,
    AU_VALIDATION_MIGRATION_SQL,
    AU_VALIDATION_VERSION,
)
from microexp_tui.store.database import sqlite_errors, write_transaction
from microexp_tui.store.expressions import (
    EXPRESSIONS_DESCRIPTION,
    EXPRESSIONS_MIGRATION_SQL,
    EXPRESSIONS_VERSION,
)
from microexp_tui.store.extras_schema import (
    EXTRAS_DESCRIPTION,
    EXTRAS_MIGRATION_SQL,
    EXTRAS_VERSION,
)
from microexp_tui.store.predictions import (
    PREDICTIONS_DESCRIPTION,
    PREDICTIONS_MIGRATION_SQL,
    PREDICTIONS_VERSION,
)

APPLICATION_ID = 0x4D455850
"""`PRAGMA application_id` of our files ("MEXP"), so `file(1)` and we can recognise them."""


@dataclass(frozen=True)
class Migration:
    """One schema step: SQL run in a transaction together with its version row."""

    version: int
    description: str
    sql: str


_V1_CORE = f"""
PRAGMA application_id = {APPLICATION_ID};
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
    extra TEXT NOT NULL DEFAULT '{{}}',
    updated_at TEXT
);
"""

_V2_AUDIT = """
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    session_id INTEGER,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE is forbidden');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: DELETE is forbidden');
END;
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "participants, sessions, montage, sample chunks, events, quality", _V1_CORE),
    Migration(2, "hash-chained append-only audit log", _V2_AUDIT),
    Migration(PREDICTIONS_VERSION, PREDICTIONS_DESCRIPTION, PREDICTIONS_MIGRATION_SQL),
    Migration(EXTRAS_VERSION, EXTRAS_DESCRIPTION, EXTRAS_MIGRATION_SQL),
    Migration(EXPRESSIONS_VERSION, EXPRESSIONS_DESCRIPTION, EXPRESSIONS_MIGRATION_SQL),
    Migration(AU_VALIDATION_VERSION, AU_VALIDATION_DESCRIPTION, AU_VALIDATION_MIGRATION_SQL),
)

SCHEMA_VERSION = MIGRATIONS[-1].version
"""The schema version this program writes and understands."""


def current_version(db: Database) -> int:
    """Schema version of the open database (0 for a database without our tables)."""
    if "schema_version" not in db.table_names():
        return 0
    row = db.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def check_compatible(db: Database, path: Path) -> int:
    """Return the version, refusing a newer schema or somebody else's database."""
    with sqlite_errors(path, "read the schema version"):
        version = current_version(db)
        foreign = [name for name in db.table_names() if not name.startswith("sqlite_")]
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer microexp-tui (schema version {version}; this "
            f"program understands up to {SCHEMA_VERSION}). It was left untouched. Upgrade "
            "microexp-tui, or pass --db with another database."
        )
    if version == 0 and foreign:
        raise StoreError(
            f"{path} is a SQLite database of another program (tables: "
            f"{', '.join(sorted(foreign)[:5])}); it was left untouched. Pass --db with "
            "the path of a microexp-tui session database or of a new file."
        )
    return version


def migrate(db: Database, path: Path, target_version: int = SCHEMA_VERSION) -> int:
    """Apply every pending migration up to `target_version`, each atomically; return the version."""
    for migration in MIGRATIONS:
        if migration.version > target_version:
            break
        with sqlite_errors(path, f"upgrade the schema to version {migration.version}"):
            _apply(db, migration)
    with sqlite_errors(path, "read the schema version"):
        return current_version(db)


def _apply(db: Database, migration: Migration) -> None:
    """Apply one migration unless another process already did (checked inside the transaction)."""
    with write_transaction(db):
        before = current_version(db)
        if before >= migration.version:
            return
        db.executescript(migration.sql)
        db.table("schema_version").insert(
            {
                "version": migration.version,
                "description": migration.description,
                "applied_at": utc_now_iso(),
            }
        )
        if "audit_log" in db.table_names():
            detail = {"from_version": before, "to_version": migration.version}
            audit.append(db, "schema.migrate", detail)
