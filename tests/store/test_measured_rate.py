"""A recording session's rate is stored as measured while it records, audit-logged, never after."""

from __future__ import annotations

from pathlib import Path

import pytest

from microexp_tui.errors import InputError, StoreError
from microexp_tui.store.sessions import SessionStore
from tests.store import start_recording


def test_the_measured_rate_replaces_the_first_estimate_with_an_audit_entry(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = start_recording(store, sample_rate_hz=20.0)
        store.update_sample_rate(session_id, 1000 / 51, "measured from the board clock")
        assert store.session(session_id).sample_rate_hz == 1000 / 51
        (entry,) = [e for e in store.audit_entries(session_id) if e["action"] == "session.rate"]
        assert '"previous_hz":20.0' in entry["detail"]
        assert "measured from the board clock" in entry["detail"]
        assert store.verify_audit_chain() is None


def test_a_finished_session_keeps_its_rate(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = start_recording(store, sample_rate_hz=20.0)
        store.finish_session(session_id, "completed")
        with pytest.raises(StoreError, match="'completed', not recording"):
            store.update_sample_rate(session_id, 19.6, "late")
        assert store.session(session_id).sample_rate_hz == 20.0


@pytest.mark.parametrize("rate_hz", [0.0, -5.0, float("nan"), float("inf")])
def test_an_impossible_rate_is_refused(tmp_path: Path, rate_hz: float) -> None:
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = start_recording(store, sample_rate_hz=20.0)
        with pytest.raises(InputError, match="must be positive"):
            store.update_sample_rate(session_id, rate_hz, "bad")


def test_an_unknown_session_is_named(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store, pytest.raises(StoreError, match="42"):
        store.update_sample_rate(42, 19.6, "no such session")
