"""Neutral by activation gating: the seed data has no neutral class, so rest is detected.

The emotion models only know six emotions; shown a relaxed face they would still name one.
A window whose strongest channel stays near the participant's resting level is therefore
called neutral before the model's answer counts. Activation is the largest, over channels,
of the window mean of the normalised envelope (0 = rest, 1 = maximal contraction). The
neutral probability falls linearly from 1 at `low` to 0 at `high`; the emotion
probabilities are the model's, scaled by what is left.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from microexp_tui.errors import ModelError

FloatArray = npt.NDArray[np.float32]

DEFAULT_LOW = 0.10
"""Below this activation a window is surely neutral (resting noise reaches ~0.05)."""
DEFAULT_HIGH = 0.20
"""Above this a window is surely active (the seed data's weakest windows sit near 0.3)."""


@dataclass(frozen=True)
class NeutralGate:
    """Activation thresholds (fractions of the participant's range) of the neutral gate."""

    low: float = DEFAULT_LOW
    high: float = DEFAULT_HIGH

    def __post_init__(self) -> None:
        """The ramp must rise: 0 <= low < high."""
        if not 0.0 <= self.low < self.high:
            raise ModelError(
                f"The neutral gate needs 0 <= low < high, got low {self.low} and high "
                f"{self.high}; fix the model card's 'neutral' section."
            )

    def active_probability(self, activation: np.ndarray) -> FloatArray:
        """Probability that each window shows an expression at all, from its activation."""
        ramp = (np.asarray(activation, dtype=np.float32) - self.low) / (self.high - self.low)
        return np.clip(ramp, 0.0, 1.0).astype(np.float32)


def window_activation(windows: np.ndarray) -> FloatArray:
    """Largest per-channel mean of `(windows, rows, channels)` normalised windows: `(windows,)`."""
    return np.asarray(windows, dtype=np.float32).mean(axis=1).max(axis=1).astype(np.float32)


def gated_probabilities(
    model_probabilities: np.ndarray, activation: np.ndarray, gate: NeutralGate
) -> FloatArray:
    """`(windows, 1 + classes)` probabilities, neutral first, from the model's and the gate's."""
    active = gate.active_probability(activation)[:, None]
    emotions = np.asarray(model_probabilities, dtype=np.float32) * active
    return np.concatenate([1.0 - active, emotions], axis=1).astype(np.float32)
