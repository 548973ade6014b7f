"""Schema creation, versioning, migrations, file permissions and journal mode."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from microexp_tui.errors import StoreError
from microexp_tui.store import schema
from microexp_tui.store.database import PAGE_SIZE_BYTES, connect
from microexp_tui.store.locks import lock_path
from microexp_tui.store.schema import SCHEMA_VERSION
from microexp_tui.store.sessions import SessionStore
from tests.store import (
    REPO_ROOT,
    counts,
    database_at_version,
    one_second,
    seed_channels,
    start_recording,
)


def _mode(path: Path) -> int:
    """Permission bits of a file."""
    return stat.S_IMODE(path.stat().st_mode)


def _digest(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def no_umask() -> Iterator[None]:
    """Run with umask 0, so only our own code can make files private."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def test_fresh_database_has_current_version_wal_and_page_size(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store:
        db = store.db
        versions = [row[0] for row in db.execute("SELECT version FROM schema_version ORDER BY 1")]
        assert versions == list(range(1, SCHEMA_VERSION + 1))
        assert schema.current_version(db) == SCHEMA_VERSION
        assert db.journal_mode == "wal"
        assert db.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE_BYTES
        assert db.execute("PRAGMA application_id").fetchone()[0] == schema.APPLICATION_ID
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_database_wal_and_shm_are_owner_only_even_with_umask_0(
    tmp_path: Path, no_umask: None
) -> None:
    path = tmp_path / "s.db"
    with SessionStore.open(path) as store:
        session_id = start_recording(store)
        store.write_batch(session_id, one_second(0))
        wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
        assert wal.exists() and shm.exists()
        assert {_mode(path), _mode(wal), _mode(shm)} == {0o600}
        lock = lock_path(path, session_id)
        assert _mode(lock) == 0o600 and _mode(lock.parent) == 0o700
        store.finish_session(session_id, "completed")


def test_empty_file_and_empty_sqlite_database_count_as_version_0(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    plain = tmp_path / "plain.db"
    conn = sqlite3.connect(plain)
    conn.execute("PRAGMA user_version = 7")  # a header, but no tables
    conn.close()
    for path in (empty, plain):
        with SessionStore.open(path) as store:
            assert schema.current_version(store.db) == SCHEMA_VERSION


def test_version_1_database_migrates_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = connect(path)
    assert schema.migrate(db, path, target_version=1) == 1
    db.execute(
        "INSERT INTO participants (code, birth_year, created_at) VALUES ('P-OLD', 1990, 'x')"
    )
    assert "audit_log" not in db.table_names()
    db.close()

    with SessionStore.open(path) as store:
        assert schema.current_version(store.db) == SCHEMA_VERSION
        old = store.participant_by_code("p-old")
        assert old is not None and old.birth_year == 1990
        migrations = [e for e in store.audit_entries() if e["action"] == "schema.migrate"]
        expected = [
            f'{{"from_version":{v},"to_version":{v + 1}}}' for v in range(1, SCHEMA_VERSION)
        ]
        assert [e["detail"] for e in migrations] == expected
        assert store.verify_audit_chain() is None


def test_failing_migration_rolls_back_completely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.db"
    SessionStore.open(path).close()
    broken = schema.Migration(
        SCHEMA_VERSION + 1, "broken", "CREATE TABLE half_done (x); INSERT INTO nowhere VALUES (1);"
    )
    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, broken))
    db = connect(path)
    with pytest.raises(StoreError, match=f"upgrade the schema to version {SCHEMA_VERSION + 1}"):
        schema.migrate(db, path, target_version=SCHEMA_VERSION + 1)
    assert schema.current_version(db) == SCHEMA_VERSION
    assert "half_done" not in db.table_names()
    db.close()


def test_database_from_a_newer_program_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    SessionStore.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version VALUES (?, 'future', 'x')", [SCHEMA_VERSION + 5])
    conn.commit()
    conn.close()
    before = _digest(path)
    with pytest.raises(StoreError) as info:
        SessionStore.open(path)
    message = str(info.value)
    assert str(path) in message and "newer" in message and str(SCHEMA_VERSION + 5) in message
    assert "Upgrade microexp-tui" in message
    assert _digest(path) == before


def test_database_of_another_program_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.close()
    with pytest.raises(StoreError, match="another program"):
        SessionStore.open(path)
    conn = sqlite3.connect(path)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["invoices"]
    conn.close()


def test_store_is_headless() -> None:
    code = "import sys, microexp_tui.store; assert 'textual' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO_ROOT)


def test_previous_schema_upgrades_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "previous.db"
    session_id = database_at_version(path, SCHEMA_VERSION - 1)
    with SessionStore.open(path) as store:
        assert schema.current_version(store.db) == SCHEMA_VERSION
        record = store.session(session_id)
        assert (record.participant_code, record.status, record.operator) == (
            "P-OLD1",
            "completed",
            "op1",
        )
        assert record.samples_per_channel == 1000 and record.counters["frames"] == 125
        assert [spec.muscle for spec in record.channels] == [
            spec.muscle for spec in seed_channels()
        ]
        np.testing.assert_array_equal(store.read_samples(session_id).values, counts(0, 1000))
        assert [(m.sample_index, m.code) for m in store.markers(session_id)] == [(250, 0x0101)]
        assert store.verify_audit_chain() is None


def test_migrations_are_numbered_files_whose_first_line_describes_them(tmp_path: Path) -> None:
    shipped = sorted(
        entry.name
        for entry in resources.files("microexp_tui.store").joinpath("migrations").iterdir()
        if entry.name.endswith(".sql")
    )
    assert [int(name[:4]) for name in shipped] == list(range(1, SCHEMA_VERSION + 1))
    with SessionStore.open(tmp_path / "s.db") as store:
        rows = store.db.execute("SELECT version, description FROM schema_version ORDER BY 1")
        assert [(v, d) for v, d in rows] == [(m.version, m.description) for m in schema.MIGRATIONS]
        assert "muscle_events" not in store.db.table_names()
