"""Per-participant normalisation of EMG envelopes, the one function training and live use share.

Every channel is mapped from its units (ADC-count envelopes) to the fraction of the
participant's own range on that channel: `(x - rest) / (max - rest)`, so 0 is that
participant's resting level and 1 their maximal contraction. People differ by a factor of two
in the seed data (maximal envelopes of 436 to 797 counts), and a model that sees raw counts
learns people, not muscles. Rest and span come from the calibration's `normalisation_range`,
which applies the calibration rule (a channel with an unusable span gets the rule's fallback).

Features and physical units (any amplifier, any unit) use the other method,
`participant-standardise`: each participant's channels are centred on their own median and
divided by their own robust SD (IQR / 1.349) over all their rows, without labels, after the
natural log of power-like channels (declared, or detected: strictly positive, a skewness of
at least 1, and more symmetric after the log). A model card names its method, so live and
offline use do the same.

Arrays are `(samples, channels)` (or `(windows, samples, channels)`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from microexp_tui.domain.calibration import Calibration
from microexp_tui.errors import InputError

FloatArray = npt.NDArray[np.float32]

CLIP_RANGE = (-1.0, 2.0)
"""Normalised values are clipped here: clipping or motion artifacts far above a maximal
contraction must not drive the model far outside what it was trained on."""


def normalise(envelope: npt.ArrayLike, calibration: Calibration) -> FloatArray:
    """Map `(..., channels)` envelope values to float32 fractions of each channel's range.

    `(x - rest) / span` per channel, clipped to CLIP_RANGE. The same call prepares training
    rows, evaluation windows, live windows and the Recording screen's traces.
    """
    array = np.asarray(envelope, dtype=np.float32)
    if array.shape[-1] != calibration.count:
        raise InputError(
            f"The envelope has {array.shape[-1]} channels but the calibration "
            f"{calibration.count}; calibrate with the same montage."
        )
    rest, span = calibration.normalisation_range()
    scale = (1.0 / span).astype(np.float32)
    out = (array - rest.astype(np.float32)) * scale
    return np.clip(out, CLIP_RANGE[0], CLIP_RANGE[1]).astype(np.float32, copy=False)


RANGE = "calibration-range"
"""Normalisation to each channel's calibrated range (ADC-count envelopes, the board's)."""
STANDARDISE = "participant-standardise"
"""Normalisation to each participant's own robust location and spread (any unit, features)."""
METHODS = (RANGE, STANDARDISE)
STANDARD_CLIP = (-10.0, 10.0)
"""Standardised values are clipped here (10 robust SDs): an outlier must not dominate."""
LOG_SKEWNESS = 1.0
"""A strictly positive channel whose skewness reaches this, and whose log is more symmetric,
is log-transformed (power-like)."""
IQR_PER_SD = 1.349
"""Interquartile range of a normal distribution in standard deviations."""


@dataclass(frozen=True)
class NormalisationSpec:
    """Which normalisation a model uses, and which channels are log-transformed first."""

    method: str = RANGE
    log_channels: tuple[bool, ...] = ()
    """Per channel, whether values are replaced by their natural log (standardise only)."""

    def __post_init__(self) -> None:
        """The method must be one of METHODS."""
        if self.method not in METHODS:
            raise InputError(
                f"Unknown normalisation {self.method!r}; use one of {', '.join(METHODS)}."
            )

    def as_json(self) -> dict[str, Any]:
        """JSON form for cards and reports."""
        return {"method": self.method, "log_channels": list(self.log_channels)}


@dataclass(frozen=True)
class Standardisation:
    """One participant's per-channel centre and spread (after the log of power channels)."""

    centre: npt.NDArray[np.float64]
    scale: npt.NDArray[np.float64]

    def as_json(self) -> dict[str, list[float]]:
        """JSON form for cards."""
        return {
            "centre": [float(v) for v in self.centre],
            "scale": [float(v) for v in self.scale],
        }


def log_transformed(values: npt.ArrayLike, log_channels: Sequence[bool]) -> npt.NDArray[np.float64]:
    """`values` with the natural log taken on the flagged channels (non-positive -> tiny)."""
    array = np.array(values, dtype=np.float64)
    flags = np.asarray(log_channels, dtype=bool)
    if flags.size and flags.any():
        tiny = np.finfo(np.float32).tiny
        array[..., flags] = np.log(np.maximum(array[..., flags], tiny))
    return array


def estimate_standardisation(rows: npt.ArrayLike, spec: NormalisationSpec) -> Standardisation:
    """Median and IQR-based SD of each channel over all of one participant's rows (no labels).

    A channel whose IQR is 0 (mostly constant) falls back to its SD, and to 1 when that is 0.
    """
    array = log_transformed(rows, spec.log_channels)
    if array.ndim != 2 or array.shape[0] == 0 or not np.isfinite(array).all():
        raise InputError(
            "Standardisation needs a non-empty (rows, channels) array of finite values; "
            "drop rows with missing or infinite values."
        )
    low, centre, high = np.quantile(array, [0.25, 0.5, 0.75], axis=0)
    scale = (high - low) / IQR_PER_SD
    sd = array.std(axis=0)
    scale = np.where(scale > 0, scale, np.where(sd > 0, sd, 1.0))
    return Standardisation(centre, scale)


def standardise(
    values: npt.ArrayLike, spec: NormalisationSpec, scaling: Standardisation
) -> FloatArray:
    """`(log(x) or x - centre) / scale` per channel, clipped to STANDARD_CLIP, as float32."""
    array = log_transformed(values, spec.log_channels)
    if array.shape[-1] != scaling.centre.shape[0]:
        raise InputError(
            f"The data have {array.shape[-1]} channels but the standardisation "
            f"{scaling.centre.shape[0]}; use data of the model's channels."
        )
    out = (array - scaling.centre) / scaling.scale
    return np.clip(out, *STANDARD_CLIP).astype(np.float32)


def skewness(column: npt.NDArray[np.float64]) -> float:
    """Sample skewness of a 1-D array (0 for a constant one)."""
    sd = float(column.std())
    return float(np.mean(((column - column.mean()) / sd) ** 3)) if sd > 0 else 0.0


def detect_log_channels(recordings: Sequence[npt.ArrayLike]) -> tuple[bool, ...]:
    """Channels positive everywhere, right-skewed (median skewness >= LOG_SKEWNESS) and more
    symmetric after the log (median |skewness of the log| smaller).

    Power and energy features (average power, RMS squared) are strictly positive and
    heavy-tailed; their log is close to symmetric. Labels are not used.
    """
    arrays = [np.asarray(r, dtype=np.float64) for r in recordings]
    if not arrays:
        return ()
    flags = []
    for channel in range(arrays[0].shape[1]):
        columns = [a[:, channel] for a in arrays if a.shape[0]]
        positive = all(float(c.min()) > 0 for c in columns)
        if not (positive and columns):
            flags.append(False)
            continue
        skew = float(np.median([skewness(c) for c in columns]))
        log_skew = float(np.median([abs(skewness(np.log(c))) for c in columns]))
        flags.append(skew >= LOG_SKEWNESS and log_skew < skew)
    return tuple(flags)


def median_standardisation(scalings: Sequence[Standardisation]) -> Standardisation:
    """Per-channel median of several participants' standardisations (a card's default)."""
    return Standardisation(
        np.median([s.centre for s in scalings], axis=0),
        np.median([s.scale for s in scalings], axis=0),
    )
