"""Seeded synthetic signals shared by the DSP tests: EMG-like raw and envelope ADC counts."""

from __future__ import annotations

import numpy as np
import scipy.signal


def burst_profile(rng: np.random.Generator, samples: int, rate_hz: float) -> np.ndarray:
    """Smooth activation level per sample: rest (1) with random 0.3-1.5 s bursts up to 4x."""
    level = np.ones(samples)
    start = int(rng.uniform(0.5, 2.0) * rate_hz)
    while start < samples:
        length = int(rng.uniform(0.3, 1.5) * rate_hz)
        level[start : start + length] = rng.uniform(2.0, 4.0)
        start += length + int(rng.uniform(1.0, 3.0) * rate_hz)
    smoothing = scipy.signal.butter(2, 5.0, fs=rate_hz, output="sos")
    return np.asarray(scipy.signal.sosfiltfilt(smoothing, level))


def emg_like(
    rng: np.random.Generator, seconds: float, rate_hz: float, channels: int, rest_rms: float
) -> np.ndarray:
    """Zero-mean EMG-like float64 `(samples, channels)`: 20-450 Hz noise, amplitude bursts."""
    samples = int(seconds * rate_hz)
    band = scipy.signal.butter(
        4, [20.0, min(450.0, 0.45 * rate_hz)], "bandpass", fs=rate_hz, output="sos"
    )
    noise = scipy.signal.sosfilt(band, rng.standard_normal((samples, channels)), axis=0)
    noise *= rest_rms / noise.std(axis=0)
    profile = np.stack([burst_profile(rng, samples, rate_hz) for _ in range(channels)], axis=1)
    return np.asarray(noise * profile)


def raw_counts(
    rng: np.random.Generator,
    seconds: float,
    rate_hz: float = 1000.0,
    channels: int = 8,
    rest_rms: float = 6.0,
    mains_counts: float = 10.0,
    mains_hz: float = 50.0,
) -> np.ndarray:
    """Raw-sensor counts (uint16) around Vref/2 with EMG, mains + 3rd harmonic, slow drift."""
    samples = int(seconds * rate_hz)
    t_s = np.arange(samples)[:, None] / rate_hz
    phase = rng.uniform(0, 2 * np.pi, channels)[None, :]
    mains = mains_counts * (
        np.sin(2 * np.pi * mains_hz * t_s + phase)
        + 0.3 * np.sin(2 * np.pi * 3 * mains_hz * t_s + 2 * phase)
    )
    drift = 15.0 * np.sin(2 * np.pi * 0.05 * t_s + phase)
    signal = 512.0 + emg_like(rng, seconds, rate_hz, channels, rest_rms) + mains + drift
    return np.clip(np.round(signal), 0, 1023).astype(np.uint16)


def envelope_counts(
    rng: np.random.Generator, seconds: float, rate_hz: float = 1000.0, channels: int = 8
) -> np.ndarray:
    """Envelope-sensor counts (uint16): resting floor ~30 with drift, bursts to ~100-300, noise."""
    samples = int(seconds * rate_hz)
    profile = np.stack([burst_profile(rng, samples, rate_hz) for _ in range(channels)], axis=1)
    t_s = np.arange(samples)[:, None] / rate_hz
    floor = 30.0 + 5.0 * np.sin(2 * np.pi * 0.02 * t_s)
    noise = rng.normal(0.0, 2.0, (samples, channels))
    signal = floor + 60.0 * (profile - 1.0) + noise
    return np.clip(np.round(signal), 0, 1023).astype(np.uint16)
