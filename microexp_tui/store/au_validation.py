"""AU validations (migration 6): EMG expressions scored against a video-coded AU file, kept per run.

Every validation is kept (a reviewer may compare alignments or tolerances); the report and
review screen show the latest. The full report is stored as JSON beside the columns a query
needs (file hash, offset, tolerance, overall F1).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from microexp_tui.domain.expressions import ValidationReport
from microexp_tui.domain.sessions import utc_now_iso
from microexp_tui.expressions.validation import report_as_dict, report_from_dict
from microexp_tui.store import audit, session_rows
from microexp_tui.store.database import write_transaction

if TYPE_CHECKING:  # schema.py imports this module for the migration; sessions imports schema
    from microexp_tui.store.sessions import SessionStore

AU_VALIDATION_VERSION = 6
AU_VALIDATION_DESCRIPTION = "validations of EMG expressions against video-coded action units"
AU_VALIDATION_MIGRATION_SQL = """
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
"""


def save_validation(
    store: SessionStore,
    session_id: int,
    report: ValidationReport,
    expressions_source: str,
    actor: str = "system",
) -> int:
    """Store one validation with its audit entry; returns its row id."""
    with (
        store.locked(f"save the AU validation of session {session_id}") as db,
        write_transaction(db),
    ):
        session_rows.one(db, store.path, session_id)
        cursor = db.execute(
            "INSERT INTO au_validations (session_id, created_at, expressions_source, au_file, "
            "au_file_sha256, offset_s, tolerance_ms, overall_f1, report) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                session_id,
                utc_now_iso(),
                expressions_source,
                report.au_file,
                report.au_file_sha256,
                report.offset_s,
                report.tolerance_ms,
                report.overall.f1,
                json.dumps(report_as_dict(report), sort_keys=True),
            ],
        )
        row_id = int(cursor.lastrowid or 0)
        detail = {
            "au_file_sha256": report.au_file_sha256,
            "offset_s": report.offset_s,
            "tolerance_ms": report.tolerance_ms,
            "overall_f1": report.overall.f1,
            "confirmed_micro": len(report.confirmed_micro),
        }
        audit.append(db, "au_validation.save", detail, session_id, actor)
    return row_id


def latest_validation(store: SessionStore, session_id: int) -> ValidationReport | None:
    """The session's most recent validation, or None when it was never validated."""
    with store.locked(f"read the AU validation of session {session_id}") as db:
        row = db.execute(
            "SELECT report FROM au_validations WHERE session_id = ? ORDER BY id DESC LIMIT 1",
            [session_id],
        ).fetchone()
    return None if row is None else report_from_dict(json.loads(row[0]))


def validation_count(store: SessionStore, session_id: int) -> int:
    """How many validations the session has (all are kept)."""
    with store.locked(f"count the AU validations of session {session_id}") as db:
        row = db.execute(
            "SELECT COUNT(*) FROM au_validations WHERE session_id = ?", [session_id]
        ).fetchone()
    return int(row[0])
