"""Offline classification of a whole recording through the live path, in large chunks.

`reprocess` and the throughput benchmark feed stored chunks, in sample order, through the
same causal filter bank and the same `LiveClassifier` a recording uses. Both are exact
across any chunking, so the windows (and, up to float rounding of batched inference, the
probabilities) are those a live run of the same model would have produced.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from microexp_tui.domain.calibration import Calibration
from microexp_tui.dsp.filters import FilterSettings, StreamingFilterBank
from microexp_tui.inference.live import DEFAULT_HOP_MS, LiveClassifier, Prediction
from microexp_tui.inference.model import EmotionModel

MAX_CHUNK_S = 60.0
"""Contiguous stored chunks are joined into pieces of up to this length before filtering."""


def join_contiguous(
    chunks: Iterable[tuple[int, np.ndarray]], max_samples: int
) -> Iterator[tuple[int, np.ndarray]]:
    """Join `(first_index, (samples, channels))` chunks that follow each other, up to a size."""
    parts: list[np.ndarray] = []
    first = end = 0
    for index, counts in chunks:
        if parts and (index != end or end - first + counts.shape[0] > max_samples):
            yield first, np.concatenate(parts)
            parts = []
        if not parts:
            first = end = index
        parts.append(counts)
        end += counts.shape[0]
    if parts:
        yield first, np.concatenate(parts)


@dataclass(frozen=True)
class OfflineRun:
    """Predictions of a whole recording, with the hop and window actually used."""

    predictions: list[Prediction]
    hop_ms: float
    window_samples: int


def classify_recording(
    chunks: Iterable[tuple[int, np.ndarray]],
    *,
    model: EmotionModel,
    sample_rate_hz: float,
    muscles: Sequence[str | None],
    sensor_kinds: Sequence[str],
    mains_hz: float = 50.0,
    hop_ms: float = DEFAULT_HOP_MS,
    calibration: Calibration | None = None,
) -> OfflineRun:
    """Filter and classify stored `(first_index, counts)` chunks given in sample order."""
    classifier = LiveClassifier(
        model, sample_rate_hz, muscles, sensor_kinds, hop_ms=hop_ms, calibration=calibration
    )
    bank = StreamingFilterBank(
        list(sensor_kinds), FilterSettings(sample_rate_hz=sample_rate_hz, mains_hz=mains_hz)
    )
    predictions: list[Prediction] = []
    for first, counts in join_contiguous(chunks, int(MAX_CHUNK_S * sample_rate_hz)):
        predictions.extend(classifier.push(first, bank.process(counts)))
    return OfflineRun(predictions, classifier.hop_ms, classifier.window_samples)
