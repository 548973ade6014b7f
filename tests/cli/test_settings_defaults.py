"""Defaults from the operator settings: database folder, mains frequency, live model.

The settings file is real (pointed to by $MICROEXP_CONFIG_FILE); an explicit option wins,
and a settings file that does not load is an `error:` line and exit code 7.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from microexp_tui.cli import main
from microexp_tui.cli.defaults import OperatorDefaults
from microexp_tui.errors import ExitCode
from microexp_tui.inference.catalog import DEFAULT_MODEL, MODELS_DIR, LiveModelChoice
from microexp_tui.paths import DATABASE_NAME
from microexp_tui.settings import CONFIG_FILE_ENV
from microexp_tui.simulator.process import start_simulator_process
from microexp_tui.store.sessions import SessionStore
from tests.cli.conftest import write_session


def listed_ids(capsys: pytest.CaptureFixture[str], *argv: str) -> list[int]:
    """Session ids `microexp sessions --json` lists."""
    assert main(["sessions", *argv, "--json"]) == 0
    return [row["session_id"] for row in json.loads(capsys.readouterr().out)]


def test_sessions_default_to_the_database_in_the_settings_data_folder(
    settings_file: Path, tmp_path: Path, two_sessions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "lab data"
    settings_file.write_text(f"data_dir = {str(folder)!r}\n", encoding="utf-8")
    assert listed_ids(capsys) == []
    assert (folder / DATABASE_NAME).is_file(), "created where the operator app would create it"
    with SessionStore.open(folder / DATABASE_NAME) as store:
        only = write_session(store, 1, simulated=True)
    assert listed_ids(capsys) == [only]
    assert listed_ids(capsys, "--db", str(two_sessions)) == [1, 2], "--db wins"


def test_explicit_options_win_over_the_settings(settings_file: Path, tmp_path: Path) -> None:
    settings = 'model = "lstm_window"\n[filters]\nmains_hz = 60.0\n'
    settings_file.write_text(settings, encoding="utf-8")
    defaults = OperatorDefaults()
    assert defaults.mains_hz(None) == 60.0 and defaults.mains_hz(50.0) == 50.0
    assert defaults.live_model(None) == LiveModelChoice(MODELS_DIR / "lstm_window.onnx", True)
    chosen = tmp_path / "mine.onnx"
    assert defaults.live_model(chosen) == LiveModelChoice(chosen, required=True)
    assert defaults.live_model(None, off=True) == LiveModelChoice(None, required=False)
    assert defaults.database_path(tmp_path / "x.sqlite") == tmp_path / "x.sqlite"


def test_the_default_settings_offer_the_shipped_cnn_as_a_soft_default(
    settings_file: Path,
) -> None:
    soft = LiveModelChoice(MODELS_DIR / f"{DEFAULT_MODEL}.onnx", required=False)
    assert OperatorDefaults().live_model(None) == soft
    assert OperatorDefaults().mains_hz(None) == 50.0
    settings_file.write_text(f'model = "{DEFAULT_MODEL}"\n', encoding="utf-8")
    assert OperatorDefaults().live_model(None) == soft, "a saved default is still the default"
    settings_file.write_text('model = "none"\n', encoding="utf-8")
    assert OperatorDefaults().live_model(None) == LiveModelChoice(None, required=False)


def test_a_broken_settings_file_is_an_error_line_not_a_traceback(
    settings_file: Path, two_sessions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings_file.write_text("[filters\nmains_hz = 60\n", encoding="utf-8")
    assert main(["sessions"]) == 7
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(settings_file) in err and "Fix the file" in err
    assert listed_ids(capsys, "--db", str(two_sessions)) == [1, 2], "settings not needed"
    settings_file.write_text("[filters]\nmains_hz = 55\n", encoding="utf-8")
    assert main(["evaluate", "--model", "m.onnx", "--dataset", str(two_sessions)]) == 7
    assert "must be 50 or 60" in capsys.readouterr().err


def test_the_console_entry_point_reports_a_broken_settings_file(
    settings_file: Path, tmp_path: Path
) -> None:
    settings_file.write_text("model = [\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "microexp_tui", "sessions"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, CONFIG_FILE_ENV: str(settings_file)},
    )
    assert done.returncode == 7 and done.stdout == ""
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr


def test_record_classifies_with_the_settings_live_model_unless_it_is_none(
    settings_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "s.sqlite"
    argv = ["record", "--db", str(db), "--duration-s", "0.5"]
    settings_file.write_text('model = "lstm_window"\n', encoding="utf-8")
    with start_simulator_process(["--fast", "--channels", "4"]) as sim:
        assert main([*argv, "--port", sim.port]) == ExitCode.MODEL
    assert "expects 8 channels" in capsys.readouterr().err, "the settings' model was loaded"
    settings_file.write_text('model = "none"\n', encoding="utf-8")
    with start_simulator_process(["--fast", "--channels", "4"]) as sim:
        assert main([*argv, "--port", sim.port]) == 0
    assert "error" not in capsys.readouterr().err
    with SessionStore.open(db) as store:
        [session] = store.list_sessions()
        assert store.prediction_runs(session.id) == []
