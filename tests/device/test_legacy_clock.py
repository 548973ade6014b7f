"""The sketch's millis as the clock: indices, gaps, wrap, and corruption by the host-time rule."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from microexp_tui.device.clock_rule import CLOCK_SLACK_S
from microexp_tui.device.legacy_clock import (
    MILLIS_MODULUS,
    MIN_REFINED_SLOTS,
    RATE_DENOMINATOR_MAX,
    ClockState,
    measure_period_ms,
    place_lines,
    storable_rate_hz,
)

PERIOD_MS = 51.0


def feed(
    state: ClockState, millis: list[int], receive_s: list[float]
) -> tuple[ClockState, list[int], int, int, int]:
    """Place lines one call each; returns the state, indices, gaps, lost and resyncs."""
    indices: list[int] = []
    gaps = lost = resyncs = 0
    for value, at_s in zip(millis, receive_s, strict=True):
        state, placed = place_lines(state, np.array([value], dtype=np.int64), at_s)
        indices += placed.indices.tolist()
        gaps, lost, resyncs = (
            gaps + placed.gaps,
            lost + placed.lost_samples,
            resyncs + placed.resyncs,
        )
    return state, indices, gaps, lost, resyncs


def sketch_lines(loops: list[int], start_ms: int = 0) -> tuple[list[int], list[float]]:
    """Millis and receive times (sent at its millis, received 2 ms later) of these loops."""
    millis = [(start_ms + round(k * PERIOD_MS)) % MILLIS_MODULUS for k in loops]
    receive_s = [100.0 + k * PERIOD_MS / 1000 + 0.002 for k in loops]
    return millis, receive_s


def test_consecutive_lines_take_consecutive_indices() -> None:
    millis, receive_s = sketch_lines(list(range(50)))
    state, indices, gaps, lost, resyncs = feed(ClockState(PERIOD_MS), millis, receive_s)
    assert indices == list(range(50))
    assert (gaps, lost, resyncs) == (0, 0, 0)
    assert state.measured_period_ms == pytest.approx(PERIOD_MS, abs=0.02)


def test_lost_lines_are_a_gap_at_their_own_index() -> None:
    loops = [0, 1, 2, 5, 6, 7, 9, 10]
    millis, receive_s = sketch_lines(loops)
    _, indices, gaps, lost, resyncs = feed(ClockState(PERIOD_MS), millis, receive_s)
    assert indices == loops
    assert (gaps, lost, resyncs) == (2, 3, 0)


def test_a_whole_call_is_placed_like_line_by_line() -> None:
    loops = [0, 1, 4, 5, 6, 20, 21]
    millis, receive_s = sketch_lines(loops)
    state, placed = place_lines(ClockState(PERIOD_MS), np.array(millis), receive_s[-1])
    assert placed.indices.tolist() == loops
    assert (placed.gaps, placed.lost_samples, placed.resyncs) == (2, 15, 0)
    assert state.next_index == 22


def test_millis_wrapping_at_2_to_the_32_is_no_jump() -> None:
    millis, receive_s = sketch_lines(list(range(40)), start_ms=MILLIS_MODULUS - 1000)
    assert millis[0] > millis[-1]  # the counter wrapped in between
    _, indices, gaps, _, resyncs = feed(ClockState(PERIOD_MS), millis, receive_s)
    assert indices == list(range(40))
    assert (gaps, resyncs) == (0, 0)


def test_a_jump_of_an_hour_the_host_did_not_see_is_a_resync_not_an_hour_of_loss() -> None:
    millis, receive_s = sketch_lines(list(range(30)))
    millis = millis[:10] + [m + 3_600_000 for m in millis[10:]]
    state, indices, gaps, lost, resyncs = feed(ClockState(PERIOD_MS), millis, receive_s)
    assert resyncs == 1
    assert indices == list(range(30)) and (gaps, lost) == (0, 0)
    assert state.measured_period_ms == pytest.approx(PERIOD_MS, abs=0.05)


def test_millis_going_back_is_a_resync_placed_by_the_host_time_that_passed() -> None:
    before, before_s = sketch_lines(list(range(20)))
    # the board reset: 1.02 s later its millis starts again near 0
    after = [round(k * PERIOD_MS) for k in range(10)]
    after_s = [before_s[-1] + 1.02 + k * PERIOD_MS / 1000 for k in range(10)]
    _, indices, gaps, lost, resyncs = feed(
        ClockState(PERIOD_MS), before + after, before_s + after_s
    )
    assert resyncs == 1 and gaps == 1
    assert lost == round(1020 / PERIOD_MS) - 1
    assert indices[20:] == list(range(20 + lost, 30 + lost))


def test_a_loss_the_host_waited_through_is_a_gap() -> None:
    loops = [*range(10), *range(60, 70)]  # 2.5 s lost, and the host waited that long
    millis, receive_s = sketch_lines(loops)
    _, indices, gaps, lost, resyncs = feed(ClockState(PERIOD_MS), millis, receive_s)
    assert indices == loops and (gaps, lost, resyncs) == (1, 50, 0)


def test_a_forward_jump_within_the_slack_is_taken_as_a_gap() -> None:
    """The rule's bound: a jump at most CLOCK_SLACK_S beyond the host's time is believed."""
    millis, receive_s = sketch_lines(list(range(20)))
    jump_ms = round(0.8 * CLOCK_SLACK_S * 1000)
    millis = millis[:10] + [m + jump_ms for m in millis[10:]]
    _, _, gaps, lost, resyncs = feed(ClockState(PERIOD_MS), millis, receive_s)
    assert (gaps, resyncs) == (1, 0) and lost == round(jump_ms / PERIOD_MS)


def test_jitter_under_half_a_period_keeps_lines_in_their_slots() -> None:
    rng = np.random.default_rng(3)
    loops = list(range(200))
    millis = [int(k * PERIOD_MS + rng.uniform(0, 20)) for k in loops]
    receive_s = [10.0 + k * PERIOD_MS / 1000 + 0.025 for k in loops]
    state, indices, gaps, _, resyncs = feed(ClockState(50.0), millis, receive_s)
    assert indices == loops and (gaps, resyncs) == (0, 0)
    assert state.measured_period_ms == pytest.approx(PERIOD_MS, rel=20 / (200 * PERIOD_MS))


@settings(max_examples=100, deadline=None)
@given(
    kept=st.lists(st.booleans(), min_size=2, max_size=300),
    period_ms=st.floats(5.0, 80.0),
    start_ms=st.integers(0, MILLIS_MODULUS - 1),
    latency_ms=st.lists(st.floats(0.0, 400.0), min_size=300, max_size=300),
    prior_error=st.floats(0.9, 1.1),
)
def test_lines_sent_in_time_land_on_their_loop_whatever_is_lost(
    kept: list[bool],
    period_ms: float,
    start_ms: int,
    latency_ms: list[float],
    prior_error: float,
) -> None:
    loops = [k for k, keep in enumerate(kept) if keep]
    if not loops:
        return
    # Until the steps cover MIN_REFINED_SLOTS periods the clock places a step with the prior
    # period: k periods are misplaced once k times the prior's error reaches half a period,
    # which no rule can avoid (the promise is for gaps the prior can bridge, or later ones).
    assume(
        all(
            (b - a) * abs(1 - prior_error) < 0.45
            for a, b in itertools.pairwise(loops)
            if a - loops[0] < MIN_REFINED_SLOTS
        )
    )
    millis = [(start_ms + int(k * period_ms)) % MILLIS_MODULUS for k in loops]
    sent_s = [k * period_ms / 1000 for k in loops]
    # received in order, each at or after it was sent
    receive_s = np.maximum.accumulate(
        [t + latency_ms[k] / 1000 for t, k in zip(sent_s, loops, strict=True)]
    )
    state, indices, gaps, lost, resyncs = feed(
        ClockState(period_ms * prior_error), millis, receive_s.tolist()
    )
    assert [i + loops[0] for i in indices] == loops
    assert resyncs == 0
    assert lost == loops[-1] - loops[0] + 1 - len(loops)
    assert gaps == sum(1 for a, b in itertools.pairwise(loops) if b - a > 1)
    assert state.next_index == loops[-1] - loops[0] + 1


def test_the_period_is_measured_over_the_span_and_counts_a_lost_line_twice() -> None:
    millis = np.array([round(k * 51.2) for k in [0, 1, 2, 3, 5, 6, 7, 8, 9, 10]])
    period_ms = measure_period_ms(millis)
    assert period_ms == pytest.approx(51.2, abs=0.05)
    assert measure_period_ms(np.array([1000])) is None


def test_stored_rates_are_whole_samples_per_whole_seconds() -> None:
    assert storable_rate_hz(51.0) == 1000 / 51  # exact for whole-millisecond periods
    assert storable_rate_hz(51.2) == 625 / 32
    for period_ms in np.linspace(40.0, 60.0, 2001):
        rate_hz = storable_rate_hz(float(period_ms))
        fraction = Fraction(rate_hz).limit_denominator(RATE_DENOMINATOR_MAX)
        assert float(fraction) == rate_hz
        assert abs(rate_hz - 1000 / period_ms) <= 1 / (2 * RATE_DENOMINATOR_MAX)
    with pytest.raises(ValueError):
        storable_rate_hz(0.0)
