"""The append-only, hash-chained audit log: triggers, verification, tamper detection."""

from __future__ import annotations

import itertools
import json
import sqlite3
from pathlib import Path

import pytest

from microexp_tui.errors import InputError
from microexp_tui.store.audit import GENESIS_HASH, row_hash
from microexp_tui.store.sessions import SessionStore
from tests.store import start_recording


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """A database with a few audited actions (ids 1..5 at least)."""
    db_path = tmp_path / "s.db"
    with SessionStore.open(db_path) as store:
        session_id = start_recording(store)
        store.audit("export", {"format": "bids", "files": 3}, session_id, actor="op1")
        store.finish_session(session_id, "completed")
        assert len(store.audit_entries()) >= 5
    return db_path


def _raw(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection, as a tamperer would use."""
    return sqlite3.connect(path, isolation_level=None)


def test_chain_of_normal_use_verifies(path: Path) -> None:
    with SessionStore.open(path) as store:
        entries = store.audit_entries()
        assert store.verify_audit_chain() is None
        assert entries[0]["prev_hash"] == GENESIS_HASH
        assert all(a["hash"] == b["prev_hash"] for a, b in itertools.pairwise(entries))
        actions = [entry["action"] for entry in entries]
        assert actions[-4:] == ["participant.create", "session.start", "export", "session.finish"]
        export = entries[-2]
        assert (export["actor"], json.loads(export["detail"])) == (
            "op1",
            {"files": 3, "format": "bids"},
        )


def test_triggers_forbid_update_and_delete(path: Path) -> None:
    conn = _raw(path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only: UPDATE"):
        conn.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 1")
    with pytest.raises(sqlite3.DatabaseError, match="append-only: DELETE"):
        conn.execute("DELETE FROM audit_log")
    conn.close()


def test_edited_row_is_found(path: Path) -> None:
    conn = _raw(path)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 3")
    conn.close()
    with SessionStore.open(path) as store:
        assert store.verify_audit_chain() == 3


def test_edited_row_with_recomputed_hash_breaks_the_next_link(path: Path) -> None:
    conn = _raw(path)
    conn.row_factory = sqlite3.Row
    row = dict(conn.execute("SELECT * FROM audit_log WHERE id = 2").fetchone())
    row["detail"] = json.dumps({"forged": True})
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute(
        "UPDATE audit_log SET detail = ?, hash = ? WHERE id = 2",
        [row["detail"], row_hash(row["prev_hash"], row)],
    )
    conn.close()
    with SessionStore.open(path) as store:
        assert store.verify_audit_chain() == 3


def test_deleted_row_is_found(path: Path) -> None:
    conn = _raw(path)
    conn.execute("DROP TRIGGER audit_log_no_delete")
    conn.execute("DELETE FROM audit_log WHERE id = 2")
    conn.close()
    with SessionStore.open(path) as store:
        assert store.verify_audit_chain() == 3


def test_detail_must_be_plain_json(path: Path) -> None:
    with SessionStore.open(path) as store:
        with pytest.raises(InputError, match="not plain JSON"):
            store.audit("export", {"where": Path("/tmp")})
        with pytest.raises(InputError, match="non-empty action"):
            store.audit("", {})
        assert store.verify_audit_chain() is None
