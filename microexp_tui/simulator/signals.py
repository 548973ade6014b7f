"""Seeded, vectorised EMG signal generators: Muscle Sensor V3 envelopes and MyoWare raw EMG.

Everything that has state (filtered noise, drift, motion artifacts) is produced in fixed
pages of `PAGE_SAMPLES` sample sets from generators seeded by (seed, stream, page), so
the output never depends on how callers slice blocks; muscle activations are stateless
functions of time added on top. Arrays are (samples, channels). scipy.signal is imported
on first use (call `warm_up` early), so `microexp --help` does not pay for it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

ADC_MAX_COUNTS = 1023
RAW_CENTRE_COUNTS = 512.0
REST_MEAN_COUNTS = 32.0
"""Mean envelope of a relaxed muscle in the seed data (rows at 0..64)."""
REST_STD_COUNTS = 11.0
MAX_ACTIVE_COUNTS = 600.0
"""Envelope apex of a maximal expression (the seed data's active rows reach ~600)."""
PAGE_SAMPLES = 4096

ENVELOPE_SMOOTHING_HZ = 8.0
FLUCTUATION_HZ = 3.0
FLUCTUATION_FRACTION = 0.1
ENVELOPE_MAINS_LEAK = 0.15
"""Fraction of the raw mains interference left as ripple on an envelope (~1-3 counts)."""
RAW_REST_RMS_COUNTS = 4.0
RAW_RMS_PER_ENVELOPE_COUNT = 0.3
"""Raw burst RMS per envelope count above rest (apex 364 counts -> ~100 counts RMS)."""
EMG_BAND_HZ = (20.0, 450.0)
DRIFT_HZ = 0.3
DRIFT_STD_COUNTS = 12.0
ARTIFACT_DURATION_S = (0.03, 0.15)
ARTIFACT_AMPLITUDE_COUNTS = (150.0, 450.0)

_TAG_CONSTANTS = 1
_TAG_NOISE = 2
_TAG_ARTIFACTS = 3


@dataclass(frozen=True)
class ChannelActivation:
    """One muscle contraction on one channel, timed by its half-amplitude crossings."""

    channel: int
    onset_s: float
    duration_s: float
    level_counts: float

    @property
    def ramp_s(self) -> float:
        """Length of the raised-cosine onset and offset ramps."""
        return min(self.duration_s, max(0.01, min(0.2, 0.3 * self.duration_s)))

    @property
    def start_s(self) -> float:
        """Time the onset ramp begins (the envelope leaves rest)."""
        return self.onset_s - self.ramp_s / 2

    @property
    def end_s(self) -> float:
        """Time the offset ramp ends (the envelope is back at rest)."""
        return self.onset_s + self.duration_s + self.ramp_s / 2


@dataclass(frozen=True)
class SignalConfig:
    """What the generator makes: sensor kind, rate, channels and the noise sources."""

    mode: str
    sample_rate_hz: int
    channels: int
    seed: int
    stream: int = 0
    mains_hz: float = 50.0
    motion_artifacts_per_min: float = 1.0


def activation_shape(t_s: FloatArray, activation: ChannelActivation) -> FloatArray:
    """0..1 envelope of an activation: raised-cosine onset, flat apex, raised-cosine offset."""
    ramp = activation.ramp_s
    rise = np.clip((t_s - activation.start_s) / ramp, 0.0, 1.0)
    fall = np.clip((activation.end_s - t_s) / ramp, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * np.minimum(rise, fall))


def activation_excess(
    t_s: FloatArray, channels: int, activations: Sequence[ChannelActivation]
) -> FloatArray:
    """(samples, channels) envelope counts above rest contributed by the activations."""
    excess = np.zeros((t_s.size, channels))
    if t_s.size == 0:
        return excess
    first, last = float(t_s[0]), float(t_s[-1])
    for activation in activations:
        if activation.channel >= channels or activation.end_s < first:
            continue
        if activation.start_s > last:
            continue
        level = max(activation.level_counts - REST_MEAN_COUNTS, 0.0)
        excess[:, activation.channel] += level * activation_shape(t_s, activation)
    return excess


def warm_up() -> None:
    """Import scipy.signal (0.5-2 s) before the board is announced, so START streams at once."""
    import scipy.signal  # noqa: F401


@lru_cache(maxsize=32)
def _filter(kind: str, cutoff_hz: tuple[float, ...], rate_hz: int, order: int) -> FloatArray:
    """Butterworth second-order sections for a filter, cached per design."""
    from scipy import signal as sps

    nyquist = rate_hz / 2
    edges = [min(edge, 0.45 * rate_hz) / nyquist for edge in cutoff_hz]
    wn = edges[0] if len(edges) == 1 else edges
    return np.asarray(sps.butter(order, wn, btype=kind, output="sos"))


@lru_cache(maxsize=32)
def _unit_gain(kind: str, cutoff_hz: tuple[float, ...], rate_hz: int, order: int) -> float:
    """Factor that gives the filter's output unit variance for unit white noise."""
    from scipy import signal as sps

    sos = _filter(kind, cutoff_hz, rate_hz, order)
    length = int(rate_hz * 40 / min(cutoff_hz)) + 1024
    impulse = np.zeros(length)
    impulse[0] = 1.0
    energy = float(np.sum(sps.sosfilt(sos, impulse) ** 2))
    return 1.0 / math.sqrt(energy)


class _FilteredNoise:
    """Unit-variance filtered Gaussian noise with filter state carried across pages."""

    def __init__(self, kind: str, cutoff_hz: tuple[float, ...], rate_hz: int, channels: int):
        """Design the filter and start from zero state."""
        order = 2 if kind == "lowpass" else 4
        self._sos = _filter(kind, cutoff_hz, rate_hz, order)
        self._gain = _unit_gain(kind, cutoff_hz, rate_hz, order)
        self._state = np.zeros((self._sos.shape[0], 2, channels))

    def page(self, white: FloatArray) -> FloatArray:
        """Filter one page of white noise (samples, channels), continuing the state."""
        from scipy import signal as sps

        out, self._state = sps.sosfilt(self._sos, white, axis=0, zi=self._state)
        return np.asarray(out) * self._gain


@dataclass(frozen=True)
class _Page:
    """The event-independent parts of one page: additive base, activation multiplier and the
    motion artifacts (kept apart: a participant keeping still makes none)."""

    base: FloatArray
    carrier: FloatArray
    artifacts: FloatArray


class SignalGenerator:
    """Produces ADC counts for consecutive sample indices of one stream."""

    def __init__(self, config: SignalConfig) -> None:
        """Draw the per-channel constants and set up the noise filters."""
        self.config = config
        rate, channels = config.sample_rate_hz, config.channels
        constants = np.random.default_rng([config.seed, _TAG_CONSTANTS])
        self._rest_offset = constants.uniform(-4.0, 4.0, channels)
        self._mains_amplitude = constants.uniform(5.0, 15.0, channels)
        self._mains_phase = constants.uniform(0.0, 2 * np.pi, channels)
        if config.mode == "raw":
            self._noises = [
                _FilteredNoise("bandpass", EMG_BAND_HZ, rate, channels),
                _FilteredNoise("lowpass", (DRIFT_HZ,), rate, channels),
                _FilteredNoise("lowpass", (FLUCTUATION_HZ,), rate, channels),
            ]
        else:
            self._noises = [
                _FilteredNoise("lowpass", (ENVELOPE_SMOOTHING_HZ,), rate, channels),
                _FilteredNoise("lowpass", (FLUCTUATION_HZ,), rate, channels),
            ]
        self._pages: dict[int, _Page] = {}
        self._next_page = 0

    def block(
        self,
        first_index: int,
        n_samples: int,
        activations: Sequence[ChannelActivation],
        still_windows: Sequence[tuple[float, float]] = (),
    ) -> FloatArray:
        """(samples, channels) counts (float, unclipped) for indices first_index.. onwards;
        no motion artifact within the [from_s, until_s) `still_windows`."""
        t_s = np.arange(first_index, first_index + n_samples) / self.config.sample_rate_hz
        excess = activation_excess(t_s, self.config.channels, activations)
        base, carrier, artifacts = self._page_slices(first_index, n_samples)
        moving = np.ones(t_s.size, dtype=bool)
        for from_s, until_s in still_windows:
            moving &= (t_s < from_s) | (t_s >= until_s)
        base = base + artifacts * moving[:, np.newaxis]
        if self.config.mode == "raw":
            rms = RAW_REST_RMS_COUNTS + RAW_RMS_PER_ENVELOPE_COUNT * excess * (
                1.0 + FLUCTUATION_FRACTION * carrier[:, :, 1]
            )
            return base + carrier[:, :, 0] * rms
        return base + excess * (1.0 + FLUCTUATION_FRACTION * carrier[:, :, 0])

    def _page_slices(
        self, first_index: int, n_samples: int
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Base, carrier and artifact arrays covering the requested indices, from pages."""
        first_page = first_index // PAGE_SAMPLES
        last_page = (first_index + max(n_samples, 1) - 1) // PAGE_SAMPLES
        pages = [self._page(number) for number in range(first_page, last_page + 1)]
        offset = first_index - first_page * PAGE_SAMPLES
        base = np.concatenate([page.base for page in pages])[offset : offset + n_samples]
        carrier = np.concatenate([page.carrier for page in pages])[offset : offset + n_samples]
        artifacts = np.concatenate([page.artifacts for page in pages])[offset : offset + n_samples]
        for number in [key for key in self._pages if key < first_page]:
            del self._pages[number]
        return base, carrier, artifacts

    def _page(self, number: int) -> _Page:
        """A page of event-independent signal, computing the pages before it if needed."""
        if number in self._pages:
            return self._pages[number]
        if number < self._next_page:
            raise ValueError(f"signal page {number} was already discarded (indices go forward)")
        while self._next_page <= number:
            self._pages[self._next_page] = self._compute_page(self._next_page)
            self._next_page += 1
        return self._pages[number]

    def _compute_page(self, number: int) -> _Page:
        """Filtered noise, mains, drift and motion artifacts of one page."""
        config = self.config
        rng = np.random.default_rng([config.seed, _TAG_NOISE, config.stream, number])
        white = rng.standard_normal((len(self._noises), PAGE_SAMPLES, config.channels))
        filtered = [noise.page(white[i]) for i, noise in enumerate(self._noises)]
        first = number * PAGE_SAMPLES
        t_s = np.arange(first, first + PAGE_SAMPLES) / config.sample_rate_hz
        mains = self._mains(t_s)
        artifacts = self._artifacts(number, t_s)
        if config.mode == "raw":
            base = RAW_CENTRE_COUNTS + DRIFT_STD_COUNTS * filtered[1] + mains
            carrier = np.stack([filtered[0], filtered[2]], axis=2)
        else:
            rest = REST_MEAN_COUNTS + self._rest_offset + REST_STD_COUNTS * filtered[0]
            base = rest + ENVELOPE_MAINS_LEAK * mains
            carrier = filtered[1][:, :, np.newaxis]
            artifacts = np.abs(artifacts)
        return _Page(base=base, carrier=carrier, artifacts=artifacts)

    def _mains(self, t_s: FloatArray) -> FloatArray:
        """Mains interference with a third harmonic, per-channel amplitude and phase."""
        phase = 2 * np.pi * self.config.mains_hz * t_s[:, np.newaxis] + self._mains_phase
        return self._mains_amplitude * (np.sin(phase) + 0.25 * np.sin(3 * phase))

    def _artifacts(self, number: int, t_s: FloatArray) -> FloatArray:
        """Motion artifacts (fast bumps on several channels) overlapping this page."""
        out = np.zeros((t_s.size, self.config.channels))
        for event in self._artifact_events(number - 1) + self._artifact_events(number):
            start_s, duration_s, channels, amplitudes = event
            x = (t_s - start_s) / duration_s
            inside = (x >= 0) & (x <= 1)
            if inside.any():
                bump = 0.5 - 0.5 * np.cos(2 * np.pi * x[inside])
                out[np.ix_(inside, channels)] += bump[:, np.newaxis] * amplitudes
        return out

    def _artifact_events(
        self, number: int
    ) -> list[tuple[float, float, npt.NDArray[np.int64], FloatArray]]:
        """Motion artifacts starting in a page: (start_s, duration_s, channels, amplitudes)."""
        config = self.config
        if number < 0 or config.motion_artifacts_per_min <= 0:
            return []
        rng = np.random.default_rng([config.seed, _TAG_ARTIFACTS, config.stream, number])
        page_s = PAGE_SAMPLES / config.sample_rate_hz
        events = []
        for _ in range(rng.poisson(config.motion_artifacts_per_min / 60 * page_s)):
            start_s = (number + rng.uniform()) * page_s
            duration_s = rng.uniform(*ARTIFACT_DURATION_S)
            count = int(rng.integers(min(3, config.channels), min(6, config.channels) + 1))
            channels = np.sort(rng.choice(config.channels, size=count, replace=False))
            amplitudes = rng.uniform(*ARTIFACT_AMPLITUDE_COUNTS) * rng.choice([-1.0, 1.0])
            spread = rng.uniform(0.6, 1.0, count) * amplitudes
            events.append((start_s, duration_s, channels, spread))
        return events


def to_counts(values: FloatArray) -> npt.NDArray[np.uint16]:
    """Round and clip float counts to the 10-bit ADC range."""
    return np.clip(np.rint(values), 0, ADC_MAX_COUNTS).astype(np.uint16)
