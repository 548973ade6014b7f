"""Plain records the store reads and writes: channels, batches, participants, sessions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

import numpy as np

SESSION_STATUSES: tuple[str, ...] = ("recording", "completed", "interrupted", "aborted")
"""Every status a session row can have; only `recording` is not final."""

FINAL_STATUSES: tuple[str, ...] = ("completed", "aborted", "interrupted")
"""Statuses `finish_session` accepts."""

QUALITY_COUNTERS: tuple[str, ...] = (
    "frames",
    "crc_errors",
    "malformed",
    "sequence_gaps",
    "lost_samples",
    "queue_overflows",
    "garbage_bytes",
    "device_tx_overflows",
    "reconnects",
)
"""Data-quality counters kept as columns of `session_quality` (always present in records).

Counters with other names (e.g. pipeline counters) are accepted too and kept, by name,
in the table's `extra` JSON column; `SessionRecord.counters` holds both kinds.
"""

SEX_VALUES: tuple[str, ...] = ("female", "male", "other", "undisclosed")
HANDEDNESS_VALUES: tuple[str, ...] = ("right", "left", "ambidextrous")


def utc_now_iso() -> str:
    """Current time as a UTC ISO-8601 string with milliseconds, the store's timestamp format."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


MISSING_COUNT = int(np.iinfo(np.int16).min)
"""Value `read_samples` puts where no sample was stored (-32768: never a 10-bit ADC count)."""


@dataclass(frozen=True)
class ChannelSpec:
    """One channel of a session's montage (0-based `index` into the sample columns)."""

    index: int
    label: str
    muscle: str | None
    sensor_kind: str
    action_units: tuple[str, ...] = ()


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


@dataclass(frozen=True)
class Participant:
    """A pseudonymous participant: code and minimal demographics, never identity."""

    id: int
    code: str
    birth_year: int | None
    sex: str | None
    handedness: str | None
    created_at: str


@dataclass(frozen=True)
class ParticipantIdentity:
    """Identifying data, kept in its own table so exports never pick it up by accident."""

    participant_id: int
    name: str | None
    contact: str | None
    notes: str | None


@dataclass(frozen=True)
class SessionRecord:
    """A session row with its participant code, montage, counters and sample extent.

    `samples_per_channel` is one past the highest stored sample index (lost samples
    inside the recording count, so it measures time); `stored_samples` counts the
    samples per channel actually stored.
    """

    id: int
    uuid: str
    participant_id: int
    participant_code: str
    status: str
    started_at: str
    ended_at: str | None
    heartbeat_at: str | None
    protocol: str | None
    operator: str | None
    sample_rate_hz: int
    channel_count: int
    device: Mapping[str, Any]
    simulated: bool
    notes: str | None
    samples_per_channel: int
    stored_samples: int
    counters: Mapping[str, int]
    channels: tuple[ChannelSpec, ...]

    @property
    def duration_s(self) -> float:
        """Recorded duration in seconds, from the sample count and the sample rate."""
        return self.samples_per_channel / self.sample_rate_hz
