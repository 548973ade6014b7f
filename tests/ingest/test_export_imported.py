"""Imported sessions export: 16-bit ones as EDF+, 24-bit ones as BDF+, and import back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyedflib
import pytest

from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.recording import Batch
from microexp_tui.errors import InputError
from microexp_tui.export import export_sessions
from microexp_tui.ingest import import_path
from microexp_tui.store.sessions import SessionStore
from tests.ingest.helpers import emg_signals, write_file, write_tsv


@pytest.mark.parametrize("bdf", [False, True])
def test_an_imported_session_exports_in_its_own_resolution_and_imports_back(
    tmp_path: Path, bdf: bool
) -> None:
    extension = ".bdf" if bdf else ".edf"
    source = write_file(
        tmp_path / f"sub-05_task-x_emg{extension}",
        emg_signals(3, 250, 6, seed=4, bdf=bdf),
        [(1.0, -1, "happy"), (2.5, -1, "Tone 2")],
        bdf=bdf,
    )
    db = tmp_path / "s.sqlite"
    with SessionStore.open(db) as store:
        (first,) = import_path(source, store).sessions
        original = store.read_samples(first.session_id).values
        markers = store.markers(first.session_id)
    report = export_sessions(db, tmp_path / "out", None, "bids", tmp_path / "key")
    (exported,) = report.out_dir.rglob(f"*_emg{extension}")
    with pyedflib.EdfReader(str(exported)) as reader:
        digital = np.stack([reader.readSignal(i, digital=True) for i in range(3)], axis=1)
    np.testing.assert_array_equal(digital[: len(original)], original)
    with SessionStore.open(tmp_path / "back.sqlite") as store:
        (back,) = import_path(report.out_dir, store).sessions
        np.testing.assert_array_equal(store.read_samples(back.session_id).values, original)
        assert [(m.sample_index, m.kind, m.condition) for m in store.markers(back.session_id)] == [
            (m.sample_index, m.kind, m.condition) for m in markers
        ]
        assert store.session(back.session_id).sample_format == ("int32" if bdf else "int16")


def test_a_float_session_is_refused_by_edf_export_with_the_way_out(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    with SessionStore.open(db) as store:
        person = store.create_participant("P-FLT01")
        channel = ChannelSpec(
            0, "F1", None, "envelope", unit="uV", scale=1.0, physical_min=None, physical_max=None
        )
        sid = store.start_session(
            person.id,
            sample_rate_hz=10,
            channels=[channel],
            device={},
            simulated=False,
            source="import",
            sample_format="float32",
        )
        store.write_batch(
            sid, Batch(chunks=[(0, np.linspace(0, 1, 20, dtype=np.float32)[:, None])])
        )
        store.finish_import(sid, {"f.csv": "0" * 64})
    with pytest.raises(InputError, match=r"float32 values.*--format parquet"):
        export_sessions(db, tmp_path / "out", None, "bids", tmp_path / "key")


def test_events_table_of_the_export_is_used_over_its_annotations(tmp_path: Path) -> None:
    folder = tmp_path / "ds" / "sub-06" / "emg"
    folder.mkdir(parents=True)
    write_file(folder / "sub-06_task-x_emg.edf", emg_signals(1, 100, 3), [(1.0, -1, "fear")])
    write_tsv(folder / "sub-06_task-x_events.tsv", ["onset", "trial_type"], [[2.0, "surprise"]])
    with SessionStore.open(tmp_path / "s.sqlite") as store:
        (session,) = import_path(tmp_path / "ds", store).sessions
        markers = store.markers(session.session_id)
    assert [(m.sample_index, m.condition) for m in markers] == [(200, "surprise")]
