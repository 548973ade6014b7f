"""`microexp train` and `microexp evaluate`: load data, run a protocol, export, report JSON.

`train` evaluates with the chosen protocol, then exports a model: under `split` the model
trained on the 80%; under `loso` one model trained on every participant except those named
with `--hold-out`, which are then used to check the exported ONNX file (the figure the test
suite recomputes). Files written to `--out`: `<arch>_<mode>.onnx`, its `.card.json`, the Keras
model (`.keras`) and the report (`.train.json`).
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from microexp_tui.errors import InputError
from microexp_tui.inference.model import EmotionModel
from microexp_tui.training.classes import ClassPlan
from microexp_tui.training.dataset import Dataset, cut_windows
from microexp_tui.training.dataset_file import TableDeclaration, read_declaration
from microexp_tui.training.evaluate import evaluate_model
from microexp_tui.training.progress import Progress
from microexp_tui.training.seed import load_csv_dataset
from microexp_tui.training.sessions import load_sessions
from microexp_tui.training.table import normalisation_for, with_options

DEFAULT_WINDOW_ROWS = 10
DEFAULT_EPOCHS = {"sample": 10, "window": 30}
MIN_DEFAULT_STEPS = 750
"""Without --epochs, small datasets get more epochs: at least this many batches in all (on the
simulated 7-class feature set, ~740 batches scored 80.1% leave-one-participant-out and ~1,520
scored 78.4%: docs/benchmarks.md)."""
MAX_DEFAULT_EPOCHS = 200


@dataclass(frozen=True)
class TrainOptions:
    """Everything `microexp train` was asked to do."""

    dataset: Path
    architecture: str
    input_mode: str
    protocol: str
    out: Path
    window_rows: int | None = None
    stride_rows: int | None = None
    epochs: int | None = None
    seed: int = 0
    participants: Sequence[str] | None = None
    hold_out: Sequence[str] | None = None
    sessions: Sequence[int] | None = None
    mains_hz: float = 50.0
    reading: DatasetReading | None = None

    def resolved_window(self) -> int:
        """Window rows: 1 in sample mode, the option or the default in window mode."""
        if self.input_mode == "sample":
            if self.window_rows not in (None, 1):
                raise InputError("--window applies to --input window; sample mode uses 1 row.")
            return 1
        rows = self.window_rows or DEFAULT_WINDOW_ROWS
        if rows < 2:
            raise InputError(f"--window must be at least 2 rows in window mode, got {rows}.")
        return rows


@dataclass(frozen=True)
class DatasetReading:
    """Command-line overrides of how a dataset is read (else its sidecar, else detected)."""

    normalisation: str | None = None
    """auto, range or standardise."""
    unit: str | None = None
    sensor_kind: str | None = None
    label_column: str | None = None
    participant_column: str | None = None


def _is_table(path: Path) -> bool:
    """A folder (of CSV files) or a single CSV file."""
    return path.is_dir() or path.suffix.lower() == ".csv"


def load_dataset(
    path: Path,
    participants: Sequence[str] | None = None,
    sessions: Sequence[int] | None = None,
    mains_hz: float = 50.0,
    reading: DatasetReading | None = None,
) -> Dataset:
    """Labelled CSV files (folder or file), or a session database (`--sessions` picks some)."""
    reading = reading or DatasetReading()
    if _is_table(path) and path.exists():
        if sessions:
            raise InputError("--sessions applies to a session database, not CSV files.")
        folder = path if path.is_dir() else path.parent
        declared = with_options(
            read_declaration(folder),
            reading.unit,
            reading.sensor_kind,
            reading.normalisation,
            reading.label_column,
            reading.participant_column,
        )
        return load_csv_dataset(path, participants, declared)
    if path.is_file():
        dataset = load_sessions(path, sessions, mains_hz=mains_hz).select(participants)
        if reading.normalisation not in (None, "auto"):
            declared = TableDeclaration(normalisation=reading.normalisation or "auto")
            spec = normalisation_for(dataset.recordings, dataset.channels, declared)
            dataset = replace(dataset, normalisation=spec)
        return dataset
    raise InputError(
        f"{path} does not exist; give a folder of labelled CSV files, a CSV file or a session "
        "database."
    )


def train(options: TrainOptions, progress: Progress | None = None) -> dict[str, Any]:
    """Run the protocol, export the model with its card, write and return the report."""
    from microexp_tui.training import tf_runtime  # the only path that needs TensorFlow

    tf_runtime.load()
    progress = progress or Progress()
    started = time.monotonic()
    window_rows = options.resolved_window()
    stride = options.stride_rows or window_rows
    dataset = load_dataset(
        options.dataset, options.participants, options.sessions, options.mains_hz, options.reading
    )
    windows = cut_windows(dataset, window_rows, stride, drop_inactive=dataset.kind == "sessions")
    settings = _settings(options, window_rows, len(windows))
    plan = ClassPlan.for_dataset(dataset, dataset.normalisation.method)
    progress.note(
        f"{dataset.kind} dataset: {len(dataset.participants)} participants, {len(windows)} "
        f"windows of {window_rows} rows, classes {', '.join(plan.network_classes)} (neutral: "
        f"{plan.neutral_mode}), {dataset.normalisation.method}; "
        f"{options.architecture}/{options.input_mode}, protocol {options.protocol}"
    )
    evaluation, model, trained_on = _evaluate_and_fit(
        options, settings, plan, windows, dataset, progress
    )
    report = _report(options, dataset, settings, stride, evaluation)
    report["model"] = _export(
        options, settings, plan, dataset, windows, model, trained_on, stride, report
    )
    report["elapsed_s"] = round(time.monotonic() - started, 1)
    name = f"{options.architecture}_{options.input_mode}"
    (options.out / f"{name}.train.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def default_epochs(input_mode: str, windows: int, batch_size: int) -> int:
    """The mode's default, raised for small datasets to MIN_DEFAULT_STEPS batches (capped)."""
    steps_per_epoch = max(1, -(-windows // batch_size))
    needed = -(-MIN_DEFAULT_STEPS // steps_per_epoch)
    return max(DEFAULT_EPOCHS[input_mode], min(MAX_DEFAULT_EPOCHS, needed))


def _settings(options: TrainOptions, window_rows: int, windows: int) -> Any:
    """Fit settings from the options (epochs default by input mode and dataset size)."""
    from microexp_tui.training.fit import FitSettings

    if options.architecture not in ("cnn", "lstm") or options.input_mode not in (
        "sample",
        "window",
    ):
        raise InputError("--arch must be cnn or lstm and --input sample or window.")
    batch = FitSettings.batch_size
    epochs = options.epochs or default_epochs(options.input_mode, windows, batch)
    if epochs < 1:
        raise InputError(f"--epochs must be at least 1, got {epochs}.")
    return FitSettings(options.architecture, options.input_mode, window_rows, epochs, options.seed)


def _evaluate_and_fit(
    options: TrainOptions,
    settings: Any,
    plan: ClassPlan,
    windows: Any,
    dataset: Dataset,
    progress: Progress,
) -> tuple[dict[str, Any], Any, list[str]]:
    """Run the protocol; return its JSON, the model to export and who it was trained on."""
    from microexp_tui.training.fit import fit
    from microexp_tui.training.protocols import run_loso, run_split

    if options.protocol == "split":
        if options.hold_out:
            raise InputError("--hold-out applies to --protocol loso.")
        result, model = run_split(settings, windows, plan, progress)
        return result.as_json(), model, dataset.participants
    if options.protocol != "loso":
        raise InputError(f"--protocol must be split or loso, not {options.protocol!r}.")
    if len(windows.participants) < 2:
        raise InputError(
            f"--protocol loso needs at least two participants; {dataset.path} has "
            f"{len(windows.participants)}. Give one CSV file per participant, a participant "
            "column (--participant-column), or use --protocol split."
        )
    evaluation = run_loso(settings, windows, plan, progress).as_json()
    held = {p.casefold() for p in options.hold_out or ()}
    unknown = held - {p.casefold() for p in dataset.participants}
    if unknown:
        raise InputError(f"--hold-out names unknown participant(s): {', '.join(sorted(unknown))}.")
    trained_on = [p for p in dataset.participants if p.casefold() not in held]
    if not trained_on:
        raise InputError("--hold-out leaves nobody to train the exported model on.")
    mask = [windows.participants[i] in trained_on for i in windows.participant]
    progress.stage(f"exported model (trained on {len(trained_on)} participants)")
    return evaluation, fit(settings, windows.subset(mask), plan, progress), trained_on


def _report(
    options: TrainOptions, dataset: Dataset, settings: Any, stride: int, evaluation: dict[str, Any]
) -> dict[str, Any]:
    """The printed report's header and evaluation."""
    return {
        "command": "train",
        "dataset": {
            "path": dataset.path,
            "kind": dataset.kind,
            "participants": dataset.participants,
            "content_sha256": dataset.content_sha256,
            "description": dataset.description,
            "classes": list(dataset.labels),
            "units": list(dataset.units),
            "normalisation": dataset.normalisation.as_json(),
        },
        "architecture": options.architecture,
        "input_mode": options.input_mode,
        "window_rows": settings.window_rows,
        "window_ms": 1000.0 * settings.window_rows / dataset.rate_hz,
        "stride_rows": stride,
        "windows": (
            f"{settings.window_rows} consecutive rows inside one labelled block, a new window "
            f"every {stride} rows; windows never cross blocks"
            + (", and do not overlap" if stride >= settings.window_rows else "")
        ),
        "training": settings.as_json(),
        **evaluation,
    }


def _export(
    options: TrainOptions,
    settings: Any,
    plan: ClassPlan,
    dataset: Dataset,
    windows: Any,
    model: Any,
    trained_on: list[str],
    stride: int,
    report: dict[str, Any],
) -> dict[str, Any]:
    """Export ONNX + card + Keras file; check the ONNX file on the held-out participants."""
    from microexp_tui.training import export

    options.out.mkdir(parents=True, exist_ok=True)
    name = f"{settings.architecture}_{settings.input_mode}"
    onnx_path = options.out / f"{name}.onnx"
    difference = export.export_onnx(model, onnx_path, windows.x)
    with warnings.catch_warnings():  # Keras' own numpy 2 deprecation while saving
        warnings.simplefilter("ignore", DeprecationWarning)
        model.save(options.out / f"{name}.keras")
    held_out = [p for p in dataset.participants if p not in trained_on]
    trained = [r for r in dataset.recordings if r.participant in trained_on]
    card = {
        "architecture": settings.architecture,
        "input_mode": settings.input_mode,
        "classes": list(plan.network_classes),
        "output_classes": list(
            plan.labels if plan.neutral_mode == "gate" else plan.network_classes
        ),
        "input": export.input_section(settings, dataset, stride),
        "channels": [c.as_json() for c in dataset.channels],
        "preprocessing": export.preprocessing_section(dataset),
        "normalisation": export.normalisation_section(dataset.normalisation, trained),
        "neutral": export.neutral_section(plan.neutral_mode),
        "training": {
            "data": dataset.description,
            "data_kind": dataset.kind,
            "content_sha256": dataset.content_sha256,
            "participants": trained_on,
            "held_out_participants": held_out,
            "windows": report["windows"],
            **settings.as_json(),
        },
        "export_check": {"max_abs_difference_onnx_vs_keras": difference, "tolerance": 1e-5},
        "evaluation": {
            key: report[key]
            for key in (
                "protocol",
                "protocol_name",
                "description",
                "metrics",
                "per_participant",
                "per_participant_summary",
            )
        },
    }
    card_path = export.write_card(onnx_path, card)
    out: dict[str, Any] = {"onnx": str(onnx_path), "card": str(card_path), "trained_on": trained_on}
    if held_out:
        held = evaluate_model(EmotionModel.load(onnx_path), dataset.select(held_out), stride)
        out["held_out"] = {k: held[k] for k in ("protocol", "metrics", "per_participant")}
        _add_held_out(card_path, held)
    return out


def _add_held_out(card_path: Path, held: dict[str, Any]) -> None:
    """Record the exported file's own held-out result in its card (the hash stays valid)."""
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["held_out_evaluation"] = {
        "protocol": held["protocol"],
        "participants": held["dataset"]["participants"],
        "metrics": {
            k: held["metrics"][k] for k in ("windows", "correct", "accuracy", "macro_f1", "uar")
        },
        "per_participant": held["per_participant"],
    }
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")


def evaluate(
    model_path: Path,
    dataset_path: Path,
    participants: Sequence[str] | None = None,
    sessions: Sequence[int] | None = None,
    mains_hz: float = 50.0,
    reading: DatasetReading | None = None,
) -> dict[str, Any]:
    """`microexp evaluate`: a shipped or trained model on (some of) a dataset."""
    model = EmotionModel.load(model_path)
    dataset = load_dataset(dataset_path, participants, sessions, mains_hz, reading)
    report = evaluate_model(model, dataset)
    report["command"] = "evaluate"
    return report
