"""Whole-pipeline check: simulated board -> pty -> recorder -> filters -> live model -> SQLite.

The simulated participant (envelope mode) follows templates/scenarios/emotion_check.toml: 36
scripted expressions, each emotion six times, relaxed in between, with motion artifacts. The
shipped CNN classifies live; the session is then reprocessed with the shipped LSTM. Both must
name the dominant emotion of >= 95% of the expressions and read neutral for >= 95% of rest.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from microexp_tui.acquisition.recorder import Recorder, RecordingOptions
from microexp_tui.acquisition.sources import FramedSource
from microexp_tui.analysis.reprocess import redisplay_run, reprocess_session
from microexp_tui.cli import main
from microexp_tui.device.protocol import DEFAULT_BAUD
from microexp_tui.domain.emotions import NEUTRAL
from microexp_tui.domain.recording import PredictionRecord
from microexp_tui.errors import ExitCode, ModelError
from microexp_tui.inference.model import EmotionModel
from microexp_tui.inference.offline import classify_recording
from microexp_tui.simulator.participant import ScriptedExpression
from microexp_tui.simulator.process import start_simulator_process
from microexp_tui.simulator.scenario import load_scenario
from microexp_tui.store.sessions import SessionStore
from tests.inference.conftest import MODELS_DIR

SCENARIO = Path(__file__).resolve().parents[2] / "templates" / "scenarios" / "emotion_check.toml"
SLOT_S, FIRST_SLOT_S = 10.0, 4.0
SETTLE_S = 0.3
"""After an expression ends, the 6 Hz smoothing needs a moment before the face reads relaxed."""


def _record_live(db: Path, model: EmotionModel, seconds: float) -> int:
    """Record `seconds` of sample time from the unpaced simulator, classifying live."""
    args = ["--fast", "--seed", "11", "--scenario", str(SCENARIO)]
    with start_simulator_process(args) as sim, SessionStore.open(db) as store:
        recorder = Recorder(
            FramedSource(sim.port, DEFAULT_BAUD), store, RecordingOptions(model=model)
        )
        session_id = recorder.start()
        deadline = time.monotonic() + 120
        while recorder.samples_received() < seconds * 1000 and time.monotonic() < deadline:
            time.sleep(0.05)
        summary = recorder.stop()
    assert summary.status == "completed" and summary.error is None
    assert summary.counters["lost_samples"] == 0 and summary.counters["predictions"] > 0
    return session_id


def _slots(expressions: tuple[ScriptedExpression, ...]) -> list[list[ScriptedExpression]]:
    """Expressions grouped by their 10 s slot (a micro-expression joins its reaction)."""
    slots: dict[int, list[ScriptedExpression]] = {}
    for expression in expressions:
        slots.setdefault(int((expression.onset_s - FIRST_SLOT_S) // SLOT_S), []).append(expression)
    return [slots[key] for key in sorted(slots)]


def _score(predictions: list[PredictionRecord], window_s: float) -> tuple[float, float]:
    """(fraction of expressions whose dominant label is right, neutral fraction of rest)."""
    end_s = np.array([p.sample_index for p in predictions]) / 1000.0
    labels = np.array([p.label for p in predictions])
    rest = end_s - window_s >= 0.0
    right = []
    for slot in _slots(load_scenario(SCENARIO).expressions):
        start = min(e.onset_s - e.duration_s * 0 - 0.1 for e in slot)
        stop = max(e.onset_s + e.duration_s + 0.1 for e in slot)
        during = labels[(end_s > start) & (end_s <= stop + window_s)]
        counts = Counter(label for label in during if label != NEUTRAL)
        right.append(bool(counts) and counts.most_common(1)[0][0] == slot[0].emotion)
        rest &= ~((end_s > start) & (end_s - window_s < stop + SETTLE_S))
    assert rest.sum() > 2000, "most of the session is rest"
    return float(np.mean(right)), float(np.mean(labels[rest] == NEUTRAL))


@pytest.fixture(scope="module")
def live_session(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A 365 s session recorded with the shipped CNN classifying live."""
    db = tmp_path_factory.mktemp("live") / "live.sqlite"
    return db, _record_live(db, EmotionModel.load(MODELS_DIR / "cnn_window.onnx"), 365.0)


def test_live_cnn_names_the_expressions_and_reads_rest_as_neutral(
    live_session: tuple[Path, int], cnn_model: EmotionModel
) -> None:
    db, session_id = live_session
    with SessionStore.open(db) as store:
        [run] = store.prediction_runs(session_id)
        predictions = store.predictions(session_id, cnn_model.model_id)
    assert (run.kind, run.hop_ms, run.window_samples) == ("live", 100.0, 500)
    assert run.classes == cnn_model.card.output_classes
    steps = np.diff([p.sample_index for p in predictions])
    assert np.all(steps == 100), "one prediction per 100 ms of sample time, none lost"
    stimuli, rest = _score(predictions, cnn_model.card.window_ms / 1000)
    assert stimuli >= 0.95 and rest >= 0.95, (stimuli, rest)


def test_reprocess_with_the_lstm_stores_beside_the_live_run(
    live_session: tuple[Path, int], lstm_model: EmotionModel, capsys: pytest.CaptureFixture[str]
) -> None:
    db, session_id = live_session
    model = str(MODELS_DIR / "lstm_window.onnx")
    code = main(["reprocess", str(session_id), "--db", str(db), "--model", model, "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["model_id"] == lstm_model.model_id
    with SessionStore.open(db) as store:
        runs = store.prediction_runs(session_id)
        predictions = store.predictions(session_id, lstm_model.model_id)
    assert [r.kind for r in runs] == ["live", "reprocess"] and len(predictions) == runs[
        0
    ].predictions
    stimuli, rest = _score(predictions, lstm_model.card.window_ms / 1000)
    assert stimuli >= 0.95 and rest >= 0.95, (stimuli, rest)


def test_reprocessing_with_the_live_model_reproduces_the_live_windows(
    live_session: tuple[Path, int], cnn_model: EmotionModel, capsys: pytest.CaptureFixture[str]
) -> None:
    db, session_id = live_session
    with SessionStore.open(db) as store:
        record = store.session(session_id)
        live = store.predictions(session_id, cnn_model.model_id)
        again = classify_recording(
            store.sample_chunks(session_id),
            model=cnn_model,
            sample_rate_hz=record.sample_rate_hz,
            muscles=[c.muscle for c in record.channels],
            sensor_kinds=[c.sensor_kind for c in record.channels],
        ).predictions
    assert [p.sample_index for p in again] == [p.sample_index for p in live]
    assert [p.label for p in again] == [p.label for p in live]
    np.testing.assert_allclose(
        [p.probabilities for p in again], [p.probabilities for p in live], atol=1e-5
    )
    model = str(MODELS_DIR / "cnn_window.onnx")
    code = main(["reprocess", str(session_id), "--db", str(db), "--model", model])
    assert code == ExitCode.STORE and "already has live predictions" in capsys.readouterr().err


def test_a_model_that_does_not_fit_the_board_is_refused_before_recording(
    tmp_path: Path, cnn_model: EmotionModel
) -> None:
    db = tmp_path / "s.sqlite"
    with (
        start_simulator_process(["--fast", "--channels", "4"]) as sim,
        SessionStore.open(db) as store,
    ):
        recorder = Recorder(
            FramedSource(sim.port, DEFAULT_BAUD), store, RecordingOptions(model=cnn_model)
        )
        with pytest.raises(ModelError, match="expects 8 channels"):
            recorder.start()
        assert store.list_sessions() == []


def test_record_command_classifies_live_with_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "s.sqlite"
    model = str(MODELS_DIR / "cnn_window.onnx")
    args = ["record", "--simulate", "--db", str(db), "--duration-s", "3", "--model", model]
    assert main([*args, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "completed" and out["samples_per_channel"] >= 600
    # one prediction per 100 ms of samples once the first 500 ms window is full
    assert out["predictions"] == out["samples_per_channel"] // 100 - 4
    with SessionStore.open(db) as store:
        [run] = store.prediction_runs(out["session_id"])
    assert run.predictions == out["predictions"]


def test_the_displayed_probabilities_are_recomputed_exactly_from_the_stored_raw_ones(
    live_session: tuple[Path, int], cnn_model: EmotionModel
) -> None:
    db, session_id = live_session
    lstm = MODELS_DIR / "lstm_window.onnx"
    reprocess_session(db, session_id, lstm, mains_hz=50.0, hop_ms=100.0, replace=True)
    with SessionStore.open(db) as store:
        runs = store.prediction_runs(session_id)
        stored = {run.model_id: store.predictions(session_id, run.model_id) for run in runs}
    assert [run.kind for run in runs] == ["live", "reprocess"]
    live = stored[cnn_model.model_id]
    assert all(p.raw_probabilities for p in live)
    assert any(p.raw_probabilities != p.probabilities for p in live), "displayed differ from raw"
    for run in runs:
        again = redisplay_run(db, session_id, run.model_id)
        assert again == [p.probabilities for p in stored[run.model_id]]  # bit for bit
        assert run.display["hop_samples"] == 100 and run.display["method"] == "sticky-hmm/1"
        model = EmotionModel.load(MODELS_DIR / f"{run.model_id.split('-')[0]}_window.onnx")
        assert run.display["temperature"] == model.card.display.calibration.temperature
