"""`microexp microexpressions`: offline detection of a stored session, output, errors, --aus.

The end-to-end test records the micro_macro scenario from the simulator on a real
pseudo-terminal with `microexp record` (expressions detected live), then analyses the stored
session with `microexp microexpressions --json` and scores both sets against the scenario.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from microexp_tui.analysis.microexpressions import StoredFlags
from microexp_tui.cli import main
from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.muscles import SEED_MONTAGE
from microexp_tui.domain.recording import Batch
from microexp_tui.dsp.artifacts import ArtifactFlag, StreamingArtifactDetector
from microexp_tui.expressions.truth import score_detections
from microexp_tui.simulator import start_simulator_process
from microexp_tui.simulator.au_csv import plan_au_events, write_openface_csv
from microexp_tui.store.sessions import SessionStore
from tests.expressions.test_detection import SCENARIOS, counts, known, scenario

RATE_HZ = 1000


def seed_channels(kind: str = "envelope") -> list[ChannelSpec]:
    """The seed montage on eight channels of one sensor kind."""
    return [
        ChannelSpec(i, f"EMG{i + 1}", m.name, kind, m.action_units)
        for i, m in enumerate(SEED_MONTAGE)
    ]


def stored_session(
    store: SessionStore,
    data: np.ndarray | None,
    *,
    status: str = "completed",
    kind: str = "envelope",
    rate_hz: int = RATE_HZ,
) -> int:
    """A session holding `data` (counts, 1 s per batch), finished with `status`."""
    participant = store.create_participant()
    session_id = store.start_session(
        participant.id,
        sample_rate_hz=rate_hz,
        channels=seed_channels(kind),
        device={"board": "microexp simulator"},
        simulated=True,
    )
    if data is not None:
        for first in range(0, data.shape[0], rate_hz):
            chunk = data[first : first + rate_hz].astype(np.int16)
            store.write_batch(session_id, Batch(chunks=[(first, chunk)]))
    if status != "recording":
        store.finish_session(session_id, status)
    return session_id


@pytest.fixture
def database(tmp_path: Path) -> tuple[Path, int]:
    """A database with the rendered micro_macro scenario as a finished session."""
    path = tmp_path / "sessions.sqlite"
    with SessionStore.open(path) as store:
        session_id = stored_session(store, counts("micro_macro"))
    return path, session_id


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the CLI in-process; (exit code, stdout, stderr)."""
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_lists_the_expressions_and_stores_them_as_the_offline_set(
    database: tuple[Path, int], capsys: pytest.CaptureFixture[str]
) -> None:
    path, session_id = database
    code, out, _ = run(capsys, "microexpressions", str(session_id), "--db", str(path), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["session_id"] == session_id and report["source"] == "offline"
    listed = report["expressions"]
    assert report["counts"]["expressions"] == len(listed) == 11
    assert report["counts"]["micro"] == 7 and report["counts"]["macro"] == 4
    first = listed[0]
    assert abs(first["onset_s"] - 2.0) <= 0.02 and first["kind"] == "micro"
    assert first["muscles"] == ["Zygomaticus major", "Orbicularis oculi"]
    assert first["action_units"] == ["AU6", "AU7", "AU12"] and first["emotion"] == "happy"
    assert report["detector"]["activations"]["version"].startswith("activations-")
    with SessionStore.open(path) as store:
        saved = store.expressions(session_id, "offline")
        assert [round(x.onset_s, 4) for x in saved] == [x["onset_s"] for x in listed]
    assert run(capsys, "microexpressions", str(session_id), "--db", str(path), "--json")[0] == 0
    with SessionStore.open(path) as store:
        assert len(store.expressions(session_id)) == 11, "a re-run replaces, not adds"


def test_the_table_shows_times_kinds_muscles_units_and_emotions(
    database: tuple[Path, int], capsys: pytest.CaptureFixture[str]
) -> None:
    path, session_id = database
    code, out, _ = run(capsys, "microexpressions", str(session_id), "--db", str(path))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["onset", "s", "dur", "ms"]
    assert len(lines) == 1 + 11 + 1
    assert "micro" in lines[1] and "Zygomatic" in lines[1] and "AU6+7+12" in lines[1]
    assert "happy" in lines[1]
    assert lines[-1].startswith(f"session {session_id}: 11 expressions (7 micro, 4 macro")


def test_errors_say_what_is_wrong_and_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.sqlite"
    with SessionStore.open(path) as store:
        empty = stored_session(store, None)
        live = stored_session(store, counts("micro_macro")[:3000], status="recording")
        raw = stored_session(store, np.full((2000, 8), 512, np.int16), kind="raw", rate_hz=250)
    db = ["--db", str(path)]
    code, _, err = run(capsys, "microexpressions", "99", *db)
    assert code == 5 and "Session 99 does not exist" in err and "Traceback" not in err
    code, _, err = run(capsys, "microexpressions", str(empty), *db)
    assert code == 7 and "has no samples" in err and "Record a new session" in err
    code, _, err = run(capsys, "microexpressions", str(live), *db)
    assert code == 5 and "still recording" in err
    code, _, err = run(capsys, "microexpressions", str(raw), *db)
    assert code == 7 and "raw EMG channels sampled at 250 Hz" in err and "--rate-hz 1000" in err


def test_aus_validates_the_offline_expressions_against_a_video_coded_file(
    database: tuple[Path, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, session_id = database
    plan = plan_au_events(
        scenario("micro_macro").expressions,
        SEED_MONTAGE,
        duration_s=31.0,
        miss_probability=0.0,
        extras_per_min=0.0,
    )
    aus = tmp_path / "video.csv"
    write_openface_csv(plan, aus)
    argv = ["microexpressions", str(session_id), "--db", str(path), "--aus", str(aus)]
    code, out, _ = run(capsys, *argv, "--offset-s", "0", "--json")
    assert code == 0
    validation = json.loads(out)["validation"]
    assert validation["alignment"].startswith("explicit offset")
    assert validation["overall"]["recall"] >= 0.9 and validation["overall"]["precision"] >= 0.9
    code, out, _ = run(capsys, *argv, "--offset-s", "0")
    assert code == 0 and "AU validation (explicit offset" in out
    code, _, err = run(capsys, *argv)
    assert code == 7 and "no sync marker" in err
    code, out, _ = run(capsys, *argv, "--offset-s", "0", "--tolerance-ms", "1", "--json")
    tight = json.loads(out)["validation"]
    assert tight["tolerance_ms"] == 1.0
    assert tight["overall"]["matched"] < validation["overall"]["matched"]


def test_a_malformed_au_file_stops_before_the_offline_set_is_replaced(
    database: tuple[Path, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, session_id = database
    with SessionStore.open(path) as store:
        before = store.expression_runs(session_id)
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,AU12_r\n0.0,0.1\n0.033,oops\n", encoding="utf-8")
    argv = ["microexpressions", str(session_id), "--db", str(path), "--aus", str(bad)]
    code, _, err = run(capsys, *argv, "--offset-s", "0")
    assert code == 7 and "line 3, column `AU12_r`" in err and "Traceback" not in err
    with SessionStore.open(path) as store:
        assert store.expression_runs(session_id) == before
    with pytest.raises(SystemExit) as usage:
        run(capsys, *argv, "--sync-marker", "trigger")
    assert usage.value.code == 2
    assert "--sync-marker: invalid marker_code value: 'trigger'" in capsys.readouterr().err


def test_record_detects_live_and_the_offline_analysis_agrees(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "e2e.sqlite"
    args = ["--fast", "--seed", "5", "--scenario", str(SCENARIOS / "micro_macro.toml")]
    args += ["--motion-artifacts-per-min", "4"]
    with start_simulator_process(args) as sim:
        code, out, _ = run(
            capsys,
            "record",
            *("--port", sim.port, "--db", str(db), "--duration-s", "32", "--json"),
            "--no-model",  # expressions from action units alone, as the offline run below
        )
    assert code == 0
    summary = json.loads(out)
    assert summary["samples_per_channel"] == 32_000, "the whole scenario: 32 s of signal"
    assert summary["lost_samples"] == 0 and summary["expressions"] >= 11
    session_id = summary["session_id"]
    code, out, _ = run(capsys, "microexpressions", str(session_id), "--db", str(db), "--json")
    assert code == 0
    with SessionStore.open(db) as store:
        live = store.expressions(session_id, "live")
        offline = store.expressions(session_id, "offline")
        samples = store.read_samples(session_id).values
        recorded = StoredFlags(store.artifacts(session_id), 8).flags(0, samples.shape[0])
    flagger = StreamingArtifactDetector(float(RATE_HZ), 8, sensor_kinds=["envelope"] * 8)
    recomputed = flagger.process(samples)
    assert (recomputed & ArtifactFlag.MOTION).any(), "the recording had motion artifacts"
    assert np.array_equal(recorded, recomputed), "offline reads the flags the recording made"
    truth = known("micro_macro")
    for found in (live, offline):
        in_scenario = [x for x in found if x.onset_s < 32.0]
        score = score_detections(in_scenario, truth)
        assert score.f1 >= 0.95 and score.kind_accuracy == 1.0, score.as_json()
    assert live == offline, "live and offline run the same detector on the same samples"
    assert len(json.loads(out)["expressions"]) == len(offline)
