"""The training loop: seeded, fixed epochs, Adam on sparse cross-entropy, progress on stderr."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from microexp_tui.errors import InputError
from microexp_tui.training import tf_runtime
from microexp_tui.training.architectures import build_model
from microexp_tui.training.classes import ClassPlan
from microexp_tui.training.dataset import Windows
from microexp_tui.training.progress import Progress


@dataclass(frozen=True)
class FitSettings:
    """Hyper-parameters of one training run."""

    architecture: str
    input_mode: str
    window_rows: int
    epochs: int
    seed: int
    batch_size: int = 64
    learning_rate: float = 2e-3

    def as_json(self) -> dict[str, Any]:
        """JSON form for cards and reports."""
        return {
            "epochs": self.epochs,
            "seed": self.seed,
            "batch_size": self.batch_size,
            "optimizer": f"Adam (learning rate {self.learning_rate:g})",
            "loss": "sparse categorical cross-entropy over the network's classes",
        }


def training_targets(windows: Windows, plan: ClassPlan) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and network targets of the windows the network learns from."""
    mask = plan.training_mask(windows.y)
    return windows.x[mask], plan.targets(windows.y[mask])


def fit(settings: FitSettings, windows: Windows, plan: ClassPlan, progress: Progress) -> Any:
    """Train a fresh model on the plan's classes and return it."""
    _, keras = tf_runtime.load()
    x, y = training_targets(windows, plan)
    if x.shape[0] == 0:
        raise InputError("No labelled window to train on; check the dataset's labels.")
    tf_runtime.seed_everything(settings.seed)
    model = build_model(
        settings.architecture,
        settings.input_mode,
        settings.window_rows,
        x.shape[2],
        len(plan.network_classes),
    )
    model.compile(
        optimizer=keras.optimizers.Adam(settings.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    callback = _callback(keras, progress, settings.epochs)
    history = model.fit(
        x,
        y,
        batch_size=settings.batch_size,
        epochs=settings.epochs,
        shuffle=True,
        verbose=0,
        callbacks=[callback],
        class_weight=balanced_weights(y, len(plan.network_classes)),
    )
    last = {k: float(v[-1]) for k, v in history.history.items()}
    progress.done(settings.epochs, last)
    return model


IMBALANCE_RATIO = 1.2
"""Classes are weighted when the largest has more than this many times the smallest's windows."""


def balanced_weights(y: np.ndarray, classes: int) -> dict[int, float] | None:
    """Weights making every present class count alike (None when already about balanced).

    Unweighted, a class with many windows (often neutral) dominates the loss and the UAR
    suffers; balanced data (the seed's) trains exactly as without weights.
    """
    counts = np.bincount(y, minlength=classes).astype(np.float64)
    present = counts[counts > 0]
    if present.size == 0 or present.max() <= IMBALANCE_RATIO * present.min():
        return None
    weights = np.where(counts > 0, counts.sum() / (present.size * np.maximum(counts, 1)), 1.0)
    return {i: float(w) for i, w in enumerate(weights)}


def _callback(keras: Any, progress: Progress, epochs: int) -> Any:
    """A Keras callback forwarding epoch ends to the progress display."""

    class _Report(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            progress.epoch(epoch + 1, epochs, logs or {})

    return _Report()


def predict_probabilities(model: Any, x: np.ndarray, batch_size: int = 4096) -> np.ndarray:
    """Softmax outputs of a Keras model for `(windows, rows, channels)` inputs."""
    if x.shape[0] == 0:
        return np.empty((0, int(model.outputs[0].shape[-1])), dtype=np.float32)
    outputs = [  # the TensorFlow backend returns tf.Tensor
        model(x[i : i + batch_size], training=False).numpy()
        for i in range(0, x.shape[0], batch_size)
    ]
    return np.concatenate(outputs).astype(np.float32)
