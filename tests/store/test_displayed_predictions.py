"""Migration 16: predictions keep raw and displayed probabilities, runs their display settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from microexp_tui.analysis.reprocess import redisplay_run
from microexp_tui.domain.recording import PredictionRecord
from microexp_tui.errors import InputError, StoreError
from microexp_tui.inference.evidence import DisplaySettings
from microexp_tui.store.sessions import SessionStore
from tests.store import start_recording

CLASSES = ("neutral", "happy", "anger")


def _start(store: SessionStore, session_id: int, **kwargs: object) -> None:
    store.start_prediction_run(
        session_id,
        "m1",
        kind="reprocess",
        classes=CLASSES,
        hop_ms=100.0,
        window_samples=500,
        model_card={"model_id": "m1"},
        **kwargs,  # type: ignore[arg-type]
    )


def test_raw_and_displayed_probabilities_and_the_display_read_back(tmp_path: Path) -> None:
    display = DisplaySettings().as_json()
    shown, raw = (0.75, 0.25, 0.0), (0.0, 1.0, 0.0)
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = start_recording(store)
        records = [PredictionRecord("m1", 500, "neutral", 0.3, shown, raw)]
        _start(store, session_id, records=records, display=display)
        [run] = store.prediction_runs(session_id)
        [stored] = store.predictions(session_id, "m1")
    assert stored.probabilities == shown and stored.raw_probabilities == raw
    assert run.display == display
    assert DisplaySettings.from_json(run.display) == DisplaySettings()


def test_runs_without_raw_probabilities_read_as_empty(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = start_recording(store)
        records = [PredictionRecord("m1", 500, "happy", 0.3, (0.1, 0.8, 0.1))]
        _start(store, session_id, records=records)
        [run] = store.prediction_runs(session_id)
        [stored] = store.predictions(session_id, "m1")
    assert stored.raw_probabilities == () and run.display == {}
    assert DisplaySettings.from_json(run.display).evidence is None


def test_raw_probabilities_of_the_wrong_length_are_refused(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = start_recording(store)
        records = [PredictionRecord("m1", 500, "happy", 0.3, (0.1, 0.8, 0.1), (0.5, 0.5))]
        with pytest.raises(InputError, match="2 raw probabilities; the run has 3 classes"):
            _start(store, session_id, records=records)
        assert store.prediction_runs(session_id) == []


def test_redisplay_refuses_a_run_stored_without_raw_probabilities(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = start_recording(store)
        _start(store, session_id, records=[PredictionRecord("m1", 500, "happy", 0.3, (0, 1, 0))])
    with pytest.raises(StoreError, match=r"without their raw probabilities.*reprocess"):
        redisplay_run(tmp_path / "s.db", session_id, "m1")
    with pytest.raises(StoreError, match="no predictions of model m2"):
        redisplay_run(tmp_path / "s.db", session_id, "m2")
