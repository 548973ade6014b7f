"""The emotion model as a second opinion on each detected expression."""

from __future__ import annotations

import numpy as np
import pytest

from microexp_tui.acquisition.live_expressions import live_expressions
from microexp_tui.analysis.microexpressions import detect_in_counts
from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.muscles import SEED_MONTAGE
from microexp_tui.dsp.filters import FilterSettings, StreamingFilterBank
from microexp_tui.errors import ModelError
from microexp_tui.expressions.truth import score_detections
from microexp_tui.inference.expression_window import ModelWindowClassifier
from microexp_tui.inference.live import LiveClassifier
from microexp_tui.inference.model import EmotionModel
from microexp_tui.paths import resource_dir
from microexp_tui.study.montages import load_preset
from tests.expressions.test_detection import RATE_HZ, SEED_UNITS, counts, known

MODEL = resource_dir("models") / "cnn_window.onnx"


def test_the_classifier_joins_the_action_units_in_the_hypothesis() -> None:
    model = EmotionModel.load(MODEL)
    muscles = [muscle.name for muscle in SEED_MONTAGE]
    classifier = ModelWindowClassifier(model, RATE_HZ, muscles, ["envelope"] * 8)
    assert classifier.window_samples == 500 and classifier.name == model.model_id
    data = counts("micro_macro")
    found, parameters = detect_in_counts(
        [(0, data)],
        sample_rate_hz=RATE_HZ,
        channel_units=SEED_UNITS,
        sensor_kinds=["envelope"] * 8,
        classifier=classifier,
    )
    assert parameters["classifier"] == model.model_id
    assert {x.emotion_source for x in found} == {"both"}
    score = score_detections(found, known("micro_macro"))
    assert score.emotion_accuracy is not None and score.emotion_accuracy >= 0.9
    probabilities = classifier.probabilities(data[:500].astype(float))
    assert set(probabilities) == set(model.card.classes)
    assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-4)


def test_a_model_for_another_montage_is_refused() -> None:
    model = EmotionModel.load(MODEL)
    core4 = load_preset("core4").channels
    with pytest.raises(ModelError, match="expects 8 channels"):
        ModelWindowClassifier(model, RATE_HZ, [s.muscle for s in core4], ["envelope"] * 4)


@pytest.mark.parametrize("chunk", [700, 30_000])
def test_classified_expressions_do_not_depend_on_chunking(chunk: int) -> None:
    model = EmotionModel.load(MODEL)
    muscles = [muscle.name for muscle in SEED_MONTAGE]
    classifier = ModelWindowClassifier(model, RATE_HZ, muscles, ["envelope"] * 8)
    data = counts("micro_macro")

    def detect(step: int) -> list[tuple[int, str | None, float, str]]:
        pieces = [(i, data[i : i + step]) for i in range(0, data.shape[0], step)]
        found, _ = detect_in_counts(
            pieces,
            sample_rate_hz=RATE_HZ,
            channel_units=[()] * 8,
            sensor_kinds=["envelope"] * 8,
            classifier=classifier,
        )
        return [(x.onset_index, x.emotion, x.confidence, x.emotion_source) for x in found]

    whole = detect(data.shape[0])
    assert len(whole) == 11 and all(source == "classifier" for *_, source in whole)
    assert detect(chunk) == whole


def test_a_recording_with_a_live_model_asks_it_about_each_expression() -> None:
    model = EmotionModel.load(MODEL)
    montage = [
        ChannelSpec(i, f"EMG{i + 1}", m.name, "envelope", m.action_units)
        for i, m in enumerate(SEED_MONTAGE)
    ]
    live_model = LiveClassifier(model, RATE_HZ, [m.name for m in SEED_MONTAGE], ["envelope"] * 8)
    settings = FilterSettings(sample_rate_hz=float(RATE_HZ))
    live = live_expressions(montage, settings, live_model)
    data = counts("micro_macro")
    envelope = StreamingFilterBank(["envelope"] * 8, settings).process(data)
    flags = np.zeros(envelope.shape, dtype=np.uint8)
    found = []
    for first in range(0, envelope.shape[0], 20):  # 20 ms blocks, as the DSP thread gets them
        stop = first + 20
        found += live.push(first, envelope[first:stop], flags[first:stop], 0.0)
    found += live.flush()
    assert len(found) == 11 and {x.emotion_source for x in found} == {"both"}
    assert [item.number for item in live.since(0)] == list(range(1, 12)) and live.count == 11
    assert live.parameters()["classifier"] == model.model_id
