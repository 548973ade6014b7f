"""The typed result of classifying one window (light: importable without onnxruntime)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from microexp_tui.errors import InputError

if TYPE_CHECKING:
    import numpy as np

DEFAULT_HOP_MS = 100.0
"""Live classification runs every 100 ms of sample time unless told otherwise."""


@dataclass(frozen=True)
class Prediction:
    """One classified window: the displayed class and probabilities, and the model's raw ones."""

    sample_index: int
    """Session index one past the window's last sample (the window ends here)."""
    window_samples: int
    """Length of the window in session samples (it starts at sample_index - window_samples)."""
    label: str
    classes: tuple[str, ...]
    probabilities: tuple[float, ...]
    """Displayed: one per class, neutral first, summing to 1; calibrated and accumulated over
    the run's windows (`evidence.py`)."""
    activation: float
    """Strongest channel's window mean as a fraction of the participant's range (0 = rest)."""
    raw_probabilities: tuple[float, ...] = ()
    """The model's own answer for this window alone (softmax through the neutral gate)."""

    def probability(self, label: str) -> float:
        """Probability of one class (InputError for a class the model does not know)."""
        if label not in self.classes:
            raise InputError(f"Unknown class {label!r}; the classes are {', '.join(self.classes)}.")
        return self.probabilities[self.classes.index(label)]


def prediction_records(
    classes: tuple[str, ...],
    ends: Sequence[int],
    window_samples: int,
    raw: np.ndarray,
    shown: np.ndarray,
    activation: np.ndarray,
) -> list[Prediction]:
    """Prediction records of windows ending at `ends`, labelled by their displayed class (the
    live and the offline classification build their records here)."""
    labels = shown.argmax(axis=1).tolist() if len(ends) else []
    return [
        Prediction(
            sample_index=end,
            window_samples=window_samples,
            label=classes[label],
            classes=classes,
            probabilities=tuple(displayed),
            activation=level,
            raw_probabilities=tuple(window_raw),
        )
        for end, label, displayed, level, window_raw in zip(
            ends, labels, shown.tolist(), activation.tolist(), raw.tolist(), strict=True
        )
    ]
