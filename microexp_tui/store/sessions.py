"""`SessionStore`: the one object the rest of the program uses to reach the session database.

Every public operation is a method, grouped by area in the query classes it is composed of
(each in its area module beside the SQL it runs). One store wraps one SQLite connection.
Give each thread its own store (the writer thread opens its own); a store may be created
in one thread and used in another, and an internal lock serialises calls, but sharing one
store between threads would make them wait for each other.
"""

from __future__ import annotations

import logging
from pathlib import Path

from microexp_tui.store import audit_checkpoint, schema, session_rows
from microexp_tui.store.au_validation import ValidationQueries
from microexp_tui.store.audit import AuditQueries
from microexp_tui.store.audit_checkpoint import AuditCheckQueries
from microexp_tui.store.checks import CheckQueries
from microexp_tui.store.database import connect, enable_wal, sqlite_errors
from microexp_tui.store.expressions import ExpressionQueries
from microexp_tui.store.notes import NoteQueries
from microexp_tui.store.participants import ParticipantQueries
from microexp_tui.store.predictions import PredictionQueries
from microexp_tui.store.privacy import PrivacyQueries
from microexp_tui.store.reading import RecordingQueries
from microexp_tui.store.session_rows import SessionQueries
from microexp_tui.store.session_setup import SetupQueries

log = logging.getLogger(__name__)


class SessionStore(
    ParticipantQueries,
    SessionQueries,
    RecordingQueries,
    SetupQueries,
    CheckQueries,
    NoteQueries,
    ExpressionQueries,
    ValidationQueries,
    PredictionQueries,
    AuditQueries,
    AuditCheckQueries,
    PrivacyQueries,
):
    """Participants, sessions, samples, results and the audit log in one SQLite file (WAL)."""

    @classmethod
    def open(cls, path: str | Path) -> SessionStore:
        """Open or create the database, migrate it, and mark crashed recordings interrupted."""
        resolved = Path(path).expanduser().resolve()
        db = connect(resolved)
        try:
            schema.check_compatible(db, resolved)
            enable_wal(db, resolved)
            schema.migrate(db, resolved)
            store = cls(db, resolved)
            with sqlite_errors(resolved, "recover interrupted sessions"):
                store.recovered_session_ids = session_rows.recover_stale(db, resolved)
            _check_audit_log(store)
        except BaseException:
            db.close()
            raise
        return store

    def close(self) -> None:
        """Close the connection (a recording started here keeps its lock until finished)."""
        with self._lock:
            self.db.close()

    def __enter__(self) -> SessionStore:
        """Use the store as a context manager that closes it."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the store."""
        self.close()


_WARNED: set[tuple[str, int]] = set()
"""(database, row) breaks already warned about by this process (one warning each)."""


def _check_audit_log(store: SessionStore) -> None:
    """Check the chain from its checkpoint, restore the protective triggers, warn on a break."""
    with sqlite_errors(store.path, "check the audit log"):
        store.audit_check_at_open = audit_checkpoint.check_from_checkpoint(store.db)
        store.restored_triggers = tuple(audit_checkpoint.restore_triggers(store.db))
    if store.restored_triggers:
        log.warning(
            "The audit log of %s had lost its protective triggers (%s); they were restored "
            "and the restoration recorded in the audit log.",
            store.path,
            ", ".join(store.restored_triggers),
        )
    broken = store.audit_break
    if broken is not None and (str(store.path), broken.row_id) not in _WARNED:
        _WARNED.add((str(store.path), broken.row_id))
        log.warning(audit_checkpoint.broken_message(store.path, broken))
