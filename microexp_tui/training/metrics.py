"""Classification metrics as plain JSON: accuracy, macro-F1, UAR, per-class scores, confusion.

Labels are indices into the dataset's class names (neutral 0 first; `dataset.LABELS` by
default). Classes appear in the report when they occur among the true or the predicted
labels; macro-F1 and the unweighted average recall (UAR, the mean of per-class recalls, the
usual figure for unbalanced affect data) average over the classes that occur among the true
labels (a class nobody showed is not scored).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from microexp_tui.training.dataset import LABELS


def _safe_ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, 0 when the denominator is 0."""
    return float(numerator / denominator) if denominator else 0.0


def confusion(y_true: np.ndarray, y_pred: np.ndarray, classes: list[int]) -> np.ndarray:
    """Counts `(true class, predicted class)` over the listed classes."""
    position = {label: i for i, label in enumerate(classes)}
    matrix = np.zeros((len(classes), len(classes)), dtype=np.int64)
    for truth, guess in zip(y_true.tolist(), y_pred.tolist(), strict=True):
        matrix[position[truth], position[guess]] += 1
    return matrix


def report(
    y_true: np.ndarray, y_pred: np.ndarray, names: tuple[str, ...] = LABELS
) -> dict[str, Any]:
    """Accuracy, macro-F1, UAR, per-class precision/recall/F1/support and the confusion matrix."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    classes = sorted(set(y_true.tolist()) | set(y_pred.tolist()))
    matrix = confusion(y_true, y_pred, classes)
    per_class: dict[str, dict[str, float | int]] = {}
    f1_scores, recalls = [], []
    for i, label in enumerate(classes):
        hits, support, predicted = matrix[i, i], matrix[i].sum(), matrix[:, i].sum()
        precision, recall = _safe_ratio(hits, predicted), _safe_ratio(hits, support)
        f1 = _safe_ratio(2 * precision * recall, precision + recall)
        per_class[names[label]] = {
            "precision": round(precision, 6),
            "recall": round(recall, 6),
            "f1": round(f1, 6),
            "support": int(support),
        }
        if support:
            f1_scores.append(f1)
            recalls.append(recall)
    return {
        "windows": int(y_true.size),
        "correct": int(np.trace(matrix)),
        "accuracy": round(_safe_ratio(np.trace(matrix), y_true.size), 6),
        "macro_f1": round(float(np.mean(f1_scores)) if f1_scores else 0.0, 6),
        "uar": round(float(np.mean(recalls)) if recalls else 0.0, 6),
        "per_class": per_class,
        "confusion_matrix": {
            "rows": "true class",
            "columns": "predicted class",
            "classes": [names[label] for label in classes],
            "counts": matrix.tolist(),
        },
    }


def per_participant(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    participant: np.ndarray,
    names: tuple[str, ...],
    classes: tuple[str, ...] = LABELS,
) -> dict[str, dict[str, Any]]:
    """Accuracy, macro-F1 and UAR of each participant's windows."""
    out = {}
    for index, name in enumerate(names):
        mask = participant == index
        if mask.any():
            full = report(y_true[mask], y_pred[mask], classes)
            keys = ("windows", "correct", "accuracy", "macro_f1", "uar")
            out[name] = {k: full[k] for k in keys}
    return out


def summary(participants: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Mean, standard deviation, minimum and maximum of per-participant accuracy."""
    values = np.asarray([p["accuracy"] for p in participants.values()], dtype=np.float64)
    if values.size == 0:
        return {}
    return {
        "mean_accuracy": round(float(values.mean()), 6),
        "std_accuracy": round(float(values.std()), 6),
        "min_accuracy": round(float(values.min()), 6),
        "max_accuracy": round(float(values.max()), 6),
    }
