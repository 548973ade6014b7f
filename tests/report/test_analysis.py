"""Pure computations behind the report: envelope decimation, artifact time, dominant emotion."""

from __future__ import annotations

import numpy as np
import pytest

from microexp_tui.domain.recording import PredictionRun
from microexp_tui.report.analysis import (
    EnvelopeAccumulator,
    PredictionSeries,
    column_means,
    dominant_label,
    flagged_samples,
    strip_count,
)

CLASSES = ("neutral", "happy", "surprise", "disgust", "sadness", "fear", "anger")


def brute_envelope(
    data: np.ndarray, lost: np.ndarray, columns: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per-column min/max computed sample by sample (the reference), lost samples left out."""
    n, channels = data.shape
    low = np.full((columns, channels), np.nan)
    high = np.full((columns, channels), np.nan)
    for i in range(n):
        col = min(i * columns // n, columns - 1)
        row = data[i].astype(float)
        row[lost[i]] = np.nan
        low[col] = np.fmin(low[col], row)
        high[col] = np.fmax(high[col], row)
    return low, high


@pytest.mark.parametrize("chunk", [1, 7, 250, 1000, 5000])
def test_envelope_is_exact_whatever_the_chunking(chunk: int) -> None:
    rng = np.random.default_rng(chunk)
    data = rng.integers(0, 1024, size=(3001, 3)).astype(np.int16)
    lost = np.zeros(len(data), dtype=bool)
    lost[1200:1300] = True
    accumulator = EnvelopeAccumulator(len(data), 37, 3)
    stored = np.flatnonzero(~lost)
    for first in range(0, len(data), chunk):  # lost samples are simply absent from the chunks
        inside = stored[(stored >= first) & (stored < first + chunk)]
        for run in np.split(inside, np.flatnonzero(np.diff(inside) > 1) + 1):
            if len(run):
                accumulator.add(int(run[0]), data[run[0] : run[-1] + 1])
    low, high = accumulator.result()
    ref_low, ref_high = brute_envelope(data, lost, 37)
    np.testing.assert_array_equal(low, ref_low)
    np.testing.assert_array_equal(high, ref_high)


def test_flagged_time_is_the_union_of_intervals() -> None:
    assert flagged_samples([]) == 0
    assert flagged_samples([(0, 10), (5, 15), (20, 25), (21, 22)]) == 20
    assert flagged_samples([(30, 40), (0, 100)]) == 100


def series(labels: list[str], probability: float = 0.8) -> PredictionSeries:
    """Windows ending every 10 samples with the given labels."""
    probs = np.full((len(labels), len(CLASSES)), (1 - probability) / (len(CLASSES) - 1))
    for i, label in enumerate(labels):
        probs[i, CLASSES.index(label)] = probability
    run = PredictionRun(1, "m", "live", CLASSES, 100.0, 10, {}, "2026-01-01T00:00:00+00:00")
    ends = np.arange(1, len(labels) + 1, dtype=np.int64) * 10
    index = np.array([CLASSES.index(label) for label in labels], np.int64)
    return PredictionSeries(run, ends, probs.astype(np.float32), index)


def test_dominant_label_prefers_emotions_over_neutral() -> None:
    s = series(["neutral"] * 6 + ["fear", "fear", "anger", "neutral"])
    label, confidence, windows, agreeing = dominant_label(s, 0, 100)
    assert (label, windows, agreeing) == ("fear", 10, 2)
    assert confidence == pytest.approx(0.8)
    assert dominant_label(series(["neutral"] * 4), 0, 40)[0] == "neutral"
    assert dominant_label(s, 200, 300) == (None, None, 0, 0)
    assert dominant_label(s, 60, 80)[0] == "fear", "only windows ending in (60, 80]"


def test_column_means_and_strip_count() -> None:
    index = np.array([0, 1, 5, 9])
    values = np.array([[1.0], [3.0], [5.0], [7.0]])
    means = column_means(index, values, 10, 5)
    np.testing.assert_array_equal(means[:, 0], [2.0, np.nan, 5.0, np.nan, 7.0])
    assert strip_count(12.0, 10) == 1
    assert strip_count(3600.0, 10) == 6
    assert strip_count(3601.0, 10) == 7
