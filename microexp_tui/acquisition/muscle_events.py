"""Short muscle events: envelope bursts above a per-channel threshold, detected as data streams.

A threshold on the filtered envelope with hysteresis: an event starts when a channel rises
above `on` and ends when it falls below `off`; bursts shorter than 40 ms are ignored and
those under 500 ms are flagged micro (the usual micro-expression limit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from microexp_tui.acquisition.calibration import ChannelNorm

MIN_EVENT_MS = 40.0
MICRO_MAX_MS = 500.0
DEFAULT_ON_COUNTS = 40.0
"""Threshold without calibration: the envelope chain sits near 0 at rest."""
ON_SPAN_FRACTION = 0.15
ON_SD_FACTOR = 6.0
OFF_FRACTION = 0.6


@dataclass(frozen=True)
class DetectedEvent:
    """A finished burst on one channel over samples [start_index, stop_index)."""

    channel_index: int
    start_index: int
    stop_index: int
    peak: float

    def duration_ms(self, rate_hz: float) -> float:
        """Length of the burst in milliseconds."""
        return 1000.0 * (self.stop_index - self.start_index) / rate_hz

    def is_micro(self, rate_hz: float) -> bool:
        """Whether the burst is short enough to be a micro-expression."""
        return self.duration_ms(rate_hz) < MICRO_MAX_MS


def thresholds(norms: Sequence[ChannelNorm] | None, channels: int) -> npt.NDArray[np.float64]:
    """Per-channel onset thresholds from a calibration, or the default without one."""
    if not norms:
        return np.full(channels, DEFAULT_ON_COUNTS)
    return np.array(
        [
            norm.baseline + max(ON_SPAN_FRACTION * norm.span, ON_SD_FACTOR * norm.rest_sd, 5.0)
            for norm in norms
        ]
    )


class MuscleEventDetector:
    """Streaming burst detector over (samples, channels) envelope blocks, state kept per channel."""

    def __init__(self, rate_hz: float, on_thresholds: npt.NDArray[np.float64]) -> None:
        """Set the thresholds; the off threshold is a fixed fraction of each."""
        self.rate_hz = rate_hz
        self.on = on_thresholds.astype(np.float64)
        self.off = self.on * OFF_FRACTION
        channels = self.on.shape[0]
        self._start = np.full(channels, -1, dtype=np.int64)
        self._peak = np.zeros(channels)
        self.next_index = 0
        self._min_samples = max(1, round(MIN_EVENT_MS * rate_hz / 1000.0))

    def process(self, first_index: int, block: npt.NDArray[np.floating]) -> list[DetectedEvent]:
        """Feed the next block (absolute index of its first row); return bursts that ended."""
        if first_index != self.next_index:
            self._start[:] = -1  # a jump (gap or skipped data): open bursts are dropped
        self.next_index = first_index + block.shape[0]
        events: list[DetectedEvent] = []
        for channel in range(block.shape[1]):
            events.extend(self._channel(channel, first_index, block[:, channel]))
        return sorted(events, key=lambda event: event.start_index)

    def _channel(self, channel: int, first_index: int, values: npt.NDArray) -> list[DetectedEvent]:
        """Walk one channel's block through the on/off hysteresis."""
        events: list[DetectedEvent] = []
        position = 0
        n = values.shape[0]
        while position < n:
            if self._start[channel] < 0:
                above = np.flatnonzero(values[position:] >= self.on[channel])
                if above.size == 0:
                    return events
                position += int(above[0])
                self._start[channel] = first_index + position
                self._peak[channel] = 0.0
            below = np.flatnonzero(values[position:] < self.off[channel])
            stop = n if below.size == 0 else position + int(below[0])
            if stop > position:
                self._peak[channel] = max(self._peak[channel], float(values[position:stop].max()))
            if below.size == 0:
                return events
            start_index, stop_index = int(self._start[channel]), first_index + stop
            if stop_index - start_index >= self._min_samples:
                events.append(
                    DetectedEvent(channel, start_index, stop_index, float(self._peak[channel]))
                )
            self._start[channel] = -1
            position = stop
        return events
