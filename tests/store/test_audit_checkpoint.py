"""The audit chain checked at open from a checkpoint, triggers restored, the export guard."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from microexp_tui.errors import ExitCode
from microexp_tui.store.audit_checkpoint import AuditChainBrokenError, read_checkpoint
from microexp_tui.store.sessions import SessionStore
from tests.store import start_recording


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """A database opened twice: the second open's entries lie after the checkpoint."""
    db_path = tmp_path / "s.db"
    with SessionStore.open(db_path) as store:
        session_id = start_recording(store)
        store.finish_session(session_id, "completed")
    with SessionStore.open(db_path) as store:
        store.audit("export", {"format": "bids"}, actor="op1")
        store.audit("report", {"pages": 2}, actor="op1")
    return db_path


def _tamper(path: Path, *statements: str) -> None:
    """Run SQL with a plain sqlite3 connection, as a tamperer would."""
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in statements:
        conn.execute(statement)
    conn.close()


def _last_id(path: Path) -> int:
    """Id of the newest audit row."""
    conn = sqlite3.connect(path)
    row = conn.execute("SELECT max(id) FROM audit_log").fetchone()
    conn.close()
    return int(row[0])


def test_open_checks_only_rows_after_the_checkpoint(path: Path) -> None:
    with SessionStore.open(path) as store:
        check = store.audit_check_at_open
        assert check is not None and check.intact and store.audit_break is None
        assert check.checked == 2, "the two entries written after the previous open"
        checkpoint = read_checkpoint(store.db)
    assert checkpoint is not None and checkpoint.row_id == check.entries
    with SessionStore.open(path) as store:
        assert store.audit_check_at_open is not None
        assert store.audit_check_at_open.checked == 0


def test_a_row_edited_after_the_checkpoint_is_found_at_open(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    edited = _last_id(path)
    _tamper(
        path,
        "DROP TRIGGER audit_log_no_update",
        f"UPDATE audit_log SET actor = 'mallory' WHERE id = {edited}",
    )
    with caplog.at_level(logging.WARNING), SessionStore.open(path) as store:
        assert store.audit_break is not None and store.audit_break.row_id == edited
        assert "edited" in store.audit_break.reason
    assert f"audit log of {path} is broken at row {edited} (report at" in caplog.text


def test_an_old_row_edited_is_found_by_the_full_check_and_then_at_every_open(path: Path) -> None:
    _tamper(
        path,
        "DROP TRIGGER audit_log_no_update",
        "UPDATE audit_log SET detail = '{}' WHERE id = 3",
    )
    with SessionStore.open(path) as store:
        assert store.audit_break is None, "behind the checkpoint: only the full check sees it"
        report = store.verify_audit_log()
        assert report.broken is not None and report.broken.row_id == 3
        assert report.checked == 3
    with SessionStore.open(path) as store:
        assert store.audit_break is not None and store.audit_break.row_id == 3


def test_newest_rows_removed_behind_the_checkpoint_are_found(path: Path) -> None:
    with SessionStore.open(path):
        pass
    last = _last_id(path)
    _tamper(path, "DROP TRIGGER audit_log_no_delete", f"DELETE FROM audit_log WHERE id >= {last}")
    with SessionStore.open(path) as store:
        assert store.audit_break is not None and store.audit_break.row_id == last
        assert "gone" in store.audit_break.reason


def test_reopening_restores_dropped_or_altered_triggers_with_an_audit_entry(path: Path) -> None:
    _tamper(
        path,
        "DROP TRIGGER audit_log_no_update",
        "DROP TRIGGER audit_log_no_delete",
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT 1; END",
    )
    with SessionStore.open(path) as store:
        assert store.restored_triggers == ("audit_log_no_update", "audit_log_no_delete")
        entry = store.audit_entries()[-1]
        assert entry["action"] == "audit.triggers_restored"
        assert store.verify_audit_log().intact
    conn = sqlite3.connect(path, isolation_level=None)
    with pytest.raises(sqlite3.DatabaseError, match="append-only: UPDATE"):
        conn.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 1")
    with pytest.raises(sqlite3.DatabaseError, match="append-only: DELETE"):
        conn.execute("DELETE FROM audit_log")
    conn.close()
    with SessionStore.open(path) as store:
        assert store.restored_triggers == ()


def test_guard_refuses_a_broken_chain_unless_a_reason_is_given_and_logs_it(path: Path) -> None:
    _tamper(path, "DROP TRIGGER audit_log_no_update", "UPDATE audit_log SET at = 'x' WHERE id = 2")
    with SessionStore.open(path) as store:
        with pytest.raises(AuditChainBrokenError) as caught:
            store.require_intact_audit_log("export", None)
        assert caught.value.exit_code == ExitCode.STORE
        assert "Export refused" in str(caught.value) and "row 2" in str(caught.value)
        with pytest.raises(AuditChainBrokenError):
            store.require_intact_audit_log("export", "   ")
        store.require_intact_audit_log("export", "auditor copy, ticket 12", actor="op1")
        entry = store.audit_entries()[-1]
    assert (entry["action"], entry["actor"]) == ("audit.forced", "op1")
    assert '"reason":"auditor copy, ticket 12"' in entry["detail"]
    assert '"broken_row":2' in entry["detail"]


def test_a_reason_on_an_intact_chain_is_not_logged(path: Path) -> None:
    with SessionStore.open(path) as store:
        before = len(store.audit_entries())
        assert store.require_intact_audit_log("report", "just in case").intact
        assert len(store.audit_entries()) == before


def test_a_dropped_checkpoint_table_means_a_full_check_and_is_recreated(path: Path) -> None:
    _tamper(path, "DROP TABLE audit_checkpoint")
    with SessionStore.open(path) as store:
        check = store.audit_check_at_open
        assert check is not None and check.intact and check.checked == check.entries
        assert read_checkpoint(store.db) is not None
