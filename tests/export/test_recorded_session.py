"""A real recording (fast simulator on a pseudo-terminal) exported and read back."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pyedflib

from microexp_tui.export import export_sessions, verify
from microexp_tui.session_flow.headless import run_recording
from microexp_tui.simulator.process import start_simulator_process
from microexp_tui.store.sessions import SessionStore


def test_a_recorded_simulated_session_exports_exactly(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    with start_simulator_process(["--fast", "--seed", "5"]) as sim:
        summary = run_recording(
            port=sim.port,
            simulate=False,
            database=db,
            duration_s=2.0,
            participant_code="P-SIM01",
            protocol_name="demo",
            protocol_seed=2026,
            operator="Operator Quentin Marsh",
        )
    assert summary.status == "completed", summary.error
    with SessionStore.open(db) as store:
        block = store.read_samples(summary.session_id)
        stored = block.values
        markers = store.markers(summary.session_id)
    report = export_sessions(db, tmp_path / "out", None, "bids", tmp_path / "key")
    assert verify(report.out_dir).ok
    (edf_path,) = report.out_dir.rglob("*_acq-simulated_emg.edf")
    with pyedflib.EdfReader(str(edf_path)) as reader:
        channels = reader.signals_in_file
        digital = np.stack([reader.readSignal(c, digital=True) for c in range(channels)], axis=1)
        texts = reader.readAnnotations()[2]
    present = ~block.missing
    assert np.array_equal(digital[: len(stored)][present], stored[present])
    assert "SIMULATED session (not a person)" in texts
    (events_path,) = report.out_dir.rglob("*_events.tsv")
    with events_path.open() as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert len([r for r in rows if r["value"] != "n/a"]) == len(markers)
    assert "Quentin" not in "".join(
        p.read_bytes().decode("latin-1") for p in report.out_dir.rglob("*") if p.is_file()
    )
