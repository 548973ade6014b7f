"""Leave-one-participant-out accuracy and UAR with and without per-participant standardisation.

Run from the repository root, with the `train` extra installed:

    python bench/bench_train_normalisation.py                 # both datasets, ~15 minutes
    python bench/bench_train_normalisation.py --only features # the feature set only

Two simulated datasets (tests/training/simulated.py), written to a temporary folder and
read through the product's CSV loader, each classified leave-one-participant-out by the
product's training loop (`run_loso`, CNN) and, as a peer in the same run, by a 5-nearest-
neighbour classifier (the method of the published 67.5% figure) on the same inputs:

1. `features`: 8 electrodes, 7 classes (neutral included), average power per trial, 12
   participants whose gains span a factor of 10, sample mode (one row per trial).
2. `seed-uv`: the seed data converted to microvolts with a per-participant gain (x0.4..x2.5)
   and offset (+-200 µV) on every channel, 10-row windows (stride 10).

"with": each participant standardised from their own unlabelled rows (the product's
`participant-standardise`, log of power-like channels). "without": one standardisation
estimated from all rows pooled (the usual dataset-wide z-score), same log channels.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from microexp_tui.inference.normalisation import (  # noqa: E402
    estimate_standardisation,
    standardise,
)
from microexp_tui.inference.windows import stack_windows, window_starts  # noqa: E402
from microexp_tui.paths import shared_datasets_dir  # noqa: E402
from microexp_tui.training import metrics  # noqa: E402
from microexp_tui.training.classes import ClassPlan  # noqa: E402
from microexp_tui.training.dataset import (  # noqa: E402
    UNLABELLED,
    Dataset,
    Recording,
    Windows,
    segment_bounds,
)
from microexp_tui.training.progress import Progress  # noqa: E402
from microexp_tui.training.seed import load_csv_dataset  # noqa: E402
from tests.training.simulated import feature_dataset, seed_in_physical_units  # noqa: E402

Normaliser = Callable[[Recording], np.ndarray]


def cut(dataset: Dataset, rows: int, normaliser: Normaliser) -> Windows:
    """Windows of `rows` rows (stride `rows`) inside labelled segments, normalised as given."""
    xs, ys, who, starts = [], [], [], []
    names = tuple(dataset.participants)
    for recording in dataset.recordings:
        values = normaliser(recording)
        first = [
            a + window_starts(b - a, rows, rows)
            for a, b in segment_bounds(recording.segments)
            if recording.labels[a] != UNLABELLED
        ]
        start = np.concatenate(first)
        xs.append(stack_windows(values, start, rows))
        ys.append(recording.labels[start].astype(np.int64))
        who.append(np.full(start.shape, names.index(recording.participant)))
        starts.append(start)
    parts = [np.concatenate(p) for p in (xs, ys, who, starts)]
    return Windows(*parts, names, dataset.labels)


def per_participant(dataset: Dataset) -> Normaliser:
    """Each recording standardised from its own rows (the product's method)."""
    spec = dataset.normalisation
    return lambda r: standardise(r.rows, spec, estimate_standardisation(r.rows, spec))


def pooled(dataset: Dataset) -> Normaliser:
    """Every recording standardised with one estimate over all rows pooled."""
    spec = dataset.normalisation
    scaling = estimate_standardisation(np.concatenate([r.rows for r in dataset.recordings]), spec)
    return lambda r: standardise(r.rows, spec, scaling)


def knn_loso(windows: Windows, k: int = 5) -> np.ndarray:
    """Leave-one-participant-out predictions of a k-nearest-neighbour vote (Euclidean)."""
    x = windows.x.reshape(len(windows), -1).astype(np.float64)
    predicted = np.empty(len(windows), dtype=np.int64)
    for fold in range(len(windows.participants)):
        test = windows.participant == fold
        train_x, train_y = x[~test], windows.y[~test]
        for i in np.flatnonzero(test):
            nearest = np.argpartition(((train_x - x[i]) ** 2).sum(axis=1), k)[:k]
            predicted[i] = np.bincount(train_y[nearest]).argmax()
    return predicted


def cnn_loso(windows: Windows, plan: ClassPlan, rows: int, epochs: int) -> np.ndarray:
    """Leave-one-participant-out predictions of the product's CNN training loop."""
    from microexp_tui.training.fit import FitSettings
    from microexp_tui.training.protocols import run_loso

    mode = "sample" if rows == 1 else "window"
    result = run_loso(
        FitSettings("cnn", mode, rows, epochs, 0), windows, plan, Progress(enabled=False)
    )
    return result.y_pred


def scores(windows: Windows, predicted: np.ndarray) -> dict[str, float]:
    """Accuracy, macro-F1 and UAR."""
    full = metrics.report(windows.y, predicted, windows.classes)
    return {k: full[k] for k in ("accuracy", "macro_f1", "uar")}


def measure(name: str, dataset: Dataset, rows: int, epochs: int) -> dict[str, Any]:
    """Both normalisations, both classifiers, on one dataset."""
    plan = ClassPlan.for_dataset(dataset, dataset.normalisation.method)
    out: dict[str, Any] = {"dataset": name, "participants": len(dataset.participants)}
    for label, normaliser in (("with", per_participant(dataset)), ("without", pooled(dataset))):
        windows = cut(dataset, rows, normaliser)
        started = time.monotonic()
        out[f"cnn_{label}"] = scores(windows, cnn_loso(windows, plan, rows, epochs))
        out[f"knn_{label}"] = scores(windows, knn_loso(windows))
        out["windows"] = len(windows)
        print(f"{name} {label}: {out[f'cnn_{label}']} knn {out[f'knn_{label}']} "
              f"({time.monotonic() - started:.0f} s)", file=sys.stderr)  # fmt: skip
    return out


def main() -> None:
    """Measure and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("features", "seed-uv"))
    parser.add_argument("--epochs", type=int, default=20, help="CNN epochs (sample mode)")
    parser.add_argument("--window-epochs", type=int, default=5, help="CNN epochs (window mode)")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "features"):
            folder = feature_dataset(Path(tmp) / "features", participants=12, trials_per_class=30)
            results.append(measure("features", load_csv_dataset(folder), 1, args.epochs))
        if args.only in (None, "seed-uv"):
            seed = shared_datasets_dir() / "seed-microexpressions"
            people = [f"subject_{i:02d}" for i in range(1, 16)]
            folder = seed_in_physical_units(seed, Path(tmp) / "seed-uv", people)
            dataset = load_csv_dataset(folder)
            dataset = replace(
                dataset, channels=tuple(replace(c, unit="uV") for c in dataset.channels)
            )
            results.append(measure("seed-uv", dataset, 10, args.window_epochs))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
