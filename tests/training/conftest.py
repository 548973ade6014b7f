"""Training tests need the optional `train` extra; in CI its absence is a failure, not a skip."""

from __future__ import annotations

import importlib.util
import os

import pytest


@pytest.fixture(scope="session")
def train_extra() -> None:
    """Skip (locally) or fail (CI) when TensorFlow, Keras or tf2onnx is missing."""
    missing = [m for m in ("tensorflow", "keras", "tf2onnx") if importlib.util.find_spec(m) is None]
    if not missing:
        return
    message = f'needs the train extra ({", ".join(missing)} missing): pip install -e ".[train]"'
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
