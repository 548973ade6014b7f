"""Export -> import: a session comes back with the same recorded samples, gaps and events."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from microexp_tui.domain.recording import MarkerRecord, StoredSamples
from microexp_tui.export import export_sessions
from microexp_tui.ingest import import_path
from microexp_tui.session_flow.headless import run_recording
from microexp_tui.simulator.process import start_simulator_process
from microexp_tui.store.sessions import SessionStore
from tests.export.helpers import build_db


def _events(markers: list[MarkerRecord]) -> list[tuple[object, ...]]:
    """What an event is, without where its row came from (host time is never exported)."""
    return sorted((m.sample_index, m.code, m.kind, m.condition, m.label) for m in markers)


def _same_recording(original: StoredSamples, imported: StoredSamples) -> None:
    """Same values where recorded, the same samples missing, nothing beyond the recording."""
    assert imported.values.shape == original.values.shape
    np.testing.assert_array_equal(imported.missing, original.missing)
    present = ~original.missing
    np.testing.assert_array_equal(imported.values[present], original.values[present])


def _exported_and_imported(db: Path, tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """Export every session of `db` as BIDS and import the export into a new database."""
    report = export_sessions(db, tmp_path / "bids", None, "bids", tmp_path / "key")
    back = tmp_path / "back.sqlite"
    with SessionStore.open(back) as store:
        imported = import_path(report.out_dir, store)
    assert not imported.refused
    return back, {s.source: s.session_id for s in imported.sessions}


def test_a_recorded_simulator_session_round_trips(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    with start_simulator_process(["--seed", "9"]) as sim:  # paced: markers land on time
        summary = run_recording(
            port=sim.port,
            simulate=False,
            database=db,
            duration_s=12.0,  # the demo protocol marks its stimuli from 5 s on
            participant_code="P-SIM01",
            protocol_name="demo",
        )
    assert summary.status == "completed", summary.error
    with SessionStore.open(db) as store:
        record = store.session(summary.session_id)
        original = store.read_samples(summary.session_id)
        markers = store.markers(summary.session_id)
    assert markers, "the demo protocol marks its stimuli"
    back, sessions = _exported_and_imported(db, tmp_path)
    (session_id,) = sessions.values()
    with SessionStore.open(back) as store:
        imported = store.session(session_id)
        _same_recording(original, store.read_samples(session_id))
        assert _events(store.markers(session_id)) == _events(markers)
    assert imported.status == "imported" and imported.simulated == record.simulated
    assert imported.sample_rate_hz == record.sample_rate_hz
    assert [(c.muscle, c.sensor_kind, c.unit) for c in imported.channels] == [
        (c.muscle, c.sensor_kind, c.unit) for c in record.channels
    ]
    for mine, theirs in zip(imported.channels, record.channels, strict=True):
        np.testing.assert_allclose(mine.to_physical([0, 1023]), theirs.to_physical([0, 1023]))


def test_sessions_with_gaps_and_labelled_events_round_trip(tmp_path: Path) -> None:
    built = build_db(tmp_path / "s.sqlite")
    with SessionStore.open(built.path) as store:
        originals = {
            sid: (store.read_samples(sid), store.markers(sid), store.gaps(sid))
            for sid in built.session_ids
        }
    assert any(gaps for _, _, gaps in originals.values()), "one planted session has a gap"
    back, sessions = _exported_and_imported(built.path, tmp_path)
    assert len(sessions) == len(originals)
    with SessionStore.open(back) as store:
        imported = {
            sid: (store.read_samples(sid), store.markers(sid), store.gaps(sid))
            for sid in sessions.values()
        }
    unmatched = list(imported.values())
    for samples, markers, gaps in originals.values():
        present = ~samples.missing
        (position,) = [
            i
            for i, (values, _, _) in enumerate(unmatched)
            if values.values.shape == samples.values.shape
            and np.array_equal(values.values[present], samples.values[present])
        ]
        back_samples, back_markers, back_gaps = unmatched.pop(position)
        _same_recording(samples, back_samples)
        assert _events(back_markers) == _events(markers)
        assert [tuple(g) for g in back_gaps] == [tuple(g) for g in gaps]
