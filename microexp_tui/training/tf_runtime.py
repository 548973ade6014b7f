"""The one place TensorFlow and Keras are imported: set up for 2 cores, quiet and deterministic.

`microexp train` needs the optional `train` extra; without it the import fails with a
ModelError that says how to install it, instead of a traceback.
"""

from __future__ import annotations

import contextlib
import os
from types import ModuleType
from typing import Any

from microexp_tui.errors import ModelError

MISSING_EXTRA = (
    "Training needs TensorFlow, Keras and tf2onnx, which are not installed. Install the "
    'optional training extra: pip install -e ".[train]"  (or pip install "microexp-tui[train]").'
)
THREADS = 2
_configured = False


def load() -> tuple[ModuleType, ModuleType]:
    """Import and configure TensorFlow and Keras once; ModelError when the extra is missing."""
    global _configured
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    try:
        import keras
        import tensorflow as tf
    except ImportError as err:
        raise ModelError(f"{MISSING_EXTRA} ({err})") from err
    if not _configured:
        with contextlib.suppress(RuntimeError):  # already initialised by an earlier user
            tf.config.threading.set_intra_op_parallelism_threads(THREADS)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        tf.config.experimental.enable_op_determinism()
        tf.get_logger().setLevel("ERROR")
        _configured = True
    return tf, keras


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow so a run repeats exactly."""
    _, keras = load()
    keras.utils.set_random_seed(seed)


def library_versions() -> dict[str, Any]:
    """Versions of the libraries a model card records."""
    import platform
    from importlib import metadata

    versions: dict[str, Any] = {"python": platform.python_version()}
    for name in (
        "tensorflow-cpu",
        "tensorflow",
        "keras",
        "tf2onnx",
        "onnx",
        "onnxruntime",
        "numpy",
        "scipy",
        "microexp-tui",
    ):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    return versions
