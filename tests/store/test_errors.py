"""Actionable errors: corrupt file, unwritable path, unknown session, disk full mid-recording."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from microexp_tui.errors import ExitCode, StoreError
from microexp_tui.store.database import StoreCorruptError, StoreFullError
from microexp_tui.store.sessions import SessionStore
from tests.store import counts, one_second, start_recording

NOBODY_UID = 65534


@contextmanager
def unprivileged() -> Iterator[None]:
    """Drop the effective uid when running as root, so permission checks apply."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(NOBODY_UID)
    try:
        yield
    finally:
        os.seteuid(0)


def test_corrupt_file_is_named_left_untouched_and_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    path.write_bytes(b"this is certainly not SQLite\n" * 400)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(StoreCorruptError) as info:
        SessionStore.open(path)
    message = str(info.value)
    assert str(path) in message and "left untouched" in message and "Move it aside" in message
    assert info.value.exit_code == ExitCode.STORE
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sessions.db"]


def test_missing_folder_is_named_with_the_db_option(tmp_path: Path) -> None:
    path = tmp_path / "no" / "such" / "sessions.db"
    with pytest.raises(StoreError) as info:
        SessionStore.open(path)
    message = str(info.value)
    assert str(path.parent) in message and "does not exist" in message and "--db" in message
    assert not path.parent.exists()


def test_path_under_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    with pytest.raises(StoreError, match=r"is not a folder.*--db"):
        SessionStore.open(tmp_path / "afile" / "sessions.db")


def test_unwritable_folder_is_named_with_the_db_option() -> None:
    with tempfile.TemporaryDirectory() as top:  # outside pytest's 0700 tree, so only ro/ blocks
        os.chmod(top, 0o755)
        folder = Path(top) / "ro"
        folder.mkdir(mode=0o555)
        path = folder / "sessions.db"
        with unprivileged(), pytest.raises(StoreError) as info:
            SessionStore.open(path)
        message = str(info.value)
        assert f"no permission to create files in {folder}" in message and "--db" in message
        assert not path.exists()


def test_unknown_session_id_is_named(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store:
        calls = [
            lambda: store.session(4242),
            lambda: store.read_samples(4242),
            lambda: store.markers(4242),
            lambda: store.gaps(4242),
            lambda: store.write_batch(4242, one_second(0)),
            lambda: store.finish_session(4242, "completed"),
        ]
        for call in calls:
            with pytest.raises(StoreError, match=r"Session 4242 does not exist in .*list"):
                call()


def test_disk_full_mid_recording_keeps_earlier_batches(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = SessionStore.open(path)
    session_id = start_recording(store)
    for second in range(3):
        store.write_batch(session_id, one_second(second * 1000))
    page_count = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {page_count + 10}")  # ~2 more seconds fit

    saved_seconds = 3
    with pytest.raises(StoreFullError) as info:
        for second in range(3, 50):
            store.write_batch(session_id, one_second(second * 1000))
            saved_seconds += 1
    assert isinstance(info.value, StoreError)
    assert str(path) in str(info.value) and "full" in str(info.value)
    assert 3 <= saved_seconds < 50

    expected = counts(0, saved_seconds * 1000)
    assert store.session(session_id).samples_per_channel == saved_seconds * 1000
    np.testing.assert_array_equal(store.read_samples(session_id).values, expected)
    with contextlib.suppress(StoreFullError):  # may hit the full disk too; lock released anyway
        store.finish_session(session_id, "interrupted")
    store.close()

    with SessionStore.open(path) as reopened:
        record = reopened.session(session_id)
        assert record.status == "interrupted"
        np.testing.assert_array_equal(reopened.read_samples(session_id).values, expected)
        assert reopened.verify_audit_chain() is None
