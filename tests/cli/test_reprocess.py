"""`microexp reprocess`: the use case refuses what it cannot classify, with the exit code."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from microexp_tui.cli import main
from microexp_tui.errors import ExitCode
from microexp_tui.inference.catalog import MODELS_DIR
from microexp_tui.store.sessions import SessionStore
from tests.cli.conftest import write_session


def test_a_session_still_recording_is_refused_and_nothing_is_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "s.sqlite"
    with SessionStore.open(db) as store:
        live = write_session(store, 1, simulated=True, status="recording")
    model = str(MODELS_DIR / "cnn_window.onnx")
    assert main(["reprocess", str(live), "--db", str(db), "--model", model]) == ExitCode.STORE
    assert "still recording; reprocess it once finished" in capsys.readouterr().err
    with SessionStore.open(db) as store:
        assert store.prediction_runs(live) == []


def test_a_missing_model_is_a_model_error_before_the_database_is_touched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "never.sqlite"
    argv = ["reprocess", "1", "--db", str(db), "--model", str(tmp_path / "no.onnx")]
    assert main(argv) == ExitCode.MODEL
    assert "No model file at" in capsys.readouterr().err and not db.exists()


SESSION_S = 150
"""Three pieces of offline work (60 s each, the last one short), with a lost second."""


@pytest.fixture(scope="module")
def expressive_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated spontaneously expressive participant's 150 s session, one second lost."""
    from microexp_tui.domain.recording import Batch
    from microexp_tui.simulator.board import EmgSource
    from microexp_tui.simulator.participant import ParticipantConfig, SimulatedParticipant
    from microexp_tui.simulator.signals import SignalConfig, SignalGenerator
    from tests.store import seed_channels

    path = tmp_path_factory.mktemp("reprocess") / "expressive.sqlite"
    participant = SimulatedParticipant(ParticipantConfig(spontaneous=True), (), 1, 0)
    source = EmgSource(SignalGenerator(SignalConfig("envelope", 1000, 8, 1)), participant)
    with SessionStore.open(path) as store:
        person = store.create_participant(code="P1")
        session = store.start_session(
            person.id, sample_rate_hz=1000, channels=seed_channels(), device={}, simulated=True
        )
        for first in range(0, SESSION_S * 1000, 1000):
            if first != 100_000:  # a lost second: the detector's open runs are dropped there
                chunk = source.block(first, 1000).astype(np.int16)
                store.write_batch(session, Batch(chunks=[(first, chunk)]))
        store.finish_session(session, "completed")
    return path


def stored_results(db: Path) -> tuple[list[Any], list[Any], list[Any]]:
    """Session 1's stored predictions, offline expressions and detector parameters."""
    with SessionStore.open(db) as store:
        (run,) = store.prediction_runs(1)
        offline = [r for r in store.expression_runs(1) if r.source == "offline"]
        return (
            store.predictions(1, run.model_id),
            store.expressions(1, "offline"),
            [r.detector for r in offline],
        )


def test_reprocess_stores_the_predictions_and_expressions_of_the_separate_commands(
    expressive_database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    together, apart = tmp_path / "together.sqlite", tmp_path / "apart.sqlite"
    shutil.copy(expressive_database, together)
    shutil.copy(expressive_database, apart)
    model = str(MODELS_DIR / "cnn_window.onnx")
    assert main(["reprocess", "1", "--db", str(together), "--model", model]) == 0
    out = capsys.readouterr().out
    argv = ["reprocess", "1", "--db", str(apart), "--model", model, "--no-expressions"]
    assert main(argv) == 0
    assert "expressions" not in capsys.readouterr().out
    with SessionStore.open(apart) as store:
        assert store.expressions(1, "offline") == []
    assert main(["microexpressions", "1", "--db", str(apart)]) == 0
    capsys.readouterr()
    predictions, expressions, detector = stored_results(together)
    assert len(expressions) > 10 and len(predictions) > 1000
    assert f"{len(expressions)} expressions (" in out and "stored as the offline set" in out
    assert (predictions, expressions, detector) == stored_results(apart)


def test_detection_with_its_own_mains_filters_apart_and_equals_the_analysis(
    expressive_database: Path, tmp_path: Path
) -> None:
    """Classified with a 60 Hz notch and detected with the session's 50 Hz: not shared."""
    from microexp_tui.analysis.microexpressions import analyse_session
    from microexp_tui.analysis.reprocess import reprocess_session

    db = tmp_path / "mains.sqlite"
    shutil.copy(expressive_database, db)
    model = MODELS_DIR / "cnn_window.onnx"
    result = reprocess_session(db, 1, model, mains_hz=60.0, hop_ms=100.0)
    with SessionStore.open(db) as store:
        stored = store.expressions(1, "offline")
        again = analyse_session(store, 1, save=False)
    assert again.parameters["mains_hz"] == 50.0
    assert result.expressions == {
        "expressions": len(stored),
        "micro": sum(x.kind == "micro" for x in stored),
        "macro": sum(x.kind == "macro" for x in stored),
    }
    assert stored == again.expressions and len(stored) > 10


def test_a_session_detection_cannot_analyse_is_classified_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No samples: nothing to detect in, said on stderr; the (empty) run is still stored."""
    from tests.store import seed_channels

    db = tmp_path / "empty.sqlite"
    with SessionStore.open(db) as store:
        person = store.create_participant(code="P2")
        session = store.start_session(
            person.id, sample_rate_hz=1000, channels=seed_channels(), device={}, simulated=True
        )
        store.finish_session(session, "completed")
    model = str(MODELS_DIR / "cnn_window.onnx")
    assert main(["reprocess", str(session), "--db", str(db), "--model", model]) == 0
    out = capsys.readouterr()
    assert "warning: expressions not detected: " in out.err and "has no samples" in out.err
    assert "stored as the offline set" not in out.out
    with SessionStore.open(db) as store:
        assert len(store.prediction_runs(session)) == 1
        assert store.expressions(session, "offline") == []
