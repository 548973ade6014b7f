"""AU validations: EMG expressions scored against a video-coded AU file, kept per run.

Every validation is kept (a reviewer may compare alignments or tolerances); the report and
review screen show the latest. The full report is stored as JSON beside the columns a query
needs (file hash, offset, tolerance, overall F1).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from microexp_tui.domain.expressions import ValidationReport
from microexp_tui.domain.sessions import utc_now_iso
from microexp_tui.expressions.validation import report_as_dict, report_from_dict
from microexp_tui.store import audit, session_records
from microexp_tui.store.connection import StoreConnection
from microexp_tui.store.database import write_transaction

if TYPE_CHECKING:
    from sqlite_utils import Database


def save(
    db: Database,
    db_path: Path,
    session_id: int,
    report: ValidationReport,
    expressions_source: str,
    actor: str,
) -> int:
    """Store one validation with its audit entry; returns its row id."""
    with write_transaction(db):
        session_records.one(db, db_path, session_id)
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


def latest(db: Database, session_id: int) -> ValidationReport | None:
    """The session's most recent validation, or None when it was never validated."""
    row = db.execute(
        "SELECT report FROM au_validations WHERE session_id = ? ORDER BY id DESC LIMIT 1",
        [session_id],
    ).fetchone()
    return None if row is None else report_from_dict(json.loads(row[0]))


def count(db: Database, session_id: int) -> int:
    """How many validations the session has (all are kept)."""
    row = db.execute(
        "SELECT COUNT(*) FROM au_validations WHERE session_id = ?", [session_id]
    ).fetchone()
    return int(row[0])


class ValidationQueries(StoreConnection):
    """Store methods for validations of EMG expressions against video-coded action units."""

    def save_validation(
        self,
        session_id: int,
        report: ValidationReport,
        expressions_source: str,
        actor: str = "system",
    ) -> int:
        """Store one validation with its audit entry; returns its row id."""
        with self._locked(f"save the AU validation of session {session_id}") as db:
            return save(db, self.path, session_id, report, expressions_source, actor)

    def latest_validation(self, session_id: int) -> ValidationReport | None:
        """The session's most recent validation, or None when it was never validated."""
        with self._locked(f"read the AU validation of session {session_id}") as db:
            return latest(db, session_id)

    def validation_count(self, session_id: int) -> int:
        """How many validations the session has (all are kept)."""
        with self._locked(f"count the AU validations of session {session_id}") as db:
            return count(db, session_id)
