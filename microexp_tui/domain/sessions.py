"""Participants and sessions as every layer sees them: codes, statuses, setup, notes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from microexp_tui.domain.channels import ChannelSpec

SESSION_STATUSES: tuple[str, ...] = (
    "recording",
    "completed",
    "interrupted",
    "aborted",
    "imported",
    "empty",
)
"""Every status a session row can have; only `recording` is not final.

`imported` is the final status of a recording read from files (source `import`); `empty`
that of a recording that ended without one valid sample (its counters say why).
"""

IMPORTED_STATUS = "imported"

EMPTY_STATUS = "empty"

FINAL_STATUSES: tuple[str, ...] = ("completed", "aborted", "interrupted", "empty")
"""Statuses `finish_session` accepts."""

SESSION_SOURCES: tuple[str, ...] = ("board", "import")
"""Where a session's samples come from: a live (or simulated) board, or an imported file.

Board sessions have at most `channels.MAX_BOARD_CHANNELS` channels, imported ones at
most `channels.MAX_IMPORTED_CHANNELS`; both are written batch by batch while `recording`.
"""

SAMPLE_FORMATS: tuple[str, ...] = ("int16", "int32", "float32")
"""How a session's values are stored: int16 (board ADC counts, 16-bit EDF), int32 (24-bit
BDF) or float32 (physical units or features)."""

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


@dataclass(frozen=True)
class Participant:
    """A pseudonymous participant: code and minimal demographics, never identity."""

    id: int
    code: str
    birth_year: int | None
    sex: str | None
    handedness: str | None
    created_at: str
    test: bool = False
    """A test participant (headless `record` without --participant): exports leave it out
    unless asked, screens mark it."""


TEST_PARTICIPANT_CODE = "TEST"
"""Code of the one test participant headless `record` reuses when given no --participant."""
TEST_PARTICIPANT_LABEL = "Test participant (headless record)"
"""How screens and messages name a test participant."""


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
    sample_rate_hz: float
    """Samples per second per channel; may be fractional (a legacy sketch runs at ~19.6 Hz)."""
    channel_count: int
    device: Mapping[str, Any]
    simulated: bool
    notes: str | None
    samples_per_channel: int
    stored_samples: int
    counters: Mapping[str, int]
    channels: tuple[ChannelSpec, ...]
    source: str = "board"
    """One of SESSION_SOURCES."""
    sample_format: str = "int16"
    """One of SAMPLE_FORMATS."""
    test_participant: bool = False
    """Whether the participant is a test participant (see Participant.test)."""

    @property
    def duration_s(self) -> float:
        """Recorded duration in seconds, from the sample count and the sample rate."""
        return self.samples_per_channel / self.sample_rate_hz


PROGRESS_STATES: tuple[str, ...] = ("running", "paused", "completed", "aborted")


def settings_json(values: Mapping[str, Any]) -> str:
    """The program settings as stored with a session's setup: key-sorted JSON."""
    return json.dumps(values, sort_keys=True, default=str)


MAINS_FREQUENCIES_HZ: tuple[float, ...] = (50.0, 60.0)


def mains_hz_of(settings: str | None) -> float | None:
    """The mains frequency (50 or 60 Hz) named anywhere in a settings snapshot, else None."""
    try:
        pending: list[Any] = [json.loads(settings or "{}")]
    except ValueError:
        return None
    while pending:  # the snapshot nests settings by section: find "mains_hz" anywhere
        data = pending.pop()
        if isinstance(data, dict):
            if data.get("mains_hz") in MAINS_FREQUENCIES_HZ:
                return float(data["mains_hz"])
            pending.extend(data.values())
    return None


@dataclass(frozen=True)
class SessionSetup:
    """How a session was set up: presets, protocol, consent and what it resumes."""

    session_id: int
    montage_preset: str | None = None
    protocol_path: str | None = None
    protocol_seed: int | None = None
    consent_template: str | None = None
    consent_sha256: str | None = None
    consent_confirmed_at: str | None = None
    resumed_from_session_id: int | None = None
    start_block: int = 0
    settings: str = "{}"


@dataclass(frozen=True)
class Note:
    """A free-text note an operator wrote about a session."""

    at: str
    author: str
    text: str


@dataclass(frozen=True)
class Override:
    """An operator decision against the program's advice, with the reason given."""

    kind: str
    target: str
    reason: str
    actor: str
    at: str


@dataclass(frozen=True)
class ProtocolProgress:
    """How far a session's stimulus protocol got (for resuming an interrupted one)."""

    protocol: str
    blocks_total: int
    blocks_done: int
    start_index: int | None
    state: str
