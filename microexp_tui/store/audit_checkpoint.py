"""Keeping the audit chain checked: a stored checkpoint, the protective triggers, the guard.

Opening a database checks only the audit rows after the checkpoint (the last row verified
before), so opening stays fast on long logs; `verify_all` (run by `microexp audit verify`,
exports and reports) checks every row and, when it finds a break, moves the checkpoint
back before it, so every later open warns too. Missing or altered protective triggers are
recreated at open, with an audit entry saying so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from microexp_tui.domain.sessions import utc_now_iso
from microexp_tui.errors import StoreError
from microexp_tui.store import audit
from microexp_tui.store.audit import GENESIS_HASH, ChainBreak
from microexp_tui.store.connection import StoreConnection
from microexp_tui.store.database import SqlReader, has_table, write_transaction

if TYPE_CHECKING:
    from sqlite_utils import Database

PROTECTIVE_TRIGGERS: dict[str, str] = {
    name: (
        f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log\n"
        f"BEGIN\n    SELECT RAISE(ABORT, 'audit_log is append-only: {verb} is forbidden');\nEND"
    )
    for name, verb in (("audit_log_no_update", "UPDATE"), ("audit_log_no_delete", "DELETE"))
}
"""The triggers of migration 2 that make the audit log append-only, by name."""


CHECKPOINT_TABLE_SQL = """CREATE TABLE IF NOT EXISTS audit_checkpoint (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    verified_id INTEGER NOT NULL,
    verified_hash TEXT NOT NULL,
    at TEXT NOT NULL
)"""
"""The checkpoint table of migration 13, recreated when someone dropped it."""


class AuditChainBrokenError(StoreError):
    """The audit log's hash chain is broken and the command needs it intact."""


@dataclass(frozen=True)
class Checkpoint:
    """The last audit row whose chain was verified, and its hash."""

    row_id: int
    row_hash: str
    at: str


@dataclass(frozen=True)
class ChainReport:
    """What a check of the audit chain found."""

    entries: int
    """Rows in the audit log."""
    checked: int
    """Rows whose hash was recomputed by this check."""
    broken: ChainBreak | None

    @property
    def intact(self) -> bool:
        """Whether no fault was found."""
        return self.broken is None


def read_checkpoint(db: SqlReader) -> Checkpoint | None:
    """The stored checkpoint, or None before the first verification (or if it was dropped)."""
    if not has_table(db, "audit_checkpoint"):
        return None
    row = db.execute("SELECT verified_id, verified_hash, at FROM audit_checkpoint").fetchone()
    return Checkpoint(int(row[0]), str(row[1]), str(row[2])) if row else None


def _save_checkpoint(db: Database, row_id: int, row_hash: str) -> None:
    """Store the last verified row (replacing the previous one; none verified: no checkpoint)."""
    with write_transaction(db):
        db.execute(CHECKPOINT_TABLE_SQL)
        if row_id == 0:
            db.execute("DELETE FROM audit_checkpoint")
            return
        db.execute(
            "INSERT OR REPLACE INTO audit_checkpoint (id, verified_id, verified_hash, at) "
            "VALUES (1, ?, ?, ?)",
            [row_id, row_hash, utc_now_iso()],
        )


def checkpoint_fault(db: SqlReader, checkpoint: Checkpoint) -> ChainBreak | None:
    """A break when the checkpoint's row is gone or its hash changed since it was verified."""
    row = db.execute(
        "SELECT hash, action, at FROM audit_log WHERE id = ?", [checkpoint.row_id]
    ).fetchone()
    if row is None:
        reason = f"it was verified on {checkpoint.at} and is gone (rows were removed)"
        return ChainBreak(checkpoint.row_id, reason)
    if row[0] != checkpoint.row_hash:
        reason = f"its hash changed since it was verified on {checkpoint.at} (rows were rewritten)"
        return ChainBreak(checkpoint.row_id, reason, str(row[1]), str(row[2]))
    return None


def _entries(db: Database) -> int:
    """Number of rows in the audit log."""
    return int(db.execute("SELECT count(*) FROM audit_log").fetchone()[0])


def check_from_checkpoint(db: Database) -> ChainReport:
    """Check the rows after the checkpoint and move the checkpoint to the last good row."""
    checkpoint = read_checkpoint(db)
    start_id, start_hash = 0, GENESIS_HASH
    if checkpoint is not None:
        fault = checkpoint_fault(db, checkpoint)
        if fault is not None:
            return ChainReport(_entries(db), 0, fault)
        start_id, start_hash = checkpoint.row_id, checkpoint.row_hash
    walk = audit.walk_chain(db, start_id, start_hash)
    if walk.last_good_id > start_id:
        _save_checkpoint(db, walk.last_good_id, walk.last_good_hash)
    return ChainReport(_entries(db), walk.rows_checked, walk.broken)


def verify_all(db: Database) -> ChainReport:
    """Check every row; on a break move the checkpoint before it, else to the newest row."""
    walk = audit.walk_chain(db)
    checkpoint = read_checkpoint(db)
    broken = walk.broken
    if broken is None and checkpoint is not None:
        broken = checkpoint_fault(db, checkpoint)
    if broken is None:
        if walk.last_good_id and (checkpoint is None or checkpoint.row_id != walk.last_good_id):
            _save_checkpoint(db, walk.last_good_id, walk.last_good_hash)
    elif checkpoint is not None and checkpoint.row_id >= broken.row_id:
        _save_checkpoint(db, walk.last_good_id, walk.last_good_hash)
    return ChainReport(_entries(db), walk.rows_checked, broken)


def _normalised(sql: str | None) -> str:
    """Trigger SQL with whitespace collapsed and no trailing ';', for comparison."""
    return re.sub(r"\s+", " ", (sql or "").strip().rstrip(";")).strip()


def damaged_triggers(db: SqlReader) -> list[str]:
    """Names of the protective triggers that are missing or differ from the shipped SQL."""
    present = dict(
        db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'"
        ).fetchall()
    )
    return [
        name
        for name, sql in PROTECTIVE_TRIGGERS.items()
        if _normalised(present.get(name)) != _normalised(sql)
    ]


def restore_triggers(db: Database) -> list[str]:
    """Recreate missing or altered protective triggers, audit-logged; the names restored."""
    if not damaged_triggers(db):
        return []
    with write_transaction(db):
        # Again under the write lock: another process may have restored them meanwhile.
        restored = damaged_triggers(db)
        for name in restored:
            db.execute(f"DROP TRIGGER IF EXISTS {name}")
            db.execute(PROTECTIVE_TRIGGERS[name])
        if restored:
            audit.append(db, "audit.triggers_restored", {"triggers": restored})
    return restored


def broken_message(path: object, broken: ChainBreak) -> str:
    """The warning for a broken chain: where, what, and what to do."""
    return (
        f"The audit log of {path} is broken at {broken.describe()}. Entries at and after "
        "that row cannot be trusted: someone changed the database outside microexp-tui. "
        f"Run `microexp audit verify --db {path}` for details, keep a copy of the file and "
        "tell the person responsible for the study data; exports and reports are refused "
        "unless given --force-reason TEXT (recorded in the audit log)."
    )


def require_intact(
    db: Database, path: object, command: str, force_reason: str | None, actor: str = "system"
) -> ChainReport:
    """Check every row; AuditChainBrokenError on a break unless a reason is given (then logged)."""
    report = verify_all(db)
    if report.broken is None:
        return report
    reason = (force_reason or "").strip()
    if not reason:
        raise AuditChainBrokenError(
            f"{command.capitalize()} refused: " + broken_message(path, report.broken)
        )
    detail = {"command": command, "reason": reason, "broken_row": report.broken.row_id}
    audit.append(db, "audit.forced", detail, actor=actor)
    return report


class AuditCheckQueries(StoreConnection):
    """Store methods that check the audit chain, and what opening the store found."""

    audit_check_at_open: ChainReport | None = None
    """What opening the store found checking the rows after the checkpoint."""
    restored_triggers: tuple[str, ...] = ()
    """Protective triggers this open found missing or altered and recreated."""

    @property
    def audit_break(self) -> ChainBreak | None:
        """The chain fault found when the store was opened (None: the rows checked verify)."""
        check = self.audit_check_at_open
        return check.broken if check else None

    def verify_audit_log(self) -> ChainReport:
        """Check every audit row (moving the checkpoint); what was found."""
        with self._locked("verify the audit log") as db:
            return verify_all(db)

    def require_intact_audit_log(
        self, command: str, force_reason: str | None, actor: str = "system"
    ) -> ChainReport:
        """Refuse `command` on a broken chain unless `force_reason` is given (then logged)."""
        with self._locked("verify the audit log") as db:
            return require_intact(db, self.path, command, force_reason, actor)
