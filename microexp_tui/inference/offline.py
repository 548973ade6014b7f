"""Offline classification of a whole recording through the live path, in large chunks.

`reprocess` and the throughput benchmark feed stored chunks, in sample order, through the
same causal filter bank and the same `LiveClassifier` a recording uses (an imported session
in its channels' physical units; a rate that is no whole multiple of the model's is first
resampled to the model's rate, `resample.py`). Both are exact across any chunking, so the
windows (and, up to float rounding of batched inference, the probabilities) are those a live
run of the same model would have produced. The displayed probabilities of a resampled run are
accumulated on the session's sample clock (as `evidence.replay` recomputes them from the
stored raw ones).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass

import numpy as np

from microexp_tui.domain.calibration import Calibration
from microexp_tui.dsp.batch import SplitFilterBank, read_ahead
from microexp_tui.dsp.filters import FilterSettings
from microexp_tui.dsp.units import WorkingUnits
from microexp_tui.inference.evidence import EvidenceAccumulator
from microexp_tui.inference.live import DEFAULT_HOP_MS, LiveClassifier, Prediction, hop_samples_for
from microexp_tui.inference.model import EmotionModel
from microexp_tui.inference.prediction import prediction_records
from microexp_tui.inference.resample import StreamingResampler, rate_ratio
from microexp_tui.inference.windows import whole_factor

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
    working: WorkingUnits | None = None,
    tap: Callable[[int, np.ndarray, np.ndarray], None] | None = None,
) -> OfflineRun:
    """Filter and classify stored `(first_index, values)` chunks given in sample order.

    `working` converts stored values into the filters' units (default: a board's counts);
    `tap(first_index, values, envelope)` sees each filtered piece (at most `MAX_CHUNK_S`, on
    the filtering thread) before it is classified, e.g. to detect expressions in it too.
    ModelError when the model does not fit the channels, their units or the rate.
    """
    working = working or WorkingUnits.board(len(sensor_kinds))
    model.check_channels(muscles, sensor_kinds, working.units)
    settings = FilterSettings(sample_rate_hz=sample_rate_hz, mains_hz=mains_hz)
    pieces = join_contiguous(chunks, int(MAX_CHUNK_S * sample_rate_hz))

    def envelope_of(piece: tuple[int, np.ndarray]) -> tuple[int, np.ndarray]:
        """The piece filtered (and shown to `tap`)."""
        envelope = bank.process(working.convert(piece[1]))
        if tap is not None:
            tap(piece[0], piece[1], envelope)
        return piece[0], envelope

    with (
        SplitFilterBank(working, list(sensor_kinds), settings) as bank,
        closing(read_ahead(pieces, envelope_of)) as envelopes,
    ):
        return _classify_envelopes(
            envelopes, model, sample_rate_hz, muscles, sensor_kinds, hop_ms, calibration
        )


def _classify_envelopes(
    envelopes: Iterable[tuple[int, np.ndarray]],
    model: EmotionModel,
    sample_rate_hz: float,
    muscles: Sequence[str | None],
    sensor_kinds: Sequence[str],
    hop_ms: float,
    calibration: Calibration | None,
) -> OfflineRun:
    """Classify filtered `(first_index, envelope)` pieces, at the model's rate or resampled."""
    if whole_factor(sample_rate_hz, model.card.rate_hz) is not None:
        classifier = LiveClassifier(
            model, sample_rate_hz, muscles, sensor_kinds, hop_ms=hop_ms, calibration=calibration
        )
        predictions: list[Prediction] = []
        for first, envelope in envelopes:
            predictions.extend(classifier.push(first, envelope))
        return OfflineRun(predictions, classifier.hop_ms, classifier.window_samples)
    return _classify_resampled(
        envelopes, model, sample_rate_hz, muscles, sensor_kinds, hop_ms, calibration
    )


def _classify_resampled(
    envelopes: Iterable[tuple[int, np.ndarray]],
    model: EmotionModel,
    sample_rate_hz: float,
    muscles: Sequence[str | None],
    sensor_kinds: Sequence[str],
    hop_ms: float,
    calibration: Calibration | None,
) -> OfflineRun:
    """Classify envelopes resampled to the model's rate; windows mapped back to the session."""
    up, down = rate_ratio(sample_rate_hz, model.card.rate_hz)
    resampler = StreamingResampler(up, down, len(muscles))
    classifier = LiveClassifier(
        model, model.card.rate_hz, muscles, sensor_kinds, hop_ms=hop_ms, calibration=calibration
    )
    rows: list[Prediction] = []
    for first, envelope in envelopes:
        for row, block in resampler.push(first, envelope):
            rows.extend(classifier.push(row, block))
    for row, block in resampler.flush():
        rows.extend(classifier.push(row, block))
    window = resampler.session_index(classifier.window_rows)
    ends = [resampler.session_index(p.sample_index) for p in rows]
    classes = model.card.output_classes
    raw = np.array([p.raw_probabilities for p in rows], dtype=np.float32).reshape(-1, len(classes))
    activation = np.array([p.activation for p in rows], dtype=np.float32)
    accumulator = EvidenceAccumulator(
        classes, model.card.display, hop_samples_for(classifier.hop_ms, sample_rate_hz)
    )
    shown = accumulator.update_many(ends, raw)
    predictions = prediction_records(classes, ends, window, raw, shown, activation)
    return OfflineRun(predictions, classifier.hop_ms, window)
