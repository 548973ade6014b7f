"""The DSP thread's period changes when live results appear, never what they are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from microexp_tui.acquisition import recorder as recorder_module
from microexp_tui.acquisition.recorder import Recorder, RecordingOptions, record_for
from microexp_tui.acquisition.sources import FramedSource
from microexp_tui.device.protocol import DEFAULT_BAUD
from microexp_tui.inference.catalog import DEFAULT_MODEL, model_path_for
from microexp_tui.inference.model import EmotionModel
from microexp_tui.simulator.process import start_simulator_process
from microexp_tui.store.sessions import SessionStore

SCENARIO = Path(__file__).resolve().parents[2] / "templates" / "scenarios" / "emotion_check.toml"
SIGNAL_S = 12.0


def live_results(db: Path) -> dict[str, Any]:
    """Record SIGNAL_S of the scripted participant (unpaced) with the default live model."""
    path = model_path_for(DEFAULT_MODEL)
    assert path is not None
    options = RecordingOptions(model=EmotionModel.load(path))
    args = ["--fast", "--seed", "11", "--scenario", str(SCENARIO)]
    with start_simulator_process(args) as sim, SessionStore.open(db) as store:
        recorder = Recorder(FramedSource(sim.port, DEFAULT_BAUD), store, options)
        session_id = recorder.start()
        summary = record_for(recorder, SIGNAL_S)
        assert summary.status == "completed" and summary.counters["queue_overflows"] == 0
        predictions = store.predictions(session_id, options.model.model_id)  # type: ignore[union-attr]
        return {
            "windows": [(p.sample_index, p.label) for p in predictions],
            "raw": np.array([p.raw_probabilities for p in predictions]),
            "shown": np.array([p.probabilities for p in predictions]),
            "artifacts": store.artifacts(session_id),
            "expressions": [
                (e.onset_index, e.offset_index) for e in store.expressions(session_id, "live")
            ],
        }


def test_live_results_do_not_depend_on_the_dsp_period(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Per-read DSP (period 0) and a long period (many blocks merged, many windows in one
    onnxruntime run) store the same windows, labels, artifacts, expressions, and bit-identical
    raw and displayed probabilities."""
    monkeypatch.setattr(recorder_module, "DSP_PERIOD_S", 0.0)
    every_read = live_results(tmp_path / "zero.sqlite")
    monkeypatch.setattr(recorder_module, "DSP_PERIOD_S", 0.25)
    gathered = live_results(tmp_path / "gathered.sqlite")
    assert len(every_read["windows"]) >= 100 and every_read["expressions"]
    assert gathered["windows"] == every_read["windows"]
    assert gathered["artifacts"] == every_read["artifacts"]
    assert gathered["expressions"] == every_read["expressions"]
    np.testing.assert_array_equal(gathered["raw"], every_read["raw"])
    np.testing.assert_array_equal(gathered["shown"], every_read["shown"])
