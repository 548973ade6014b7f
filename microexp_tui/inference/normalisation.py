"""Per-participant normalisation of EMG envelopes, the one function training and live use share.

Every channel is mapped from its units (ADC-count envelopes) to the fraction of the
participant's own range on that channel: `(x - rest) / (max - rest)`, so 0 is that
participant's resting level and 1 their maximal contraction. People differ by a factor of two
in the seed data (maximal envelopes of 436 to 797 counts), and a model that sees raw counts
learns people, not muscles. Rest and span come from the calibration's `normalisation_range`,
which applies the calibration rule (a channel with an unusable span gets the rule's fallback).

Arrays are `(samples, channels)` (or `(windows, samples, channels)`).
"""

from __future__ import annotations

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
