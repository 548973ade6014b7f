"""What a recording produces: sample batches, markers, gaps, artifact flags, predictions, runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

MISSING_COUNT = int(np.iinfo(np.int16).min)
"""Value `read_samples` puts where no sample was stored (-32768: never a 10-bit ADC count)."""


class MarkerRecord(NamedTuple):
    """An event at a sample index; plain 5-tuples in the same order are accepted too."""

    sample_index: int
    code: int
    source: str
    """Who produced it: text; integer sources are stored as decimal text, enums by name."""
    label: str | None = None
    host_time_s: float | None = None
    """Host receive time, seconds since the Unix epoch (UTC)."""


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

    `chunks` holds `(first_sample_index, counts)` with `counts` shaped (samples, channels),
    any integer dtype whose values fit int16 (int16 and uint16 ADC counts are typical).
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
