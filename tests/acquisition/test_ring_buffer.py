"""The ring buffer keeps the newest rows with their absolute indices, whatever the block sizes."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from microexp_tui.acquisition.ring_buffer import RingBuffer


@settings(max_examples=60, deadline=None)
@given(
    capacity=st.integers(1, 50),
    blocks=st.lists(st.integers(0, 80), min_size=1, max_size=12),
    want=st.integers(0, 60),
)
def test_latest_matches_the_tail_of_everything_written(
    capacity: int, blocks: list[int], want: int
) -> None:
    ring = RingBuffer(capacity, channels=3)
    total = sum(blocks)
    stream = np.arange(total * 3, dtype=np.float32).reshape(total, 3)
    index = 0
    for size in blocks:
        ring.write(index, stream[index : index + size])
        index += size
    first, values, flags = ring.latest(want)
    n = min(want, capacity, total)
    assert first == total - n
    np.testing.assert_array_equal(values, stream[total - n :])
    assert flags.shape == (n, 3)


def test_a_gap_reads_as_zeros_and_keeps_indices() -> None:
    ring = RingBuffer(10, channels=1)
    ring.write(0, np.ones((2, 1), dtype=np.float32))
    ring.write(5, np.full((2, 1), 7, dtype=np.float32))
    first, values, _ = ring.latest(10)
    assert first == 0
    assert values[:, 0].tolist() == [1, 1, 0, 0, 0, 7, 7]
    assert ring.next_index == 7
