"""Which classes a network learns, and where neutral comes from: a class, the gate, or nowhere.

- `class`: some rows are labelled neutral, so neutral is a class the network learns.
- `gate`: calibration-range normalisation without neutral rows (the seed data), or board
  sessions (ADC counts) whose rest periods are neutral: the network learns the other labels
  and the activation gate (`inference.gate`) adds neutral, as it does live on the board; the
  rest windows are still scored.
- `none`: no neutral rows and standardised values, whose activation is not a fraction of a
  range: the network learns the labels it has and never answers neutral.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from microexp_tui.inference.gate import NeutralGate, gated_probabilities, window_activation
from microexp_tui.inference.normalisation import RANGE
from microexp_tui.training.dataset import Dataset

NEUTRAL_MODES = ("class", "gate", "none")


@dataclass(frozen=True)
class ClassPlan:
    """The dataset's labels (neutral first) and how neutral is produced."""

    labels: tuple[str, ...]
    neutral_mode: str

    @classmethod
    def for_dataset(cls, dataset: Dataset, normalisation_method: str) -> ClassPlan:
        """`gate` for ranges without neutral rows or on board sessions, else `class` when
        neutral rows exist, else `none`."""
        board_sessions = dataset.kind == "sessions" and normalisation_method == RANGE
        if dataset.has_neutral and not board_sessions:
            return cls(dataset.labels, "class")
        return cls(dataset.labels, "gate" if normalisation_method == RANGE else "none")

    @property
    def offset(self) -> int:
        """Dataset label index of the network's first output."""
        return 0 if self.neutral_mode == "class" else 1

    @property
    def network_classes(self) -> tuple[str, ...]:
        """The network's outputs, in order."""
        return self.labels[self.offset :]

    def training_mask(self, y: np.ndarray) -> np.ndarray:
        """Windows the network learns from (neutral ones only when neutral is a class)."""
        return np.asarray(y >= self.offset, dtype=bool)

    def targets(self, y: np.ndarray) -> np.ndarray:
        """Network target index of each (trained) window label."""
        return np.asarray(y - self.offset, dtype=np.int64)

    def labels_of(self, probabilities: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Dataset label index of each window from the network's probabilities."""
        if self.neutral_mode == "gate":
            gated = gated_probabilities(probabilities, window_activation(x), NeutralGate())
            return np.asarray(gated.argmax(axis=1), dtype=np.int64)
        return np.asarray(probabilities.argmax(axis=1) + self.offset, dtype=np.int64)
