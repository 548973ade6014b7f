"""A legacy sketch whose millis are random: the same clock rule as framed sequence numbers."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from microexp_tui.session_flow.headless import run_recording
from microexp_tui.store.sessions import SessionStore
from tests.acquisition.helpers import pty_peer

RECORD_S = 4.0


def _sketch_with_random_millis(master: int, stop: threading.Event) -> None:
    """Eleven honest lines (the host measures the period from them), then random millis."""
    rng = np.random.default_rng(16)
    line = 0
    while not stop.is_set():
        honest = line < 11
        millis = line * 50 if honest else int(rng.integers(0, 2**32))
        try:
            os.write(master, f"{millis},1,2,3,4,5,6,7,8\r\n".encode())
        except OSError:
            return
        line += 1
        stop.wait(0.05)


def test_random_millis_give_a_session_as_long_as_the_recording_not_days(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    with pty_peer(_sketch_with_random_millis) as path:
        summary = run_recording(
            port=path, simulate=False, database=db, duration_s=RECORD_S, legacy=True
        )
    with SessionStore.open(db) as store:
        record = store.session(summary.session_id)
    assert summary.status == "completed"
    assert record.duration_s < RECORD_S + 2.0  # 1 s of preamble, 1 s of slack
    assert summary.counters["clock_resyncs"] > 20
