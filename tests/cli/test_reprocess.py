"""`microexp reprocess`: the use case refuses what it cannot classify, with the exit code."""

from __future__ import annotations

from pathlib import Path

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
