"""Ctrl-C and kill -9 against a real `microexp record` process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from microexp_tui.simulator.process import start_simulator_process
from microexp_tui.store.sessions import SessionStore
from tests.acquisition.helpers import wait_until


def _record_process(port: str, db: Path, duration_s: float) -> subprocess.Popen[str]:
    """`microexp record` in its own process, as an operator would run it."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "microexp_tui",
            "record",
            "--port",
            port,
            "--db",
            str(db),
            "--duration-s",
            str(duration_s),
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stored_samples(db: Path) -> int:
    """Samples per channel stored so far in the first session (0 before it exists)."""
    if not db.exists():
        return 0
    with SessionStore.open(db) as store:
        sessions = store.list_sessions()
        return sessions[0].stored_samples if sessions else 0


def test_ctrl_c_finishes_the_last_batch_and_marks_the_session(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    with start_simulator_process([]) as sim:  # paced: 1000 samples/s
        proc = _record_process(sim.port, db, 60)
        assert wait_until(lambda: _stored_samples(db) > 0, 15)
        time.sleep(1.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    summary = json.loads(out)
    assert summary["status"] == "aborted", err
    with SessionStore.open(db) as store:
        record = store.session(summary["session_id"])
    assert record.status == "aborted"
    assert record.stored_samples == summary["samples_per_channel"] > 1500


def test_kill_9_loses_at_most_about_a_second_and_reads_interrupted(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    rate_hz = 1000
    with start_simulator_process([]) as sim:  # paced in real time
        proc = _record_process(sim.port, db, 60)
        assert wait_until(lambda: _stored_samples(db) > 0, 15)
        first_seen_s, first_count = time.monotonic(), _stored_samples(db)
        time.sleep(3.0)
        killed_at_s = time.monotonic()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    with SessionStore.open(db) as store:  # reopen: the dead recording is recovered
        record = store.list_sessions()[0]
        samples = store.read_samples(record.id).values
    assert record.status == "interrupted"
    received_estimate = first_count + (killed_at_s - first_seen_s) * rate_hz
    assert record.stored_samples >= received_estimate - 1.3 * rate_hz
    assert samples.shape == (record.samples_per_channel, 8)
