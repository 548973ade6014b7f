"""Fixtures for the command-line tests: a real session database and operator settings files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.recording import Batch
from microexp_tui.settings import CONFIG_FILE_ENV
from microexp_tui.store.sessions import SessionStore

RATE_HZ = 1000


def write_session(
    store: SessionStore, seconds: int, *, simulated: bool, status: str = "completed"
) -> int:
    """A session of `seconds` of flat counts on two channels, left in `status`."""
    participant = store.create_participant()
    session_id = store.start_session(
        participant.id,
        sample_rate_hz=RATE_HZ,
        channels=[ChannelSpec(i, f"EMG{i + 1}", "", "envelope", ()) for i in range(2)],
        device={"board": "test"},
        simulated=simulated,
    )
    chunk = np.full((RATE_HZ, 2), 100, np.int16)
    for second in range(seconds):
        store.write_batch(session_id, Batch(chunks=[(second * RATE_HZ, chunk)]))
    if status != "recording":
        store.finish_session(session_id, status)
    return session_id


@pytest.fixture
def two_sessions(tmp_path: Path) -> Path:
    """A database holding a 2 s simulated session and a 3 s one from a board."""
    path = tmp_path / "two.sqlite"
    with SessionStore.open(path) as store:
        write_session(store, 2, simulated=True)
        write_session(store, 3, simulated=False)
    return path


@pytest.fixture
def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An (initially empty) operator settings file that load_settings reads in this test."""
    path = tmp_path / "settings.toml"
    path.write_text("", encoding="utf-8")
    monkeypatch.setenv(CONFIG_FILE_ENV, str(path))
    return path
