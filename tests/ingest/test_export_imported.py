"""Imported sessions export: 16-bit ones as EDF+, 24-bit ones as BDF+, and import back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyedflib
import pytest

from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.recording import Batch, GapRecord
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


def test_a_float_session_exports_as_bdf_within_24_bit_resolution(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    rng = np.random.default_rng(2)
    values = np.column_stack([rng.normal(0, 3.0, 400), np.linspace(-2, 7, 400)]).astype(np.float32)
    channels = [
        ChannelSpec(
            0, "F1", None, "raw", unit="uV", scale=1.0, physical_min=None, physical_max=None
        ),
        ChannelSpec(
            1,
            "F2",
            None,
            "envelope",
            unit="mV",
            scale=0.5,
            offset=1.0,
            physical_min=-10.0,
            physical_max=10.0,
        ),
    ]
    with SessionStore.open(db) as store:
        person = store.create_participant("P-FLT01")
        sid = store.start_session(
            person.id,
            sample_rate_hz=100,
            channels=channels,
            device={},
            simulated=False,
            source="import",
            sample_format="float32",
        )
        mask = np.zeros(values.shape, bool)
        mask[100:120] = True  # lost in a gap, as a recording stores one
        chunks = [(0, values[:100]), (120, values[120:])]
        store.write_batch(sid, Batch(chunks=chunks, gaps=[GapRecord(100, 20)]))
        store.finish_import(sid, {"f.csv": "0" * 64})
    report = export_sessions(db, tmp_path / "out", None, "bids", tmp_path / "key")
    (exported,) = report.out_dir.rglob("*_emg.bdf")
    physical = values * np.array([1.0, 0.5]) + np.array([0.0, 1.0])
    with pyedflib.EdfReader(str(exported)) as reader:
        read = np.stack([reader.readSignal(i) for i in range(2)], axis=1)[:400]
        ranges = [
            float(reader.getPhysicalMaximum(i) - reader.getPhysicalMinimum(i)) for i in range(2)
        ]
    span = np.ptp(physical[~mask[:, 0], 0])
    assert ranges[1] == 20.0 and span <= ranges[0] <= span + 2e-5
    keep = ~mask[:, 0]
    np.testing.assert_allclose(read[keep], physical[keep], rtol=0, atol=max(ranges) / 2**23)
    with SessionStore.open(tmp_path / "back.sqlite") as store:
        (back,) = import_path(report.out_dir, store).sessions
        record = store.session(back.session_id)
        again = store.read_samples(back.session_id)
    assert record.sample_format == "int32" and again.missing[100:120].all()
    converted = np.stack([c.to_physical(again.values[:, c.index]) for c in record.channels], 1)
    np.testing.assert_allclose(converted[keep], physical[keep], rtol=0, atol=max(ranges) / 2**23)


def test_events_table_of_the_export_is_used_over_its_annotations(tmp_path: Path) -> None:
    folder = tmp_path / "ds" / "sub-06" / "emg"
    folder.mkdir(parents=True)
    write_file(folder / "sub-06_task-x_emg.edf", emg_signals(1, 100, 3), [(1.0, -1, "fear")])
    write_tsv(folder / "sub-06_task-x_events.tsv", ["onset", "trial_type"], [[2.0, "surprise"]])
    with SessionStore.open(tmp_path / "s.sqlite") as store:
        (session,) = import_path(tmp_path / "ds", store).sessions
        markers = store.markers(session.session_id)
    assert [(m.sample_index, m.condition) for m in markers] == [(200, "surprise")]
