"""Merging sample blocks keeps the mask of values that are missing."""

from __future__ import annotations

import numpy as np

from microexp_tui.acquisition.queues import merge_chunks


def test_merged_chunks_keep_the_missing_mask_of_any_block() -> None:
    plain = np.arange(6, dtype=np.uint16).reshape(3, 2)
    masked = np.ma.MaskedArray(np.full((2, 2), 7, np.uint16), mask=[[False, True], [False, False]])
    merged = merge_chunks([(0, plain), (3, masked), (9, plain)])
    assert [first for first, _ in merged] == [0, 9]
    joined = merged[0][1]
    assert isinstance(joined, np.ma.MaskedArray) and joined.shape == (5, 2)
    np.testing.assert_array_equal(np.ma.getmaskarray(joined)[:, 1], [0, 0, 0, 1, 0])
    assert not isinstance(merged[1][1], np.ma.MaskedArray)


def test_runs_are_cut_into_chunks_of_at_most_the_given_length() -> None:
    first = np.arange(10, dtype=np.uint16).reshape(5, 2)
    masked = np.ma.MaskedArray(
        np.full((4, 2), 7, np.uint16), mask=np.array([[0, 1], [0, 0], [0, 0], [1, 0]], dtype=bool)
    )
    merged = merge_chunks([(0, first), (5, masked), (20, first)], max_samples=4)
    assert [(start, chunk.shape[0]) for start, chunk in merged] == [
        (0, 4),
        (4, 4),
        (8, 1),
        (20, 4),
        (24, 1),
    ]
    np.testing.assert_array_equal(
        np.concatenate([np.ma.getdata(chunk) for _, chunk in merged[:3]]),
        np.concatenate([first, masked.data]),
    )
    assert np.ma.getmaskarray(merged[1][1])[1:, :].tolist() == [
        [False, True],
        [False, False],
        [False, False],
    ]
    assert np.ma.getmaskarray(merged[2][1]).tolist() == [[True, False]]
