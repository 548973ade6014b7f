"""Artifact flags on synthetic faults, clean-signal silence, chunk invariance, intervals."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microexp_tui.dsp.artifacts import (
    ArtifactFlag,
    ArtifactInterval,
    StreamingArtifactDetector,
    flag_intervals,
)
from microexp_tui.errors import InputError
from tests.dsp import envelope_counts, raw_counts

RATE_HZ = 1000.0


def detect(counts: np.ndarray, **kwargs: object) -> np.ndarray:
    """Flags of `counts` in one pass with default thresholds unless overridden."""
    detector = StreamingArtifactDetector(RATE_HZ, counts.shape[1], **kwargs)  # type: ignore[arg-type]
    return detector.process(counts)


def intervals_of(flags: np.ndarray, flag: ArtifactFlag) -> list[tuple[int, int, int]]:
    """(channel, start, stop) of every run of `flag`."""
    return [
        (item.channel, item.start_index, item.stop_index)
        for item in flag_intervals(flags, 0)
        if item.flag == flag
    ]


@pytest.fixture
def clean_raw() -> np.ndarray:
    """60 s of clean raw EMG-like counts on 8 channels (bursts, mains, drift)."""
    return raw_counts(np.random.default_rng(21), 60.0)


def test_clean_raw_and_envelope_signals_raise_no_flags(clean_raw: np.ndarray) -> None:
    """No false positives on a minute of clean raw and envelope signals."""
    assert np.count_nonzero(detect(clean_raw)) == 0
    envelope = envelope_counts(np.random.default_rng(22), 60.0)
    kinds = ["envelope"] * 8
    assert np.count_nonzero(detect(envelope, sensor_kinds=kinds)) == 0


def test_flat_line_is_flagged_after_one_window(clean_raw: np.ndarray) -> None:
    """A channel stuck at one value for 2 s is flagged from 250 ms into the fault to its end."""
    counts = clean_raw.copy()
    counts[10000:12000, 5] = 530
    flags = detect(counts)
    assert intervals_of(flags, ArtifactFlag.FLAT_LINE) == [(5, 10249, 12000)]
    assert not (flags & ArtifactFlag.CLIPPING).any() and not (flags & ArtifactFlag.MOTION).any()


def test_one_count_toggling_still_counts_as_flat(clean_raw: np.ndarray) -> None:
    """An electrode-off channel toggling by 1 LSB is flat; 3 counts of spread is not."""
    counts = clean_raw.copy()
    counts[10000:11000, 0] = 400 + (np.arange(1000) % 2)
    counts[10000:11000, 1] = 400 + (np.arange(1000) % 4)
    flagged = {channel for channel, _, _ in intervals_of(detect(counts), ArtifactFlag.FLAT_LINE)}
    assert flagged == {0}


def test_clipping_at_1023_is_flagged_once_sustained(clean_raw: np.ndarray) -> None:
    """100 samples at 1023 are clipping from the 3rd sample; a 2-sample touch is not."""
    counts = clean_raw.copy()
    counts[20000:20100, 2] = 1023
    counts[30000:30002, 3] = 1023
    assert intervals_of(detect(counts), ArtifactFlag.CLIPPING) == [(2, 20002, 20100)]


def test_low_rail_counts_only_for_raw_channels(clean_raw: np.ndarray) -> None:
    """0 counts is clipping on a raw channel but the resting output of an envelope sensor."""
    counts = clean_raw.copy()
    counts[5000:5100, 0] = 0
    counts[5000:5100, 1] = 0
    kinds = ["raw"] + ["envelope"] * 7
    clipped = intervals_of(detect(counts, sensor_kinds=kinds), ArtifactFlag.CLIPPING)
    assert clipped == [(0, 5002, 5100)]


def test_simultaneous_step_on_four_channels_is_motion(clean_raw: np.ndarray) -> None:
    """A 300-count step on 4 channels at once is motion on exactly those channels."""
    counts = clean_raw.astype(np.int32)
    counts[40000:, [0, 2, 4, 6]] += 300
    flags = detect(np.clip(counts, 0, 1023).astype(np.uint16))
    motion = intervals_of(flags, ArtifactFlag.MOTION)
    assert {channel for channel, _, _ in motion} == {0, 2, 4, 6}
    assert all(start == 40000 and 40000 < stop <= 40020 for _, start, stop in motion)


def test_motion_in_live_sized_blocks_equals_one_pass(clean_raw: np.ndarray) -> None:
    """Blocks shorter and longer than the flat-line history (the live DSP thread's 20-100 ms)
    flag the same motion samples as one pass, and a clean block yields no intervals."""
    counts = clean_raw[:50_000].astype(np.int32)
    counts[40_003:, [0, 2, 4, 6]] += 300
    counts = np.clip(counts, 0, 1023).astype(np.uint16)
    whole = detect(counts)
    detector = StreamingArtifactDetector(RATE_HZ, counts.shape[1])
    sizes = itertools.cycle([1, 7, 20, 50, 100, 333])
    parts, start = [], 0
    while start < counts.shape[0]:
        stop = start + next(sizes)
        parts.append(detector.process(counts[start:stop]))
        start = stop
    chunked = np.concatenate(parts)
    np.testing.assert_array_equal(chunked, whole)
    assert (chunked[40_003:40_010] & ArtifactFlag.MOTION).any()
    assert flag_intervals(np.zeros((50, 8), np.uint8), 123) == []


def test_step_on_two_channels_is_not_motion(clean_raw: np.ndarray) -> None:
    """Two channels jumping together (a real co-contraction pair) stays below the 3-channel rule."""
    counts = clean_raw.astype(np.int32)
    counts[40000:, [1, 7]] += 300
    flags = detect(np.clip(counts, 0, 1023).astype(np.uint16))
    assert not (flags & ArtifactFlag.MOTION).any()


def test_slow_large_change_on_all_channels_is_not_motion(clean_raw: np.ndarray) -> None:
    """A 300-count change spread over 1 s on all channels is not fast enough to be motion."""
    counts = clean_raw.astype(np.float64)
    counts[40000:41000] += np.linspace(0, 300, 1000)[:, None]
    counts[41000:] += 300
    flags = detect(np.clip(np.round(counts), 0, 1023).astype(np.uint16))
    assert not (flags & ArtifactFlag.MOTION).any()


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    samples=st.integers(1, 2500),
    cuts=st.lists(st.integers(0, 2500), max_size=10),
)
def test_chunked_flags_equal_one_pass(seed: int, samples: int, cuts: list[int]) -> None:
    """Any chunking yields exactly the one-pass flags (faults injected at random places)."""
    rng = np.random.default_rng(seed)
    counts = np.clip(512 + rng.normal(0, 15, (samples, 5)), 0, 1023)
    for channel in range(5):
        start = int(rng.integers(0, samples))
        length = int(rng.integers(0, 600))
        fault = rng.choice([0.0, 1023.0, 600.0, 812.0])
        counts[start : start + length, channel] = fault
    counts = counts.astype(np.uint16)
    detector = StreamingArtifactDetector(RATE_HZ, 5, motion_min_channels=2)
    whole = detector.process(counts)
    detector.reset()
    edges = sorted({min(cut, samples) for cut in cuts})
    parts = [detector.process(part) for part in np.split(counts, edges)]
    np.testing.assert_array_equal(np.concatenate(parts), whole)
    assert whole.dtype == np.uint8


def test_flag_intervals_rebuild_the_mask_with_stream_indices() -> None:
    """Intervals cover exactly the flagged samples, offset by `first_index`, stop exclusive."""
    rng = np.random.default_rng(4)
    flags = rng.choice(np.array([0, 1, 2, 3, 4, 6], np.uint8), size=(300, 3), p=[0.5] + [0.1] * 5)
    rebuilt = np.zeros_like(flags)
    for item in flag_intervals(flags, 1_000_000):
        rebuilt[item.start_index - 1_000_000 : item.stop_index - 1_000_000, item.channel] |= (
            np.uint8(item.flag)
        )
    np.testing.assert_array_equal(rebuilt, flags)
    assert flag_intervals(np.zeros((0, 2), np.uint8), 5) == []
    one = np.array([[0], [4], [4]], np.uint8)
    assert flag_intervals(one, 10) == [ArtifactInterval(0, ArtifactFlag.MOTION, 11, 13)]


@pytest.mark.parametrize(
    ("kwargs", "hint"),
    [
        ({"sample_rate_hz": -1.0}, "positive rate"),
        ({"channels": 0}, "at least 1"),
        ({"clip_margin_counts": 600}, "between 0 and"),
        ({"flat_window_ms": 0.0}, "positive duration"),
        ({"motion_min_deflection_counts": 0}, "must be positive"),
        ({"motion_min_channels": 9}, "lower it"),
        ({"sensor_kinds": ["raw"] * 3}, "for each of 8 channels"),
    ],
)
def test_bad_thresholds_raise_actionable_input_error(kwargs: dict[str, object], hint: str) -> None:
    """Each impossible threshold raises InputError saying what to change."""
    values: dict[str, object] = {"sample_rate_hz": RATE_HZ, "channels": 8, **kwargs}
    with pytest.raises(InputError, match=hint):
        StreamingArtifactDetector(**values)  # type: ignore[arg-type]


def test_mis_shaped_chunk_raises_input_error() -> None:
    """A chunk with the wrong channel count is reported with the expected shape."""
    detector = StreamingArtifactDetector(RATE_HZ, 4)
    with pytest.raises(InputError, match=r"\(samples, 4 channels\)"):
        detector.process(np.zeros((10, 3), np.uint16))


def test_interval_joiner_rejoins_runs_cut_by_chunking() -> None:
    from microexp_tui.dsp.artifacts import IntervalJoiner, flag_intervals

    rng = np.random.default_rng(5)
    flags = (rng.random((400, 3)) < 0.3).astype(np.uint8) * np.uint8(1)
    flags[50:300, 1] = 1  # a long run crossing many chunks

    def key(iv: object) -> tuple[int, int, int, int]:
        return (iv.channel, int(iv.flag), iv.start_index, iv.stop_index)  # type: ignore[attr-defined]

    whole = sorted(flag_intervals(flags, 0), key=key)
    joiner = IntervalJoiner()
    joined = []
    edges = [0, 7, 8, 64, 65, 200, 333, 400]
    for start, stop in itertools.pairwise(edges):
        joined += joiner.push(flag_intervals(flags[start:stop], start), stop)
    joined += joiner.flush()
    assert sorted(joined, key=key) == whole
