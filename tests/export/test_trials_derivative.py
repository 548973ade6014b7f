"""Trial tables in exports: the BIDS derivative (derivatives/trials/) and trials.<ext>."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from microexp_tui.analysis.trials.options import TrialOptions
from microexp_tui.analysis.trials.table import (
    COLUMN_DESCRIPTIONS,
    TRIAL_COLUMNS,
    WHOLE_WINDOW_BIN,
    TrialRow,
)
from microexp_tui.domain.emotions import EMOTIONS
from microexp_tui.export import ExportReport
from microexp_tui.export.manifest import MANIFEST_NAME
from microexp_tui.export.trials_derivative import cells, column_sidecar, trials_table
from tests.export.helpers import PEOPLE, BuiltDb

TRIALS_DIR = Path("derivatives") / "trials"


def row(**changes: object) -> TrialRow:
    """A hand-made trial row (whole window of trial 1 on the zygomaticus)."""
    values: dict[str, object] = dict(
        site="",
        participant="abc",
        session="01",
        trial=1,
        condition="happy",
        onset_s=2.0,
        muscle="Zygomaticus major",
        channel="EMG1",
        unit="counts",
        bin=WHOLE_WINDOW_BIN,
        bin_start_s=0.0,
        bin_end_s=4.0,
        baseline=40.0,
        mean=190.0,
        change=150.0,
        pct_change=375.0,
        z=None,
        pct_mvc=None,
        peak=200.0,
        peak_latency_s=1.2,
        onset_latency_s=None,
        excluded=False,
        exclude_reason="",
    )
    values.update(changes)
    return TrialRow(**values)  # type: ignore[arg-type]


def test_every_column_is_described_with_its_unit() -> None:
    described = column_sidecar([row(), row(trial=2)])
    assert list(described) == list(TRIAL_COLUMNS)
    assert all(described[c]["Description"] == COLUMN_DESCRIPTIONS[c] for c in TRIAL_COLUMNS)
    assert described["onset_s"]["Units"] == "s" and described["pct_mvc"]["Units"] == "%"
    assert described["change"]["Units"] == "counts"
    mixed = column_sidecar([row(), row(unit="uV")])
    assert "Units" not in mixed["change"]  # the unit column says which, row by row


def test_missing_values_are_n_a_and_empty_columns_keep_their_type() -> None:
    assert cells(row())[0] is None and cells(row())[-1] is None  # site, exclude_reason
    table = trials_table([row(), row(trial=2, excluded=True, exclude_reason="clipping")])
    assert table.schema.field("z").type == pa.float64()  # null throughout, still a number
    assert pa.types.is_integer(table.schema.field("trial").type)
    assert table.column("exclude_reason").to_pylist() == [None, "clipping"]


def _tsv(path: Path) -> list[dict[str, str]]:
    """A TSV file's rows."""
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _trial_files(report: ExportReport) -> list[Path]:
    """The derivative's trial tables."""
    return sorted((report.out_dir / TRIALS_DIR).rglob("*_desc-trials_emg.tsv"))


def test_the_bids_derivative_has_a_table_per_session_labelled_like_the_export(
    bids_export: ExportReport, built: BuiltDb
) -> None:
    base = bids_export.out_dir / TRIALS_DIR
    described = json.loads((base / "dataset_description.json").read_text())
    assert described["DatasetType"] == "derivative"
    assert (base / described["DatasetLinks"]["raw"]).resolve() == bids_export.out_dir
    assert described["GeneratedBy"][0]["Name"] == "microexp-tui"
    files = _trial_files(bids_export)
    # every session but the raw one at 250 Hz (raw EMG needs 1 kHz), which the description names
    raw = next(
        s["exported_as"] for s in bids_export.sessions if s["session_id"] == built.session_ids[1]
    )
    assert len(files) == len(built.session_ids) - 1
    assert not [p for p in files if p.name.startswith(raw)]
    assert f"{raw} has no trial table" in described["GeneratedBy"][0]["Description"]
    (warning,) = [w for w in bids_export.warnings if "no trial table" in w]
    assert warning.startswith(f"{raw} has no trial table: ") and "1000 Hz" in warning
    names = {s["exported_as"] for s in bids_export.sessions}
    for path in files:
        subject, session = path.name.split("_")[:2]
        assert f"{subject}_{session}" in names
        assert path.parent.relative_to(base) == Path(subject, session, "emg")
        rows = _tsv(path)
        assert list(rows[0]) == list(TRIAL_COLUMNS)
        assert {r["participant"] for r in rows} == {subject.removeprefix("sub-")}
        assert {r["session"] for r in rows} == {session.removeprefix("ses-")}
        assert {r["trial"] for r in rows} == {"1", "2", "3"}  # stimuli at 2, 5 and 8 s
        assert {r["condition"] for r in rows} == set(EMOTIONS[:3])  # protocol_markers
        sidecar = json.loads(path.with_suffix(".json").read_text())
        assert sidecar["TrialOptions"] == TrialOptions().model_dump(mode="json")
        (source,) = sidecar["Sources"]
        raw_file = bids_export.out_dir / source.removeprefix("bids:raw:")
        assert raw_file.is_file() and raw_file.name.endswith("_emg.edf")
        assert all(c in sidecar and sidecar[c]["Description"] for c in TRIAL_COLUMNS)
    text = " ".join(p.read_text() for p in files)
    for person in PEOPLE:
        assert person.code not in text


def _subject_rows(report: ExportReport, session_id: int) -> tuple[str, list[dict[str, str]]]:
    """The exported session label of `session_id` and its participant's trial rows."""
    name = next(s["exported_as"] for s in report.sessions if s["session_id"] == session_id)
    subject, session = name.split("_")
    rows = [r for p in _trial_files(report) if p.name.startswith(subject) for r in _tsv(p)]
    return session.removeprefix("ses-"), rows


def test_the_gap_excludes_its_trial_for_lost_samples(
    bids_export: ExportReport, built: BuiltDb
) -> None:
    session, rows = _subject_rows(bids_export, built.session_ids[0])
    gap_trial = [r for r in rows if r["session"] == session and r["trial"] == "1"]
    assert gap_trial and all(r["excluded"] == "true" for r in gap_trial)
    assert all("lost samples" in r["exclude_reason"] for r in gap_trial)


def test_z_is_over_the_participants_sessions_in_the_export(
    bids_export: ExportReport, built: BuiltDb
) -> None:
    _session, rows = _subject_rows(bids_export, built.session_ids[2])
    whole = [r for r in rows if r["bin"] == "0" and r["z"] != "n/a"]
    per_session_means = []
    for muscle in {r["muscle"] for r in whole}:
        own = [r for r in whole if r["muscle"] == muscle]
        assert len({r["session"] for r in own}) == 2  # both of the participant's sessions
        z = [float(r["z"]) for r in own]
        assert abs(sum(z) / len(z)) < 1e-5, muscle
        first = [float(r["z"]) for r in own if r["session"] == own[0]["session"]]
        per_session_means.append(abs(sum(first) / len(first)))
    assert max(per_session_means) > 0.1  # not standardised session by session


def test_the_derivative_is_in_the_manifest(bids_export: ExportReport) -> None:
    listed = (bids_export.out_dir / MANIFEST_NAME).read_text()
    for path in _trial_files(bids_export):
        assert path.relative_to(bids_export.out_dir).as_posix() in listed


@pytest.mark.parametrize("fixture", ["parquet_export", "csv_export"])
def test_tabular_exports_hold_a_trials_table_duckdb_reads(
    fixture: str, built: BuiltDb, request: pytest.FixtureRequest
) -> None:
    report: ExportReport = request.getfixturevalue(fixture)
    path = report.out_dir / f"trials.{report.fmt}"
    reader = "read_parquet" if report.fmt == "parquet" else "read_csv_auto"
    query = duckdb.sql(
        f"SELECT participant, session, count(DISTINCT trial) AS trials FROM {reader}('{path}') "
        "GROUP BY participant, session"
    )
    assert query is not None
    found = query.fetchall()
    assert len(found) == len(built.session_ids) - 1  # not the raw one at 250 Hz
    assert {trials for _p, _s, trials in found} == {3}
    names = {s["exported_as"] for s in report.sessions}
    assert {f"sub-{p}_ses-{s}" for p, s, _t in found} < names
