"""Simulated live sessions for the display's fit and benchmark: targets, flashes, reactions."""

from __future__ import annotations

import numpy as np

from microexp_tui.domain.emotions import NEUTRAL
from microexp_tui.inference.model import EmotionModel
from microexp_tui.training.live_sessions import (
    RAW_DISPLAY,
    SimulatedRun,
    flashes,
    reactions_shown,
    score,
    simulate,
)
from tests.inference.conftest import MODELS_DIR

CLASSES = (NEUTRAL, "happy", "anger")


def _run(targets: list[int], expressed: list[int] | None = None) -> SimulatedRun:
    """A run of given targets, one window per 100 ms."""
    n = len(targets)
    return SimulatedRun(
        seed=0,
        classes=CLASSES,
        sample_indices=[100 * (i + 5) for i in range(n)],
        raw=np.zeros((n, 3), np.float32),
        targets=np.asarray(targets),
        expressed=np.asarray(expressed if expressed is not None else targets),
        reactions=[(2, 6, 1)] if 1 in targets else [],
        hop_samples=100,
        minutes=n / 600,
    )


def _shown(labels: list[int], level: float = 0.8) -> np.ndarray:
    """Displayed rows putting `level` on each window's label."""
    rows = np.full((len(labels), 3), (1 - level) / 2)
    rows[np.arange(len(labels)), labels] = level
    return rows


def test_a_flash_is_a_wrong_emotion_held_for_200_ms() -> None:
    run = _run([0] * 12)
    assert flashes(run, _shown([0, 2, 0, 0, 2, 2, 0, 0, 1, 1, 1, 0])) == 2  # 100 ms is no flash
    assert flashes(run, _shown([0, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0], level=0.45)) == 0


def test_showing_what_the_participant_makes_is_no_confusion() -> None:
    run = _run([0] * 12, expressed=[0, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0])
    shown = _shown([0, 0, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0])  # trailing the burst
    assert flashes(run, shown) == 1 and flashes(run, shown, against_expressed=True) == 0


def test_a_reaction_counts_as_shown_once_its_emotion_reaches_half() -> None:
    run = _run([0, 0, 1, 1, 1, 1, 0, 0, 0, 0])
    assert reactions_shown(run, _shown([0] * 7 + [1, 1, 0])) == 1
    assert reactions_shown(run, _shown([0] * 10)) == 0


def test_a_simulated_protocol_session_has_targets_for_every_stimulus() -> None:
    model = EmotionModel.load(MODELS_DIR / "cnn_window.onnx")
    run = simulate(model, 7, stimuli=True)
    assert len(run.reactions) >= 18, "each of the 18 stimuli gets a reaction"
    assert {model.card.output_classes[k] for _, _, k in run.reactions} == set(model.card.classes)
    assert (run.expressed != 0).sum() > (run.targets != 0).sum(), "spontaneous bursts too"
    before = score(RAW_DISPLAY, [run], [])
    assert before.reactions_shown > 0.9 and before.ece > 0.05
