"""Which live emotion models can be chosen: the ONNX files shipped in models/."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from microexp_tui.paths import resource_dir

MODELS_DIR = resource_dir("models")
NO_MODEL = "none"
DEFAULT_MODEL = "cnn_window"
"""The shipped window CNN: the live model when the settings name none of their own.

It is a soft default: where it does not fit a session (channels, sensor kind, rate) the
recording goes on without live classification and says why; a model the operator chose
(`--model`, or another name in the settings) that does not fit is an error instead."""


def available_models(directory: Path = MODELS_DIR) -> list[str]:
    """`none` and the stems of the ONNX models found in models/."""
    found = sorted(path.stem for path in directory.glob("*.onnx")) if directory.is_dir() else []
    return [NO_MODEL, *found]


def model_path_for(name: str, directory: Path = MODELS_DIR) -> Path | None:
    """The file of a chosen model (a name in models/ or a path), None for `none`."""
    if not name or name == NO_MODEL:
        return None
    path = Path(name).expanduser()
    return path if path.suffix == ".onnx" else directory / f"{name}.onnx"


def is_default_model(name: str) -> bool:
    """Whether a settings value names the built-in default model (a soft choice, not the
    operator's: saving the Settings screen writes every value, chosen or not)."""
    return name.strip() == DEFAULT_MODEL


@dataclass(frozen=True)
class LiveModelChoice:
    """The live model a recording is asked to use, and whether it must fit (else it is
    skipped with a message)."""

    path: Path | None
    required: bool


def choose_live_model(
    setting: str, explicit: Path | None = None, off: bool = False, directory: Path = MODELS_DIR
) -> LiveModelChoice:
    """`--no-model` (none), else `--model` (required), else the settings' model: required
    unless it is the built-in default."""
    if off:
        return LiveModelChoice(None, required=False)
    if explicit is not None:
        return LiveModelChoice(explicit, required=True)
    path = model_path_for(setting, directory)
    return LiveModelChoice(path, required=path is not None and not is_default_model(setting))
