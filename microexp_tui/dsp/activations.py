"""Muscle activations on a filtered envelope: hysteresis detection, half-amplitude timing, % MVC.

Arrays are `(samples, channels)` filtered envelopes in the working unit of each channel (the
output of `StreamingFilterBank`: ADC counts on the board, the physical unit of an import).
One `ActivationDetector` serves live recording (small blocks) and offline analysis (the whole
session in large blocks); its results do not depend on how the stream is cut, because every
decision is a function of sample indices only.

The rule, per channel:

1. Levels: rest baseline and rest spread from the participant's calibration (its
   `detection_levels`); without one (or for a channel it lacks), the median over the previous
   `level_history_blocks` blocks of `level_block_s` (aligned to sample 0) of each block's
   median and scaled MAD. The first `level_bootstrap_s` of the stream set the first levels
   from all their samples, so nothing is reported before they have been received (a 3 s
   delay at the start only).
2. Hysteresis: on = baseline + max(on_sd_factor x spread, on_span_fraction x (MVC - rest)
   when calibrated, the channel's floor); the floor is `min_on_counts` on a board and one
   step of the channel's resolution on an import (1 nV for float voltages), whose thresholds
   are then set by its own noise and calibration alone (`dsp.units`);
   off = baseline + off_fraction x (on - baseline). An activation is a maximal run of
   samples at or above `off` that reaches `on` somewhere.
3. Timing: the run's level is the median of its samples above half its peak (robust to the
   fluctuation of a sustained contraction); onset and offset are the first and last samples
   at or above half that level (the half-amplitude convention of the simulator and of most
   EMG timing work), apex is the highest sample. All three are moved back by the envelope
   filter's group delay (`delay_samples`), so they are on the muscle's time, not the filter's.
4. Kept when the half-amplitude width is at least `min_duration_ms`, the run is no longer
   than `max_duration_s` (a tonic contraction or a drifting electrode is not an expression),
   no artifact flag in `reject_flags` touched the channel during the run, and no MOTION flag
   touched any channel during it (a head movement hits several muscles at once).
5. Peak as % of maximal contraction: 100 x (peak - rest) / (MVC - rest) with the calibration;
   None without one, or for a channel whose span the calibration rule finds unusable (the
   channel the calibration screen calls weak).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.signal

from microexp_tui.domain.calibration import DetectionLevels
from microexp_tui.domain.expressions import MIN_ACTIVATION_MS, Activation
from microexp_tui.dsp.artifacts import ArtifactFlag
from microexp_tui.dsp.filters import (
    RAW,
    FilterSettings,
    bandpass_sos,
    envelope_lowpass_sos,
    envelope_prefilter_sos,
)
from microexp_tui.errors import InputError

DETECTOR_VERSION = "activations-1"
MIN_RAW_RATE_HZ = 1000.0
"""Raw EMG needs at least this rate for an envelope fit to time activations (domain notes)."""
MIN_BAND_OCTAVES = 2.0
"""An anti-aliased recording's raw band (20 Hz to 90% of Nyquist) must span this many octaves."""
LEVEL_RATE_HZ = 250.0
"""Level statistics use the envelope at about this rate (it is smoothed at 6 Hz: plenty)."""
MAD_TO_SD = 1.4826
"""Scales a median absolute deviation to a standard deviation for Gaussian noise."""

FloatArray = npt.NDArray[np.float64]


MIN_ON_COUNTS = 40.0
"""Board sessions: the smallest on-threshold rise of the activation rule, in ADC counts."""


@dataclass(frozen=True)
class ActivationSettings:
    """Thresholds and durations of the activation rule (see the module docstring)."""

    on_sd_factor: float = 6.0
    on_span_fraction: float = 0.10
    min_on_counts: float = MIN_ON_COUNTS
    off_fraction: float = 0.5
    min_duration_ms: float = MIN_ACTIVATION_MS
    max_duration_s: float = 10.0
    level_block_s: float = 1.0
    level_history_blocks: int = 30
    level_bootstrap_s: float = 3.0
    reject_flags: int = int(ArtifactFlag.CLIPPING | ArtifactFlag.FLAT_LINE | ArtifactFlag.MOTION)
    """Artifact flags on the activation's own channel that reject it."""
    reject_motion_anywhere: bool = True
    """Also reject it when MOTION is flagged on any channel during the run (a head movement
    flags the channels it moves fastest, not necessarily this one)."""

    def __post_init__(self) -> None:
        """Refuse settings that cannot work, naming the field."""
        checks = (
            (self.on_sd_factor >= 0, "on_sd_factor must be >= 0"),
            (self.on_span_fraction >= 0, "on_span_fraction must be >= 0"),
            (self.min_on_counts > 0, "min_on_counts must be > 0"),
            (0 < self.off_fraction <= 1, "off_fraction must be in (0, 1]"),
            (self.min_duration_ms >= 0, "min_duration_ms must be >= 0"),
            (self.max_duration_s > 0, "max_duration_s must be > 0"),
            (self.level_block_s > 0, "level_block_s must be > 0"),
            (self.level_history_blocks >= 1, "level_history_blocks must be >= 1"),
            (self.level_bootstrap_s > 0, "level_bootstrap_s must be > 0"),
        )
        for ok, message in checks:
            if not (ok and all(math.isfinite(float(v)) for v in asdict(self).values())):
                raise InputError(f"Activation settings: {message} (got {self}).")

    def as_json(self) -> dict[str, Any]:
        """Plain JSON form (stored with every detection run)."""
        return {"version": DETECTOR_VERSION, **asdict(self)}


def min_raw_rate_hz(anti_aliased: bool) -> float:
    """The lowest rate raw channels are analysed at: 1000 Hz from the board, whose ADC has no
    anti-aliasing filter, else the rate whose band 20 Hz-0.9 Nyquist spans two octaves."""
    if not anti_aliased:
        return MIN_RAW_RATE_HZ
    low_hz = FilterSettings(MIN_RAW_RATE_HZ).bandpass_low_hz
    return 2 * low_hz * 2**MIN_BAND_OCTAVES / 0.9


def unsupported_rate(
    sensor_kinds: Sequence[str], sample_rate_hz: float, *, anti_aliased: bool = False
) -> str | None:
    """Why activations cannot be timed on these channels at this rate, or None when they can.

    `anti_aliased`: the recording comes from an amplifier that low-passed it before sampling
    (an imported file), so a rate below 1000 Hz only narrows the raw band, down to two octaves
    (about 178 Hz); the board's ADC samples without such a filter, so below 1000 Hz the
    energy of raw EMG (up to 450 Hz) aliases.
    """
    if RAW in sensor_kinds and anti_aliased:
        lowest = min_raw_rate_hz(True)
        if sample_rate_hz < lowest:
            return (
                f"raw EMG channels sampled at {sample_rate_hz:g} Hz: below {lowest:.0f} Hz the "
                "band between 20 Hz and 90% of Nyquist spans less than two octaves, too "
                "little raw EMG to form an envelope"
            )
        return None
    if RAW in sensor_kinds and sample_rate_hz < MIN_RAW_RATE_HZ:
        return (
            f"raw EMG channels sampled at {sample_rate_hz:g} Hz: raw EMG needs "
            f"{MIN_RAW_RATE_HZ:g} Hz or more (its energy reaches 450 Hz), or the envelope "
            "aliases and activations cannot be timed"
        )
    return None


def dc_group_delay_samples(sos: np.ndarray) -> float:
    """Group delay at 0 Hz (samples) of a second-order-section cascade."""
    total = 0.0
    for section in np.atleast_2d(sos):
        _, delay = scipy.signal.group_delay((section[:3], section[3:]), w=[1e-5])
        total += float(delay[0])
    return total


def envelope_delay_samples(settings: FilterSettings, sensor_kind: str) -> int:
    """How many samples the filtered envelope lags the muscle for one sensor kind (rounded)."""
    delay = dc_group_delay_samples(envelope_prefilter_sos(settings))
    if sensor_kind == RAW:
        delay = dc_group_delay_samples(envelope_lowpass_sos(settings))
        low_hz, high_hz = settings.bandpass_edges_hz
        centre = 2 * math.pi * math.sqrt(low_hz * high_hz) / settings.sample_rate_hz
        for section in bandpass_sos(settings):
            _, extra = scipy.signal.group_delay((section[:3], section[3:]), w=[centre])
            delay += float(extra[0])
    return max(0, round(delay))


@dataclass
class _Run:
    """An open run of one channel above its off threshold."""

    start: int
    parts: list[FloatArray]
    reached_on: bool
    flagged: bool
    overlong: bool = False
    length: int = 0


class _LevelTracker:
    """Per-block median and robust spread of every channel, blocks aligned to sample 0."""

    def __init__(self, block_samples: int, history: int, stride: int) -> None:
        """Start with no completed block; statistics use samples at multiples of `stride`."""
        self.block = block_samples
        self.stride = stride
        self.medians: deque[FloatArray] = deque(maxlen=history)
        self.spreads: deque[FloatArray] = deque(maxlen=history)
        self.current = -1
        self.parts: list[FloatArray] = []
        self._levels: tuple[FloatArray, FloatArray] | None = None

    def add(self, block_number: int, first_index: int, values: FloatArray) -> None:
        """Add rows of block `block_number` (blocks arrive in order; a new one closes the last)."""
        if block_number != self.current:
            self.close()
            self.current = block_number
        self.parts.append(values[(-first_index) % self.stride :: self.stride])

    def close(self) -> None:
        """Finish the current block's statistics and update the levels."""
        if not self.parts:
            return
        levels = robust_levels(np.concatenate(self.parts))
        self.parts = []
        if levels is None:
            return  # only short pieces arrived (a gap): no statistics rather than NaN levels
        median, spread = levels
        self.medians.append(median)
        self.spreads.append(spread)
        self._levels = (
            np.median(np.array(self.medians), axis=0),
            np.median(np.array(self.spreads), axis=0),
        )

    def levels(self) -> tuple[FloatArray, FloatArray] | None:
        """Baseline and spread from the completed blocks, None before the first."""
        return self._levels

    @property
    def batchable(self) -> bool:
        """Whether whole blocks start on a statistics sample (`whole_blocks` applies)."""
        return self.block % self.stride == 0

    def whole_blocks(
        self, first_index: int, values: FloatArray, count: int
    ) -> list[tuple[FloatArray, FloatArray] | None]:
        """Add `count` whole blocks starting at block-aligned `first_index`; the levels in
        force for each, equal to `close`, `levels` and `add` block by block (the last stays
        open), with every block's statistics and history medians taken at once."""
        channels = values.shape[1]
        self.close()
        before = self._levels
        closed = values[: (count - 1) * self.block].reshape(count - 1, self.block, channels)
        rows = closed[:, :: self.stride]
        levels: list[tuple[FloatArray, FloatArray] | None] = [before]
        if count > 1:
            by_channel = np.ascontiguousarray(rows.transpose(0, 2, 1))
            medians = median_last(by_channel)
            spreads = MAD_TO_SD * median_last(np.abs(by_channel - medians[:, :, None]))
            levels += list(
                zip(
                    self._history_medians(self.medians, medians),
                    self._history_medians(self.spreads, spreads),
                    strict=True,
                )
            )
            self.medians.extend(medians)
            self.spreads.extend(spreads)
            self._levels = levels[-1]
        self.current = (first_index + (count - 1) * self.block) // self.block
        self.parts = [values[(count - 1) * self.block :: self.stride]]
        return levels

    def _history_medians(self, history: deque[FloatArray], new: FloatArray) -> list[FloatArray]:
        """Median over the last `maxlen` entries after each new row is appended, per row."""
        size = history.maxlen or 1
        held = len(history)
        stacked = np.concatenate([np.array(history).reshape(held, new.shape[1]), new])
        out: list[FloatArray] = []
        for end in range(held + 1, min(size, stacked.shape[0] + 1)):
            out.append(np.median(stacked[max(0, end - size) : end], axis=0))
        full = stacked[max(0, len(out) + held + 1 - size) :]
        if full.shape[0] >= size:
            windows = np.lib.stride_tricks.sliding_window_view(full, size, axis=0)
            out += list(median_last(windows))
        return out[: new.shape[0]]


class ActivationDetector:
    """Streaming, chunk-invariant activation detector over filtered `(samples, channels)` blocks."""

    def __init__(
        self,
        sample_rate_hz: float,
        channels: int,
        settings: ActivationSettings | None = None,
        levels: Sequence[DetectionLevels | None] | None = None,
        delay_samples: int | Sequence[int] = 0,
        min_on: Sequence[float] | None = None,
    ) -> None:
        """Size the rule for the rate; `levels` is the calibration (None per channel: adaptive).

        `min_on` is each channel's smallest on-threshold rise in its working unit (default:
        `settings.min_on_counts` on every channel, the board's ADC counts).
        """
        if not (math.isfinite(sample_rate_hz) and sample_rate_hz > 0) or channels < 1:
            raise InputError(
                f"An activation detector needs a positive rate and >= 1 channel, got "
                f"{sample_rate_hz} Hz and {channels} channels."
            )
        self.rate_hz = float(sample_rate_hz)
        self.channels = channels
        self.settings = settings or ActivationSettings()
        delays = [delay_samples] * channels if isinstance(delay_samples, int) else delay_samples
        if len(delays) != channels or min(delays) < 0:
            raise InputError(f"delay_samples needs one value >= 0 per channel, got {delays}.")
        self.delays = np.asarray(delays, dtype=np.int64)
        floors = [self.settings.min_on_counts] * channels if min_on is None else list(min_on)
        if len(floors) != channels or not all(math.isfinite(f) and f > 0 for f in floors):
            raise InputError(f"min_on needs one positive value per channel, got {floors}.")
        self.min_on = np.asarray(floors, dtype=np.float64)
        block = max(1, round(self.settings.level_block_s * self.rate_hz))
        stride = max(1, round(self.rate_hz / LEVEL_RATE_HZ))
        self._tracker = _LevelTracker(block, self.settings.level_history_blocks, stride)
        self._min_samples = math.ceil(self.settings.min_duration_ms * self.rate_hz / 1000 - 1e-9)
        self._max_samples = max(1, round(self.settings.max_duration_s * self.rate_hz))
        self._calibrated: list[DetectionLevels | None] = [None] * channels
        self.set_levels(levels)
        self._runs: list[_Run | None] = [None] * channels
        self._bootstrap: tuple[FloatArray, FloatArray] | None = None
        self._baseline = np.zeros(channels)
        self._waiting: list[tuple[int, FloatArray, npt.NDArray[np.uint8]]] = []
        self._bootstrap_samples = max(1, round(self.settings.level_bootstrap_s * self.rate_hz))
        self.next_index = 0
        """Session index one past the last sample received."""
        self._processed = 0

    # -- configuration ---------------------------------------------------------------------

    def set_levels(self, levels: Sequence[DetectionLevels | None] | None) -> None:
        """Use this calibration from the next block on (None entries: adaptive levels)."""
        if levels is None:
            self._calibrated = [None] * self.channels
            return
        if len(levels) != self.channels:
            raise InputError(
                f"The calibration has {len(levels)} channels; the detector has {self.channels}."
            )
        self._calibrated = list(levels)

    @property
    def calibrated_levels(self) -> tuple[DetectionLevels | None, ...]:
        """The calibration in use, per channel (None: adaptive levels)."""
        return tuple(self._calibrated)

    @property
    def min_samples(self) -> int:
        """Shortest kept activation in samples."""
        return self._min_samples

    # -- streaming -------------------------------------------------------------------------

    def push(
        self,
        first_index: int,
        envelope: npt.ArrayLike,
        flags: npt.ArrayLike | None = None,
    ) -> list[Activation]:
        """Feed the next filtered block (its first session index); return activations now closed."""
        values = np.asarray(envelope, dtype=np.float64)
        if values.ndim != 2 or values.shape[1] != self.channels:
            raise InputError(
                f"Expected an envelope shaped (samples, {self.channels}), got {values.shape}."
            )
        marks = np.zeros(values.shape, np.uint8) if flags is None else np.asarray(flags, np.uint8)
        found: list[Activation] = []
        if first_index < self.next_index:  # rows already seen (a resent block): skip them
            skip = min(values.shape[0], self.next_index - first_index)
            values, marks, first_index = values[skip:], marks[skip:], first_index + skip
        if values.shape[0] == 0:
            return found
        if first_index > self.next_index:  # samples lost in transit: open runs are unknowable
            found += self._drain_waiting()
            self._runs = [None] * self.channels
            self._processed = first_index
        self.next_index = first_index + values.shape[0]
        self._waiting.append((first_index, values, marks))
        if self._bootstrap is None and not self._first_block_complete():
            return found
        found += self._drain_waiting()
        return sorted(found, key=lambda a: (a.onset_index, a.channel_index))

    def flush(self) -> list[Activation]:
        """End of stream: judge buffered samples and close open runs at the last sample."""
        found = self._drain_waiting()
        for channel, run in enumerate(self._runs):
            if run is not None:
                found += self._close(channel, run, float(self._baseline[channel]))
        self._runs = [None] * self.channels
        return sorted(found, key=lambda a: (a.onset_index, a.channel_index))

    @property
    def watermark(self) -> int:
        """No activation closed from now on can have its onset before this session index."""
        open_starts = [run.start for run in self._runs if run is not None and not run.overlong]
        waiting = [self._waiting[0][0]] if self._waiting else []
        earliest = min([self._processed, *open_starts, *waiting])
        return int(earliest - self.delays.max())

    # -- internals -------------------------------------------------------------------------

    def _bootstrap_end(self) -> int:
        """End of the stretch that sets the first levels: `level_bootstrap_s`, whole blocks."""
        block = self._tracker.block
        return -(-(self._waiting[0][0] + self._bootstrap_samples) // block) * block

    def _first_block_complete(self) -> bool:
        """Whether the bootstrap stretch has been received whole (adaptive levels need it)."""
        return self.next_index >= self._bootstrap_end()

    def _drain_waiting(self) -> list[Activation]:
        """Process every waiting block (after bootstrapping the levels from the first one)."""
        waiting, self._waiting = self._waiting, []
        if not waiting:
            return []
        if self._bootstrap is None:
            self._waiting = waiting
            end = self._bootstrap_end()
            self._waiting = []
            rows = [values[: max(0, end - first)] for first, values, _ in waiting]
            levels = robust_levels(np.concatenate(rows))
            if levels is None:  # the bootstrap stretch was lost: learn from what did arrive
                levels = robust_levels(np.concatenate([values for _, values, _ in waiting]))
            if levels is None:
                return []
            self._bootstrap = levels
        found: list[Activation] = []
        for first, values, marks in waiting:
            found += self._process(first, values, marks)
        return found

    def _process(
        self, first: int, values: FloatArray, marks: npt.NDArray[np.uint8]
    ) -> list[Activation]:
        """Split a block at level-block boundaries and run each piece with that block's levels.

        Whole level blocks go through at once (`_whole_blocks`), with the same results.
        """
        found: list[Activation] = []
        block = self._tracker.block
        position = 0
        while position < values.shape[0]:
            index = first + position
            number = index // block
            whole = (values.shape[0] - position) // block if index % block == 0 else 0
            if whole >= 2 and self._tracker.batchable:
                stop = position + whole * block
                found += self._whole_blocks(index, values[position:stop], marks[position:stop])
                position = stop
                continue
            stop = min(values.shape[0], (number + 1) * block - first)
            piece = values[position:stop]
            if number != self._tracker.current:
                self._tracker.close()  # this block's levels come from the blocks before it
            levels = self._tracker.levels() or self._bootstrap
            assert levels is not None
            self._tracker.add(number, index, piece)
            found += self._piece(index, piece, marks[position:stop], levels)
            position = stop
        return found

    def _whole_blocks(
        self, first: int, values: FloatArray, marks: npt.NDArray[np.uint8]
    ) -> list[Activation]:
        """Run whole, block-aligned level blocks at once, each row with its block's levels."""
        block = self._tracker.block
        count = values.shape[0] // block
        levels = [lv or self._bootstrap for lv in self._tracker.whole_blocks(first, values, count)]
        medians = np.array([_known(lv)[0] for lv in levels])
        spreads = np.array([_known(lv)[1] for lv in levels])
        baseline, on, off = self._thresholds((medians, spreads))
        shaped = values.reshape(count, block, self.channels)
        above = (shaped >= off[:, None, :]).reshape(values.shape)
        reaches = (shaped >= on[:, None, :]).reshape(values.shape)
        return self._hysteresis(
            first, values, marks, above, reaches, lambda row: baseline[row // block], baseline[-1]
        )

    def _thresholds(
        self, adaptive: tuple[FloatArray, FloatArray]
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Per-channel baseline, on and off levels for the current block."""
        s = self.settings
        baseline, spread = adaptive[0].copy(), adaptive[1].copy()
        span_term = np.zeros(self.channels)
        for channel, level in enumerate(self._calibrated):
            if level is not None:
                baseline[..., channel], spread[..., channel] = level.baseline, level.rest_sd
                span_term[channel] = s.on_span_fraction * (level.span or 0.0)
        delta = np.maximum(np.maximum(s.on_sd_factor * spread, span_term), self.min_on)
        return baseline, baseline + delta, baseline + s.off_fraction * delta

    def _piece(
        self,
        first: int,
        values: FloatArray,
        marks: npt.NDArray[np.uint8],
        levels: tuple[FloatArray, FloatArray],
    ) -> list[Activation]:
        """Advance every channel's hysteresis over rows that share one set of levels."""
        baseline, on, off = self._thresholds(levels)
        return self._hysteresis(
            first, values, marks, values >= off, values >= on, lambda row: baseline, baseline
        )

    def _hysteresis(
        self,
        first: int,
        values: FloatArray,
        marks: npt.NDArray[np.uint8],
        above: npt.NDArray[np.bool_],
        reaches: npt.NDArray[np.bool_],
        baseline_at: Callable[[int], FloatArray],
        last_baseline: FloatArray,
    ) -> list[Activation]:
        """Advance every channel's hysteresis over rows of `values`: `above` (at or above off)
        and `reaches` (at or above on) per row and channel; a run closed at a row uses
        `baseline_at(row)`, one still open at the end `last_baseline`."""
        was = np.array([run is not None for run in self._runs])
        edges = np.diff(np.vstack([was[None, :], above]).astype(np.int8), axis=0)
        bad = (marks & np.uint8(self.settings.reject_flags)) != 0
        if self.settings.reject_motion_anywhere:
            bad |= ((marks & np.uint8(ArtifactFlag.MOTION)) != 0).any(axis=1, keepdims=True)
        found: list[Activation] = []
        for channel in np.flatnonzero(was | edges.any(axis=0)):
            column, marked, run = values[:, channel], bad[:, channel], self._runs[channel]
            reached = reaches[:, channel]
            position = 0
            for change in np.flatnonzero(edges[:, channel]).tolist():
                if run is None:  # a rise: a run begins here
                    run = _Run(first + change, [], False, False)
                else:  # a fall: the run ends before this row
                    rows = slice(position, change)
                    self._extend(run, column[rows], marked[rows], reached[rows])
                    rest = float(baseline_at(change)[channel])
                    found += self._close(int(channel), run, rest)
                    run = None
                position = change
            if run is not None:
                rows = slice(position, None)
                self._extend(run, column[rows], marked[rows], reached[rows])
            self._runs[channel] = run
        self._baseline = last_baseline
        self._processed = first + values.shape[0]
        return found

    def _extend(
        self,
        run: _Run,
        values: FloatArray,
        bad: npt.NDArray[np.bool_],
        reached: npt.NDArray[np.bool_],
    ) -> None:
        """Add rows to an open run (dropping its samples once it is too long to matter)."""
        if run.overlong or values.size == 0:
            return
        run.reached_on = run.reached_on or bool(reached.any())
        run.flagged = run.flagged or bool(bad.any())
        run.parts.append(values)
        run.length += values.shape[0]
        if run.length > self._max_samples:
            run.overlong, run.parts = True, []

    def _close(self, channel: int, run: _Run, baseline: float) -> list[Activation]:
        """The activation of a finished run (`baseline`: its channel's rest level when it
        closed), or nothing when the rule rejects it."""
        if run.overlong or run.flagged or not run.reached_on or not run.parts:
            return []
        values = np.concatenate(run.parts)
        onset, offset, apex = _half_amplitude(values, baseline)
        if offset - onset < self._min_samples:
            return []
        delay = int(self.delays[channel])
        onset_index = max(0, run.start + onset - delay)
        offset_index = max(onset_index + 1, run.start + offset - delay)
        apex_index = min(max(run.start + apex - delay, onset_index), offset_index - 1)
        peak = float(values[apex])
        calibration = self._calibrated[channel]
        pct = None
        if calibration is not None and calibration.span is not None:
            pct = 100.0 * (peak - calibration.baseline) / calibration.span
        return [Activation(channel, onset_index, offset_index, apex_index, peak, pct)]


def _known(levels: tuple[FloatArray, FloatArray] | None) -> tuple[FloatArray, FloatArray]:
    """Levels known to be set (the bootstrap is, before any row is processed)."""
    assert levels is not None
    return levels


def median_last(values: FloatArray) -> FloatArray:
    """Median along the last axis, the values `np.median(values, axis=-1)` gives, faster: one
    selection for the upper middle element, the lower one the largest below it (NaN: numpy's).
    """
    if values.shape[-1] == 0 or np.isnan(values).any():
        return np.asarray(np.median(values, axis=-1))
    middle = values.shape[-1] // 2
    selected = np.partition(values, middle, axis=-1)
    upper = selected[..., middle]
    if values.shape[-1] % 2:
        return upper
    return (selected[..., :middle].max(axis=-1) + upper) / 2.0


def robust_levels(values: FloatArray) -> tuple[FloatArray, FloatArray] | None:
    """Per-channel median and scaled MAD of `(samples, channels)` values; None without rows.

    Robust, so a brief contraction inside a rest stretch does not inflate the spread.
    """
    if values.ndim != 2 or values.shape[0] == 0:
        return None
    median = np.median(values, axis=0)
    return median, MAD_TO_SD * np.median(np.abs(values - median), axis=0)


def _half_amplitude(values: FloatArray, baseline: float) -> tuple[int, int, int]:
    """(onset, offset, apex) positions of a run: first/last sample at half its level, peak."""
    apex = int(np.argmax(values))
    half_peak = baseline + 0.5 * (float(values[apex]) - baseline)
    level = float(np.median(values[values >= half_peak]))
    inside = np.flatnonzero(values >= baseline + 0.5 * (level - baseline))
    return int(inside[0]), int(inside[-1]) + 1, apex
