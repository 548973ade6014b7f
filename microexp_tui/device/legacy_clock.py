"""The legacy sketch's `millis` as the clock: sample indices, gaps and corruption of its lines.

The sketch stamps every line with `millis()` and then sleeps `delay(50)`, so its lines come
about every 51 ms, not at a rate anyone set. A line's sample index follows from the millis
step since the previous line, counted in sample periods: a step of k periods means k - 1
lines were lost on the way (a gap). The period is measured: first from the lines read before
the recording starts, then from every step accepted since.

One rule tells a gap from corruption, the rule the framed protocol's sequence numbers follow
(`clock_rule`): the elapsed host time must be able to explain the jump. A line cannot arrive
before it was sent, so its board time plus the least (receive time - board time) seen so far
may not pass its receive time by more than `CLOCK_SLACK_S`. A line that claims more than
that (millis jumping ahead by hours, or going backwards, which modulo 2**32 is a jump of
~49.7 days) is corrupt: it is placed by the host time that passed since the previous line,
counted in `resyncs`, and becomes the reference for the lines after it, so no hours of loss
are invented.
Millis wraps at 2**32 ms; steps are taken modulo 2**32, so the wrap needs nothing else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from microexp_tui.device.clock_rule import host_explains, next_offset_s

MILLIS_MODULUS = 2**32
"""Arduino `millis()` is an unsigned 32-bit counter: it wraps after ~49.7 days."""
MIN_REFINED_SLOTS = 20
"""Steps of at least this many periods in all measure the period better than the preamble."""
RATE_DENOMINATOR_MAX = 60
"""A measured rate is stored as n/d Hz with d <= 60, so a data record of d whole seconds (an
EDF export's records last at most 60 s) holds a whole number of samples; the rounding is at
most 1/120 Hz and exact for any whole-millisecond period up to 60 ms."""


@dataclass(frozen=True)
class ClockState:
    """What `place_lines` carries between calls for one connection.

    `period_ms` is the prior estimate (from the lines read before recording), used until the
    accepted steps cover `MIN_REFINED_SLOTS` periods; `board_s` is the board time of the last
    line since the connection's first; `offset_s` the least receive time minus board time seen.
    """

    period_ms: float
    next_index: int = 0
    last_millis: int | None = None
    last_receive_s: float = 0.0
    board_s: float = 0.0
    offset_s: float = math.inf
    span_ms: int = 0
    span_slots: int = 0

    @property
    def measured_period_ms(self) -> float:
        """The sample period the steps accepted so far show, else the prior estimate."""
        if self.span_slots >= MIN_REFINED_SLOTS:
            return self.span_ms / self.span_slots
        return self.period_ms


@dataclass(frozen=True, eq=False)
class Placement:
    """Where the lines of one call go: an index per line, and the gaps and resyncs met."""

    indices: npt.NDArray[np.int64]
    gaps: int = 0
    lost_samples: int = 0
    resyncs: int = 0


def place_lines(
    state: ClockState, millis: npt.NDArray[np.int64], receive_time_s: float
) -> tuple[ClockState, Placement]:
    """Sample indices of lines received at `receive_time_s`, after `state`; pure."""
    indices = np.empty(len(millis), dtype=np.int64)
    gaps = lost_total = resyncs = 0
    for position, value in enumerate(millis.tolist()):
        slots, board_s, resynced = _step(state, int(value), receive_time_s)
        lost = slots - 1
        gaps += lost > 0
        lost_total += lost
        resyncs += resynced
        index = state.next_index + lost
        indices[position] = index
        accepted = not resynced and state.last_millis is not None
        step_ms = (int(value) - (state.last_millis or 0)) % MILLIS_MODULUS if accepted else 0
        state = replace(
            state,
            next_index=index + 1,
            last_millis=int(value),
            last_receive_s=receive_time_s,
            board_s=board_s,
            offset_s=next_offset_s(
                state.offset_s, board_s, receive_time_s, continues=slots == 1 and not resynced
            ),
            span_ms=state.span_ms + step_ms,
            span_slots=state.span_slots + (slots if accepted else 0),
        )
    return state, Placement(indices, gaps, lost_total, resyncs)


def _step(state: ClockState, millis: int, receive_time_s: float) -> tuple[int, float, bool]:
    """Periods since the previous line, the line's board time, and whether it was a resync."""
    if state.last_millis is None:
        return 1, 0.0, False
    period_ms = state.measured_period_ms
    step_ms = (millis - state.last_millis) % MILLIS_MODULUS
    board_s = state.board_s + step_ms / 1000
    if host_explains(board_s, state.offset_s, receive_time_s):
        return max(1, round(step_ms / period_ms)), board_s, False
    elapsed_ms = max(0.0, receive_time_s - state.last_receive_s) * 1000
    slots = max(1, round(elapsed_ms / period_ms))
    return slots, state.board_s + slots * period_ms / 1000, True


def measure_period_ms(millis: npt.NDArray[np.int64]) -> float | None:
    """The sketch's sample period from consecutive lines' millis, or None with fewer than two.

    Steps are counted in periods of the median step (so a lost line counts twice), and the
    period is their total time over their total periods: millisecond rounding then costs
    1 ms over the whole span, not 1 ms per line.
    """
    steps = np.mod(np.diff(np.asarray(millis, dtype=np.int64)), np.int64(MILLIS_MODULUS))
    steps = steps[steps > 0]
    if steps.size == 0:
        return None
    median_ms = float(np.median(steps))
    plausible = steps[steps <= 10 * median_ms]
    slots = np.maximum(1, np.round(plausible / median_ms))
    return float(plausible.sum() / slots.sum())


def storable_rate_hz(period_ms: float) -> float:
    """The rate of a period, as the nearest n/d Hz with d <= `RATE_DENOMINATOR_MAX`."""
    if not (math.isfinite(period_ms) and period_ms > 0):
        raise ValueError(f"period_ms must be positive, not {period_ms}")
    rate = Fraction(1000.0 / period_ms).limit_denominator(RATE_DENOMINATOR_MAX)
    return float(rate) if rate > 0 else 1.0 / RATE_DENOMINATOR_MAX
