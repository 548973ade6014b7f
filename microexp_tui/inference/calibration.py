"""Calibrated probabilities: temperature scaling of the network's softmax, and how it is judged.

A network trained to 100% window accuracy answers 0% or 100% even on windows unlike its
training data (onsets, one muscle of a pair, a spontaneous burst). Temperature scaling
divides the logits by T > 1 before the softmax; on probabilities that is `p ** (1 / T)`
renormalised (the softmax's shift cancels), so it applies to a stored softmax as well. With
the neutral gate, only the emotion part is scaled: the gate's neutral probability stays, the
emotions share what is left in the scaled proportions. T is fitted by minimising the negative
log-likelihood on held-out participants' labelled windows (`fit_temperature`); the expected
calibration error (`expected_calibration_error`) says how far confidence is from accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize_scalar

FloatArray = npt.NDArray[np.float64]

TEMPERATURE_RANGE = (0.05, 50.0)
"""The temperatures a fit may choose from (a log-scale bounded search)."""
ECE_BINS = 15
"""Equal-width confidence bins of the expected calibration error."""
_FLOOR = 1e-12
"""Smallest probability a log-likelihood sees (a confident miss costs log(1e-12), not inf)."""


@dataclass(frozen=True)
class TemperatureScaling:
    """Divide the logits by `temperature`; with `gated`, class 0 is the gate's neutral."""

    temperature: float = 1.0
    gated: bool = True

    def apply(self, probabilities: npt.ArrayLike) -> FloatArray:
        """Calibrated `(windows, classes)` probabilities (float64) from raw ones."""
        raw = np.atleast_2d(np.asarray(probabilities, dtype=np.float64))
        if not self.gated:
            return _sharpen(raw, self.temperature)
        active = raw[:, 1:].sum(axis=1, keepdims=True)
        emotions = _sharpen(raw[:, 1:], self.temperature) * active
        return np.concatenate([1.0 - active, emotions], axis=1)


def _sharpen(probabilities: FloatArray, temperature: float) -> FloatArray:
    """`p ** (1 / T)` renormalised per row (uniform for an all-zero row)."""
    scaled = np.power(np.maximum(probabilities, 0.0), 1.0 / temperature)
    total = scaled.sum(axis=1, keepdims=True)
    uniform = np.full_like(scaled, 1.0 / scaled.shape[1])
    return np.where(total > 0, scaled / np.where(total > 0, total, 1.0), uniform)


def negative_log_likelihood(probabilities: npt.ArrayLike, labels: npt.ArrayLike) -> float:
    """Mean -log p(true class) of `(windows, classes)` probabilities and integer labels."""
    probs = np.atleast_2d(np.asarray(probabilities, dtype=np.float64))
    index = np.asarray(labels, dtype=np.int64)
    chosen = probs[np.arange(len(index)), index]
    return float(-np.log(np.maximum(chosen, _FLOOR)).mean())


def fit_temperature(
    probabilities: npt.ArrayLike, labels: npt.ArrayLike, *, gated: bool = True
) -> TemperatureScaling:
    """The temperature minimising the NLL of `labels` (ValueError without windows)."""
    raw = np.atleast_2d(np.asarray(probabilities, dtype=np.float64))
    index = np.asarray(labels, dtype=np.int64)
    if raw.shape[0] == 0 or raw.shape[0] != index.shape[0]:
        raise ValueError("fitting a temperature needs one label per window and some windows")

    def cost(log_t: float) -> float:
        """NLL at temperature exp(log_t)."""
        scaled = TemperatureScaling(float(np.exp(log_t)), gated).apply(raw)
        return negative_log_likelihood(scaled, index)

    low, high = np.log(TEMPERATURE_RANGE)
    found = minimize_scalar(cost, bounds=(low, high), method="bounded", options={"xatol": 1e-4})
    return TemperatureScaling(round(float(np.exp(found.x)), 4), gated)


def expected_calibration_error(
    probabilities: npt.ArrayLike, labels: npt.ArrayLike, bins: int = ECE_BINS
) -> float:
    """Top-label ECE: window-weighted mean |accuracy - confidence| over confidence bins."""
    probs = np.atleast_2d(np.asarray(probabilities, dtype=np.float64))
    index = np.asarray(labels, dtype=np.int64)
    if probs.shape[0] == 0:
        return 0.0
    confidence = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == index).astype(np.float64)
    which = np.minimum((confidence * bins).astype(np.int64), bins - 1)
    total = 0.0
    for b in np.unique(which):
        members = which == b
        total += members.sum() * abs(correct[members].mean() - confidence[members].mean())
    return float(total / probs.shape[0])
