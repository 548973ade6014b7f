"""Where a trial's windows and bins fall in samples, and one epoch cut as pieces stream by."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from microexp_tui.analysis.trials.options import TrialOptions
from microexp_tui.dsp.artifacts import ArtifactFlag


@dataclass(frozen=True)
class TrialBin:
    """One bin of the response window: its times (s) and samples relative to the onset."""

    number: int
    start_s: float
    end_s: float
    start: int
    stop: int


@dataclass(frozen=True)
class EpochGeometry:
    """A trial's windows in samples relative to its onset, and the bins (bin 0 first)."""

    rate_hz: float
    baseline: tuple[int, int]
    window: tuple[int, int]
    bins: tuple[TrialBin, ...]

    @property
    def first(self) -> int:
        """First sample of the epoch (baseline, window or a bin, whichever starts first)."""
        return min(self.baseline[0], *(b.start for b in self.bins))

    @property
    def stop(self) -> int:
        """One past the epoch's last sample (a bin kept one sample long at a slow rate may
        reach past the window)."""
        return max(self.baseline[1], *(b.stop for b in self.bins))

    @property
    def length(self) -> int:
        """Samples in the epoch."""
        return self.stop - self.first

    @classmethod
    def of(cls, options: TrialOptions, rate_hz: float) -> EpochGeometry:
        """The windows of `options` at `rate_hz`; a bin that would hold no sample keeps one."""
        baseline = _samples(options.baseline_s, rate_hz)
        window = _samples(options.window_s, rate_hz)
        start_s, end_s = options.window_s
        width_s = options.bin_ms / 1000.0
        count = max(1, math.ceil((end_s - start_s) / width_s - 1e-9))
        bins = [TrialBin(0, start_s, end_s, *window)]
        for number in range(1, count + 1):
            lo_s = start_s + (number - 1) * width_s
            hi_s = min(start_s + number * width_s, end_s)
            lo, hi = _samples((lo_s, hi_s), rate_hz)
            bins.append(TrialBin(number, round(lo_s, 9), round(hi_s, 9), lo, hi))
        return cls(float(rate_hz), baseline, window, tuple(bins))


def _samples(span_s: tuple[float, float], rate_hz: float) -> tuple[int, int]:
    """A (start, end) span in seconds as samples [start, stop), at least one sample long."""
    start = round(span_s[0] * rate_hz)
    return start, max(start + 1, round(span_s[1] * rate_hz))


class Epoch:
    """One trial's epoch, filled from the pieces that overlap it (bounded: one epoch's size).

    The envelope of channel c lags the muscle by `delays[c]` samples, so its rows are taken
    that much later: row j of channel c is the envelope at onset + first + j + delays[c].
    Artifact flags and stored levels are taken in the samples' own time.
    """

    def __init__(
        self,
        onset_index: int,
        geometry: EpochGeometry,
        delays: npt.NDArray[np.int64],
    ) -> None:
        """An empty epoch (NaN: not delivered) around `onset_index`."""
        self.onset = onset_index
        self.geometry = geometry
        self.delays = delays
        low, high = int(delays.min()), int(delays.max())
        self.buffer_start = onset_index + geometry.first + low
        self.buffer_stop = onset_index + geometry.stop + high
        channels = delays.size
        self.buffer = np.full((self.buffer_stop - self.buffer_start, channels), np.nan, np.float32)
        self.flags = np.zeros(channels, dtype=np.uint8)
        self.level_sum = np.zeros(channels)
        self.level_count = 0

    def take(
        self,
        first: int,
        envelope: npt.NDArray[np.float32],
        flags: npt.NDArray[np.uint8],
        working: npt.NDArray[np.float32],
    ) -> None:
        """Copy what a piece starting at sample `first` holds of this epoch."""
        stop = first + envelope.shape[0]
        lo, hi = max(first, self.buffer_start), min(stop, self.buffer_stop)
        if lo < hi:
            self.buffer[lo - self.buffer_start : hi - self.buffer_start] = envelope[
                lo - first : hi - first
            ]
        epoch_lo = self.onset + self.geometry.first
        lo, hi = max(first, epoch_lo), min(stop, self.onset + self.geometry.stop)
        if lo < hi:
            self.flags |= np.bitwise_or.reduce(flags[lo - first : hi - first], axis=0)
        base_lo, base_hi = (self.onset + edge for edge in self.geometry.baseline)
        lo, hi = max(first, base_lo), min(stop, base_hi)
        if lo < hi:
            self.level_sum += working[lo - first : hi - first].sum(axis=0, dtype=np.float64)
            self.level_count += hi - lo

    def envelope(self) -> npt.NDArray[np.float64]:
        """`(epoch samples, channels)` envelope aligned to the muscle (NaN where not delivered)."""
        offsets = self.delays - self.delays.min()
        length = self.geometry.length
        if not offsets.any():
            return self.buffer[:length].astype(np.float64)
        out = np.empty((length, self.delays.size))
        for channel, offset in enumerate(offsets.tolist()):
            out[:, channel] = self.buffer[offset : offset + length, channel]
        return out

    def stored_level(self) -> npt.NDArray[np.float64]:
        """Mean stored (working-unit) value per channel over the baseline window (NaN: none)."""
        if self.level_count == 0:
            return np.full(self.delays.size, np.nan)
        return self.level_sum / self.level_count

    def flagged(self, flag: ArtifactFlag) -> npt.NDArray[np.bool_]:
        """Per channel, whether `flag` was raised anywhere in the epoch."""
        return (self.flags & np.uint8(flag)) != 0
