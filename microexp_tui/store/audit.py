"""Append-only audit log whose rows form a SHA-256 hash chain.

Each row stores `hash = sha256(prev_hash + canonical_content)` where the canonical
content is the compact, key-sorted JSON of the row's id, time, actor, action, session
and detail text. SQL triggers forbid UPDATE and DELETE; the chain catches edits made
by someone who drops the triggers. Removing the newest rows leaves a valid shorter
chain, which only a copy of the latest hash kept elsewhere could reveal.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from microexp_tui.domain.sessions import utc_now_iso
from microexp_tui.errors import InputError
from microexp_tui.store.connection import StoreConnection
from microexp_tui.store.database import SqlReader, write_transaction

if TYPE_CHECKING:
    from sqlite_utils import Database

GENESIS_HASH = "0" * 64
"""`prev_hash` of the first row."""


def canonical_detail(action: str, detail: dict[str, Any]) -> str:
    """Compact key-sorted JSON of `detail`; InputError if it is not plain JSON data."""
    try:
        return json.dumps(detail, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"The audit detail for action '{action}' is not plain JSON data ({exc}). "
            "Pass only str, int, float, bool, None, lists and dicts."
        ) from exc


def row_hash(prev_hash: str, row: dict[str, Any]) -> str:
    """Chain hash of an audit row given the previous row's hash."""
    content = {key: row[key] for key in ("id", "at", "actor", "action", "session_id", "detail")}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(prev_hash.encode("ascii") + canonical.encode("utf-8")).hexdigest()


def append(
    db: Database,
    action: str,
    detail: dict[str, Any],
    session_id: int | None = None,
    actor: str = "system",
) -> int:
    """Append one chained row (joining the caller's transaction if any); return its id."""
    detail_json = canonical_detail(action, detail)
    with write_transaction(db):
        last = db.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
        prev_id, prev_hash = (last[0], last[1]) if last else (0, GENESIS_HASH)
        row: dict[str, Any] = {
            "id": prev_id + 1,
            "at": utc_now_iso(),
            "actor": actor,
            "action": action,
            "session_id": session_id,
            "detail": detail_json,
            "prev_hash": prev_hash,
        }
        row["hash"] = row_hash(prev_hash, row)
        db.table("audit_log").insert(row)
    return int(row["id"])


@dataclass(frozen=True)
class ChainBreak:
    """The first audit row whose link or hash is wrong, and what is wrong with it."""

    row_id: int
    reason: str
    action: str = ""
    at: str = ""

    def describe(self) -> str:
        """One line naming the row (its action and time when known) and the fault."""
        what = f" ({self.action} at {self.at})" if self.action else ""
        return f"row {self.row_id}{what}: {self.reason}"


@dataclass(frozen=True)
class ChainWalk:
    """The result of checking the chain over a range of rows."""

    rows_checked: int
    last_good_id: int
    """Id of the last row that verified (the start id when none did)."""
    last_good_hash: str
    broken: ChainBreak | None


ROW_COLUMNS = "id, at, actor, action, session_id, detail, prev_hash, hash"


def walk_chain(db: SqlReader, after_id: int = 0, prev_hash: str = GENESIS_HASH) -> ChainWalk:
    """Check every row after `after_id`, starting from that row's hash; stop at the first fault."""
    cursor = db.execute(f"SELECT {ROW_COLUMNS} FROM audit_log WHERE id > ? ORDER BY id", [after_id])
    names = [column[0] for column in cursor.description]
    good_id, expected_prev, checked = after_id, prev_hash, 0
    for values in cursor:
        row = dict(zip(names, values, strict=True))
        checked += 1
        fault = _row_fault(row, expected_prev, good_id)
        if fault:
            broken = ChainBreak(int(row["id"]), fault, str(row["action"]), str(row["at"]))
            return ChainWalk(checked, good_id, expected_prev, broken)
        good_id, expected_prev = int(row["id"]), str(row["hash"])
    return ChainWalk(checked, good_id, expected_prev, None)


def _row_fault(row: dict[str, Any], expected_prev: str, previous_id: int) -> str:
    """What is wrong with one row given the previous row's hash ('' when it verifies)."""
    if row["prev_hash"] != expected_prev:
        return (
            f"it does not link to row {previous_id} (a row before it was edited or removed)"
            if previous_id
            else "it does not start the chain (rows before it were removed)"
        )
    if row_hash(expected_prev, row) != row["hash"]:
        return "its content does not match its hash (the row was edited)"
    return ""


def verify_chain(db: Database) -> int | None:
    """Id of the first row whose link or hash is wrong, or None if the whole chain holds."""
    broken = walk_chain(db).broken
    return broken.row_id if broken else None


def entries(db: Database, session_id: int | None) -> list[dict[str, Any]]:
    """Audit rows (all, or one session's) as dicts, oldest first."""
    if session_id is None:
        return list(db.query("SELECT * FROM audit_log ORDER BY id"))
    return list(db.query("SELECT * FROM audit_log WHERE session_id = ? ORDER BY id", [session_id]))


class AuditQueries(StoreConnection):
    """Store methods for the hash-chained audit log."""

    def audit(
        self,
        action: str,
        detail: dict[str, Any],
        session_id: int | None = None,
        actor: str = "system",
    ) -> None:
        """Append an entry to the hash-chained audit log."""
        if not action:
            raise InputError("An audit entry needs a non-empty action name.")
        with self._locked("write to the audit log") as db:
            append(db, action, detail, session_id, actor)

    def verify_audit_chain(self) -> int | None:
        """Id of the first audit row whose hash chain is broken, or None if intact."""
        with self._locked("verify the audit log") as db:
            return verify_chain(db)

    def audit_entries(self, session_id: int | None = None) -> list[dict[str, Any]]:
        """Audit rows (all, or one session's) as dicts, oldest first."""
        with self._locked("read the audit log") as db:
            return entries(db, session_id)
