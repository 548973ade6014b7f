"""events.tsv durations on a real recording: every row type has its own extent.

A simulated board (real time, on a pseudo-terminal) is recorded while the host cues an
electrode check and a calibration exactly as the operator app does (`StepRunner` steps, a
rest onset, then one guided contraction per channel with a relax between), then plays a
protocol with a rest, a calibration block and stimuli through `ProtocolRun`, with an
operator key pressed on the way. The export's events.tsv is checked row type by row type and
by the BIDS validator.
"""

from __future__ import annotations

import csv
import itertools
import time
from pathlib import Path

import pytest

from microexp_tui.acquisition.recorder import Recorder, RecordingOptions
from microexp_tui.domain.markers import (
    GUIDED_RELAX_GAP_S,
    MARKER_OPERATOR_BASE,
    channel_of_guided_marker,
)
from microexp_tui.dsp.electrode_metrics import GuidedStep
from microexp_tui.export import export_sessions
from microexp_tui.session_flow.headless import make_source
from microexp_tui.session_flow.protocol_run import ProtocolRun
from microexp_tui.session_flow.steps import Step, StepRunner, check_steps
from microexp_tui.simulator.process import start_simulator_process
from microexp_tui.store.sessions import SessionStore
from microexp_tui.study.protocols import for_session, load_protocol
from tests.export.helpers import validate_bids, validator_errors

REST_S, CONTRACTION_S = 1.0, 1.5
PROTOCOL = """
title = "durations test"
[[block]]
kind = "rest"
text = "relax"
duration_s = 1.0
[[block]]
kind = "calibration"
text = "smile hard"
duration_s = 1.0
isi_s = 1.0
[[block]]
kind = "stimulus"
emotion = "happy"
text = "a friend laughing"
duration_s = 1.5
isi_s = 0.5
[[block]]
kind = "stimulus"
emotion = "anger"
text = "someone cutting in line"
duration_s = 1.5
isi_s = 0.5
"""
POLL_S = 0.01


def play_steps(recorder: Recorder, steps: list[Step]) -> None:
    """Cue the steps on the sample clock as the operator app does (each step's cue marker: the
    settle step's rest onset, the guided contractions)."""

    def cue(step: Step | None) -> None:
        if step is not None and step.cue_code is not None:
            recorder.mark(step.cue_code)

    runner = StepRunner(steps, recorder.sample_rate_hz)
    cue(runner.begin(recorder.samples_received()))
    while not runner.done:
        time.sleep(POLL_S)
        cue(runner.tick(recorder.samples_received())[1])


def play_protocol(recorder: Recorder, protocol_file: Path) -> None:
    """Play the protocol through ProtocolRun, pressing operator key 1 during the first stimulus."""
    run = ProtocolRun(for_session(load_protocol(str(protocol_file)), 3), recorder.sample_rate_hz)
    pressed = False
    for marker in run.start(recorder.samples_received()):
        recorder.mark(marker.code)
    while not run.done:
        time.sleep(POLL_S)
        for marker in run.tick(recorder.samples_received()):
            recorder.mark(marker.code)
        status = run.status()
        if not pressed and status.block is not None and status.block.kind == "stimulus":
            recorder.mark(MARKER_OPERATOR_BASE + 1)
            pressed = True


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, str]], Path]:
    """The events.tsv rows of the recorded session's BIDS export, and the export folder."""
    tmp = tmp_path_factory.mktemp("durations")
    (tmp / "protocol.toml").write_text(PROTOCOL)
    db = tmp / "s.sqlite"
    guided = [GuidedStep(c, f"muscle {c + 1}", "contract") for c in range(3)]
    args = ["--channels", "3", "--rate-hz", "500", "--seed", "4"]
    with start_simulator_process(args) as sim, SessionStore.open(db) as store:
        recorder = Recorder(
            make_source(sim.port, None, False), store, RecordingOptions(participant_code="P-EVENTS")
        )
        recorder.start()
        play_steps(recorder, check_steps(guided, REST_S, CONTRACTION_S))  # electrode check
        play_steps(recorder, check_steps(guided, REST_S, CONTRACTION_S))  # calibration
        play_protocol(recorder, tmp / "protocol.toml")
        time.sleep(0.5)  # the last offset reaches the board and comes back
        summary = recorder.stop()
    assert summary.status == "completed", summary.error
    report = export_sessions(db, tmp / "out", None, "bids", tmp / "key")
    (path,) = report.out_dir.rglob("*_events.tsv")
    with path.open() as handle:
        return list(csv.DictReader(handle, delimiter="\t")), report.out_dir


def markers_of(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows of marker events (they carry a code), in onset order."""
    return [r for r in rows if r["value"] != "n/a"]


def onset_sample(row: dict[str, str]) -> int:
    """A row's onset sample."""
    return int(row["sample"])


def end_sample(row: dict[str, str], rate_hz: float = 500.0) -> int:
    """A row's end sample from its onset and duration."""
    return onset_sample(row) + round(float(row["duration"]) * rate_hz)


def test_rests_of_the_check_and_calibration_end_at_the_first_contraction(
    events: tuple[list[dict[str, str]], Path],
) -> None:
    rows = markers_of(events[0])
    rests = [i for i, r in enumerate(rows) if r["trial_type"] == "rest"]
    assert len(rests) == 4, "check, calibration, the protocol's rest and calibration block"
    for i in rests[:2]:
        cue = rows[i + 1]
        assert channel_of_guided_marker(int(cue["value"])) == 0
        assert end_sample(rows[i]) == onset_sample(cue), "ends where the first contraction starts"
        assert float(rows[i]["duration"]) < REST_S + CONTRACTION_S, "never swallows one"


def test_guided_contractions_last_their_step(events: tuple[list[dict[str, str]], Path]) -> None:
    rows = markers_of(events[0])
    cues = [r for r in rows if channel_of_guided_marker(int(r["value"])) is not None]
    assert len(cues) == 6
    for run in (cues[:3], cues[3:]):
        step_s = float(run[0]["duration"])
        assert {r["duration"] for r in run[:-1]} == {run[0]["duration"]}, "all one step long"
        assert abs(step_s - CONTRACTION_S) < 0.5
        assert 0 < float(run[-1]["duration"]) <= step_s, "the last ends with its step, or earlier"
        for cue, following in itertools.pairwise(run):
            gap_s = (onset_sample(following) - end_sample(cue)) / 500.0
            assert gap_s == pytest.approx(GUIDED_RELAX_GAP_S, abs=0.5), "the relax is left out"


def test_stimuli_calibration_blocks_and_markers(events: tuple[list[dict[str, str]], Path]) -> None:
    rows = markers_of(events[0])
    stimuli = [r for r in rows if r["trial_type"] == "stimulus"]
    assert [r["target_emotion"] for r in stimuli] in (["happy", "anger"], ["anger", "happy"])
    offsets = [r for r in rows if r["trial_type"] == "stimulus_offset"]
    for stimulus in stimuli:
        offset = next(o for o in offsets if onset_sample(o) > onset_sample(stimulus))
        assert end_sample(stimulus) == onset_sample(offset)
    protocol_rest, calibration_block = [r for r in rows if r["trial_type"] == "rest"][2:]
    assert end_sample(protocol_rest) == onset_sample(calibration_block)
    block_offset = next(o for o in offsets if onset_sample(o) > onset_sample(calibration_block))
    assert end_sample(calibration_block) == onset_sample(block_offset), "not through its pause"
    assert float(calibration_block["duration"]) < 1.5
    instants = [r for r in rows if r["trial_type"] in ("stimulus_offset", "operator_marker")]
    assert any(r["trial_type"] == "operator_marker" for r in instants)
    assert all(float(r["duration"]) == 0.0 for r in instants)


def test_the_bids_validator_accepts_the_durations(
    events: tuple[list[dict[str, str]], Path],
) -> None:
    assert validator_errors(validate_bids(events[1])) == []
