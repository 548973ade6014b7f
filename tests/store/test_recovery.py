"""Crash-safe session status, with real recording processes killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from microexp_tui.store.locks import lock_path
from microexp_tui.store.sessions import SessionStore
from tests.store import REPO_ROOT, counts, one_second, start_recording

RECORDER = """
import sys
from tests.store import one_second, start_recording
from microexp_tui.store.sessions import SessionStore

store = SessionStore.open(sys.argv[1])
session_id = start_recording(store)
for second in range(3):
    store.write_batch(session_id, one_second(second * 1000))
print(session_id, flush=True)
command = sys.stdin.readline().strip()  # hold the recording open until told, or killed
if command == "finish":
    store.finish_session(session_id, "completed")
    print("finished", flush=True)
"""


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path, int]]:
    """A separate process recording a session (3 s written) and holding it open."""
    path = tmp_path / "s.db"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", RECORDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
        env=env,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line.strip().isdigit(), f"recorder failed to start: {line!r}"
    yield child, path, int(line)
    if child.poll() is None:
        child.kill()
    child.wait(timeout=10)


def test_live_recording_in_another_process_is_left_alone_then_recovered_after_kill_9(
    recorder: tuple[subprocess.Popen[str], Path, int],
) -> None:
    child, path, session_id = recorder
    with SessionStore.open(path) as observer:
        assert observer.recovered_session_ids == []
        assert observer.session(session_id).status == "recording"
        np.testing.assert_array_equal(observer.read_samples(session_id).values, counts(0, 3000))

    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(timeout=10) == -signal.SIGKILL

    with SessionStore.open(path) as store:
        assert store.recovered_session_ids == [session_id]
        record = store.session(session_id)
        assert record.status == "interrupted"
        assert record.ended_at == record.heartbeat_at
        np.testing.assert_array_equal(store.read_samples(session_id).values, counts(0, 3000))
        recovered = store.audit_entries(session_id)[-1]
        assert recovered["action"] == "session.recovered"
        assert store.verify_audit_chain() is None
    assert not lock_path(path, session_id).exists()

    with SessionStore.open(path) as again:  # recovery happens once
        assert again.recovered_session_ids == []


def test_recording_finished_by_its_process_is_completed(
    recorder: tuple[subprocess.Popen[str], Path, int],
) -> None:
    child, path, session_id = recorder
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write("finish\n")
    child.stdin.flush()
    assert child.stdout.readline().strip() == "finished"
    assert child.wait(timeout=10) == 0
    with SessionStore.open(path) as store:
        assert store.recovered_session_ids == []
        assert store.session(session_id).status == "completed"


def test_recording_of_this_process_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    first = SessionStore.open(path)
    session_id = start_recording(first)
    first.write_batch(session_id, one_second(0))
    first.close()  # e.g. the UI's store closes while the writer keeps recording

    with SessionStore.open(path) as second:
        assert second.recovered_session_ids == []
        assert second.session(session_id).status == "recording"
        second.write_batch(session_id, one_second(1000))
        second.finish_session(session_id, "completed")  # releases the process's lock
        assert second.session(session_id).samples_per_channel == 2000
    assert not lock_path(path, session_id).exists()
