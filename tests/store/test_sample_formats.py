"""Fractional sample rates, int16/int32/float32 sessions and masks of missing values."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.recording import Batch
from microexp_tui.errors import InputError
from microexp_tui.store.sessions import SessionStore
from tests.store import counts, database_at_version, one_second, start_recording

RATE_VERSION = 9
"""The migration that made the sample rate a REAL column."""


def _imported(store: SessionStore, sample_format: str, channels: int = 3) -> int:
    """Start an imported session of `channels` channels stored as `sample_format`."""
    participant = store.create_participant()
    return store.start_session(
        participant.id,
        sample_rate_hz=256.0,
        channels=[
            ChannelSpec(i, f"C{i}", None, "raw", unit="uV", scale=1.0) for i in range(channels)
        ],
        device={"source_file": "lab.bdf"},
        simulated=False,
        source="import",
        sample_format=sample_format,
    )


def _masked(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Values with a mask of missing ones, as a batch takes them."""
    return np.ma.MaskedArray(values, mask=missing)


def test_a_fractional_sample_rate_reads_back_exactly(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = start_recording(store, sample_rate_hz=19.6)
        store.write_batch(session_id, Batch(chunks=[(0, counts(0, 98))]))
    with SessionStore.open(tmp_path / "s.db") as store:
        record = store.session(session_id)
    assert record.sample_rate_hz == 19.6 and record.duration_s == pytest.approx(5.0)


def test_an_older_integer_rate_reads_back_as_a_float(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    session_id = database_at_version(path, RATE_VERSION - 1)
    with SessionStore.open(path) as store:
        rate = store.session(session_id).sample_rate_hz
        stored_type = store.db.execute("SELECT typeof(sample_rate_hz) FROM sessions").fetchone()
    assert isinstance(rate, float) and rate == 1000.0 and stored_type == ("real",)


@pytest.mark.parametrize("rate", [0.0, -1.0, float("nan"), float("inf")])
def test_a_rate_that_is_not_positive_and_finite_is_refused(tmp_path: Path, rate: float) -> None:
    with SessionStore.open(tmp_path / "s.db") as store, pytest.raises(InputError, match="Hz"):
        start_recording(store, sample_rate_hz=rate)


def test_board_samples_stay_int16_without_a_mask(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = start_recording(store)
        store.write_batch(session_id, one_second(0))
        block = store.read_samples(session_id)
        assert store.session(session_id).sample_format == "int16"
    conn = sqlite3.connect(tmp_path / "s.db")
    length, mask = conn.execute("SELECT length(data), missing FROM sample_chunks").fetchone()
    conn.close()
    assert (length, mask) == (2 * 1000 * 8, None)
    assert block.values.dtype == np.int16 and not block.missing.any()


def test_a_masked_value_reads_back_missing_and_any_real_value_stays_real(tmp_path: Path) -> None:
    values = counts(0, 100, 3)
    values[5] = -32768  # a digital minimum of an EDF file: a real value, not "missing"
    missing = np.zeros(values.shape, dtype=bool)
    missing[10, 1] = missing[40:43, :] = True
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = _imported(store, "int16")
        store.write_batch(session_id, Batch(chunks=[(0, _masked(values, missing))]))
        store.write_batch(session_id, Batch(chunks=[(150, counts(150, 50, 3))]))
        block = store.read_samples(session_id)
        runs = [(first, len(chunk)) for first, chunk in store.sample_chunks(session_id)]
    assert block.values.shape == (200, 3) and block.first_index == 0
    expected_missing = np.zeros((200, 3), dtype=bool)
    expected_missing[:100] = missing
    expected_missing[100:150] = True  # never stored
    np.testing.assert_array_equal(block.missing, expected_missing)
    np.testing.assert_array_equal(block.values[5], [-32768] * 3)
    np.testing.assert_array_equal(block.values[:100][~missing], values[~missing])
    np.testing.assert_array_equal(block.values[150:], counts(150, 50, 3))
    assert (block.values[block.missing] == 0).all()
    assert runs == [(0, 10), (11, 29), (43, 57), (150, 50)]  # complete samples only


@pytest.mark.parametrize(
    ("sample_format", "values"),
    [
        ("int32", np.array([[-8_388_608, 0, 8_388_607], [70_000, -70_000, 1]], np.int32)),
        ("float32", np.array([[-3.25, 0.0, 1e-6], [123.5, -0.5, 2.0]], np.float32)),
    ],
)
def test_wider_formats_round_trip(tmp_path: Path, sample_format: str, values: np.ndarray) -> None:
    missing = np.array([[False, True, False], [False, False, False]])
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = _imported(store, sample_format)
        store.write_batch(session_id, Batch(chunks=[(0, _masked(values, missing))]))
        block = store.read_samples(session_id)
    assert block.values.dtype == np.dtype(sample_format)
    np.testing.assert_array_equal(block.missing, missing)
    np.testing.assert_array_equal(block.values[~missing], values[~missing])


def test_values_a_format_cannot_hold_are_refused(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store:
        int16_id, float_id = _imported(store, "int16"), _imported(store, "float32")
        with pytest.raises(InputError, match="outside int16"):
            store.write_batch(int16_id, Batch(chunks=[(0, np.full((2, 3), 40_000, np.int32))]))
        with pytest.raises(InputError, match="integers"):
            store.write_batch(int16_id, Batch(chunks=[(0, np.zeros((2, 3), np.float32))]))
        not_a_number = np.array([[1.0, np.nan, 2.0]], np.float32)
        with pytest.raises(InputError, match="missing mask"):
            store.write_batch(float_id, Batch(chunks=[(0, not_a_number)]))
        marked = _masked(not_a_number, np.isnan(not_a_number))  # a NaN that is marked missing
        store.write_batch(float_id, Batch(chunks=[(0, marked)]))
        block = store.read_samples(float_id)
        assert block.missing.tolist() == [[False, True, False]]
        assert block.values.tolist() == [[1.0, 0.0, 2.0]]
        assert store.session(int16_id).samples_per_channel == 0


def test_an_unknown_sample_format_is_refused(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store, pytest.raises(InputError, match="int16"):
        _imported(store, "float64")
