"""Import rules beyond the common case: EDF+D time lines, rates, repeats, several subjects."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from microexp_tui.errors import InputError
from microexp_tui.ingest import import_path, runner
from microexp_tui.ingest.edf_file import read_header
from microexp_tui.store.sessions import SessionStore
from tests.ingest.helpers import Signal, bids_dataset, emg_signals, write_file, write_tsv


def discontinuous(path: Path, moved_record: int, to_s: int) -> Path:
    """Turn an EDF+C file of 1-s records into EDF+D with one record started at `to_s`."""
    header = read_header(path)
    data = bytearray(path.read_bytes())
    data[192:197] = b"EDF+D"
    annotation_at = sum(s.samples_per_record for s in header.signals[:-1]) * 2
    at = header.header_bytes + moved_record * header.record_bytes + annotation_at
    old, new = f"+{moved_record}\x14\x14".encode(), f"+{to_s}\x14\x14".encode()
    assert data[at : at + len(old)] == old and len(old) == len(new)
    data[at : at + len(new)] = new
    path.write_bytes(bytes(data))
    return path


def test_edf_plus_d_records_sit_at_their_own_times_with_a_gap_between(tmp_path: Path) -> None:
    signals = emg_signals(2, 100, 3, seed=8)
    path = discontinuous(write_file(tmp_path / "sub-09_task-x_emg.edf", signals), 2, 5)
    with SessionStore.open(tmp_path / "s.sqlite") as store:
        (session,) = import_path(path, store).sessions
        samples = store.read_samples(session.session_id)
        gaps = [tuple(g) for g in store.gaps(session.session_id)]
    written = np.stack([s.values for s in signals], axis=1)
    assert gaps == [(200, 300)] and len(samples.values) == 600
    np.testing.assert_array_equal(samples.values[:200], written[:200])
    np.testing.assert_array_equal(samples.values[500:], written[200:])
    assert samples.missing[200:500].all() and not samples.missing[:200].any()


def test_emg_signals_at_another_rate_are_skipped_and_named(tmp_path: Path) -> None:
    fast = emg_signals(2, 200, 2)
    slow = Signal("EMG9", 100, "uV", (-1.0, 1.0), (-100, 100), np.zeros(200, np.int16))
    path = write_file(tmp_path / "sub-10_task-x_emg.edf", [*fast, slow])
    with SessionStore.open(tmp_path / "s.sqlite") as store:
        (session,) = import_path(path, store).sessions
    assert session.channels == 2 and session.sample_rate_hz == 200
    assert session.skipped_channels == ("EMG9 (EMG at 100 Hz, another rate)",)


def test_a_sidecar_rate_that_disagrees_with_the_header_is_warned_about(tmp_path: Path) -> None:
    root = bids_dataset(
        tmp_path / "ds", {"sub-11/emg/sub-11_task-x_emg.json": '{"SamplingFrequency": 1000}'}
    )
    write_file(root / "sub-11" / "emg" / "sub-11_task-x_emg.edf", emg_signals(1, 250, 2))
    with SessionStore.open(tmp_path / "s.sqlite") as store:
        (session,) = import_path(root, store).sessions
    assert session.sample_rate_hz == 250
    assert any("SamplingFrequency 1000 Hz" in w and "250 Hz" in w for w in session.warnings)


def test_importing_the_same_files_again_stores_nothing_new(tmp_path: Path) -> None:
    path = write_file(tmp_path / "sub-12_task-x_emg.edf", emg_signals(1, 100, 2))
    with SessionStore.open(tmp_path / "s.sqlite") as store:
        (first,) = import_path(path, store).sessions
        again = import_path(path, store)
        assert not again.sessions and again.already == [(path.name, first.session_id)]
        write_tsv(tmp_path / "sub-12_task-x_events.tsv", ["onset", "trial_type"], [[0.5, "x"]])
        (changed,) = import_path(path, store).sessions
        assert changed.events == 1 and len(store.list_sessions()) == 2


def test_one_participant_for_several_subjects_is_refused(tmp_path: Path) -> None:
    root = bids_dataset(tmp_path / "ds", {})
    for subject in ("01", "02"):
        folder = root / f"sub-{subject}" / "emg"
        folder.mkdir(parents=True)
        write_file(folder / f"sub-{subject}_task-x_emg.edf", emg_signals(1, 100, 1))
    with (
        SessionStore.open(tmp_path / "s.sqlite") as store,
        pytest.raises(InputError, match=r"2 subjects.*--participant would make them one person"),
    ):
        import_path(root, store, participant="P-ONE")


def test_a_dataset_level_events_file_applies_to_every_recording_of_its_task(
    tmp_path: Path,
) -> None:
    root = bids_dataset(tmp_path / "ds", {})
    write_tsv(root / "task-x_events.tsv", ["onset", "trial_type"], [[0.5, "anger"]])
    for seed, subject in enumerate(("01", "02")):
        folder = root / f"sub-{subject}" / "emg"
        folder.mkdir(parents=True)
        write_file(folder / f"sub-{subject}_task-x_emg.edf", emg_signals(1, 100, 1, seed))
    write_file(root / "sub-02" / "emg" / "sub-02_task-y_emg.edf", emg_signals(1, 100, 1, 5))
    with SessionStore.open(tmp_path / "s.sqlite") as store:
        report = import_path(root, store)
    events = {s.source: s.events for s in report.sessions}
    assert events == {
        "sub-01/emg/sub-01_task-x_emg.edf": 1,
        "sub-02/emg/sub-02_task-x_emg.edf": 1,
        "sub-02/emg/sub-02_task-y_emg.edf": 0,
    }


def test_reading_a_few_records_at_a_time_stores_the_same_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    signals = emg_signals(3, 100, 6, seed=11)
    notes = [(3.2, 0.4, "BAD_ACQ_SKIP")]
    path = discontinuous(write_file(tmp_path / "sub-13_task-x_emg.edf", signals, notes), 5, 8)
    stored = []
    for values_per_chunk in (10**9, 250):
        monkeypatch.setattr(runner, "VALUES_PER_CHUNK", values_per_chunk)
        with SessionStore.open(tmp_path / f"{values_per_chunk}.sqlite") as store:
            (session,) = import_path(path, store).sessions
            stored.append(store.read_samples(session.session_id))
            gaps = [tuple(g) for g in store.gaps(session.session_id)]
    whole, few = stored
    np.testing.assert_array_equal(whole.values, few.values)
    np.testing.assert_array_equal(whole.missing, few.missing)
    assert gaps == [(320, 40), (500, 300)] and len(few.values) == 900


def test_records_that_go_back_in_time_are_refused(tmp_path: Path) -> None:
    path = discontinuous(
        write_file(tmp_path / "sub-14_task-x_emg.edf", emg_signals(1, 100, 3)), 2, 1
    )
    with SessionStore.open(tmp_path / "s.sqlite") as store:
        report = import_path(path, store)
    ((file, reason),) = report.refused
    assert file == path.name and "overlap or go back in time" in reason
    assert not store_sessions(tmp_path / "s.sqlite")


def store_sessions(db: Path) -> list[int]:
    """Ids of the sessions a database holds."""
    with SessionStore.open(db) as store:
        return [record.id for record in store.list_sessions()]


def test_a_plain_edf_label_naming_a_known_muscle_gives_its_action_units(tmp_path: Path) -> None:
    values = np.arange(100, dtype=np.int16)
    signals = [
        Signal("EMG Corrugator", 100, "uV", (-1.0, 1.0), (-100, 100), values),
        Signal("EMG L frontalis", 100, "uV", (-1.0, 1.0), (-100, 100), values),
        Signal("EMG chin", 100, "uV", (-1.0, 1.0), (-100, 100), values),
    ]
    path = write_file(tmp_path / "sub-15_task-x_emg.edf", signals)
    with SessionStore.open(tmp_path / "s.sqlite") as store:
        (session,) = import_path(path, store).sessions
        record = store.session(session.session_id)
    assert [(c.muscle, c.action_units) for c in record.channels] == [
        (None, ()),  # part of a name is not a muscle: corrugator supercilii is two words
        ("Frontalis", ("AU1", "AU2")),
        (None, ()),
    ]


def test_a_signal_without_a_physical_scale_is_refused_by_name(tmp_path: Path) -> None:
    path = write_file(tmp_path / "sub-16_task-x_emg.edf", emg_signals(1, 100, 1))
    n_signals = len(read_header(path).signals)
    data = bytearray(path.read_bytes())
    physical_min_at = 256 + n_signals * (16 + 80 + 8)  # the first signal's fields
    physical_max_at = physical_min_at + 8 * n_signals
    data[physical_min_at : physical_min_at + 8] = b"1       "
    data[physical_max_at : physical_max_at + 8] = b"1       "
    path.write_bytes(bytes(data))
    with SessionStore.open(tmp_path / "s.sqlite") as store:
        ((file, reason),) = import_path(path, store).refused
    assert file == path.name and "signal EMG1 maps digital -32768..32767 to physical 1..1" in reason
