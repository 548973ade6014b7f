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

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from microexp_tui.domain.calibration import Calibration
from microexp_tui.dsp.filters import FilterSettings
from microexp_tui.dsp.units import WorkingUnits
from microexp_tui.inference.evidence import EvidenceAccumulator
from microexp_tui.inference.live import DEFAULT_HOP_MS, LiveClassifier, Prediction, hop_samples_for
from microexp_tui.inference.model import EmotionModel
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
) -> OfflineRun:
    """Filter and classify stored `(first_index, values)` chunks given in sample order.

    `working` converts stored values into the filters' units (default: a board's counts);
    ModelError when the model does not fit the channels, their units or the rate.
    """
    working = working or WorkingUnits.board(len(sensor_kinds))
    model.check_channels(muscles, sensor_kinds, working.units)
    bank = working.filter_bank(
        list(sensor_kinds), FilterSettings(sample_rate_hz=sample_rate_hz, mains_hz=mains_hz)
    )
    envelopes = (
        (first, bank.process(working.convert(values)))
        for first, values in join_contiguous(chunks, int(MAX_CHUNK_S * sample_rate_hz))
    )
    if whole_factor(sample_rate_hz, model.card.rate_hz) is not None:
        classifier = _BatchClassifier(
            model, sample_rate_hz, muscles, sensor_kinds, hop_ms=hop_ms, calibration=calibration
        )
        for first, envelope in envelopes:
            classifier.push(first, envelope)
        return OfflineRun(classifier.predictions(), classifier.hop_ms, classifier.window_samples)
    return _classify_resampled(
        envelopes, model, sample_rate_hz, muscles, sensor_kinds, hop_ms, calibration
    )


class _BatchClassifier(LiveClassifier):
    """The live classifier's windows, batches and raw outputs; the displayed probabilities are
    accumulated once at the end (`EvidenceAccumulator.update_many`, equal to the live path's
    window-by-window accumulation) instead of one window at a time."""

    def __init__(
        self,
        model: EmotionModel,
        sample_rate_hz: float,
        muscles: Sequence[str | None],
        sensor_kinds: Sequence[str],
        hop_ms: float = DEFAULT_HOP_MS,
        calibration: Calibration | None = None,
    ) -> None:
        """Size the buffers as the live classifier does; start with no outputs."""
        super().__init__(model, sample_rate_hz, muscles, sensor_kinds, hop_ms, calibration)
        self._ends: list[np.ndarray] = []
        self._raw: list[np.ndarray] = []
        self._activation: list[np.ndarray] = []

    def _classify(self, end_rows: list[int]) -> list[Prediction]:
        """Classify the due windows in one batch (as live) and keep their raw outputs."""
        if end_rows:
            starts = np.asarray(end_rows) - self.window_rows - self._first_row
            index = starts[:, None] + np.arange(self.window_rows)[None, :]
            windows = self.model.card.normalise(self._rows[index], self.calibration)
            results = self.model.classify(windows)
            self._ends.append(np.asarray(end_rows, dtype=np.int64) * self.factor)
            self._raw.append(results.probabilities)
            self._activation.append(results.activation)
        return []

    def outputs(self) -> tuple[list[int], np.ndarray, np.ndarray]:
        """Window ends (samples of this classifier's clock), raw probabilities, activations."""
        classes = len(self.model.card.output_classes)
        if not self._ends:
            return [], np.empty((0, classes), np.float32), np.empty(0, np.float32)
        ends = np.concatenate(self._ends).tolist()
        return ends, np.concatenate(self._raw), np.concatenate(self._activation)

    def predictions(self) -> list[Prediction]:
        """Every window's prediction, displayed probabilities accumulated on this clock."""
        ends, raw, activation = self.outputs()
        shown = self.accumulator.update_many(ends, raw)
        classes = self.model.card.output_classes
        return _predictions(classes, ends, self.window_samples, raw, shown, activation)


def _predictions(
    classes: tuple[str, ...],
    ends: Sequence[int],
    window_samples: int,
    raw: np.ndarray,
    shown: np.ndarray,
    activation: np.ndarray,
) -> list[Prediction]:
    """Prediction records of windows ending at `ends`, labelled by their displayed class."""
    labels = shown.argmax(axis=1).tolist() if len(ends) else []
    return [
        Prediction(
            sample_index=end,
            window_samples=window_samples,
            label=classes[label],
            classes=classes,
            probabilities=tuple(displayed),
            activation=level,
            raw_probabilities=tuple(window_raw),
        )
        for end, label, displayed, level, window_raw in zip(
            ends, labels, shown.tolist(), activation.tolist(), raw.tolist(), strict=True
        )
    ]


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
    classifier = _BatchClassifier(
        model, model.card.rate_hz, muscles, sensor_kinds, hop_ms=hop_ms, calibration=calibration
    )
    for first, envelope in envelopes:
        for row, block in resampler.push(first, envelope):
            classifier.push(row, block)
    for row, block in resampler.flush():
        classifier.push(row, block)
    window = resampler.session_index(classifier.window_rows)
    rows, raw, activation = classifier.outputs()
    ends = [resampler.session_index(row) for row in rows]
    accumulator = EvidenceAccumulator(
        model.card.output_classes,
        model.card.display,
        hop_samples_for(classifier.hop_ms, sample_rate_hz),
    )
    shown = accumulator.update_many(ends, raw)
    predictions = _predictions(model.card.output_classes, ends, window, raw, shown, activation)
    return OfflineRun(predictions, classifier.hop_ms, window)
