"""The light listing reads what the full store lists, and leaves every database with work to it."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from microexp_tui.readmodels.session_summary import (
    SessionSummary,
    session_summaries,
    summaries_of_database,
)
from microexp_tui.store import schema
from microexp_tui.store.database import connect
from microexp_tui.store.listing import sessions_if_current
from microexp_tui.store.sessions import SessionStore
from tests.store import REPO_ROOT, start_recording


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """A database with a finished session, then an audit entry written after the checkpoint."""
    db_path = tmp_path / "s.db"
    with SessionStore.open(db_path) as store:
        store.finish_session(start_recording(store), "completed")
        store.finish_session(start_recording(store, channels=2, simulated=False), "aborted")
    with SessionStore.open(db_path) as store:
        store.audit("export", {"format": "bids"}, actor="op1")
    return db_path


def _tamper(path: Path, *statements: str) -> None:
    """Run SQL with a plain sqlite3 connection, as a tamperer would."""
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in statements:
        conn.execute(statement)
    conn.close()


def test_a_current_database_is_read_as_the_full_store_lists_it(path: Path) -> None:
    light = sessions_if_current(path)
    with SessionStore.open(path) as store:
        full = store.list_sessions()
        summaries = session_summaries(store)
    assert light is not None and len(light) == 2
    assert light == full
    assert summaries_of_database(path) == summaries
    assert [s.status for s in summaries] == ["completed", "aborted"]
    assert isinstance(summaries[0], SessionSummary) and summaries[1].channels == 2


def test_the_light_read_writes_nothing(path: Path) -> None:
    conn = sqlite3.connect(path)
    before = conn.execute("SELECT verified_id FROM audit_checkpoint").fetchone()
    conn.close()
    assert sessions_if_current(path) is not None
    conn = sqlite3.connect(path)
    after = conn.execute("SELECT verified_id FROM audit_checkpoint").fetchone()
    conn.close()
    assert after == before, "the checkpoint moves only when the full store opens"


def test_a_missing_or_empty_file_is_left_to_the_full_open(tmp_path: Path) -> None:
    missing = tmp_path / "new.sqlite"
    assert sessions_if_current(missing) is None and not missing.exists()
    assert summaries_of_database(missing) == []
    assert missing.stat().st_size > 0, "the full open created the database, as before"
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    os.chmod(empty, 0o600)
    assert sessions_if_current(empty) is None


CRASHING_RECORDER = """
import os, sys
from tests.store import REPO_ROOT, start_recording
from microexp_tui.store.sessions import SessionStore

start_recording(SessionStore.open(sys.argv[1]))
os._exit(0)  # gone without finishing the session, as a crash would leave it
"""


def test_a_session_still_recording_is_left_to_the_recovery_of_the_full_open(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "crashed.db"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    subprocess.run(
        [sys.executable, "-c", CRASHING_RECORDER, str(db_path)], check=True, cwd=REPO_ROOT, env=env
    )
    assert sessions_if_current(db_path) is None
    (summary,) = summaries_of_database(db_path)
    assert summary.status == "interrupted", "the full open recovered the crashed recording"


def test_a_broken_audit_chain_is_left_to_the_full_open_which_warns(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _tamper(
        path,
        "DROP TRIGGER audit_log_no_update",
        "UPDATE audit_log SET actor = 'mallory' WHERE id = (SELECT max(id) FROM audit_log)",
    )
    assert sessions_if_current(path) is None
    with caplog.at_level(logging.WARNING):
        assert len(summaries_of_database(path)) == 2
    assert f"audit log of {path} is broken at row" in caplog.text


def test_missing_triggers_alone_are_left_to_the_full_open_which_restores_them(path: Path) -> None:
    _tamper(path, "DROP TRIGGER audit_log_no_delete")
    assert sessions_if_current(path) is None
    summaries_of_database(path)
    assert sessions_if_current(path) is not None, "restored by the full open"


def test_an_older_schema_is_left_to_the_full_open_which_migrates_it(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    db = connect(old)
    schema.migrate(db, old, target_version=schema.SCHEMA_VERSION - 1)
    db.execute("PRAGMA journal_mode = WAL")
    db.close()
    assert sessions_if_current(old) is None
    assert summaries_of_database(old) == []
    db = connect(old)
    assert schema.current_version(db) == schema.SCHEMA_VERSION
    db.close()


def test_a_file_others_can_read_is_left_to_the_full_open_which_tightens_it(path: Path) -> None:
    os.chmod(path, 0o644)
    assert sessions_if_current(path) is None
    summaries_of_database(path)
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_file_that_is_no_database_is_refused_by_the_full_open_as_before(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database" * 100)
    os.chmod(junk, 0o600)
    assert sessions_if_current(junk) is None
    with pytest.raises(Exception, match="not a readable SQLite database"):
        summaries_of_database(junk)
