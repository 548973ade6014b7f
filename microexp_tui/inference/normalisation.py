"""Per-participant normalisation of EMG envelopes, the one function training and live use share.

Every channel is mapped from ADC-count envelope units to the fraction of the participant's own
range on that channel: `(x - rest) / (max - rest)`, so 0 is that participant's resting level
and 1 their maximal contraction. People differ by a factor of two in the seed data (maximal
envelopes of 436 to 797 counts), and a model that sees raw counts learns people, not muscles.

Arrays are `(samples, channels)` (or `(windows, samples, channels)`); calibrations hold one
value per channel in ADC counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from microexp_tui.errors import InputError

FloatArray = npt.NDArray[np.float32]

REST_QUANTILE = 0.25
"""Label-free rest estimate: a channel is at rest most of the time (75% of the seed rows,
~90% of a stimulus session), so its lower quartile lies inside its resting level."""
MAX_QUANTILE = 0.99
"""Label-free maximal-contraction estimate: the top 1% of the channel's envelope."""
MIN_RANGE_COUNTS = 100.0
"""A channel never seen contracting keeps at least this range (the seed data's weakest
contraction is ~150 counts above rest), so resting noise is not blown up into activity."""
CLIP_RANGE = (-1.0, 2.0)
"""Normalised values are clipped here: clipping or motion artifacts far above a maximal
contraction must not drive the model far outside what it was trained on."""


@dataclass(frozen=True)
class Calibration:
    """A participant's resting level and maximal contraction per channel, in ADC counts."""

    rest_counts: tuple[float, ...]
    max_counts: tuple[float, ...]

    def __post_init__(self) -> None:
        """Reject calibrations that cannot normalise (length mismatch, empty or flat range)."""
        if not self.rest_counts or len(self.rest_counts) != len(self.max_counts):
            raise InputError(
                f"A calibration needs one rest and one max value per channel; got "
                f"{len(self.rest_counts)} rest and {len(self.max_counts)} max values."
            )
        values = np.asarray([self.rest_counts, self.max_counts], dtype=np.float64)
        if not np.isfinite(values).all() or (values[1] - values[0] <= 0).any():
            raise InputError(
                "Every channel's maximal contraction must be a finite number above its rest "
                f"level; got rest {list(self.rest_counts)} and max {list(self.max_counts)}. "
                "Record the calibration again (relaxed face, then each muscle at its strongest)."
            )

    @property
    def channels(self) -> int:
        """Number of channels calibrated."""
        return len(self.rest_counts)

    def as_json(self) -> dict[str, list[float]]:
        """JSON form (rounded to 0.01 count) for model cards and reports."""
        return {
            "rest_counts": [round(v, 2) for v in self.rest_counts],
            "max_counts": [round(v, 2) for v in self.max_counts],
        }

    @classmethod
    def from_json(cls, data: Any) -> Calibration:
        """Read the `as_json` form; InputError when malformed."""
        try:
            rest = tuple(float(v) for v in data["rest_counts"])
            top = tuple(float(v) for v in data["max_counts"])
        except (KeyError, TypeError, ValueError) as err:
            raise InputError(
                f"A calibration must be {{'rest_counts': [...], 'max_counts': [...]}}: {err!r}"
            ) from err
        return cls(rest, top)


def _with_min_range(rest: np.ndarray, top: np.ndarray) -> Calibration:
    """A calibration whose range on every channel is at least MIN_RANGE_COUNTS."""
    top = np.maximum(top, rest + MIN_RANGE_COUNTS)
    return Calibration(tuple(float(v) for v in rest), tuple(float(v) for v in top))


def _check_envelope(envelope: np.ndarray, what: str) -> np.ndarray:
    """A non-empty finite (samples, channels) float64 array, else InputError."""
    array = np.asarray(envelope, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise InputError(
            f"The {what} must be a non-empty (samples, channels) array, got {array.shape}."
        )
    if not np.isfinite(array).all():
        raise InputError(f"The {what} holds NaN or infinite values; drop the lost samples first.")
    return array


def estimate_calibration(envelope: np.ndarray) -> Calibration:
    """Label-free calibration of one participant from any stretch of their envelope.

    rest = the REST_QUANTILE and max = the MAX_QUANTILE of each channel (never less than
    MIN_RANGE_COUNTS apart). It uses no labels, so a held-out participant may be calibrated
    from their own unlabelled data without leaking the answer.
    """
    array = _check_envelope(envelope, "envelope to calibrate from")
    rest = np.quantile(array, REST_QUANTILE, axis=0)
    top = np.quantile(array, MAX_QUANTILE, axis=0)
    return _with_min_range(rest, top)


def calibration_from_segments(rest: np.ndarray, contraction: np.ndarray) -> Calibration:
    """Calibration from a relaxed-face recording and maximal contractions of every muscle.

    rest = each channel's median during the relaxed segment; max = the MAX_QUANTILE of each
    channel during the contraction segment (the classic rest + MVC calibration).
    """
    relaxed = _check_envelope(rest, "rest segment")
    strongest = _check_envelope(contraction, "contraction segment")
    if relaxed.shape[1] != strongest.shape[1]:
        raise InputError(
            f"The rest segment has {relaxed.shape[1]} channels and the contraction segment "
            f"{strongest.shape[1]}; record both with the same montage."
        )
    return _with_min_range(np.median(relaxed, axis=0), np.quantile(strongest, MAX_QUANTILE, axis=0))


def pooled_calibration(calibrations: Sequence[Calibration]) -> Calibration:
    """Per-channel median of several participants' calibrations: a population default."""
    if not calibrations:
        raise InputError("Cannot pool an empty list of calibrations.")
    rest = np.median([c.rest_counts for c in calibrations], axis=0)
    top = np.median([c.max_counts for c in calibrations], axis=0)
    return _with_min_range(rest, top)


def normalise(envelope: np.ndarray, calibration: Calibration) -> FloatArray:
    """Map `(..., channels)` envelope counts to float32 fractions of each channel's range.

    `(x - rest) / (max - rest)` per channel, clipped to CLIP_RANGE. The same call prepares
    training rows, evaluation windows and live windows.
    """
    array = np.asarray(envelope, dtype=np.float32)
    if array.shape[-1] != calibration.channels:
        raise InputError(
            f"The envelope has {array.shape[-1]} channels but the calibration "
            f"{calibration.channels}; calibrate with the same montage."
        )
    rest = np.asarray(calibration.rest_counts, dtype=np.float32)
    scale = np.float32(1.0) / (np.asarray(calibration.max_counts, dtype=np.float32) - rest)
    out = (array - rest) * scale
    return np.clip(out, CLIP_RANGE[0], CLIP_RANGE[1]).astype(np.float32, copy=False)
