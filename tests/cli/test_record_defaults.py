"""`record` out of the box: the shipped window CNN classifies live unless it does not fit (then
the recording goes on without it and says why), a chosen model that does not fit is exit 6,
`--duration-s` is seconds of signal, and runs without --participant share one test
participant.

Real simulator processes, a real settings file and a real SQLite database throughout.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from microexp_tui.cli import main
from microexp_tui.errors import ExitCode
from microexp_tui.inference.catalog import DEFAULT_MODEL, MODELS_DIR
from microexp_tui.session_flow.headless import run_recording
from microexp_tui.settings import Settings
from microexp_tui.simulator.process import start_simulator_process
from microexp_tui.store.sessions import SessionStore
from tests.cli.run import run_microexp


def record_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict, str]:
    """Run `record ... --json` in-process: its exit code, summary object and stderr."""
    code = main(["record", *argv, "--json"])
    captured = capsys.readouterr()
    out = json.loads(captured.out) if code == 0 else {}
    return code, out, captured.err


def predictions_of(db: Path, session_id: int) -> int:
    """How many live predictions the session stored (0 without a prediction run)."""
    with SessionStore.open(db) as store:
        runs = store.prediction_runs(session_id)
        return sum(len(store.predictions(session_id, run.model_id)) for run in runs)


def test_the_settings_default_is_the_shipped_window_cnn() -> None:
    assert Settings().model == DEFAULT_MODEL == "cnn_window"
    assert (MODELS_DIR / f"{DEFAULT_MODEL}.onnx").is_file()


def test_record_classifies_live_with_the_default_model(
    settings_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "s.sqlite"
    with start_simulator_process(["--fast"]) as sim:
        code, out, err = record_json(
            capsys, "--port", sim.port, "--db", str(db), "--duration-s", "2"
        )
    assert code == 0 and out["model_problem"] is None, err
    assert out["predictions"] > 0
    assert predictions_of(db, out["session_id"]) == out["predictions"]
    assert "live classification" not in err


@pytest.mark.parametrize(
    ("board", "reason"),
    [
        (["--channels", "4"], "expects 8 channels"),
        (["--mode", "raw"], "is a raw sensor"),
        (["--rate-hz", "250"], "whole multiple of the model rate"),
    ],
)
def test_a_default_model_that_does_not_fit_is_left_out_with_the_reason(
    settings_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    board: list[str],
    reason: str,
) -> None:
    db = tmp_path / "s.sqlite"
    with start_simulator_process(["--fast", *board]) as sim:
        code, out, err = record_json(
            capsys, "--port", sim.port, "--db", str(db), "--duration-s", "1"
        )
    assert code == 0, err
    assert reason in out["model_problem"]
    assert "recording without live classification" in err and reason in err
    assert out["predictions"] == 0 and predictions_of(db, out["session_id"]) == 0
    assert out["samples_per_channel"] > 0, "the recording itself went on"


def test_a_chosen_model_that_does_not_fit_is_exit_6(
    settings_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "s.sqlite"
    argv = ["record", "--db", str(db), "--duration-s", "1"]
    with start_simulator_process(["--fast", "--channels", "4"]) as sim:
        explicit = ["--model", str(MODELS_DIR / f"{DEFAULT_MODEL}.onnx")]
        assert main([*argv, "--port", sim.port, *explicit]) == ExitCode.MODEL
    assert "expects 8 channels" in capsys.readouterr().err, "--model is always a choice"
    settings_file.write_text('model = "lstm_window"\n', encoding="utf-8")
    with start_simulator_process(["--fast", "--channels", "4"]) as sim:
        assert main([*argv, "--port", sim.port]) == ExitCode.MODEL
    assert "expects 8 channels" in capsys.readouterr().err, "another settings model is a choice"
    with SessionStore.open(db) as store:
        assert store.list_sessions() == [], "refused before any session was created"


def test_a_missing_default_model_file_is_left_out_but_a_chosen_one_is_exit_6(
    settings_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "s.sqlite"
    gone = tmp_path / "gone.onnx"
    with start_simulator_process(["--fast"]) as sim:
        summary = run_recording(
            port=sim.port,
            simulate=False,
            database=db,
            duration_s=0.3,
            model_path=gone,
            model_required=False,
        )
        assert summary.status == "completed" and summary.counters["predictions"] == 0
        assert summary.model_problem is not None and "gone.onnx" in summary.model_problem
        argv = ["record", "--db", str(db), "--duration-s", "0.3", "--port", sim.port]
        assert main([*argv, "--model", str(gone)]) == ExitCode.MODEL
    assert "gone.onnx" in capsys.readouterr().err


def test_no_model_turns_the_default_off_and_with_model_it_is_a_usage_error(
    settings_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "s.sqlite"
    with start_simulator_process(["--fast"]) as sim:
        code, out, err = record_json(
            capsys, "--port", sim.port, "--db", str(db), "--duration-s", "1", "--no-model"
        )
    assert code == 0 and out["predictions"] == 0 and out["model_problem"] is None, err
    with SessionStore.open(db) as store:
        assert store.prediction_runs(out["session_id"]) == []
    both = run_microexp(
        "record", "--simulate", "--db", db, "--duration-s", "1", "--model", "m.onnx", "--no-model"
    )
    both.assert_refused(2, "not allowed with argument --model")


def test_duration_is_seconds_of_signal_from_the_real_time_simulator(
    settings_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "s.sqlite"
    argv = ["--simulate", "--db", str(db), "--duration-s", "1.5", "--no-model"]
    code, out, err = record_json(capsys, *argv, "--rate-hz", "500")
    assert code == 0, err
    assert out["samples_per_channel"] == 750 and out["sample_rate_hz"] == 500
    with SessionStore.open(db) as store:
        record = store.session(out["session_id"])
        assert record.samples_per_channel == record.stored_samples == 750
        assert store.read_samples(out["session_id"]).values.shape == (750, 8)


def test_records_without_participant_share_one_flagged_test_participant(
    settings_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "s.sqlite"
    codes = []
    with start_simulator_process(["--fast"]) as sim:
        for _ in range(2):
            code, out, err = record_json(
                capsys, "--port", sim.port, "--db", str(db), "--duration-s", "0.3", "--no-model"
            )
            assert code == 0, err
            assert "no --participant: recorded for TEST, the test participant" in err
            codes.append(out["participant_code"])
        code, out, _ = record_json(
            capsys,
            "--port",
            sim.port,
            "--db",
            str(db),
            "--duration-s",
            "0.3",
            "--no-model",
            "--participant",
            "P-REAL1",
        )
    assert codes == ["TEST", "TEST"]
    with SessionStore.open(db) as store:
        participants = {p.code: p.test for p in store.list_participants()}
        tests = {r.id: r.test_participant for r in store.list_sessions()}
    assert participants == {"TEST": True, "P-REAL1": False}, "one test participant, not two"
    assert tests == {1: True, 2: True, 3: False}
    listing = run_microexp("sessions", "--db", db)
    flagged = [line.split()[0] for line in listing.out.splitlines() if "TEST PARTICIPANT" in line]
    assert flagged == ["1", "2"], listing.out
    as_json = json.loads(run_microexp("sessions", "--db", db, "--json").out)
    assert [s["test_participant"] for s in as_json] == [True, True, False]


def test_the_reason_is_said_as_the_recording_starts(settings_file: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    command = [sys.executable, "-m", "microexp_tui", "record", "--simulate", "--db", str(db)]
    command += ["--duration-s", "120", "--channels", "4"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stderr is not None
        said = ""
        while "recording without live classification" not in said:
            line = process.stderr.readline()
            assert line, f"record ended without saying why: {said}"
            said += line
        assert process.poll() is None, "said while recording, not at the end"
        assert "expects 8 channels" in said
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    finally:
        process.kill()
        process.wait()
    with SessionStore.open(db) as store:
        [session] = store.list_sessions()
        assert session.status == "aborted" and store.prediction_runs(session.id) == []
