"""`microexp import` end to end: participants, montage, events, gaps, refusals, JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from microexp_tui.errors import ExitCode
from microexp_tui.ingest import import_path
from microexp_tui.store.sessions import SessionStore
from tests.ingest.helpers import (
    PATIENT_NAME,
    Signal,
    bids_dataset,
    emg_signals,
    write_file,
    write_tsv,
)

RATE_HZ = 200


def microexp(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run `python -m microexp_tui` with the worktree on the path."""
    return subprocess.run(
        [sys.executable, "-m", "microexp_tui", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=120,
    )


def facial_dataset(root: Path, seed: int = 3) -> Path:
    """One subject, four EMG channels on facial muscles and an ECG channel, with events."""
    emg = emg_signals(4, RATE_HZ, 10, seed=seed)
    ecg = Signal("ECG", RATE_HZ, "mV", (-5.0, 5.0), (-32768, 32767), emg[0].values[::-1])
    folder = root / "sub-07" / "ses-1" / "emg"
    folder.mkdir(parents=True)
    bids_dataset(root, {})
    write_file(folder / "sub-07_ses-1_task-faces_emg.edf", [*emg, ecg])
    write_tsv(
        folder / "sub-07_ses-1_task-faces_channels.tsv",
        ["name", "type", "units", "description", "target_muscle"],
        [
            [
                "EMG1",
                "EMG",
                "µV",
                "linear envelope (rectified, smoothed)",
                "Zygomaticus major (left)",
            ],
            ["EMG2", "EMG", "uV", "bipolar raw EMG", "corrugator supercilii muscle"],
            ["EMG3", "EMG", "V", None, "Masseter"],
            ["EMG4", "EMG", "uV", None, None],
            ["ECG", "ECG", "mV", None, None],
        ],
    )
    write_tsv(
        folder / "sub-07_ses-1_task-faces_events.tsv",
        ["onset", "duration", "trial_type", "value"],
        [
            [1.0, 2.0, "Happy", None],
            [3.5, 0.5, "button\x1b[31m press", "17"],
            [4.0, None, "neutral", None],
            [9.99, None, "late", None],
            [12.0, None, "after the end", None],
            [-1.0, None, "before the start", None],
        ],
    )
    return root


def test_a_bids_dataset_imports_with_montage_events_and_what_was_skipped(tmp_path: Path) -> None:
    root = facial_dataset(tmp_path / "ds")
    db = tmp_path / "s.sqlite"
    run = microexp("import", root, "--db", db, "--json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    (session_id,) = report["session_ids"]
    (session,) = report["sessions"]
    assert session["skipped_channels"] == ["ECG (ECG)"]
    assert session["events_outside"] == 2
    assert "in 'V' but the file's header says 'uV'" in run.stderr
    with SessionStore.open(db) as store:
        record = store.session(session_id)
        markers = store.markers(session_id)
    assert record.participant_code == "07" and record.status == "imported"
    assert [
        (c.label, c.muscle, c.action_units, c.sensor_kind, c.unit) for c in record.channels
    ] == [
        ("EMG1", "Zygomaticus major", ("AU12",), "envelope", "uV"),
        ("EMG2", "Corrugator supercilii", ("AU4",), "raw", "uV"),
        ("EMG3", "Masseter", (), "raw", "uV"),
        ("EMG4", None, (), "raw", "uV"),
    ]
    assert [(m.sample_index, m.kind, m.condition, m.code, m.label) for m in markers] == [
        (200, "stimulus", "happy", None, None),
        (700, "marker", "button press", 17, None),
        (800, "stimulus", "neutral", None, None),
        (1998, "marker", "late", None, None),
    ]


def test_sensor_kind_option_overrides_the_descriptions(tmp_path: Path) -> None:
    root = facial_dataset(tmp_path / "ds")
    with SessionStore.open(tmp_path / "s.sqlite") as store:
        report = import_path(root / "sub-07", store, sensor_kind="envelope")
        record = store.session(report.sessions[0].session_id)
    assert {c.sensor_kind for c in record.channels} == {"envelope"}


def test_a_single_file_without_a_subject_needs_a_participant(tmp_path: Path) -> None:
    edf = write_file(tmp_path / "recording.edf", emg_signals(2, RATE_HZ, 3))
    db = tmp_path / "s.sqlite"
    refused = microexp("import", edf, "--db", db)
    assert refused.returncode == ExitCode.INPUT
    assert "--participant" in refused.stderr and "Traceback" not in refused.stderr
    done = microexp("import", edf, "--db", db, "--participant", "P-EXT01", "--json")
    assert done.returncode == 0, done.stderr
    (session_id,) = json.loads(done.stdout)["session_ids"]
    with SessionStore.open(db) as store:
        assert store.session(session_id).participant_code == "P-EXT01"
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("s.sqlite*") if p.is_file())
    assert PATIENT_NAME.encode() not in stored and b"PQ-1991" not in stored


def test_edf_annotations_are_events_and_skipped_acquisition_a_gap(tmp_path: Path) -> None:
    notes = [
        (1.0, -1, "stimulus onset: anger"),
        (2.0, 0.5, "BAD_ACQ_SKIP"),
        (3.0, -1, "fear"),
        (4.0, -1, "Door slam"),
    ]
    edf = write_file(tmp_path / "sub-02_task-x_emg.edf", emg_signals(2, RATE_HZ, 5), notes)
    with SessionStore.open(tmp_path / "s.sqlite") as store:
        (session,) = import_path(edf, store).sessions
        markers = store.markers(session.session_id)
        samples = store.read_samples(session.session_id)
        gaps = store.gaps(session.session_id)
    assert [(m.sample_index, m.kind, m.condition, m.code) for m in markers] == [
        (200, "stimulus", "anger", 0x0106),
        (600, "stimulus", "fear", None),
        (800, "marker", "Door slam", None),
    ]
    assert [tuple(g) for g in gaps] == [(400, 100)]
    assert samples.missing[400:500].all() and not samples.missing[:400].any()
    assert not samples.missing[500:].any() and len(samples.values) == 5 * RATE_HZ


def test_more_than_256_channels_are_refused_by_name(tmp_path: Path) -> None:
    edf = write_file(tmp_path / "sub-03_task-x_emg.edf", emg_signals(257, 10, 1))
    with SessionStore.open(tmp_path / "s.sqlite") as store:
        report = import_path(edf, store)
    ((file, reason),) = report.refused
    assert file == edf.name and "257 EMG channels; at most 256" in reason


def test_a_path_that_does_not_exist_is_an_input_error(tmp_path: Path) -> None:
    run = microexp("import", tmp_path / "missing", "--db", tmp_path / "s.sqlite")
    assert run.returncode == ExitCode.INPUT
    assert "does not exist" in run.stderr and "Traceback" not in run.stderr


def test_a_damaged_file_is_refused_while_the_rest_of_the_dataset_imports(tmp_path: Path) -> None:
    root = facial_dataset(tmp_path / "ds")
    other = root / "sub-08" / "emg" / "sub-08_task-faces_emg.edf"
    other.parent.mkdir(parents=True)
    good = write_file(tmp_path / "good.edf", emg_signals(1, RATE_HZ, 3)).read_bytes()
    other.write_bytes(good[: len(good) - 100])
    run = microexp("import", root, "--db", tmp_path / "s.sqlite", "--json")
    assert run.returncode == ExitCode.INPUT
    report = json.loads(run.stdout)
    assert len(report["session_ids"]) == 1
    (refusal,) = report["refused"]
    assert refusal["file"] == "sub-08/emg/sub-08_task-faces_emg.edf"
    assert "cut short" in refusal["reason"] and str(other) in refusal["reason"]


@pytest.mark.parametrize("bdf", [False, True])
def test_stored_values_times_scale_plus_offset_are_the_physical_values(
    tmp_path: Path, bdf: bool
) -> None:
    signals = [
        Signal("EMG1", 100, "mV", (-2.5, 7.5), (-1000, 3000), np.arange(-1000, 3000, 10)),
    ]
    edf = write_file(tmp_path / f"sub-04_task-x_emg.{'bdf' if bdf else 'edf'}", signals, bdf=bdf)
    with SessionStore.open(tmp_path / "s.sqlite") as store:
        (session,) = import_path(edf, store).sessions
        record = store.session(session.session_id)
        values = store.read_samples(session.session_id).values
    (channel,) = record.channels
    assert record.sample_format == ("int32" if bdf else "int16")
    assert (channel.physical_min, channel.physical_max, channel.unit) == (-2.5, 7.5, "mV")
    expected = (np.arange(-1000, 3000, 10) + 1000) / 4000 * 10.0 - 2.5
    np.testing.assert_allclose(channel.to_physical(values[:, 0]), expected, atol=1e-12)


def test_a_session_folder_imports_with_the_dataset_root_found_above_it(tmp_path: Path) -> None:
    root = facial_dataset(tmp_path / "ds")
    run = microexp("import", root / "sub-07" / "ses-1", "--db", tmp_path / "s.sqlite")
    assert run.returncode == 0, run.stderr
    assert "session 1: sub-07/ses-1/emg/sub-07_ses-1_task-faces_emg.edf -> participant 07" in (
        run.stdout
    )
    assert "4 EMG channel(s) @ 200 Hz in uV, 10.0 s, 4 event(s), 2 outside" in run.stdout
    assert "skipped channels: ECG (ECG)" in run.stdout


def test_another_datasets_sub_label_is_flagged_or_kept_apart_by_a_prefix(tmp_path: Path) -> None:
    """Two datasets' sub-07 are two people: the second import says the code was in use, and
    --participant-prefix files it under its own participant."""
    db = tmp_path / "db.sqlite"
    first, second, third = (
        facial_dataset(tmp_path / name, seed) for name, seed in (("a", 3), ("b", 4), ("c", 5))
    )
    assert microexp("import", first, "--db", db).returncode == 0
    reused = microexp("import", second, "--db", db, "--json")
    assert reused.returncode == 0
    (session,) = json.loads(reused.stdout)["sessions"]
    assert session["participant"] == "07"
    assert any("already in the database" in w for w in session["warnings"])
    assert "--participant-prefix" in reused.stderr
    kept_apart = microexp("import", third, "--db", db, "--participant-prefix", "labC-", "--json")
    (session,) = json.loads(kept_apart.stdout)["sessions"]
    assert session["participant"] == "labC-07" and not any(
        "already in the database" in w for w in session["warnings"]
    )
    bad = microexp("import", third, "--db", db, "--participant-prefix", "lab C")
    assert bad.returncode == ExitCode.INPUT and "--participant-prefix" in bad.stderr
    assert "Traceback" not in bad.stderr
