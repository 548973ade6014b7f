"""Filtering on both cores: channel groups on threads and read-ahead give the one bank's output."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.dsp.batch import SplitFilterBank, read_ahead
from microexp_tui.dsp.filters import FilterSettings
from microexp_tui.dsp.units import WorkingUnits

KINDS = ["raw", "envelope", "raw", "raw", "envelope", "envelope", "raw"]


def _values(seconds: int, seed: int = 3) -> np.ndarray:
    """(samples, 7) ADC-like counts: noise, bursts and drift on every channel."""
    rng = np.random.default_rng(seed)
    n = seconds * 1000
    values = 512 + rng.normal(0, 40, (n, len(KINDS))) + np.linspace(0, 60, n)[:, None]
    values[n // 4 : n // 2] += rng.normal(0, 250, (n // 2 - n // 4, len(KINDS)))
    return np.clip(values, 0, 1023).astype(np.int16)


@pytest.mark.parametrize("threads", [1, 2, 3, 7])
def test_channel_groups_on_threads_give_the_single_bank_bit_for_bit(threads: int) -> None:
    values, working = _values(12), WorkingUnits.board(len(KINDS))
    settings = FilterSettings(sample_rate_hz=1000.0, mains_hz=60.0)
    single = working.filter_bank(KINDS, settings)
    with SplitFilterBank(working, KINDS, settings, threads=threads) as split:
        for start in range(0, values.shape[0], 2500):  # state carried across pieces
            piece = working.convert(values[start : start + 2500])
            expected = single.process(piece)
            got = split.process(piece)
            assert got.dtype == np.float32 and np.array_equal(got, expected)
        assert split.description == single.description
    assert float(np.abs(expected).max()) > 1.0


def test_imported_units_and_offsets_are_split_with_their_channels() -> None:
    channels = [
        ChannelSpec(index=i, label=f"c{i}", muscle=None, sensor_kind=kind, unit="uV", scale=0.5 + i,
                    offset=-3.0 * i, physical_min=-100.0 * (i + 1), physical_max=300.0)
        for i, kind in enumerate(KINDS)
    ]  # fmt: skip
    working = WorkingUnits.physical(channels, "int16")
    settings = FilterSettings(sample_rate_hz=1000.0)
    values = working.convert(_values(4, seed=9))
    with SplitFilterBank(working, KINDS, settings) as split:
        got = split.process(values)
    assert np.array_equal(got, working.filter_bank(KINDS, settings).process(values))


def test_read_ahead_keeps_the_order_and_raises_the_threads_error_where_taken() -> None:
    assert list(read_ahead(range(50), lambda i: i * i, depth=3)) == [i * i for i in range(50)]

    def failing() -> Iterator[int]:
        yield 1
        raise ValueError("chunk 2 is unreadable")

    taken = []
    with pytest.raises(ValueError, match="chunk 2 is unreadable"):
        for item in read_ahead(failing(), lambda i: i):
            taken.append(item)
    assert taken == [1]


def test_a_caller_that_stops_early_stops_the_reading_thread() -> None:
    produced = []

    def work(i: int) -> int:
        produced.append(i)
        return i

    items = read_ahead(iter(range(10_000)), work, depth=2)
    assert next(items) == 0
    items.close()
    assert len(produced) <= 5
