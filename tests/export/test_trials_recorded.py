"""A real recording (fast simulator, demo protocol) through the trial tables of the export and
the report: each stimulus is a trial, and the simulated participant's reaction is on the
stimulus emotion's own muscles."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pypdf
import pytest

from microexp_tui.analysis.trials.onsets import trial_onsets
from microexp_tui.analysis.trials.table import VALENCE_MUSCLE
from microexp_tui.domain.muscles import EMOTION_CHANNELS
from microexp_tui.export import export_sessions, verify
from microexp_tui.report.generate import generate_report
from microexp_tui.session_flow.headless import run_recording
from microexp_tui.simulator.process import start_simulator_process
from microexp_tui.store.sessions import SessionStore

RECORD_S = 75.0
"""The demo protocol's first stimulus comes about 34 s in; this holds at least four trials."""


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A demo-protocol session recorded from the fast simulator (it reacts to the stimuli)."""
    db = tmp_path_factory.mktemp("recorded") / "s.sqlite"
    with start_simulator_process(["--fast", "--seed", "5"]) as sim:
        summary = run_recording(
            port=sim.port,
            simulate=False,
            database=db,
            duration_s=RECORD_S,
            participant_code="P-TRIALS1",
            protocol_name="demo",
            protocol_seed=2026,
            operator="Operator Ottilie Brandvold",
        )
    assert summary.status == "completed", summary.error
    return db, summary.session_id


def test_every_stimulus_is_a_trial_answered_by_its_own_muscles(
    recorded: tuple[Path, int], tmp_path: Path
) -> None:
    db, sid = recorded
    with SessionStore.open(db) as store:
        record = store.session(sid)
        onsets = trial_onsets(store.markers(sid), record.sample_rate_hz)
    assert len(onsets) >= 4
    report = export_sessions(db, tmp_path / "out", None, "bids", tmp_path / "key")
    assert verify(report.out_dir).ok
    (table,) = (report.out_dir / "derivatives" / "trials").rglob("*_desc-trials_emg.tsv")
    with table.open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["bin"] == "0"]
    assert {int(r["trial"]) for r in rows} == {o.trial for o in onsets}
    assert {(int(r["trial"]), r["condition"]) for r in rows} == {
        (o.trial, o.condition) for o in onsets
    }
    changes: dict[int, dict[str, float]] = defaultdict(dict)
    for r in rows:
        if r["excluded"] == "false" and r["muscle"] != VALENCE_MUSCLE:
            changes[int(r["trial"])][r["channel"]] = float(r["change"])
    answered = 0
    for onset in onsets:
        if onset.trial not in changes or onset.condition not in EMOTION_CHANNELS:
            continue
        own = {record.channels[c].label for c in EMOTION_CHANNELS[onset.condition]}
        found = changes[onset.trial]
        answered += max(found, key=lambda channel: found[channel]) in own
    assert answered >= max(4, len(onsets) - 1), changes
    assert "Ottilie" not in table.read_text() and "P-TRIALS1" not in table.read_text()


def test_the_report_shows_the_recorded_conditions(
    recorded: tuple[Path, int], tmp_path: Path
) -> None:
    db, sid = recorded
    with SessionStore.open(db) as store:
        record = store.session(sid)
        conditions = {o.condition for o in trial_onsets(store.markers(sid), record.sample_rate_hz)}
        result = generate_report(store, sid, tmp_path / "r.pdf")
    text = " ".join(
        " ".join(page.extract_text().split()) for page in pypdf.PdfReader(result.path).pages
    )
    section = text.split("Responses by condition", 1)[1].split("Short muscle events", 1)[0]
    assert all(condition in section for condition in conditions)
