"""Offline classification of stored chunks: the live path's windows and displayed values."""

from __future__ import annotations

import numpy as np

from microexp_tui.dsp.filters import FilterSettings
from microexp_tui.dsp.units import WorkingUnits
from microexp_tui.inference.live import LiveClassifier
from microexp_tui.inference.model import EmotionModel
from microexp_tui.inference.offline import MAX_CHUNK_S, classify_recording, join_contiguous
from tests.inference.conftest import ENVELOPE, SEED_MUSCLES, envelope_with


def _stored_chunks() -> list[tuple[int, np.ndarray]]:
    """One-second int16 chunks of 150 s with expressions, one chunk lost (a gap)."""
    counts = envelope_with(
        [("happy", 20.0, 24.0), ("fear", 70.0, 75.0), ("anger", 131.0, 136.0)], seconds=150
    ).astype(np.int16)
    return [(first, counts[first : first + 1000]) for first in range(0, 150_000, 1000)
            if first != 90_000]  # fmt: skip


def test_offline_run_equals_the_live_classifier_fed_the_same_pieces(
    cnn_model: EmotionModel,
) -> None:
    chunks = _stored_chunks()
    run = classify_recording(
        iter(chunks), model=cnn_model, sample_rate_hz=1000.0, muscles=SEED_MUSCLES,
        sensor_kinds=ENVELOPE,
    )  # fmt: skip
    working = WorkingUnits.board(8)
    bank = working.filter_bank(ENVELOPE, FilterSettings(sample_rate_hz=1000.0))
    live = LiveClassifier(cnn_model, 1000.0, SEED_MUSCLES, ENVELOPE)
    expected = [
        prediction
        for first, values in join_contiguous(iter(chunks), int(MAX_CHUNK_S * 1000))
        for prediction in live.push(first, bank.process(working.convert(values)))
    ]
    assert run.predictions == expected
    assert run.window_samples == live.window_samples and run.hop_ms == live.hop_ms
    labels = {p.label for p in run.predictions}
    assert {"neutral", "happy", "fear"} <= labels, labels
