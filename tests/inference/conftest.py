"""Fixtures: the shipped models and a synthetic filtered envelope with known expressions."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from microexp_tui.domain.muscles import EMOTION_CHANNELS
from microexp_tui.inference.card import card_path_for
from microexp_tui.inference.model import EmotionModel

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
SHIPPED = ("cnn_window", "lstm_window")


@pytest.fixture(scope="session")
def cnn_model() -> EmotionModel:
    """The shipped window-mode CNN."""
    return EmotionModel.load(MODELS_DIR / "cnn_window.onnx")


@pytest.fixture(scope="session")
def lstm_model() -> EmotionModel:
    """The shipped window-mode LSTM."""
    return EmotionModel.load(MODELS_DIR / "lstm_window.onnx")


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped CNN and its card, free to damage."""
    source = MODELS_DIR / "cnn_window.onnx"
    target = tmp_path / "model.onnx"
    shutil.copy(source, target)
    shutil.copy(card_path_for(source), card_path_for(target))
    return target


def envelope_with(
    expressions: list[tuple[str, float, float]], seconds: float, rate_hz: int = 1000
) -> np.ndarray:
    """A filtered-looking `(samples, 8)` envelope: rest noise plus (emotion, start_s, stop_s)."""
    rng = np.random.default_rng(5)
    samples = int(seconds * rate_hz)
    envelope = 20.0 + rng.normal(0.0, 3.0, (samples, 8))
    for emotion, start_s, stop_s in expressions:
        first, second = EMOTION_CHANNELS[emotion]
        span = slice(int(start_s * rate_hz), int(stop_s * rate_hz))
        envelope[span, first] += 330.0
        envelope[span, second] += 280.0
    return envelope.astype(np.float32)


SEED_MUSCLES = [
    "Zygomaticus major",
    "Frontalis",
    "Levator labii superioris alaeque nasi",
    "Depressor anguli oris",
    "Corrugator supercilii",
    "Depressor supercilii",
    "Orbicularis oris",
    "Orbicularis oculi",
]
ENVELOPE = ["envelope"] * 8
