"""Decimation to the model rate and window cutting: the same rows however the stream is cut."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microexp_tui.errors import ModelError
from microexp_tui.inference.windows import (
    StreamingDecimator,
    block_means,
    decimation_factor,
    stack_windows,
    window_starts,
)


def test_block_means_are_aligned_to_sample_zero() -> None:
    envelope = np.arange(20, dtype=np.float32)[:, None]  # samples 3..22
    first_row, rows = block_means(envelope, first_index=3, factor=5)
    assert first_row == 1  # samples 5..9; the partial block 3..4 is dropped
    assert rows[:, 0].tolist() == [4.0, 9.0, 14.0]  # means of 2..6, 7..11, 12..16


@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(min_value=1, max_value=300), min_size=1, max_size=30))
def test_streaming_decimation_equals_one_pass(cuts: list[int]) -> None:
    rng = np.random.default_rng(0)
    envelope = rng.random((sum(cuts), 3)).astype(np.float32)
    first_row, expected = block_means(envelope, 7, 50)
    decimator = StreamingDecimator(50, 3)
    got: list[np.ndarray] = []
    position = 0
    for size in cuts:
        row, rows, restarted = decimator.push(7 + position, envelope[position : position + size])
        assert not restarted
        if rows.shape[0]:
            assert row == first_row + sum(r.shape[0] for r in got)
            got.append(rows)
        position += size
    joined = np.concatenate(got) if got else np.empty((0, 3), np.float32)
    np.testing.assert_array_equal(joined, expected)


def test_a_gap_restarts_the_decimator() -> None:
    decimator = StreamingDecimator(10, 1)
    decimator.push(0, np.ones((25, 1)))
    row, rows, restarted = decimator.push(40, np.full((30, 1), 2.0))  # samples 25..39 lost
    assert restarted and decimator.restarts == 1
    assert row == 4 and rows[:, 0].tolist() == [2.0, 2.0, 2.0]


def test_decimation_factor_needs_a_whole_multiple() -> None:
    assert decimation_factor(1000, 20) == 50
    assert decimation_factor(20, 20) == 1
    with pytest.raises(ModelError, match="whole multiple"):
        decimation_factor(1001, 20)
    with pytest.raises(ModelError, match="whole multiple"):
        decimation_factor(10, 20)


def test_window_starts_and_stacking() -> None:
    assert window_starts(25, 10, 10).tolist() == [0, 10]
    assert window_starts(9, 10, 10).tolist() == []
    rows = np.arange(12, dtype=np.float32).reshape(6, 2)
    windows = stack_windows(rows, np.array([0, 3]), 2)
    assert windows.shape == (2, 2, 2)
    assert windows[1].tolist() == [[6.0, 7.0], [8.0, 9.0]]
