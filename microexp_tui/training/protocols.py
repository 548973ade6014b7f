"""Evaluation protocols: the article's random split, and leave-one-participant-out.

- `split`: a seeded random 80/20 split of the windows (in sample mode: of single rows, the
  article's protocol). Train and test rows come from the same people, and in sample mode
  neighbouring rows of the same block land on both sides.
- `loso`: for each participant, a model trained on all the others is tested on all of that
  participant's windows. Nothing of the held-out person (not even their calibration, which
  is estimated from their own unlabelled data) is seen in training.

Windows are cut inside blocks (see `dataset.cut_windows`); with the default stride equal
to the window length they do not overlap at all, so no row is ever in both a training and a
test window. Predictions pass the neutral gate exactly as in live use when the model has one
(see `classes.py`). Every result names its protocol: `row split` (split in sample mode),
`window split` (split in window mode) or `leave-one-participant-out`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from microexp_tui.training import metrics
from microexp_tui.training.classes import ClassPlan
from microexp_tui.training.dataset import Windows
from microexp_tui.training.fit import FitSettings, fit, predict_probabilities
from microexp_tui.training.progress import Progress

TEST_FRACTION = 0.2


@dataclass(frozen=True)
class ProtocolResult:
    """Pooled test predictions of a protocol and their metrics."""

    protocol: str
    name: str
    """`row split`, `window split` or `leave-one-participant-out`."""
    description: str
    y_true: np.ndarray
    y_pred: np.ndarray
    participant: np.ndarray
    participants: tuple[str, ...]
    classes: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        """Metrics, and per-participant results with their spread."""
        out: dict[str, Any] = {
            "protocol": self.protocol,
            "protocol_name": self.name,
            "description": self.description,
            "metrics": metrics.report(self.y_true, self.y_pred, self.classes),
        }
        people = metrics.per_participant(
            self.y_true, self.y_pred, self.participant, self.participants, self.classes
        )
        out["per_participant"] = people
        out["per_participant_summary"] = metrics.summary(people)
        return out


def predicted_labels(model: Any, x: np.ndarray, plan: ClassPlan) -> np.ndarray:
    """Labels (index into the dataset's labels) of a Keras model, neutral as the plan says."""
    return plan.labels_of(predict_probabilities(model, x), x)


def run_split(
    settings: FitSettings, windows: Windows, plan: ClassPlan, progress: Progress
) -> tuple[ProtocolResult, Any]:
    """Random 80/20 split of the windows; returns the result and the model trained on 80%."""
    order = np.random.default_rng(settings.seed).permutation(len(windows))
    n_test = round(TEST_FRACTION * len(windows))
    test, train = windows.subset(order[:n_test]), windows.subset(order[n_test:])
    progress.stage(f"split 80/20 ({len(train)} train / {len(test)} test windows)")
    model = fit(settings, train, plan, progress)
    unit = (
        "rows"
        if settings.window_rows == 1
        else f"non-overlapping {settings.window_rows}-row windows"
    )
    result = ProtocolResult(
        "split",
        "row split" if settings.window_rows == 1 else "window split",
        f"random 80/20 split (seed {settings.seed}) of {len(windows)} {unit} pooled over "
        f"{len(windows.participants)} participants; test rows come from the same people",
        test.y,
        predicted_labels(model, test.x, plan),
        test.participant,
        windows.participants,
        windows.classes,
    )
    return result, model


def run_loso(
    settings: FitSettings, windows: Windows, plan: ClassPlan, progress: Progress
) -> ProtocolResult:
    """Leave-one-participant-out: one fold per participant, predictions pooled."""
    truths, guesses, owners = [], [], []
    names = windows.participants
    for fold, name in enumerate(names):
        held = windows.participant == fold
        progress.stage(f"fold {fold + 1}/{len(names)} (test {name})")
        model = fit(settings, windows.subset(~held), plan, progress)
        test = windows.subset(held)
        truths.append(test.y)
        guesses.append(predicted_labels(model, test.x, plan))
        owners.append(test.participant)
    return ProtocolResult(
        "loso",
        "leave-one-participant-out",
        f"leave-one-participant-out over {len(names)} participants: each participant's "
        f"{settings.window_rows}-row windows classified by a model trained on the others",
        np.concatenate(truths),
        np.concatenate(guesses),
        np.concatenate(owners),
        names,
        windows.classes,
    )
