"""Sample chunks: round trips, chunk boundaries, partial reads, gaps, atomic batches, size."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from microexp_tui.domain.recording import Batch, GapRecord
from microexp_tui.errors import InputError
from microexp_tui.store.database import PAGE_SIZE_BYTES
from microexp_tui.store.sessions import SessionStore
from tests.store import counts, one_second, start_recording

CHUNK_SIZES = (700, 1000, 333, 1)
BOUNDARIES = np.cumsum((0, *CHUNK_SIZES))  # 0, 700, 1700, 2033, 2034


@pytest.fixture
def chunked(tmp_path: Path) -> tuple[SessionStore, int]:
    """A store with one session holding chunks of uneven sizes, written in two batches."""
    store = SessionStore.open(tmp_path / "s.db")
    session_id = start_recording(store)
    chunks = [
        (int(first), counts(int(first), n))
        for first, n in zip(BOUNDARIES, CHUNK_SIZES, strict=False)
    ]
    store.write_batch(session_id, Batch(chunks=chunks[:2]))
    store.write_batch(session_id, Batch(chunks=chunks[2:]))
    return store, session_id


def test_full_read_round_trips_exactly(chunked: tuple[SessionStore, int]) -> None:
    store, session_id = chunked
    data = store.read_samples(session_id).values
    assert data.dtype == np.int16 and data.shape == (BOUNDARIES[-1], 8)
    np.testing.assert_array_equal(data, counts(0, int(BOUNDARIES[-1])))
    record = store.session(session_id)
    assert record.samples_per_channel == record.stored_samples == BOUNDARIES[-1]


@pytest.mark.parametrize(
    ("start", "stop"),
    [(0, 1), (699, 701), (700, 1700), (650, 2034), (1699, 1700), (2033, 2034), (5, 5), (10, 20)],
)
def test_partial_reads_across_chunk_boundaries(
    chunked: tuple[SessionStore, int], start: int, stop: int
) -> None:
    store, session_id = chunked
    np.testing.assert_array_equal(
        store.read_samples(session_id, start, stop).values, counts(start, stop - start)
    )


def test_reads_past_the_end_are_clipped(chunked: tuple[SessionStore, int]) -> None:
    store, session_id = chunked
    assert store.read_samples(session_id, 2000, 99_999).values.shape == (34, 8)
    assert store.read_samples(session_id, 5000).values.shape == (0, 8)
    with pytest.raises(InputError, match="0 <= start_index <= stop_index"):
        store.read_samples(session_id, 10, 5)


def test_lost_samples_read_as_missing_and_are_listed(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = start_recording(store)
        store.write_batch(
            session_id,
            Batch(chunks=[(0, counts(0, 1000)), (1050, counts(1050, 1000))], gaps=[(1000, 50)]),
        )
        block = store.read_samples(session_id)
        data = block.values
        assert data.shape == (2050, 8)
        assert block.missing[1000:1050].all() and not block.missing[:1000].any()
        np.testing.assert_array_equal(data[1050:], counts(1050, 1000))
        assert store.gaps(session_id) == [GapRecord(1000, 50)]
        record = store.session(session_id)
        assert (record.samples_per_channel, record.stored_samples) == (2050, 2000)
        assert record.duration_s == pytest.approx(2.05)


def test_uint16_and_wide_integer_counts_are_accepted_when_in_range(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = start_recording(store)
        reference = counts(0, 100)
        store.write_batch(session_id, Batch(chunks=[(0, reference.astype(np.uint16))]))
        numpy_index: Any = np.int64(100)
        store.write_batch(session_id, Batch(chunks=[(numpy_index, counts(100, 5).astype(int))]))
        np.testing.assert_array_equal(store.read_samples(session_id).values, counts(0, 105))
        with pytest.raises(InputError, match="outside int16"):
            store.write_batch(session_id, Batch(chunks=[(105, np.full((2, 8), 40_000))]))


def test_contiguous_chunks_of_a_batch_are_stored_as_one_row(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = start_recording(store)
        pieces = [(first, counts(first, 20)) for first in range(0, 1000, 20)]
        store.write_batch(session_id, Batch(chunks=pieces[::-1]))  # order does not matter
        rows = store.db.execute("SELECT first_sample, n_samples FROM sample_chunks").fetchall()
        assert rows == [(0, 1000)]
        np.testing.assert_array_equal(store.read_samples(session_id).values, counts(0, 1000))


def test_a_bad_part_rejects_the_whole_batch(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = start_recording(store)
        bad = Batch(
            chunks=[(0, counts(0, 10)), (10, counts(10, 10, channels=7))],
            markers=[(0, 0x0101, "host", "onset", 1.0)],
            counters={"frames": 10},
        )
        with pytest.raises(InputError, match=r"shape \(10, 7\).*\(n >= 1, 8\)"):
            store.write_batch(session_id, bad)
        record = store.session(session_id)
        assert record.samples_per_channel == 0 and record.counters["frames"] == 0
        assert store.markers(session_id) == []


def test_overlapping_chunks_are_refused(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = start_recording(store)
        store.write_batch(session_id, one_second(0))
        with pytest.raises(InputError, match="overlaps samples already stored"):
            store.write_batch(session_id, Batch(chunks=[(999, counts(999, 10))]))
        with pytest.raises(InputError, match="overlaps"):
            store.write_batch(
                session_id, Batch(chunks=[(1000, counts(1000, 10)), (1005, counts(1005, 10))])
            )


def test_ten_minutes_cost_at_most_1_1_bytes_per_raw_int16_byte(tmp_path: Path) -> None:
    """Size, not speed: 600 one-second chunks of 8 x 1000 int16 plus a marker per second."""
    path = tmp_path / "size.db"
    store = SessionStore.open(path)
    session_id = start_recording(store)
    rng = np.random.default_rng(7)
    for second in range(600):
        first = second * 1000
        chunk = rng.integers(0, 1024, size=(1000, 8), dtype=np.int16)
        marker = (first, 0x0101 + second % 6, "host", None, 1.7e9 + second)
        store.write_batch(
            session_id,
            Batch(chunks=[(first, chunk)], markers=[marker], counters={"frames": first + 1000}),
        )
    store.finish_session(session_id, "completed")
    store.close()
    assert not Path(f"{path}-wal").exists()  # checkpointed into the main file on close
    raw_bytes = 600 * 1000 * 8 * 2
    ratio = path.stat().st_size / raw_bytes
    print(f"page size {PAGE_SIZE_BYTES}: {ratio:.4f} database bytes per raw int16 byte")
    assert ratio <= 1.1
