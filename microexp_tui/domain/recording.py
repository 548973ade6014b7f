"""What a recording produces: sample batches, events, gaps, artifact flags, results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np


class MarkerRecord(NamedTuple):
    """A labelled event at a sample index: a stimulus, marker, trigger or external event.

    Plain tuples in the same order are accepted too, so the board's `(sample_index, code,
    source, label, host_time_s)` stays a valid event: without a `kind`, the store derives
    the kind and condition from the product's own code (`markers.code_meaning`). Events
    from elsewhere give a kind, any condition (an emotion, `neutral`, another lab's
    trial_type, an LSL marker string) and maybe no code; labels and conditions are
    sanitised (`markers.clean_label`) before they are stored.
    """

    sample_index: int
    code: int | None
    """16-bit marker code, or None for an event that has none (e.g. an LSL string)."""
    source: str
    """Who produced it: text; integer sources are stored as decimal text, enums by name."""
    label: str | None = None
    host_time_s: float | None = None
    """Host receive time, seconds since the Unix epoch (UTC)."""
    kind: str | None = None
    """One of `markers.EVENT_KINDS`; None when writing means "from the code"."""
    condition: str | None = None
    """The condition the event starts or belongs to (e.g. the target emotion), if any."""


@dataclass(frozen=True)
class StoredSamples:
    """Samples [first_index, first_index + n) of a session as read back: values and a mask.

    `values` is (samples, channels) in the session's sample format (int16 board counts,
    int32, or float32), 0 wherever `missing` is True; `missing` is a (samples, channels)
    bool array, True where no value was stored (lost in transit, past the end, or marked
    missing). No value is reserved as a marker of missing data, so every stored value is real.
    """

    first_index: int
    values: np.ndarray
    missing: np.ndarray

    def complete_rows(self) -> np.ndarray:
        """The values of the samples (rows) whose every channel is present."""
        return self.values[~self.missing.any(axis=1)]

    def filled(self, fill: float | np.ndarray) -> np.ndarray:
        """The values with missing ones replaced by `fill` (a scalar or one per channel)."""
        if not self.missing.any():
            return self.values
        return np.where(self.missing, fill, self.values).astype(self.values.dtype, copy=False)


class GapRecord(NamedTuple):
    """A run of samples lost in transit: `n_lost` samples from `first_missing_index`."""

    first_missing_index: int
    n_lost: int


class ArtifactRecord(NamedTuple):
    """An artifact flag on one channel over samples [start_index, stop_index)."""

    channel: int
    flag: str
    start_index: int
    stop_index: int


class PredictionRecord(NamedTuple):
    """One classified window of a session: class probabilities in the run's class order."""

    model_id: str
    sample_index: int
    """Session sample index one past the window's end."""
    label: str
    activation: float
    probabilities: tuple[float, ...]
    """Displayed: calibrated and accumulated over the run's windows."""
    raw_probabilities: tuple[float, ...] = ()
    """The model's answer for this window alone (empty in runs stored before they were kept)."""


@dataclass(frozen=True)
class PredictionRun:
    """One model's classification of one session (live while recording, or a reprocess)."""

    session_id: int
    model_id: str
    kind: str
    """`live` (classified while recording) or `reprocess` (from the stored samples)."""
    classes: tuple[str, ...]
    hop_ms: float
    window_samples: int
    model_card: Mapping[str, Any]
    created_at: str
    predictions: int = 0
    display: Mapping[str, Any] = field(default_factory=dict)
    """How the displayed probabilities were made from the raw ones (empty: they are the raw)."""


PREDICTION_RUN_KINDS: tuple[str, ...] = ("live", "reprocess")

EXPRESSION_SOURCES: tuple[str, ...] = ("live", "offline")
"""Where stored expressions come from: detected while recording, or a re-analysis afterwards."""


@dataclass(frozen=True)
class ExpressionRun:
    """One expression-detection run of a session: its source, detector parameters and count."""

    session_id: int
    source: str
    detector: Mapping[str, Any]
    created_at: str
    updated_at: str
    expressions: int


@dataclass
class Batch:
    """Everything the writer thread gathered since its last write, stored in one transaction.

    `chunks` holds `(first_sample_index, values)` with `values` shaped (samples, channels)
    in the session's sample format: for board sessions any integer dtype whose values fit
    int16 (int16 and uint16 ADC counts are typical). Values that do not exist are marked
    by passing a numpy masked array (`np.ma.MaskedArray`, mask True where missing).
    `counters` holds absolute counter values that overwrite the stored ones (see
    `QUALITY_COUNTERS`; other lower_snake_case names are kept too).
    """

    chunks: list[tuple[int, np.ndarray]] = field(default_factory=list)
    markers: list[MarkerRecord | tuple[Any, ...]] = field(default_factory=list)
    gaps: list[GapRecord | tuple[int, int]] = field(default_factory=list)
    artifacts: list[ArtifactRecord | tuple[int, str, int, int]] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    predictions: list[PredictionRecord] = field(default_factory=list)
    """Live predictions of models whose run was started with `start_prediction_run`."""
