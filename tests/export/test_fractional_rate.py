"""A session at a fractional sample rate (a legacy sketch's ~19.6 Hz) exports exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyedflib

from microexp_tui.domain.recording import Batch, MarkerRecord
from microexp_tui.export import export_sessions
from microexp_tui.store.sessions import SessionStore
from tests.export.helpers import montage

RATE_HZ = 19.6
SAMPLES = 196 * 3 + 7
"""30 s of samples and a few more: the last 5 s EDF record is padded."""


def _database(path: Path) -> np.ndarray:
    """One finished 19.6 Hz session with a gap and a stimulus; returns its stored counts."""
    counts = (np.arange(SAMPLES * 8).reshape(SAMPLES, 8) % 1000).astype(np.int16)
    with SessionStore.open(path) as store:
        participant = store.create_participant(birth_year=1990)
        session_id = store.start_session(
            participant.id,
            sample_rate_hz=RATE_HZ,
            channels=montage(),
            device={"board": "legacy sketch"},
            simulated=False,
        )
        store.write_batch(
            session_id,
            Batch(
                chunks=[(0, counts[:100]), (110, counts[110:])],
                gaps=[(100, 10)],
                markers=[MarkerRecord(49, 0x0101, "protocol")],
            ),
        )
        store.finish_session(session_id, "completed")
    return counts


def test_edf_records_hold_a_whole_number_of_samples(tmp_path: Path) -> None:
    counts = _database(tmp_path / "s.sqlite")
    report = export_sessions(tmp_path / "s.sqlite", tmp_path / "out", None, "bids", None)
    (edf_path,) = report.out_dir.rglob("*_emg.edf")
    with pyedflib.EdfReader(str(edf_path)) as reader:
        assert reader.getSampleFrequency(0) == RATE_HZ
        assert reader.datarecord_duration == 5.0
        digital = np.stack([reader.readSignal(c, digital=True) for c in range(8)], axis=1)
        onsets = list(reader.readAnnotations()[0])
    kept = np.r_[0:100, 110:SAMPLES]
    np.testing.assert_array_equal(digital[kept], counts[kept])
    assert (digital[100:110] == 0).all() and len(digital) == 196 * 3 + 98
    assert any(abs(onset - 49 / RATE_HZ) < 1e-3 for onset in onsets), "stimulus onset"


def test_parquet_times_use_the_fractional_rate(tmp_path: Path) -> None:
    counts = _database(tmp_path / "s.sqlite")
    report = export_sessions(tmp_path / "s.sqlite", tmp_path / "out", None, "parquet", None)
    (samples_path,) = (report.out_dir / "samples").glob("*.parquet")
    frame = pd.read_parquet(samples_path)
    assert len(frame) == SAMPLES * 8
    first = frame[frame["channel"] == "EMG1"]
    np.testing.assert_allclose(first["time_s"], first["sample_index"] / RATE_HZ)
    np.testing.assert_allclose(first["value_mv"].iloc[:100], counts[:100, 0] * (5000 / 1024))
    assert first["value_mv"].iloc[100:110].isna().all()
    sessions = pd.read_parquet(report.out_dir / "sessions.parquet")
    assert sessions["sample_rate_hz"].tolist() == [RATE_HZ]
