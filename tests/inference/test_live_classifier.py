"""The live classifier: hop on the sample clock, typed results, chunk invariance, gaps, montage."""

from __future__ import annotations

import numpy as np
import pytest

from microexp_tui.domain.calibration import Calibration
from microexp_tui.domain.emotions import NEUTRAL
from microexp_tui.errors import InputError, ModelError
from microexp_tui.inference.live import LiveClassifier, Prediction
from microexp_tui.inference.model import EmotionModel
from tests.inference.conftest import ENVELOPE, SEED_MUSCLES, envelope_with


def _classifier(model: EmotionModel, **kwargs: object) -> LiveClassifier:
    return LiveClassifier(model, 1000.0, SEED_MUSCLES, ENVELOPE, **kwargs)  # type: ignore[arg-type]


def test_predictions_every_100_ms_with_typed_probabilities(cnn_model: EmotionModel) -> None:
    envelope = envelope_with([("happy", 3.0, 5.0), ("fear", 7.0, 8.5)], seconds=10)
    predictions = _classifier(cnn_model).push(0, envelope)
    assert [p.sample_index for p in predictions] == list(range(500, 10_001, 100))
    first = predictions[0]
    assert isinstance(first, Prediction) and first.window_samples == 500
    assert first.classes == (NEUTRAL, "happy", "surprise", "disgust", "sadness", "fear", "anger")
    assert sum(first.probabilities) == pytest.approx(1.0, abs=1e-5)
    assert first.label == NEUTRAL and first.raw_probabilities[0] > 0.99
    assert first.probability(NEUTRAL) > 0.95  # displayed: calibrated, never quite certain
    by_end = {p.sample_index: p for p in predictions}
    assert by_end[4500].label == "happy" and by_end[4500].raw_probabilities[1] > 0.9
    assert 0.5 < by_end[4500].probability("happy") < 0.9
    assert by_end[8000].label == "fear"
    assert by_end[9800].label == NEUTRAL and by_end[9800].activation < 0.1
    with pytest.raises(InputError, match="Unknown class"):
        first.probability("joy")


def test_any_chunking_gives_the_same_predictions(cnn_model: EmotionModel) -> None:
    envelope = envelope_with([("sadness", 1.0, 2.2), ("disgust", 3.0, 4.0)], seconds=5)
    whole = _classifier(cnn_model).push(0, envelope)
    streamed, rng, position = [], np.random.default_rng(3), 0
    classifier = _classifier(cnn_model)
    while position < envelope.shape[0]:
        size = int(rng.integers(1, 90))
        streamed += classifier.push(position, envelope[position : position + size])
        position += size
    assert [p.sample_index for p in streamed] == [p.sample_index for p in whole]
    assert [p.label for p in streamed] == [p.label for p in whole]
    np.testing.assert_allclose(
        [p.probabilities for p in streamed], [p.probabilities for p in whole], atol=1e-6
    )
    assert classifier.latest == streamed[-1]


def test_configurable_hop_and_a_gap_that_restarts_the_window(cnn_model: EmotionModel) -> None:
    classifier = _classifier(cnn_model, hop_ms=250.0)
    envelope = envelope_with([], seconds=3)
    before = classifier.push(0, envelope[:1000])
    after = classifier.push(2000, envelope[2000:])  # samples 1000..1999 were lost
    assert [p.sample_index for p in before] == [500, 750, 1000]
    assert [p.sample_index for p in after] == [2500, 2750, 3000]  # a full window after the gap
    with pytest.raises(InputError, match="hop"):
        _classifier(cnn_model, hop_ms=0.0)


def test_a_hop_shorter_than_a_row_never_repeats_a_window(cnn_model: EmotionModel) -> None:
    predictions = _classifier(cnn_model, hop_ms=20.0).push(0, envelope_with([], seconds=1))
    assert [p.sample_index for p in predictions] == list(range(500, 1001, 50))  # row ends


def test_the_participants_calibration_is_used_when_given(cnn_model: EmotionModel) -> None:
    envelope = envelope_with([("anger", 0.0, 2.0)], seconds=2)
    # contractions tiny next to this "max"
    weak = Calibration.from_levels((20.0,) * 8, (2.0,) * 8, (5000.0,) * 8)
    predictions = _classifier(cnn_model, calibration=weak).push(0, envelope)
    assert {p.label for p in predictions} == {NEUTRAL}
    raw = [p.raw_probabilities for p in _classifier(cnn_model).push(0, envelope)]
    assert {cnn_model.card.output_classes[int(np.argmax(r))] for r in raw} == {"anger"}


@pytest.mark.parametrize(
    ("muscles", "kinds", "rate_hz", "message"),
    [
        (SEED_MUSCLES[:4], ENVELOPE[:4], 1000.0, "expects 8 channels"),
        (SEED_MUSCLES[::-1], ENVELOPE, 1000.0, "channel 1 is Orbicularis oculi"),
        (SEED_MUSCLES, ["raw"] * 8, 1000.0, "raw sensor"),
        (SEED_MUSCLES, ENVELOPE, 1001.0, "whole multiple"),
    ],
)
def test_a_session_the_model_was_not_made_for_is_refused(
    cnn_model: EmotionModel, muscles: list[str], kinds: list[str], rate_hz: float, message: str
) -> None:
    with pytest.raises(ModelError, match=message):
        LiveClassifier(cnn_model, rate_hz, muscles, kinds)
