"""Streaming artifact flags on stored values: clipping, flat line (electrode off) and motion.

A board's thresholds are in ADC counts; an imported session's (`for_imported`) come from each
channel's input range and resolution, in its stored units: clipping near the ends of the
range, a flat line at most one stored step peak to peak, motion a deflection of a fifth of
the range (the board's 200 of 1023 counts). A range the file did not give disables clipping
and motion on that channel; motion needs min(3, channels) channels at once.

Arrays are `(samples, channels)`; `process` returns a uint8 bitmask of `ArtifactFlag` per sample
and channel, identical however the stream is chunked (state is kept across calls). All flags are
causal: a sample is judged from itself and the samples before it, never from later ones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntFlag

import numpy as np
from scipy.ndimage import maximum_filter1d, minimum_filter1d

from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.errors import InputError

MOTION_RANGE_FRACTION = 200 / 1023
"""Imported channels: a motion deflection spans this fraction of the input range (the board's
200 counts of its 10-bit ADC)."""
CLIP_RANGE_FRACTION = 2 / 1023
"""Imported channels: within this fraction of the range of an end counts as at the rail."""


class ArtifactFlag(IntFlag):
    """Artifact kinds, combinable as a bitmask (uint8 in arrays)."""

    CLIPPING = 1
    """At or near an ADC rail for a sustained run of samples."""
    FLAT_LINE = 2
    """Almost no variation over a whole window: electrode off, cable broken, sensor unpowered."""
    MOTION = 4
    """A fast, large deflection on several channels at once: movement, cable tug, electrode bump."""


@dataclass(frozen=True)
class ArtifactInterval:
    """A run of one flag on one channel; `stop_index` is exclusive, indices count samples."""

    channel: int
    flag: ArtifactFlag
    start_index: int
    stop_index: int


def _require(ok: bool, message: str) -> None:
    """Raise an InputError with an actionable message unless `ok`."""
    if not ok:
        raise InputError(message)


def _samples(duration_ms: float, sample_rate_hz: float, minimum: int) -> int:
    """Whole number of samples covering `duration_ms`, at least `minimum`."""
    return max(minimum, math.ceil(round(duration_ms * sample_rate_hz / 1000.0, 9)))


def _run_lengths(condition: np.ndarray, carry: np.ndarray) -> np.ndarray:
    """Length of the run of True ending at each sample (continuing `carry` from the last call)."""
    index = np.arange(condition.shape[0])[:, None]
    last_false = np.maximum.accumulate(np.where(condition, -1, index), axis=0)
    runs = index - last_false
    return np.where(last_false < 0, runs + carry[None, :], runs)


def _every_window_moves(extended: np.ndarray, window: int, step: float | np.ndarray) -> bool:
    """Whether every `window`-row window of `extended` has a peak-to-peak above `step`, judged
    from aligned segments of `window // 2` rows (every such window holds a whole one)."""
    length = window // 2
    segments = extended.shape[0] // length
    shaped = extended[: segments * length].reshape(segments, length, extended.shape[1])
    spread = shaped.max(axis=1) - shaped.min(axis=1)
    return bool((spread > step).all())


def _peak_to_peak_bound(extended: np.ndarray, window: int, skip: int) -> np.ndarray:
    """An upper bound of `_causal_peak_to_peak(extended, window, skip)` from the range of each
    aligned `window`-row segment (a window spans at most two neighbouring segments)."""
    rows, channels = extended.shape
    segments = -(-rows // window)
    padded = np.concatenate([extended, np.repeat(extended[-1:], segments * window - rows, 0)])
    shaped = padded.reshape(segments, window, channels)
    high, low = shaped.max(axis=1), shaped.min(axis=1)
    if segments > 1:
        high[1:] = np.maximum(high[1:], high[:-1])
        low[1:] = np.minimum(low[1:], low[:-1])
    return np.repeat(high - low, window, axis=0)[skip:rows]


def _causal_peak_to_peak(extended: np.ndarray, window: int, skip: int) -> np.ndarray:
    """Max minus min over the `window` samples ending at each row of `extended[skip:]`."""
    origin = (window - 1) // 2
    high = maximum_filter1d(extended, window, axis=0, origin=origin, mode="nearest")
    low = minimum_filter1d(extended, window, axis=0, origin=origin, mode="nearest")
    return high[skip:] - low[skip:]


class StreamingArtifactDetector:
    """Chunk-invariant, vectorised artifact flags on `(samples, channels)` ADC counts."""

    def __init__(
        self,
        sample_rate_hz: float,
        channels: int,
        adc_max: int = 1023,
        *,
        clip_margin_counts: int = 2,
        clip_min_duration_ms: float = 3.0,
        flat_window_ms: float = 250.0,
        flat_max_peak_to_peak_counts: int = 1,
        motion_window_ms: float = 20.0,
        motion_min_deflection_counts: int = 200,
        motion_min_channels: int = 3,
        sensor_kinds: Sequence[str] | None = None,
    ) -> None:
        """Check the thresholds and convert durations to samples.

        `sensor_kinds` ("envelope"/"raw" per channel), when given, exempts envelope channels from
        low-rail clipping: 0 V is their normal resting output, not saturation.
        """
        _require(
            math.isfinite(sample_rate_hz) and sample_rate_hz > 0,
            f"sample rate {sample_rate_hz} Hz is invalid; give a positive rate in Hz",
        )
        _require(channels >= 1, f"channels {channels} must be at least 1")
        _require(adc_max >= 1, f"adc_max {adc_max} must be positive (1023 for a 10-bit ADC)")
        _require(
            0 <= clip_margin_counts < adc_max // 2,
            f"clip_margin_counts {clip_margin_counts} must be between 0 and {adc_max // 2 - 1}",
        )
        for name, value in (
            ("clip_min_duration_ms", clip_min_duration_ms),
            ("flat_window_ms", flat_window_ms),
            ("motion_window_ms", motion_window_ms),
        ):
            _require(value > 0, f"{name} {value} must be a positive duration in milliseconds")
        _require(
            flat_max_peak_to_peak_counts >= 0,
            f"flat_max_peak_to_peak_counts {flat_max_peak_to_peak_counts} must be >= 0",
        )
        _require(
            motion_min_deflection_counts > 0,
            f"motion_min_deflection_counts {motion_min_deflection_counts} must be positive",
        )
        _require(
            1 <= motion_min_channels <= channels,
            f"motion_min_channels {motion_min_channels} must be between 1 and the "
            f"{channels} channels; lower it for boards with fewer channels",
        )
        self.sample_rate_hz = float(sample_rate_hz)
        self.channels = channels
        self.high_rail_counts: float | np.ndarray = adc_max - clip_margin_counts
        self.low_rail_counts: float | np.ndarray = clip_margin_counts
        self.low_rail_checked = self._low_rail_mask(sensor_kinds, channels)
        self.clip_min_samples = _samples(clip_min_duration_ms, sample_rate_hz, 1)
        self.flat_window_samples = _samples(flat_window_ms, sample_rate_hz, 2)
        self.flat_max_peak_to_peak_counts: float = flat_max_peak_to_peak_counts
        self.motion_window_samples = _samples(motion_window_ms, sample_rate_hz, 2)
        self.motion_min_deflection_counts: float | np.ndarray = motion_min_deflection_counts
        self.motion_min_channels = motion_min_channels
        self._history_samples = max(self.flat_window_samples, self.motion_window_samples) - 1
        self.reset()

    @staticmethod
    def _low_rail_mask(sensor_kinds: Sequence[str] | None, channels: int) -> np.ndarray:
        """Which channels count samples at 0 as clipping (all but envelope channels)."""
        if sensor_kinds is None:
            return np.ones(channels, dtype=bool)
        kinds = [str(kind) for kind in sensor_kinds]
        _require(
            len(kinds) == channels and set(kinds) <= {"envelope", "raw"},
            f"sensor_kinds {kinds} must give 'envelope' or 'raw' for each of {channels} channels",
        )
        return np.array([kind != "envelope" for kind in kinds])

    @classmethod
    def for_imported(
        cls, sample_rate_hz: float, channels: Sequence[ChannelSpec], sample_format: str
    ) -> StreamingArtifactDetector:
        """Flags on an imported session's stored values, thresholds from each channel's range."""
        kinds = [spec.sensor_kind for spec in channels]
        detector = cls(
            sample_rate_hz,
            len(channels),
            motion_min_channels=min(3, len(channels)),
            sensor_kinds=kinds,
        )
        low, high, motion = zip(*(_stored_range(spec) for spec in channels), strict=True)
        step = 0.0 if sample_format == "float32" else 1.0
        low_rail, high_rail = np.array(low), np.array(high)
        known = np.isfinite(low_rail) & np.isfinite(high_rail)
        margin = CLIP_RANGE_FRACTION * np.where(known, high_rail - low_rail, 0.0)
        detector.low_rail_counts = low_rail + margin
        detector.high_rail_counts = high_rail - margin
        detector.flat_max_peak_to_peak_counts = step
        detector.motion_min_deflection_counts = np.array(motion)
        return detector

    def reset(self) -> None:
        """Forget the stream: the next call starts as if it were the first."""
        self._history: np.ndarray | None = None
        self._samples_seen = 0
        self._clip_run = np.zeros(self.channels, dtype=np.int64)

    def process(self, counts: np.ndarray) -> np.ndarray:
        """Flag `(samples, channels)` counts; returns a uint8 `ArtifactFlag` bitmask, same shape."""
        values = np.asarray(counts)
        _require(
            values.ndim == 2 and values.shape[1] == self.channels,
            f"expected counts shaped (samples, {self.channels} channels), got {values.shape}",
        )
        values = values.astype(np.int32 if values.dtype.kind in "iub" else np.float64)
        if values.shape[0] == 0:
            return np.zeros(values.shape, dtype=np.uint8)
        if self._history is None:
            self._history = np.repeat(values[:1], self._history_samples, axis=0)
        extended = np.concatenate([self._history, values])
        flags = self._clipping(values)
        flags |= self._flat_line(extended)
        flags |= self._motion(extended)
        self._history = extended[extended.shape[0] - self._history_samples :]
        self._samples_seen += values.shape[0]
        return flags

    def _clipping(self, values: np.ndarray) -> np.ndarray:
        """CLIPPING where the last `clip_min_samples` samples all sat at or near a rail."""
        at_rail = values >= self.high_rail_counts
        at_rail |= (values <= self.low_rail_counts) & self.low_rail_checked[None, :]
        if not self._clip_run.any() and not at_rail.any():  # the usual block: nowhere near
            return np.zeros(values.shape, dtype=np.uint8)
        runs = _run_lengths(at_rail, self._clip_run)
        self._clip_run = np.minimum(runs[-1], self.clip_min_samples)
        return np.where(runs >= self.clip_min_samples, np.uint8(ArtifactFlag.CLIPPING), np.uint8(0))

    def _flat_line(self, extended: np.ndarray) -> np.ndarray:
        """FLAT_LINE where a whole window seen so far varies by at most the threshold."""
        window = self.flat_window_samples
        if _every_window_moves(extended, window, self.flat_max_peak_to_peak_counts):
            return np.zeros((extended.shape[0] - self._history_samples, self.channels), np.uint8)
        spread = _causal_peak_to_peak(extended, window, self._history_samples)
        index = self._samples_seen + np.arange(spread.shape[0])[:, None]
        flat = (spread <= self.flat_max_peak_to_peak_counts) & (index >= window - 1)
        return np.where(flat, np.uint8(ArtifactFlag.FLAT_LINE), np.uint8(0))

    def _motion(self, extended: np.ndarray) -> np.ndarray:
        """MOTION on each channel deflecting fast and far while enough channels do at once."""
        window = self.motion_window_samples
        skip = window - 1  # only the rows a window ending at this block reaches back to
        rows = extended[self._history_samples - skip :]
        bound = _peak_to_peak_bound(rows, window, skip) >= self.motion_min_deflection_counts
        nowhere = not (bound.sum(axis=1) >= self.motion_min_channels).any()
        if nowhere and not (rows.dtype.kind == "f" and np.isnan(rows).any()):  # NaN: no bound
            return np.zeros(bound.shape, dtype=np.uint8)
        spread = _causal_peak_to_peak(rows, window, skip)
        deflecting = spread >= self.motion_min_deflection_counts
        together = deflecting.sum(axis=1, keepdims=True) >= self.motion_min_channels
        return np.where(deflecting & together, np.uint8(ArtifactFlag.MOTION), np.uint8(0))


def _stored_range(spec: ChannelSpec) -> tuple[float, float, float]:
    """A channel's input range in stored units (low, high) and its motion deflection (inf, inf,
    inf when the range is unknown)."""
    if spec.physical_min is None or spec.physical_max is None or spec.scale == 0:
        return -np.inf, np.inf, np.inf
    ends = sorted((spec.to_stored(spec.physical_min), spec.to_stored(spec.physical_max)))
    if not ends[1] > ends[0]:
        return -np.inf, np.inf, np.inf
    return ends[0], ends[1], MOTION_RANGE_FRACTION * (ends[1] - ends[0])


def flag_intervals(flags: np.ndarray, first_index: int) -> list[ArtifactInterval]:
    """Runs of each flag on each channel of a `(samples, channels)` bitmask, for storage.

    `first_index` is the stream index of `flags[0]`; a run touching the end of a chunk is cut
    there (the next chunk's run starts at the same index, so storage can join them).
    """
    flags = np.asarray(flags)
    _require(flags.ndim == 2, f"flags must be shaped (samples, channels), got {flags.shape}")
    intervals: list[ArtifactInterval] = []
    if not flags.any():  # the usual live block: nothing flagged, nothing to look for
        return intervals
    for flag in ArtifactFlag:
        present = (flags & np.uint8(flag)) != 0
        edges = np.diff(present.T.astype(np.int8), axis=1, prepend=0, append=0)
        starts = np.nonzero(edges == 1)
        stops = np.nonzero(edges == -1)
        for channel, start, stop in zip(starts[0], starts[1], stops[1], strict=True):
            intervals.append(
                ArtifactInterval(
                    int(channel), flag, first_index + int(start), first_index + int(stop)
                )
            )
    intervals.sort(key=lambda item: (item.start_index, item.channel, int(item.flag)))
    return intervals


class IntervalJoiner:
    """Joins artifact runs cut at chunk boundaries, releasing each run once it has ended."""

    def __init__(self) -> None:
        """Start with no run open."""
        self._open: dict[tuple[int, ArtifactFlag], ArtifactInterval] = {}

    def push(
        self, intervals: list[ArtifactInterval], chunk_stop_index: int
    ) -> list[ArtifactInterval]:
        """Add one chunk's runs (chunk ends at `chunk_stop_index`); return runs that are closed."""
        closed: list[ArtifactInterval] = []
        continued: set[tuple[int, ArtifactFlag]] = set()
        for interval in intervals:
            key = (interval.channel, interval.flag)
            previous = self._open.pop(key, None)
            if previous is not None and previous.stop_index == interval.start_index:
                interval = ArtifactInterval(
                    interval.channel, interval.flag, previous.start_index, interval.stop_index
                )
                continued.add(key)
            elif previous is not None:
                closed.append(previous)
            if interval.stop_index == chunk_stop_index:
                self._open[key] = interval
            else:
                closed.append(interval)
        for key in [key for key in self._open if key not in continued]:
            if self._open[key].stop_index != chunk_stop_index:
                closed.append(self._open.pop(key))
        return closed

    def flush(self) -> list[ArtifactInterval]:
        """Release the runs still open (end of recording)."""
        closed = list(self._open.values())
        self._open.clear()
        return closed
