"""The seam between live classification (the models issue) and the screens that show it.

Contract with the recorder: it exposes `latest_prediction` (an attribute, or a no-argument
method) that is None until a model has produced something, else an
`inference.live.Prediction` (`classes` and `probabilities` tuples, `sample_index`), a
`{label: probability}` mapping, or an object whose `probabilities` is such a mapping.
A recorder without a model gives None and the UI says "model not loaded"; the calibration
made on the Calibration screen is handed to a running classifier by `apply_calibration`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from microexp_tui.domain.calibration import Calibration
from microexp_tui.domain.emotions import EMOTIONS, NEUTRAL

LABELS: tuple[str, ...] = (NEUTRAL, *EMOTIONS)
"""Display order of the probability bars."""


@dataclass(frozen=True)
class LivePrediction:
    """Emotion probabilities (neutral included) of the latest classified window."""

    probabilities: dict[str, float]
    sample_index: int | None = None
    model: str = ""

    @property
    def top(self) -> str:
        """The most probable label."""
        return max(self.probabilities, key=lambda label: self.probabilities[label])


def latest_prediction(recorder: object) -> LivePrediction | None:
    """The recorder's latest prediction in display form, or None when there is none."""
    source = getattr(recorder, "latest_prediction", None)
    if source is None:
        return None
    try:
        value = source() if callable(source) else source
    except Exception:  # a failing classifier must not take the recording screen down
        return None
    return coerce_prediction(value)


def coerce_prediction(value: Any) -> LivePrediction | None:
    """Accept a LivePrediction, a {label: p} mapping or an object with `probabilities`."""
    if value is None:
        return None
    if isinstance(value, LivePrediction):
        return value
    raw = value if isinstance(value, Mapping) else getattr(value, "probabilities", None)
    classes = getattr(value, "classes", None)
    if isinstance(raw, Sequence) and isinstance(classes, Sequence) and len(raw) == len(classes):
        raw = dict(zip(classes, raw, strict=True))
    if not isinstance(raw, Mapping) or not raw:
        return None
    probabilities = {str(label): float(p) for label, p in raw.items()}
    return LivePrediction(
        probabilities,
        getattr(value, "sample_index", None),
        str(getattr(value, "model", "") or ""),
    )


def classification_problem(recorder: object) -> str | None:
    """Why live classification stopped during the recording, if it did."""
    problem = getattr(recorder, "classification_error", None)
    return str(problem) if problem else None


def apply_calibration(recorder: object, calibration: Calibration) -> bool:
    """Hand a fresh calibration to the recorder's running classifier; False when there is none."""
    classifier = getattr(recorder, "classifier", None)
    if classifier is None or not hasattr(classifier, "calibration"):
        return False
    classifier.calibration = calibration
    return True
