"""Which live emotion models can be chosen: the ONNX files shipped in models/."""

from __future__ import annotations

from pathlib import Path

from microexp_tui.paths import resource_dir

MODELS_DIR = resource_dir("models")
NO_MODEL = "none"


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
