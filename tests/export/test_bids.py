"""BIDS export: the official validator, EDF+ read back by MNE and pyedflib, sidecars."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import mne
import numpy as np
import pyedflib
import pytest

from microexp_tui.export import ExportReport
from microexp_tui.export.demographics import age_band
from microexp_tui.store.sessions import SessionStore
from tests.export.helpers import PEOPLE, RATE_HZ, BuiltDb, validate_bids, validator_errors

MV_PER_COUNT = 5000 / 1024


def _tsv(path: Path) -> list[dict[str, str]]:
    """A TSV file as dicts."""
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _session_files(report: ExportReport, session_id: int) -> Path:
    """Stem path (without suffix) of an exported session's files."""
    name = next(s["exported_as"] for s in report.sessions if s["session_id"] == session_id)
    subject, session = name.split("_")
    folder = report.out_dir / subject / session / "emg"
    edf = next(folder.glob("*_emg.edf"))
    return folder / edf.name.removesuffix("_emg.edf")


def test_the_official_validator_finds_no_error(bids_export: ExportReport) -> None:
    result = validate_bids(bids_export.out_dir)
    assert validator_errors(result) == []
    assert result["summary"]["dataTypes"] == ["emg"]
    assert len(result["summary"]["subjects"]) == 2


def test_edf_samples_read_back_identically_with_pyedflib_and_mne(
    built: BuiltDb, bids_export: ExportReport
) -> None:
    for sid, block in built.samples.items():
        stored = block.values
        edf_path = Path(f"{_session_files(bids_export, sid)}_emg.edf")
        n = stored.shape[0]
        with pyedflib.EdfReader(str(edf_path)) as reader:
            assert reader.getSampleFrequencies().tolist() == [RATE_HZ] * 8
            digital = np.stack([reader.readSignal(c, digital=True) for c in range(8)], axis=1)
            assert reader.getPhysicalDimension(0) == "mV"
        raw = mne.io.read_raw_edf(edf_path, preload=True, verbose="error")
        volts = raw.get_data().T
        present = ~block.missing
        assert np.array_equal(digital[:n][present], stored[present])
        np.testing.assert_allclose(volts[:n][present], stored[present] * MV_PER_COUNT / 1000)
        assert raw.ch_names == [f"EMG{i}" for i in range(1, 9)]


def test_a_gap_is_filled_at_rest_and_annotated_as_bad(
    built: BuiltDb, bids_export: ExportReport
) -> None:
    sid = built.session_ids[0]
    lost = np.flatnonzero(built.samples[sid].missing.all(axis=1))
    assert lost.size == 40
    raw = mne.io.read_raw_edf(
        f"{_session_files(bids_export, sid)}_emg.edf", preload=True, verbose="error"
    )
    assert np.all(raw.get_data()[:, lost] == 0.0), "envelope channels rest at 0 counts"
    gaps = [a for a in raw.annotations if a["description"] == "BAD_ACQ_SKIP"]
    assert len(gaps) == 1
    assert gaps[0]["onset"] == pytest.approx(lost[0] / RATE_HZ)
    assert gaps[0]["duration"] == pytest.approx(40 / RATE_HZ)


def test_markers_are_edf_annotations(built: BuiltDb, bids_export: ExportReport) -> None:
    sid = built.session_ids[2]
    with SessionStore.open(built.path) as store:
        markers = store.markers(sid)
    with pyedflib.EdfReader(f"{_session_files(bids_export, sid)}_emg.edf") as reader:
        onsets, _, texts = reader.readAnnotations()
    pairs = set(zip(np.round(onsets, 4), texts, strict=True))
    assert (2.0, "stimulus onset: happy") in pairs
    assert len([t for t in texts if t != "BAD_END_PADDING"]) == len(markers)
    assert {m.sample_index / RATE_HZ for m in markers} <= set(np.round(onsets, 4))


def test_edf_headers_are_anonymised_as_edf_plus_prescribes(bids_export: ExportReport) -> None:
    for edf_path in bids_export.out_dir.rglob("*_emg.edf"):
        header = edf_path.read_bytes()[:256].decode("ascii")
        subject = edf_path.name.split("_")[0]
        assert header[8:88].rstrip() == f"{subject} X X X"
        assert header[88:168].startswith("Startdate X X X ")
        assert header[168:184] == "01.01.8500.00.00"
        assert header[192:197] == "EDF+C"


def test_simulated_sessions_are_labelled_in_every_file(
    built: BuiltDb, bids_export: ExportReport
) -> None:
    stem = _session_files(bids_export, built.simulated_ids[0])
    files = list(stem.parent.glob(f"{stem.name}_*"))
    assert len(files) == 5 and all("_acq-simulated_" in f.name for f in files)
    header = Path(f"{stem}_emg.edf").read_bytes()[:256].decode("ascii")
    assert header[88:168].rstrip().endswith("SIMULATED")
    with pyedflib.EdfReader(f"{stem}_emg.edf") as reader:
        assert "SIMULATED session" in reader.readAnnotations()[2][0]
    sidecar = json.loads(Path(f"{stem}_emg.json").read_text())
    assert sidecar["TaskDescription"].startswith("SIMULATED")
    channels = _tsv(Path(f"{stem}_channels.tsv"))
    assert all(row["description"].startswith("SIMULATED") for row in channels)
    subject = stem.name.split("_")[0]
    sessions = _tsv(bids_export.out_dir / subject / f"{subject}_sessions.tsv")
    assert {row["session_id"]: row["simulated"] for row in sessions} == {
        "ses-01": "false",
        "ses-02": "true",
    }
    real = [s for s in bids_export.sessions if not s["simulated"]]
    assert not any("simulated" in s["exported_as"] for s in real)


def test_emg_sidecar_has_required_fields_and_the_stored_mains(
    built: BuiltDb, bids_export: ExportReport
) -> None:
    first = json.loads(
        Path(f"{_session_files(bids_export, built.session_ids[0])}_emg.json").read_text()
    )
    other = json.loads(
        Path(f"{_session_files(bids_export, built.session_ids[2])}_emg.json").read_text()
    )
    for key in (
        "TaskName",
        "EMGPlacementScheme",
        "EMGReference",
        "SamplingFrequency",
        "PowerLineFrequency",
        "SoftwareFilters",
        "RecordingType",
    ):
        assert key in first
    assert first["PowerLineFrequency"] == 60.0, "taken from the session's settings snapshot"
    assert other["PowerLineFrequency"] == "n/a", "unknown when nothing was stored"
    assert first["SamplingFrequency"] == RATE_HZ and first["RecordingDuration"] == 12.0


def test_events_have_durations_emotions_operator_markers_and_expressions(
    built: BuiltDb, bids_export: ExportReport
) -> None:
    rows = _tsv(Path(f"{_session_files(bids_export, built.session_ids[0])}_events.tsv"))
    stimuli = [r for r in rows if r["trial_type"] == "stimulus"]
    assert [r["target_emotion"] for r in stimuli] == ["happy", "surprise", "disgust"]
    assert all(r["duration"] == "1.5" for r in stimuli)
    kinds = {r["trial_type"] for r in rows}
    assert {"operator_marker", "acquisition_gap", "artifact_clipping", "rest"} <= kinds
    assert {"micro_expression", "macro_expression"} <= kinds
    micro = next(r for r in rows if r["trial_type"] == "micro_expression")
    assert micro["label"].startswith("AU12 happy") and micro["label"].endswith("on EMG1")
    assert [float(r["onset"]) for r in rows] == sorted(float(r["onset"]) for r in rows)


def test_channels_name_their_target_muscle_and_units(bids_export: ExportReport) -> None:
    for path in bids_export.out_dir.rglob("*_channels.tsv"):
        rows = _tsv(path)
        assert [r["name"] for r in rows] == [f"EMG{i}" for i in range(1, 9)]
        assert rows[0]["target_muscle"] == "Zygomaticus major"
        assert {r["units"] for r in rows} == {"mV"} and {r["type"] for r in rows} == {"EMG"}


def test_participants_have_age_bands_and_no_birth_years(bids_export: ExportReport) -> None:
    rows = _tsv(bids_export.out_dir / "participants.tsv")
    year = datetime.now(UTC).year
    expected = sorted(age_band(person.birth_year, year) for person in PEOPLE)
    assert sorted(r["age_band"] for r in rows) == expected
    assert set(rows[0]) == {
        "participant_id",
        "age_band",
        "sex",
        "handedness",
        "sessions",
        "simulated_sessions",
    }
    text = (bids_export.out_dir / "participants.tsv").read_text()
    assert "1991" not in text and "1978" not in text
