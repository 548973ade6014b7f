"""Displayed probabilities: temperature scaling fitted by NLL, and the evidence accumulator."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from microexp_tui.domain.emotions import NEUTRAL
from microexp_tui.errors import ModelError
from microexp_tui.inference.calibration import (
    TemperatureScaling,
    expected_calibration_error,
    fit_temperature,
    negative_log_likelihood,
)
from microexp_tui.inference.card import card_path_for, read_card
from microexp_tui.inference.evidence import (
    DisplaySettings,
    EvidenceAccumulator,
    EvidenceSettings,
    replay,
)
from tests.inference.conftest import MODELS_DIR, SHIPPED

CLASSES = (NEUTRAL, "happy", "surprise", "disgust", "sadness", "fear", "anger")
HOP = 100
DISPLAY = DisplaySettings(TemperatureScaling(3.0, gated=True), EvidenceSettings())


def _gated(active: float, emotion: int, confidence: float) -> np.ndarray:
    """A raw gated output: neutral 1 - active, the rest shared with `confidence` on `emotion`."""
    emotions = np.full(6, (1.0 - confidence) / 5)
    emotions[emotion] = confidence
    return np.concatenate([[1.0 - active], active * emotions]).astype(np.float32)


def _stream(rows: list[np.ndarray], display: DisplaySettings = DISPLAY) -> np.ndarray:
    """Displayed probabilities of consecutive windows, one hop apart."""
    accumulator = EvidenceAccumulator(CLASSES, display, HOP)
    return np.array([accumulator.update(HOP * (i + 5), row) for i, row in enumerate(rows)])


def test_weak_or_brief_evidence_leaves_neutral_on_screen() -> None:
    weak = _stream([_gated(0.4, 0, 0.6)] * 50)  # half-active, unsure between emotions
    assert (weak.argmax(axis=1) == 0).all()
    rest, burst = _gated(0.0, 0, 1.0 / 6), _gated(1.0, 4, 0.9999)
    brief = _stream([rest] * 20 + [burst] * 2 + [rest] * 20)  # a 200 ms confident twitch
    assert brief[:, 1:].max() < 0.5 and (brief.argmax(axis=1) == 0).all()


def test_sustained_evidence_raises_the_emotion_monotonically_until_it_shows() -> None:
    shown = _stream([_gated(0.0, 0, 1.0 / 6)] * 10 + [_gated(1.0, 2, 0.99)] * 40)[10:, 3]
    assert np.all(np.diff(shown) >= 0)
    assert shown[0] < 0.5 < shown[-1]
    assert int(np.argmax(shown >= 0.5)) >= 2, "one window alone is not enough"


def test_replay_is_deterministic_and_equals_the_live_stream_as_stored() -> None:
    rng = np.random.default_rng(4)
    rows = [
        _gated(float(a), int(e), float(c)) for a, e, c in rng.uniform(0, 1, (300, 3)) * (1, 6, 1)
    ]
    indices = [HOP * (i + 5) for i in range(300)]
    live = [tuple(float(p) for p in row.astype(np.float32)) for row in _stream(rows)]
    assert replay(CLASSES, DISPLAY, HOP, indices, rows) == live
    assert replay(CLASSES, DISPLAY, HOP, indices, rows) == replay(
        CLASSES, DISPLAY, HOP, indices, rows
    )


def test_a_gap_in_the_stream_restarts_in_neutral() -> None:
    accumulator = EvidenceAccumulator(CLASSES, DISPLAY, HOP)
    for i in range(40):
        shown = accumulator.update(HOP * i, _gated(1.0, 0, 0.99))
    assert shown[1] > 0.5
    after_gap = accumulator.update(HOP * (40 + 100), _gated(1.0, 0, 0.99))
    assert after_gap[0] > after_gap[1]


def test_temperature_fit_lowers_nll_and_ece_of_overconfident_outputs() -> None:
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 6, 4000)
    logits = rng.normal(0.0, 1.0, (4000, 6))
    logits[np.arange(4000), labels] += 1.5  # right ~60% of the time
    overconfident = np.exp(6.0 * logits)  # the network's softmax: far too sharp
    overconfident /= overconfident.sum(axis=1, keepdims=True)
    fitted = fit_temperature(overconfident, labels, gated=False)
    calibrated = fitted.apply(overconfident)
    assert 3.0 < fitted.temperature < 12.0
    assert negative_log_likelihood(calibrated, labels) < negative_log_likelihood(
        overconfident, labels
    )
    assert expected_calibration_error(calibrated, labels) < 0.05
    assert expected_calibration_error(overconfident, labels) > 0.2


def test_gated_temperature_keeps_the_gates_neutral() -> None:
    raw = _gated(0.7, 1, 0.9)[None, :]
    scaled = TemperatureScaling(4.0, gated=True).apply(raw)[0]
    assert scaled[0] == pytest.approx(raw[0, 0]) and scaled.sum() == pytest.approx(1.0)
    assert raw[0, 3] < scaled[3] < scaled[2] < raw[0, 2]  # flatter among the emotions


@pytest.mark.parametrize("name", SHIPPED)
def test_the_shipped_cards_carry_a_fitted_display(name: str) -> None:
    card = read_card(card_path_for(MODELS_DIR / f"{name}.onnx"))
    assert card.display.calibration.temperature > 1.0 and card.display.evidence is not None
    section = card.raw["probability_calibration"]
    assert section["fitted_on"]["participants"] and section["ece_after"] < section["ece_before"]


def test_an_unusable_evidence_section_is_refused_with_the_field(model_copy: Path) -> None:
    card_file = card_path_for(model_copy)
    card = json.loads(card_file.read_text())
    card["evidence"]["stay_neutral"] = 1.5
    card_file.write_text(json.dumps(card))
    with pytest.raises(ModelError, match="stay_neutral"):
        read_card(card_file)
    del card["evidence"], card["probability_calibration"]
    card_file.write_text(json.dumps(card))
    older = read_card(card_file).display
    assert older.calibration.temperature == 1.0 and older.evidence == EvidenceSettings()


@pytest.mark.parametrize("display", [DISPLAY, DisplaySettings(TemperatureScaling(2.0), None)])
def test_the_batch_accumulation_equals_replay_bit_for_bit_across_gaps(
    display: DisplaySettings,
) -> None:
    rng = np.random.default_rng(7)
    rows = np.array(
        [_gated(float(a), int(e), float(c)) for a, e, c in rng.uniform(0, 1, (900, 3)) * (1, 6, 1)]
    )
    steps = rng.choice([HOP, HOP, HOP, 2 * HOP + 37, 30 * HOP], size=900)  # hops, skips, gaps
    indices = np.cumsum(steps).tolist()
    batch = EvidenceAccumulator(CLASSES, display, HOP)
    first, second = (
        batch.update_many(indices[:400], rows[:400]),
        batch.update_many(indices[400:], rows[400:]),
    )
    expected = np.array(replay(CLASSES, display, HOP, indices, list(rows)), dtype=np.float32)
    assert np.array_equal(np.concatenate([first, second]), expected)
    assert not np.array_equal(expected[:, 0], np.full(900, expected[0, 0]))
