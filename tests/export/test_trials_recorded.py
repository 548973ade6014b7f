"""A real recording (paced simulator that mimics the faces it is shown) through the trial
tables of the export and the report: each stimulus is a trial, corrugator answers anger and
zygomaticus answers happy."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pypdf
import pytest

from microexp_tui.analysis.trials.onsets import trial_onsets
from microexp_tui.domain.markers import stimulus_onset_code
from microexp_tui.domain.muscles import CORRUGATOR_SUPERCILII, ZYGOMATICUS_MAJOR
from microexp_tui.export import export_sessions, verify
from microexp_tui.report.generate import generate_report
from microexp_tui.store.sessions import SessionStore
from tests.analysis.trials.recording import Recorded, record

ONSETS_S = (1.5, 6.0, 10.5, 15.0)
CONDITIONS = ("anger", "happy", "anger", "happy")
DURATION_S = 20.0
SCENARIO = """
description = "mimicry: the participant makes the face shown, 300 ms later, for 2 s"
[signal]
motion_artifacts_per_min = 0
[participant]
react_to_markers = true
latency_ms = [300, 300]
reaction_duration_ms = [2000, 2000]
micro_probability = 0
spontaneous = false
"""
CORRUGATOR, ZYGOMATICUS = CORRUGATOR_SUPERCILII.name, ZYGOMATICUS_MAJOR.name


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    """The session, recorded once in real time (the markers land where they are planned)."""
    plan = [(t, stimulus_onset_code(c)) for t, c in zip(ONSETS_S, CONDITIONS, strict=True)]
    folder = tmp_path_factory.mktemp("mimicry")
    return record(
        folder, SCENARIO, plan, DURATION_S, participant="P-MIMIC1", sim_args=["--seed", "7"]
    )


def test_the_derivative_has_every_stimulus_and_the_mimicry(
    recorded: Recorded, tmp_path: Path
) -> None:
    with SessionStore.open(recorded.database) as store:
        record_ = store.session(recorded.session_id)
        onsets = trial_onsets(store.markers(recorded.session_id), record_.sample_rate_hz)
    assert [o.condition for o in onsets] == list(CONDITIONS)
    report = export_sessions(recorded.database, tmp_path / "out", None, "bids", tmp_path / "key")
    assert verify(report.out_dir).ok
    (table,) = (report.out_dir / "derivatives" / "trials").rglob("*_desc-trials_emg.tsv")
    with table.open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["bin"] == "0"]
    assert sorted({(int(r["trial"]), r["condition"]) for r in rows}) == [
        (o.trial, o.condition) for o in onsets
    ]
    change: dict[tuple[int, str], float] = defaultdict(float)
    for r in rows:
        assert r["excluded"] == "false", r
        change[(int(r["trial"]), r["muscle"])] = float(r["change"])
    for onset in onsets:
        corrugator, zygomaticus = (
            change[(onset.trial, CORRUGATOR)],
            change[(onset.trial, ZYGOMATICUS)],
        )
        if onset.condition == "anger":
            assert corrugator > zygomaticus, (onset, corrugator, zygomaticus)
        else:
            assert zygomaticus > corrugator, (onset, corrugator, zygomaticus)
    text = table.read_text()
    assert "P-MIMIC1" not in text


def test_the_report_shows_both_conditions_per_muscle(recorded: Recorded, tmp_path: Path) -> None:
    with SessionStore.open(recorded.database) as store:
        result = generate_report(store, recorded.session_id, tmp_path / "r.pdf")
    text = " ".join(
        " ".join(page.extract_text().split()) for page in pypdf.PdfReader(result.path).pages
    )
    section = text.split("Responses by condition", 1)[1].split("Short muscle events", 1)[0]
    assert "4 trials; baseline -1 to 0 s" in text
    for heading in ("Corrugator supercilii", "Zygomaticus major", "Valence index"):
        block = section.split(heading, 1)[1]
        assert "anger 2 0" in block and "happy 2 0" in block, heading
