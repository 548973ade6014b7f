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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from microexp_tui.domain.calibration import pooled_calibration
from microexp_tui.domain.emotions import EMOTIONS, NEUTRAL
from microexp_tui.errors import InputError
from microexp_tui.inference.model import EmotionModel
from microexp_tui.training.dataset import Dataset, cut_windows
from microexp_tui.training.evaluate import evaluate_model
from microexp_tui.training.progress import Progress
from microexp_tui.training.seed import load_seed_folder
from microexp_tui.training.sessions import load_sessions

DEFAULT_WINDOW_ROWS = 10
DEFAULT_EPOCHS = {"sample": 10, "window": 30}


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


def load_dataset(
    path: Path,
    participants: Sequence[str] | None = None,
    sessions: Sequence[int] | None = None,
    mains_hz: float = 50.0,
) -> Dataset:
    """A folder of seed CSV files, or a session database (`--sessions` picks sessions)."""
    if path.is_dir():
        if sessions:
            raise InputError("--sessions applies to a session database, not a CSV folder.")
        return load_seed_folder(path, participants)
    if path.is_file():
        return load_sessions(path, sessions, mains_hz=mains_hz).select(participants)
    raise InputError(
        f"{path} does not exist; give a folder of seed-format CSV files or a session database."
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
        options.dataset, options.participants, options.sessions, options.mains_hz
    )
    windows = cut_windows(dataset, window_rows, stride, drop_inactive=dataset.kind == "sessions")
    settings = _settings(options, window_rows)
    progress.note(
        f"{dataset.kind} dataset: {len(dataset.participants)} participants, {len(windows)} "
        f"windows of {window_rows} rows; {options.architecture}/{options.input_mode}, "
        f"protocol {options.protocol}"
    )
    evaluation, model, trained_on = _evaluate_and_fit(options, settings, dataset, windows, progress)
    report = _report(options, dataset, settings, stride, evaluation)
    report["model"] = _export(
        options, settings, dataset, windows, model, trained_on, stride, report
    )
    report["elapsed_s"] = round(time.monotonic() - started, 1)
    name = f"{options.architecture}_{options.input_mode}"
    (options.out / f"{name}.train.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def _settings(options: TrainOptions, window_rows: int) -> Any:
    """Fit settings from the options (epochs default by input mode)."""
    from microexp_tui.training.fit import FitSettings

    if options.architecture not in ("cnn", "lstm") or options.input_mode not in (
        "sample",
        "window",
    ):
        raise InputError("--arch must be cnn or lstm and --input sample or window.")
    epochs = options.epochs or DEFAULT_EPOCHS[options.input_mode]
    if epochs < 1:
        raise InputError(f"--epochs must be at least 1, got {epochs}.")
    return FitSettings(options.architecture, options.input_mode, window_rows, epochs, options.seed)


def _evaluate_and_fit(
    options: TrainOptions, settings: Any, dataset: Dataset, windows: Any, progress: Progress
) -> tuple[dict[str, Any], Any, list[str]]:
    """Run the protocol; return its JSON, the model to export and who it was trained on."""
    from microexp_tui.training.fit import fit
    from microexp_tui.training.protocols import run_loso, run_split

    if options.protocol == "split":
        if options.hold_out:
            raise InputError("--hold-out applies to --protocol loso.")
        result, model = run_split(settings, windows, progress)
        return result.as_json(), model, dataset.participants
    if options.protocol != "loso":
        raise InputError(f"--protocol must be split or loso, not {options.protocol!r}.")
    evaluation = run_loso(settings, windows, progress).as_json()
    held = {p.casefold() for p in options.hold_out or ()}
    unknown = held - {p.casefold() for p in dataset.participants}
    if unknown:
        raise InputError(f"--hold-out names unknown participant(s): {', '.join(sorted(unknown))}.")
    trained_on = [p for p in dataset.participants if p.casefold() not in held]
    if not trained_on:
        raise InputError("--hold-out leaves nobody to train the exported model on.")
    mask = [windows.participants[i] in trained_on for i in windows.participant]
    progress.stage(f"exported model (trained on {len(trained_on)} participants)")
    return evaluation, fit(settings, windows.subset(mask), progress), trained_on


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
        "classes": list(EMOTIONS),
        "output_classes": [NEUTRAL, *EMOTIONS],
        "input": export.input_section(settings, dataset, stride),
        "channels": [c.as_json() for c in dataset.channels],
        "normalisation": export.normalisation_section(
            pooled_calibration([r.calibration for r in trained])
        ),
        "neutral": export.neutral_section(),
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
        "metrics": {k: held["metrics"][k] for k in ("windows", "correct", "accuracy", "macro_f1")},
        "per_participant": held["per_participant"],
    }
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")


def evaluate(
    model_path: Path,
    dataset_path: Path,
    participants: Sequence[str] | None = None,
    sessions: Sequence[int] | None = None,
    mains_hz: float = 50.0,
) -> dict[str, Any]:
    """`microexp evaluate`: a shipped or trained model on (some of) a dataset."""
    model = EmotionModel.load(model_path)
    dataset = load_dataset(dataset_path, participants, sessions, mains_hz)
    report = evaluate_model(model, dataset)
    report["command"] = "evaluate"
    return report
