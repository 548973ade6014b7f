"""What operators wrote about a session: free-text notes and overrides with their reasons.

Both are only ever added, never edited, and each addition is audit-logged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from microexp_tui.domain.sessions import Note, Override, utc_now_iso
from microexp_tui.errors import InputError
from microexp_tui.store import audit
from microexp_tui.store.connection import StoreConnection
from microexp_tui.store.database import write_transaction

if TYPE_CHECKING:
    from sqlite_utils import Database


def add_override(
    db: Database, session_id: int, kind: str, target: str, reason: str, actor: str
) -> None:
    """Record an operator override with its reason, in its table and the audit log."""
    if not reason.strip():
        raise InputError("An override needs a reason: say why the operator went ahead.")
    row: dict[str, Any] = {
        "session_id": session_id,
        "kind": kind,
        "target": target,
        "reason": reason.strip(),
        "actor": actor or "operator",
        "at": utc_now_iso(),
    }
    with write_transaction(db):
        db.table("operator_overrides").insert(row)
        detail = {"kind": kind, "target": target, "reason": row["reason"]}
        audit.append(db, "operator.override", detail, session_id, row["actor"])


def read_overrides(db: Database, session_id: int) -> list[Override]:
    """A session's operator overrides, oldest first."""
    rows = db.execute(
        "SELECT kind, target, reason, actor, at FROM operator_overrides "
        "WHERE session_id = ? ORDER BY id",
        [session_id],
    ).fetchall()
    return [Override(*row) for row in rows]


def add_note(db: Database, session_id: int, text: str, author: str) -> None:
    """Append a note to a session, with an audit entry naming its length."""
    if not text.strip():
        raise InputError("The note is empty; type something before saving it.")
    row: dict[str, Any] = {
        "session_id": session_id,
        "at": utc_now_iso(),
        "author": author,
        "text": text.strip(),
    }
    with write_transaction(db):
        db.table("session_notes").insert(row)
        audit.append(db, "session.note", {"chars": len(row["text"])}, session_id, author)


def read_notes(db: Database, session_id: int) -> list[Note]:
    """A session's notes, oldest first."""
    rows = db.execute(
        "SELECT at, author, text FROM session_notes WHERE session_id = ? ORDER BY id",
        [session_id],
    ).fetchall()
    return [Note(*row) for row in rows]


class NoteQueries(StoreConnection):
    """Store methods for operator notes and overrides."""

    def add_override(
        self, session_id: int, kind: str, target: str, reason: str, actor: str
    ) -> None:
        """Record an operator override with its reason, in its table and the audit log."""
        with self._locked("save the override") as db:
            add_override(db, session_id, kind, target, reason, actor)

    def overrides(self, session_id: int) -> list[Override]:
        """A session's operator overrides, oldest first."""
        with self._locked("read the overrides") as db:
            return read_overrides(db, session_id)

    def add_note(self, session_id: int, text: str, author: str) -> None:
        """Append a note to a session (notes are never edited, only added)."""
        with self._locked("save the note") as db:
            add_note(db, session_id, text, author)

    def notes(self, session_id: int) -> list[Note]:
        """A session's notes, oldest first."""
        with self._locked("read the notes") as db:
            return read_notes(db, session_id)
