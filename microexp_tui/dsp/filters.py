"""Causal streaming EMG filters that keep their state across chunks, for live display and storage.

Arrays are `(samples, channels)`; inputs are a board's ADC counts (0..1023) or an imported
session's physical values (`dsp.units.WorkingUnits`), outputs float32 envelopes in the same
unit. Channels of the same sensor kind are filtered together, one `scipy.signal.sosfilt` call
per stage and kind, with one second-order-section cascade per stage.

`raw` chain: subtract the sensor's resting offset (512 counts on the board; the middle of an
imported channel's input range) -> Butterworth band-pass (default 20-450 Hz)
and mains notches (fundamental and harmonics inside the band) as ONE cascade -> full-wave
rectification -> critically damped 2nd-order low-pass (default 6 Hz, no overshoot): the linear
envelope (average rectified value; a sine of amplitude A gives 2A/pi).

`envelope` chain (Muscle Sensor V3 SIG, MyoWare ENV: already rectified and smoothed): mains notches
below Nyquist and the smoothing low-pass as ONE cascade -> subtraction of a resting-floor
tracker: the causal minimum of the smoothed signal over the last 1/baseline_cutoff_hz seconds
(10 s by default), allowed to fall at once and to rise only through a first-order low-pass at
baseline_cutoff_hz. A high-pass at any corner low enough to keep a 3 s contraction (< 0.01 Hz)
would barely track drift and would undershoot after every burst; the floor tracker ignores
contractions shorter than its window entirely, follows a falling baseline at once and a rising
one within one window, and never makes the output negative.

The rate rule (any rate from a 20 Hz envelope to 4 kHz raw): every corner must sit below
Nyquist. The raw band-pass is 20-450 Hz, its high edge lowered to 90% of Nyquist when the rate
is below 1000 Hz (a board's raw channels below `activations.MIN_RAW_RATE_HZ` are refused for
analysis: their energy reaches 450 Hz and aliases at its unfiltered ADC; an imported,
amplifier-filtered recording only needs the band to span two octaves, ~178 Hz); envelope
channels get no band-pass at all. Mains notches are placed only on multiples below the band's
high edge (raw) or Nyquist (envelope): none at 20 Hz, eight at 4 kHz. The default 6 Hz
smoothing low-pass is lowered to 40% of the rate (80% of Nyquist) for slower envelopes
(e.g. 4 Hz at 10 Hz); a cutoff given explicitly must be below Nyquist.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.signal

from microexp_tui.errors import InputError

RAW = "raw"
ENVELOPE = "envelope"
ADC_MIDPOINT_COUNTS = 512.0
"""Vref/2 of a 10-bit ADC: the resting level of a raw (bipolar) sensor output."""
DEFAULT_BANDPASS_HIGH_HZ = 450.0
DEFAULT_ENVELOPE_CUTOFF_HZ = 6.0
"""Default smoothing low-pass; lowered to 80% of Nyquist when the rate is too low for it."""
"""Default raw band-pass high edge; lowered to 90% of Nyquist when the rate is too low for it."""
BANDPASS_ORDER = 4
"""Butterworth prototype order of the raw band-pass (8 poles: 4 per edge, 24 dB/octave)."""
BASELINE_BLOCK_S = 0.1
"""Granularity of the resting-floor minimum: minima are kept per 100 ms block."""
PROCESS_BLOCK_SAMPLES = 8192
"""Long inputs are filtered in blocks of this many samples to stay in cache."""


def _fail(message: str) -> None:
    """Raise an InputError with a message a person can act on."""
    raise InputError(message)


@dataclass(frozen=True)
class FilterSettings:
    """Streaming filter settings in physical units, validated on construction."""

    sample_rate_hz: float
    mains_hz: float = 50.0
    """Power-line frequency: 50 (Europe, Asia, Africa, Oceania) or 60 (the Americas, ...)."""
    mains_harmonics: int = 8
    """How many multiples of mains_hz to notch (fundamental included); 0 disables the notches."""
    notch_q: float = 30.0
    """Quality factor of every notch (constant Q: -3 dB width = frequency / Q, 1.7 Hz at 50 Hz)."""
    bandpass_low_hz: float = 20.0
    """Raw channels: band-pass low edge (15-25 Hz removes movement and drift, van Boxtel)."""
    bandpass_high_hz: float = DEFAULT_BANDPASS_HIGH_HZ
    """Raw channels: high edge; must be below Nyquist, except that the default 450 Hz is
    clamped to 90% of Nyquist so envelope-only boards at low rates need no extra setting."""
    envelope_cutoff_hz: float = DEFAULT_ENVELOPE_CUTOFF_HZ
    """Low-pass after rectification (raw) and smoothing (envelope), -3 dB point; the default
    6 Hz is lowered to 80% of Nyquist at rates below 15 Hz."""
    baseline_cutoff_hz: float = 0.1
    """Envelope channels: the resting floor is the minimum over the last 1/this seconds."""

    def __post_init__(self) -> None:
        """Reject settings that cannot be realised, saying which field to change."""
        self._check_rate()
        self._check_mains()
        self._check_bandpass()
        self._check_envelope()

    @property
    def nyquist_hz(self) -> float:
        """Half the sample rate: no filter edge can be at or above it."""
        return self.sample_rate_hz / 2.0

    @property
    def bandpass_edges_hz(self) -> tuple[float, float]:
        """Band-pass edges actually used (the default high edge is clamped to 90% of Nyquist)."""
        return self.bandpass_low_hz, min(self.bandpass_high_hz, 0.9 * self.nyquist_hz)

    @property
    def envelope_cutoff_used_hz(self) -> float:
        """Smoothing low-pass actually used (the default is clamped to 80% of Nyquist)."""
        if self.envelope_cutoff_hz == DEFAULT_ENVELOPE_CUTOFF_HZ:
            return min(self.envelope_cutoff_hz, 0.8 * self.nyquist_hz)
        return self.envelope_cutoff_hz

    @property
    def baseline_window_s(self) -> float:
        """Length of the resting-floor minimum window of envelope channels."""
        return 1.0 / self.baseline_cutoff_hz

    def _check_rate(self) -> None:
        """The sample rate must be a positive finite number."""
        if not (math.isfinite(self.sample_rate_hz) and self.sample_rate_hz > 0):
            _fail(f"sample rate {self.sample_rate_hz} Hz is invalid; give a positive rate in Hz")

    def _check_mains(self) -> None:
        """Mains must be 50 or 60 Hz, with a non-negative harmonic count and a positive Q."""
        if self.mains_hz not in (50.0, 60.0):
            _fail(f"mains frequency {self.mains_hz} Hz is not a power-line frequency; use 50 or 60")
        if not isinstance(self.mains_harmonics, int) or self.mains_harmonics < 0:
            _fail(
                f"mains_harmonics {self.mains_harmonics!r} must be a whole number >= 0 "
                "(0 disables the mains notches)"
            )
        if not (math.isfinite(self.notch_q) and self.notch_q > 0):
            _fail(f"notch_q {self.notch_q} must be positive; 30 gives a 1.7 Hz wide 50 Hz notch")

    def _check_bandpass(self) -> None:
        """Band-pass edges must be ordered, positive, and an explicit high edge below Nyquist."""
        low, high = self.bandpass_low_hz, self.bandpass_high_hz
        if not (math.isfinite(low) and low > 0):
            _fail(f"band-pass low edge {low} Hz must be positive; raw EMG uses 15-25 Hz")
        if not (math.isfinite(high) and high > low):
            _fail(
                f"band-pass high edge {high} Hz must be above the low edge {low} Hz; "
                "raise bandpass_high_hz or lower bandpass_low_hz"
            )
        if high >= self.nyquist_hz and high != DEFAULT_BANDPASS_HIGH_HZ:
            _fail(
                f"band-pass high edge {high:g} Hz must be below Nyquist {self.nyquist_hz:g} Hz "
                f"at {self.sample_rate_hz:g} Hz sampling; lower bandpass_high_hz "
                "(or sample faster: raw EMG needs >= 1000 Hz)"
            )

    def _check_envelope(self) -> None:
        """The envelope cutoff must be below Nyquist and the baseline corner below it."""
        cutoff, baseline = self.envelope_cutoff_used_hz, self.baseline_cutoff_hz
        if not (math.isfinite(cutoff) and 0 < cutoff < self.nyquist_hz):
            _fail(
                f"envelope cutoff {cutoff:g} Hz must be between 0 and Nyquist "
                f"{self.nyquist_hz:g} Hz at {self.sample_rate_hz:g} Hz sampling; "
                "3-10 Hz is usual for EMG envelopes"
            )
        if not (math.isfinite(baseline) and 0 < baseline < cutoff):
            _fail(
                f"baseline cutoff {baseline:g} Hz must be positive and below the envelope "
                f"cutoff {cutoff:g} Hz; 0.1 Hz (a 10 s resting-floor window) keeps contractions "
                "of several seconds"
            )


def mains_notch_frequencies_hz(settings: FilterSettings, upper_hz: float) -> tuple[float, ...]:
    """Mains fundamental and harmonics strictly below `upper_hz`, at most `mains_harmonics`."""
    multiples = range(1, settings.mains_harmonics + 1)
    return tuple(k * settings.mains_hz for k in multiples if k * settings.mains_hz < upper_hz)


def notch_sos(settings: FilterSettings, frequencies_hz: Sequence[float]) -> np.ndarray:
    """One second-order IIR notch section per frequency (constant Q), float64."""
    rows = []
    for freq_hz in frequencies_hz:
        b, a = scipy.signal.iirnotch(freq_hz, settings.notch_q, fs=settings.sample_rate_hz)
        rows.append(np.concatenate([b, a]))
    return np.array(rows, dtype=np.float64).reshape(-1, 6)


def bandpass_sos(settings: FilterSettings) -> np.ndarray:
    """Butterworth band-pass of the raw chain, float64 sections."""
    low_hz, high_hz = settings.bandpass_edges_hz
    if not low_hz < high_hz:
        _fail(
            f"band-pass low edge {low_hz:g} Hz is not below the usable high edge {high_hz:g} Hz "
            f"at {settings.sample_rate_hz:g} Hz sampling; raw channels need a faster rate "
            "(>= 1000 Hz) or a lower bandpass_low_hz"
        )
    return np.asarray(
        scipy.signal.butter(
            BANDPASS_ORDER,
            [low_hz, high_hz],
            btype="bandpass",
            fs=settings.sample_rate_hz,
            output="sos",
        )
    )


def lowpass_sos(settings: FilterSettings, cutoff_hz: float, order: int) -> np.ndarray:
    """Butterworth low-pass sections at `cutoff_hz`, float64."""
    return np.asarray(
        scipy.signal.butter(
            order, cutoff_hz, btype="lowpass", fs=settings.sample_rate_hz, output="sos"
        )
    )


def envelope_lowpass_sos(settings: FilterSettings) -> np.ndarray:
    """Critically damped 2nd-order low-pass (two equal real poles), -3 dB at the envelope cutoff.

    Unlike a Butterworth it never overshoots and its impulse response is non-negative, so the
    envelope of a rectified signal never dips below zero and no undershoot after a contraction
    fools the resting-floor minimum. One section: the same cost as a 2nd-order Butterworth.
    """
    rate_hz = settings.sample_rate_hz
    warped = math.tan(math.pi * settings.envelope_cutoff_used_hz / rate_hz) / math.sqrt(
        math.sqrt(2.0) - 1.0
    )
    pole_hz = rate_hz / math.pi * math.atan(warped)
    b, a = scipy.signal.butter(1, pole_hz, fs=rate_hz)
    return np.concatenate([np.convolve(b, b), np.convolve(a, a)])[None, :]


def raw_prefilter_sos(settings: FilterSettings) -> np.ndarray:
    """Band-pass and in-band mains notches as one cascade: everything before rectification."""
    notches = mains_notch_frequencies_hz(settings, settings.bandpass_edges_hz[1])
    return np.vstack([bandpass_sos(settings), notch_sos(settings, notches)])


def envelope_prefilter_sos(settings: FilterSettings) -> np.ndarray:
    """Mains notches below Nyquist and the smoothing low-pass as one cascade (unit DC gain)."""
    notches = mains_notch_frequencies_hz(settings, settings.nyquist_hz)
    return np.vstack([notch_sos(settings, notches), envelope_lowpass_sos(settings)])


def _steady_state_zi(sos: np.ndarray, first_row: np.ndarray) -> np.ndarray:
    """Initial state `(sections, channels, 2)` as if `first_row` had been input forever."""
    unit = scipy.signal.sosfilt_zi(sos)
    return (unit[:, None, :] * first_row[None, :, None].astype(np.float64)).astype(np.float32)


class _Cascade:
    """A float32 second-order-section cascade over `(channels, samples)` rows, with state."""

    def __init__(self, sos: np.ndarray, steady_start: bool) -> None:
        """Keep the float32 sections; `steady_start` starts from the first input held forever."""
        self.sos64 = sos
        self.sos = sos.astype(np.float32)
        self.steady_start = steady_start
        self.zi: np.ndarray | None = None

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        """Filter `rows` (channels, samples) causally, continuing from the previous call."""
        if self.zi is None:
            if self.steady_start:
                self.zi = _steady_state_zi(self.sos64, rows[:, 0])
            else:
                self.zi = np.zeros((len(self.sos), rows.shape[0], 2), dtype=np.float32)
        out, self.zi = scipy.signal.sosfilt(self.sos, rows, axis=-1, zi=self.zi)
        return np.asarray(out)


class _CausalBlockMinimum:
    """Causal running minimum of `(channels, samples)` over the current block and the previous
    `history_blocks` blocks, exact across any chunking (blocks are aligned to sample 0)."""

    def __init__(self, block_samples: int, history_blocks: int) -> None:
        """Set the block length and how many completed blocks the window spans."""
        self.block = block_samples
        self.history = history_blocks
        self.partial: np.ndarray | None = None
        self.minima: np.ndarray | None = None

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        """Running minimum of `rows`, continuing from the previous call."""
        channels = rows.shape[0]
        if self.partial is None or self.minima is None:
            self.partial = np.empty((channels, 0), dtype=rows.dtype)
            self.minima = np.full((channels, self.history), np.inf, dtype=rows.dtype)
        extended = np.concatenate([self.partial, rows], axis=1)
        total, done = extended.shape[1], self.partial.shape[1]
        n_blocks = -(-total // self.block)
        padded = np.full((channels, n_blocks * self.block), np.inf, dtype=rows.dtype)
        padded[:, :total] = extended
        within = np.minimum.accumulate(padded.reshape(channels, n_blocks, self.block), axis=2)
        minima = np.concatenate([self.minima, within[:, :, -1]], axis=1)
        if self.history:
            windows = np.lib.stride_tricks.sliding_window_view(minima, self.history, axis=1)
            within = np.minimum(within, windows[:, :n_blocks].min(axis=2)[:, :, None])
        complete = total // self.block
        self.partial = extended[:, complete * self.block :].copy()
        self.minima = minima[:, complete : complete + self.history].copy()
        return within.reshape(channels, -1)[:, done:total]


class _RawChain:
    """Raw-kind stages: band-pass + notches, rectification, envelope low-pass."""

    def __init__(self, prefilter: np.ndarray, lowpass: np.ndarray) -> None:
        """Start the prefilter in steady state for the first sample, the low-pass at rest."""
        self.prefilter = _Cascade(prefilter, steady_start=True)
        self.lowpass = _Cascade(lowpass, steady_start=False)

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        """Envelope of offset-free rows `(channels, samples)`."""
        filtered = self.prefilter(rows)
        np.abs(filtered, out=filtered)
        return self.lowpass(filtered)


class _EnvelopeChain:
    """Envelope-kind stages: notches + smoothing, then resting-floor subtraction."""

    def __init__(self, prefilter: np.ndarray, settings: FilterSettings) -> None:
        """Size the floor window from the baseline corner in 100 ms blocks."""
        rate_hz = settings.sample_rate_hz
        block = max(1, round(BASELINE_BLOCK_S * rate_hz))
        history = max(0, round(settings.baseline_window_s * rate_hz / block) - 1)
        self.prefilter = _Cascade(prefilter, steady_start=True)
        self.minimum = _CausalBlockMinimum(block, history)
        floor_lowpass = lowpass_sos(settings, settings.baseline_cutoff_hz, 1)
        self.floor_lowpass = _Cascade(floor_lowpass, steady_start=True)

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        """Smoothed rows minus a floor that falls at once and rises slowly (never negative)."""
        smoothed = self.prefilter(rows)
        floor = self.minimum(smoothed)
        slow_floor = self.floor_lowpass(floor)
        np.minimum(slow_floor, floor, out=slow_floor)
        np.subtract(smoothed, slow_floor, out=smoothed)
        return smoothed


@dataclass
class _Group:
    """Channels of one sensor kind, filtered together by one chain."""

    kind: str
    indices: np.ndarray
    chain: _RawChain | _EnvelopeChain


class StreamingFilterBank:
    """Causal per-kind filter chains over `(samples, channels)` values, state kept across calls."""

    def __init__(
        self,
        sensor_kinds: Sequence[str],
        settings: FilterSettings,
        *,
        raw_offsets: Sequence[float] | None = None,
        unit: str = "ADC counts",
    ) -> None:
        """Group channels by kind and design each kind's cascades once.

        `raw_offsets` is each channel's resting level, subtracted from raw channels (default:
        the board's 512 counts); `unit` names the values' unit in the description.
        """
        kinds = [str(kind) for kind in sensor_kinds]
        unknown = sorted({kind for kind in kinds if kind not in (RAW, ENVELOPE)})
        if not kinds or unknown:
            _fail(
                f"sensor kinds {unknown or kinds} are not usable; give 'envelope' or 'raw' "
                "for each channel"
            )
        self._kinds = kinds
        self._settings = settings
        self._unit = unit
        offsets = [ADC_MIDPOINT_COUNTS] * len(kinds) if raw_offsets is None else raw_offsets
        if len(offsets) != len(kinds):
            _fail(f"raw_offsets needs one value per channel ({len(kinds)}), got {len(offsets)}")
        self._raw_offsets = np.asarray(offsets, dtype=np.float32)
        self._designs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if RAW in kinds:
            self._designs[RAW] = (raw_prefilter_sos(settings), envelope_lowpass_sos(settings))
        if ENVELOPE in kinds:
            self._designs[ENVELOPE] = (envelope_prefilter_sos(settings), np.empty((0, 6)))
        self._groups: list[_Group] = []
        self.reset()

    @property
    def settings(self) -> FilterSettings:
        """The settings this bank was built with."""
        return self._settings

    @property
    def sensor_kinds(self) -> tuple[str, ...]:
        """Sensor kind of each channel, in channel order."""
        return tuple(self._kinds)

    def reset(self) -> None:
        """Forget all filter state: the next call starts as if it were the first."""
        kinds = np.array(self._kinds)
        self._groups = [
            _Group(kind, np.flatnonzero(kinds == kind), self._new_chain(kind))
            for kind in (RAW, ENVELOPE)
            if kind in self._designs
        ]

    def _new_chain(self, kind: str) -> _RawChain | _EnvelopeChain:
        """A fresh stateful chain for one group of `kind`."""
        prefilter, lowpass = self._designs[kind]
        if kind == RAW:
            return _RawChain(prefilter, lowpass)
        return _EnvelopeChain(prefilter, self._settings)

    def process(self, counts: np.ndarray) -> np.ndarray:
        """Filter `(samples, channels)` counts into a float32 `(samples, channels)` envelope."""
        counts = np.asarray(counts)
        if counts.ndim != 2 or counts.shape[1] != len(self._kinds):
            _fail(
                f"expected counts shaped (samples, {len(self._kinds)} channels), got "
                f"{counts.shape}; pass one column per configured channel"
            )
        out = np.empty(counts.shape, dtype=np.float32)
        for start in range(0, counts.shape[0], PROCESS_BLOCK_SAMPLES):
            stop = start + PROCESS_BLOCK_SAMPLES
            self._process_block(counts[start:stop], out[start:stop])
        return out

    def _process_block(self, counts: np.ndarray, out: np.ndarray) -> None:
        """Filter one block of counts into the matching rows of `out`."""
        whole = len(self._groups) == 1
        for group in self._groups:
            source = counts if whole else counts[:, group.indices]
            rows = np.empty((source.shape[1], source.shape[0]), dtype=np.float32)
            if group.kind == RAW:
                offsets = self._raw_offsets[group.indices][:, None]
                np.subtract(source.T, offsets, out=rows, casting="unsafe")
            else:
                rows[...] = source.T
            result = group.chain(rows)
            if whole:
                out[...] = result.T
            else:
                out[:, group.indices] = result.T

    @property
    def description(self) -> list[str]:
        """Human-readable filter chain per channel (for BIDS SoftwareFilters and reports)."""
        texts = {RAW: self._describe_raw, ENVELOPE: self._describe_envelope}
        described = {kind: texts[kind]() for kind in self._designs}
        return [described[kind] for kind in self._kinds]

    def _describe_notches(self, upper_hz: float) -> str:
        """Describe the mains notches below `upper_hz`."""
        freqs = mains_notch_frequencies_hz(self._settings, upper_hz)
        if not freqs:
            return "no mains notch (disabled, or the rate is too low)"
        listed = ", ".join(f"{f:g}" for f in freqs)
        return f"IIR notches (Q {self._settings.notch_q:g}) at {listed} Hz"

    def _describe_raw(self) -> str:
        """Describe the raw chain with its actual edges."""
        s = self._settings
        low_hz, high_hz = s.bandpass_edges_hz
        return (
            f"raw: causal, float32: {self._describe_offsets()}; "
            f"Butterworth band-pass {low_hz:g}-{high_hz:g} Hz (order {BANDPASS_ORDER} per edge); "
            f"{self._describe_notches(high_hz)}; full-wave rectification; "
            f"critically damped 2nd-order low-pass {s.envelope_cutoff_used_hz:g} Hz envelope "
            f"(average rectified value), {self._unit}"
        )

    def _describe_offsets(self) -> str:
        """Describe the resting offset removed from raw channels."""
        offsets = sorted(
            {float(v) for v, k in zip(self._raw_offsets, self._kinds, strict=True) if k == RAW}
        )
        if offsets == [ADC_MIDPOINT_COUNTS] and self._unit == "ADC counts":
            return f"DC offset {ADC_MIDPOINT_COUNTS:g} counts removed"
        listed = ", ".join(f"{v:g}" for v in offsets)
        return f"resting offset {listed} {self._unit} removed"

    def _describe_envelope(self) -> str:
        """Describe the envelope chain with its actual corners."""
        s = self._settings
        return (
            f"envelope: causal, float32: {self._describe_notches(s.nyquist_hz)}; "
            f"critically damped 2nd-order low-pass {s.envelope_cutoff_used_hz:g} Hz smoothing; "
            f"resting floor (minimum over the last {s.baseline_window_s:g} s, rising "
            f"through a {s.baseline_cutoff_hz:g} Hz first-order low-pass) subtracted, "
            f"{self._unit}"
        )
