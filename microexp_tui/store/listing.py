"""A database's sessions read without the full store, when opening it would change nothing.

`SessionStore.open` imports every query area and sqlite_utils (which imports pandas and numpy
when they are installed), then migrates, recovers crashed recordings, restores the audit
log's triggers and warns on a broken chain. A listing of a database that needs none of that
reads the same rows with the standard library only, through the store's own read functions;
every other database (new, older schema, a session still `recording`, audit rows that do not
verify, loose file modes, anything SQLite complains about) is left to the full open, which
does the work and words the errors exactly as before.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from microexp_tui.domain.sessions import SessionRecord
from microexp_tui.errors import StoreError
from microexp_tui.paths import GROUP_AND_OTHER_BITS
from microexp_tui.store import audit, audit_checkpoint, schema, session_records
from microexp_tui.store.audit import GENESIS_HASH
from microexp_tui.store.database import (
    BUSY_TIMEOUT_MS,
    SIDE_FILE_SUFFIXES,
    SqlReader,
    check_existing_file,
)


def sessions_if_current(path: Path) -> list[SessionRecord] | None:
    """Every session record, oldest first; None when opening the store would have work to do."""
    resolved = Path(path).expanduser().resolve()
    if not _file_needs_nothing(resolved):
        return None
    try:
        conn = sqlite3.connect(str(resolved), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        if not _database_needs_nothing(conn):
            return None
        return session_records.records(conn)
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def _file_needs_nothing(path: Path) -> bool:
    """Whether the file exists with data, is usable and owner-only, as are its WAL files."""
    try:
        info = path.stat()
        check_existing_file(path, info)
    except (OSError, StoreError):
        return False
    if info.st_size == 0:
        return False
    side_files = (path.with_name(path.name + suffix) for suffix in SIDE_FILE_SUFFIXES)
    return all(not _loose_mode(file) for file in (path, *side_files))


def _loose_mode(path: Path) -> bool:
    """Whether an existing file grants group or other users any access (open tightens it)."""
    try:
        return bool(stat.S_IMODE(os.stat(path).st_mode) & GROUP_AND_OTHER_BITS)
    except FileNotFoundError:
        return False


def _database_needs_nothing(db: SqlReader) -> bool:
    """Whether the database is in WAL mode at this schema version, no session is
    `recording`, and the audit log's triggers and rows after its checkpoint verify."""
    if str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
        return False
    if schema.current_version(db) != schema.SCHEMA_VERSION:
        return False
    if db.execute("SELECT 1 FROM sessions WHERE status = 'recording' LIMIT 1").fetchone():
        return False
    if audit_checkpoint.damaged_triggers(db):
        return False
    return _audit_rows_verify(db)


def _audit_rows_verify(db: SqlReader) -> bool:
    """Whether the checkpoint's row is unchanged and every row after it verifies."""
    checkpoint = audit_checkpoint.read_checkpoint(db)
    start_id, start_hash = 0, GENESIS_HASH
    if checkpoint is not None:
        if audit_checkpoint.checkpoint_fault(db, checkpoint) is not None:
            return False
        start_id, start_hash = checkpoint.row_id, checkpoint.row_hash
    return audit.walk_chain(db, start_id, start_hash).broken is None
