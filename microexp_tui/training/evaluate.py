"""Evaluation of an exported model (ONNX + card) on a dataset, with onnxruntime only.

This is what `microexp evaluate` runs and what the test suite uses to recompute the shipped
models' accuracy on the participants they were not trained on: windows cut as in training
(the card's window length and stride, inside blocks), each participant normalised as the
card says from their own unlabelled rows, classified through onnxruntime (and the neutral gate
when the model has one). The model must fit the data (`inference.fit`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from microexp_tui.errors import ModelError
from microexp_tui.inference.fit import check_fit
from microexp_tui.inference.model import EmotionModel
from microexp_tui.training import metrics
from microexp_tui.training.dataset import Dataset, Windows, cut_windows

BATCH_WINDOWS = 8192


def check_channels(model: EmotionModel, dataset: Dataset) -> None:
    """Refuse a dataset whose channels or units are not the model's, or whose row rate differs."""
    check_fit(model.card, dataset.channels, f"the dataset {dataset.path}")
    if abs(model.card.rate_hz - dataset.rate_hz) > 1e-9:
        raise ModelError(
            f"Model {model.model_id} expects rows at {model.card.rate_hz:g} Hz but the dataset "
            f"has {dataset.rate_hz:g} Hz rows."
        )


def class_names(model: EmotionModel, dataset: Dataset) -> tuple[str, ...]:
    """The dataset's labels, then any class of the model the dataset does not have."""
    extra = tuple(c for c in model.card.output_classes if c not in dataset.labels)
    return (*dataset.labels, *extra)


def predict_windows(model: EmotionModel, windows: Windows, names: tuple[str, ...]) -> np.ndarray:
    """Predicted labels (index into `names`) of every window, through ONNX (and the gate)."""
    index = np.asarray([names.index(c) for c in model.card.output_classes])
    labels = [
        index[model.classify(windows.x[i : i + BATCH_WINDOWS]).label_indices]
        for i in range(0, len(windows), BATCH_WINDOWS)
    ]
    return np.concatenate(labels) if labels else np.empty(0, dtype=np.int64)


def evaluate_model(
    model: EmotionModel, dataset: Dataset, stride_rows: int | None = None
) -> dict[str, Any]:
    """Metrics of `model` on every labelled window of `dataset`, pooled and per participant."""
    check_channels(model, dataset)
    stride = (
        stride_rows
        or int(model.card.raw["input"].get("training_stride_rows", 0))
        or model.card.window_rows
    )
    windows = cut_windows(
        dataset,
        model.card.window_rows,
        stride,
        drop_inactive=dataset.kind == "sessions",
        normalisation=model.card.normalisation,
    )
    names = class_names(model, dataset)
    predicted = predict_windows(model, windows, names)
    people = metrics.per_participant(
        windows.y, predicted, windows.participant, windows.participants, names
    )
    return {
        "model": str(model.path),
        "model_id": model.model_id,
        "dataset": {
            "path": dataset.path,
            "kind": dataset.kind,
            "participants": dataset.participants,
            "content_sha256": dataset.content_sha256,
        },
        "protocol_name": "held-out evaluation",
        "protocol": (
            f"held-out evaluation: every {model.card.window_rows}-row window (stride {stride} "
            "rows, inside blocks) of the listed participants, each calibrated from their own "
            "unlabelled rows, through onnxruntime and the neutral gate"
            if model.card.normalisation.method == "calibration-range"
            else f"held-out evaluation: every {model.card.window_rows}-row window (stride "
            f"{stride} rows, inside blocks) of the listed participants, each standardised from "
            f"their own unlabelled rows, through onnxruntime (neutral: "
            f"{model.card.raw.get('neutral', {}).get('mode', 'gate')})"
        ),
        "metrics": metrics.report(windows.y, predicted, names),
        "per_participant": people,
        "per_participant_summary": metrics.summary(people),
    }


def evaluate_file(model_path: Path, dataset: Dataset) -> dict[str, Any]:
    """Load a model file with its card and evaluate it on `dataset`."""
    return evaluate_model(EmotionModel.load(model_path), dataset)
