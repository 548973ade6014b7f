"""Pure computations behind the report: per-stimulus outcomes, confusion, artifact time, envelopes.

Nothing here reads the store or draws; `gather` feeds it plain records and arrays.
Sample arrays are (samples, channels) as everywhere in the program.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from microexp_tui.domain.emotions import EMOTIONS, NEUTRAL
from microexp_tui.domain.expressions import Expression
from microexp_tui.domain.recording import ArtifactRecord, PredictionRecord, PredictionRun
from microexp_tui.readmodels.review import StimulusRow


def strip_count(duration_s: float, minutes_per_row: float) -> int:
    """Rows of the timeline: enough rows of at most `minutes_per_row` to cover the session."""
    return max(1, math.ceil(duration_s / (60.0 * minutes_per_row) - 1e-9))


@dataclass(frozen=True)
class PredictionSeries:
    """One model's predictions of a session as arrays: window ends and class probabilities."""

    run: PredictionRun
    end_index: np.ndarray
    """(windows,) int64 session sample index one past each window's end."""
    probabilities: np.ndarray
    """(windows, classes) float32 in the run's class order."""
    label_index: np.ndarray
    """(windows,) int64 index into `run.classes` of each window's stored label."""

    @classmethod
    def from_records(
        cls, run: PredictionRun, records: Sequence[PredictionRecord]
    ) -> PredictionSeries:
        """Arrays from stored prediction records (sample order)."""
        classes = {name: i for i, name in enumerate(run.classes)}
        n = len(records)
        ends = np.fromiter((r.sample_index for r in records), np.int64, n)
        labels = np.fromiter((classes[r.label] for r in records), np.int64, n)
        probs = np.array([r.probabilities for r in records], np.float32).reshape(n, len(classes))
        return cls(run, ends, probs, labels)


@dataclass(frozen=True)
class MuscleOnset:
    """The start of a muscle activation on one channel, from a detected expression."""

    channel_index: int
    onset_index: int
    peak: float
    """Peak as % of the calibrated range when known (`peak_is_pct`), else in the channel's
    working unit (ADC counts on a board, the physical unit of an import)."""
    peak_is_pct: bool


@dataclass(frozen=True)
class StimulusOutcome:
    """What the model and the muscles did during one stimulus (and its response window)."""

    row: StimulusRow
    predicted: str | None
    """The emotion the model named most often (neutral only when it named nothing else)."""
    confidence: float | None
    """Mean probability of `predicted` over the windows that named it."""
    windows: int
    agreeing_windows: int
    latency_ms: float | None
    """From the stimulus onset to the first muscle onset in the response window (negative for
    a reaction starting within the rule's lead before the onset)."""
    most_active_channel: int | None
    most_active_peak: float | None
    peak_is_pct: bool

    @property
    def matches(self) -> bool | None:
        """Whether the predicted emotion is the target (None without a prediction)."""
        return None if self.predicted is None else self.predicted == self.row.emotion


def muscle_onsets(expressions: Sequence[Expression]) -> list[MuscleOnset]:
    """Activations of the detected expressions, by onset."""
    onsets: list[MuscleOnset] = []
    for expression in expressions:
        for act in expression.activations:
            pct = act.peak_pct_mvc is not None
            peak = act.peak_pct_mvc if act.peak_pct_mvc is not None else act.peak_counts
            onsets.append(MuscleOnset(act.channel_index, act.onset_index, float(peak), pct))
    return sorted(onsets, key=lambda o: (o.onset_index, o.channel_index))


def dominant_label(
    series: PredictionSeries, start_index: int, stop_index: int
) -> tuple[str | None, float | None, int, int]:
    """(label, confidence, windows, windows naming it) for windows ending in (start, stop]."""
    lo = int(np.searchsorted(series.end_index, start_index, side="right"))
    hi = int(np.searchsorted(series.end_index, stop_index, side="right"))
    if hi <= lo:
        return None, None, 0, 0
    labels = series.label_index[lo:hi]
    classes = series.run.classes
    counts = Counter(int(i) for i in labels)
    emotional = {i: n for i, n in counts.items() if classes[i] != NEUTRAL}
    pool = emotional or counts
    best = max(pool, key=lambda i: (pool[i], float(series.probabilities[lo:hi, i].mean())))
    chosen = series.probabilities[lo:hi][labels == best, best]
    return classes[best], float(chosen.mean()), hi - lo, int(pool[best])


def stimulus_outcomes(
    rows: Sequence[StimulusRow],
    series: PredictionSeries | None,
    onsets: Sequence[MuscleOnset],
    rate_hz: float,
) -> list[StimulusOutcome]:
    """Per stimulus: the model's dominant emotion, muscle latency and strongest muscle."""
    starts = np.fromiter((o.onset_index for o in onsets), np.int64, len(onsets))
    outcomes = []
    for row in rows:
        start, stop = row.response_start_index, max(row.response_stop_index, row.onset_index)
        predicted, confidence, windows, agreeing = (
            dominant_label(series, start, stop) if series is not None else (None, None, 0, 0)
        )
        lo = int(np.searchsorted(starts, start, side="left"))
        hi = int(np.searchsorted(starts, stop, side="left"))
        inside = list(onsets[lo:hi])
        strongest = max(inside, key=lambda o: o.peak, default=None)
        outcomes.append(
            StimulusOutcome(
                row=row,
                predicted=predicted,
                confidence=confidence,
                windows=windows,
                agreeing_windows=agreeing,
                latency_ms=(
                    1000.0 * (inside[0].onset_index - row.onset_index) / rate_hz if inside else None
                ),
                most_active_channel=strongest.channel_index if strongest else None,
                most_active_peak=strongest.peak if strongest else None,
                peak_is_pct=bool(strongest and strongest.peak_is_pct),
            )
        )
    return outcomes


@dataclass(frozen=True)
class Confusion:
    """Counts of stimuli by target emotion (rows) and predicted emotion (columns)."""

    targets: tuple[str, ...]
    predicted: tuple[str, ...]
    counts: np.ndarray
    """(targets, predicted) int64."""

    @property
    def total(self) -> int:
        """Stimuli with a prediction."""
        return int(self.counts.sum())

    @property
    def correct(self) -> int:
        """Stimuli whose predicted emotion was the target."""
        return sum(
            int(self.counts[i, self.predicted.index(t)])
            for i, t in enumerate(self.targets)
            if t in self.predicted
        )


def confusion(outcomes: Iterable[StimulusOutcome]) -> Confusion:
    """Target-versus-predicted counts over stimuli with a prediction (neutral is a column)."""
    targets, predicted = EMOTIONS, (NEUTRAL, *EMOTIONS)
    counts = np.zeros((len(targets), len(predicted)), np.int64)
    for outcome in outcomes:
        if outcome.predicted in predicted and outcome.row.emotion in targets:
            counts[targets.index(outcome.row.emotion), predicted.index(outcome.predicted)] += 1
    return Confusion(targets, predicted, counts)


def flagged_samples(intervals: Iterable[tuple[int, int]]) -> int:
    """Samples covered by the union of [start, stop) intervals."""
    total, reach = 0, -1
    for start, stop in sorted(intervals):
        if stop <= reach:
            continue
        total += stop - max(start, reach)
        reach = stop
    return total


def artifact_samples(
    artifacts: Sequence[ArtifactRecord], channels: int
) -> tuple[list[int], int, dict[int, list[str]]]:
    """(flagged samples per channel, flagged on any channel, flag kinds per channel)."""
    per_channel = [
        flagged_samples((a.start_index, a.stop_index) for a in artifacts if a.channel == c)
        for c in range(channels)
    ]
    union = flagged_samples((a.start_index, a.stop_index) for a in artifacts)
    kinds: dict[int, list[str]] = {}
    for artifact in artifacts:
        names = kinds.setdefault(artifact.channel, [])
        if artifact.flag not in names:
            names.append(artifact.flag)
    return per_channel, union, kinds


class EnvelopeAccumulator:
    """Per-column min/max of every channel over a session, fed one stored chunk at a time.

    Column `k` covers samples [k * total / columns, (k + 1) * total / columns): drawing one
    column per point keeps every peak visible while the PDF holds a few thousand points.
    """

    def __init__(self, total_samples: int, columns: int, channels: int) -> None:
        """Columns over `total_samples` samples of `channels` channels."""
        self.total = max(1, total_samples)
        self.columns = max(1, min(columns, self.total))
        self.minimum = np.full((self.columns, channels), np.inf)
        self.maximum = np.full((self.columns, channels), -np.inf)

    def add(self, first_index: int, counts: np.ndarray) -> None:
        """Fold a (samples, channels) run of complete samples from `first_index` in."""
        n = counts.shape[0]
        if n == 0:
            return
        index = np.arange(first_index, first_index + n, dtype=np.int64)
        column = np.minimum(index * self.columns // self.total, self.columns - 1)
        starts = np.flatnonzero(np.r_[True, column[1:] != column[:-1]])
        values = counts.astype(np.float64)
        lows = np.fmin.reduceat(values, starts, axis=0)
        highs = np.fmax.reduceat(values, starts, axis=0)
        cols = column[starts]
        self.minimum[cols] = np.fmin(self.minimum[cols], lows)
        self.maximum[cols] = np.fmax(self.maximum[cols], highs)

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """(minimum, maximum) as (columns, channels) float64, NaN where nothing was stored."""
        empty = ~np.isfinite(self.minimum)
        low, high = self.minimum.copy(), self.maximum.copy()
        low[empty] = np.nan
        high[empty] = np.nan
        return low, high


def column_means(
    index: np.ndarray, values: np.ndarray, total_samples: int, columns: int
) -> np.ndarray:
    """Mean of (n, k) `values` per column of the session (NaN for a column without a value)."""
    total = max(1, total_samples)
    column = np.clip(index * columns // total, 0, columns - 1)
    sums = np.zeros((columns, values.shape[1]))
    np.add.at(sums, column, values)
    counts = np.bincount(column, minlength=columns).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts[:, None]
    means[counts == 0] = np.nan
    return means
