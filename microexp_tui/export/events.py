"""Session events as exported rows: stimuli with durations, markers, gaps, artifacts, expressions.

Onsets are seconds from the first sample (sample index / rate); host clock times are
never exported (they are calendar times).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from microexp_tui.domain.emotions import EMOTIONS
from microexp_tui.domain.expressions import Expression
from microexp_tui.domain.markers import (
    REST_CONDITION,
    block_condition,
    code_meaning,
    describe_marker,
    emotion_of_marker,
    is_stimulus_offset,
    stimulus_condition,
    trial_type_of_code,
)
from microexp_tui.domain.recording import ArtifactRecord, GapRecord, MarkerRecord
from microexp_tui.store.sessions import SessionStore

GAP_TRIAL_TYPE = "acquisition_gap"
EDF_GAP_ANNOTATION = "BAD_ACQ_SKIP"
"""MNE's name for samples lost in acquisition: annotated spans starting `BAD_` are skipped."""


@dataclass(frozen=True)
class EventRow:
    """One row of an events table; None is written as n/a."""

    sample: int
    duration_samples: int | None
    trial_type: str
    value: int | None = None
    """The marker code, for marker events."""
    target_emotion: str | None = None
    channel: str | None = None
    source: str | None = None
    label: str | None = None

    def onset_s(self, rate_hz: float) -> float:
        """Onset in seconds from the first sample."""
        return self.sample / rate_hz

    def duration_s(self, rate_hz: float) -> float | None:
        """Duration in seconds, or None when unknown."""
        return None if self.duration_samples is None else self.duration_samples / rate_hz


@dataclass(frozen=True)
class Condition:
    """A span of samples [start, stop) in one experimental condition (emotion or rest)."""

    start: int
    stop: int
    name: str


def marker_trial_type(marker: MarkerRecord) -> str:
    """Category of an event for the events table: by the product's code, else its condition.

    An event from elsewhere (no code, or a code with another kind or condition than the
    product's) is categorised by its condition, else its kind.
    """
    code = marker.code
    if code is None or (marker.kind, marker.condition) != code_meaning(code):
        return marker.condition or marker.kind or "marker"
    return trial_type_of_code(code)


def _is_block_start(marker: MarkerRecord) -> bool:
    """Whether an event opens a stimulus block (any condition) or a rest block."""
    return block_condition(marker) is not None


def _target_emotion(marker: MarkerRecord) -> str | None:
    """The emotion a stimulus onset targets (its code's, or an imported condition naming one)."""
    condition = stimulus_condition(marker)
    return emotion_of_marker(marker.code) or (condition if condition in EMOTIONS else None)


def _block_end(markers: Sequence[MarkerRecord], position: int, end_sample: int) -> int | None:
    """Where the block opened by markers[position] ends, or None if a stimulus has no offset."""
    stimulus = block_condition(markers[position]) != REST_CONDITION
    for later in markers[position + 1 :]:
        if stimulus and is_stimulus_offset(later):
            return int(later.sample_index)
        if _is_block_start(later):
            return None if stimulus else int(later.sample_index)
    return None if stimulus else end_sample


def marker_rows(markers: Sequence[MarkerRecord], end_sample: int) -> list[EventRow]:
    """Rows for markers; stimulus and rest blocks get their durations."""
    rows = []
    for position, marker in enumerate(markers):
        end = _block_end(markers, position, end_sample) if _is_block_start(marker) else None
        start = int(marker.sample_index)
        rows.append(
            EventRow(
                sample=start,
                duration_samples=None if end is None else max(0, end - start),
                trial_type=marker_trial_type(marker),
                value=marker.code,
                target_emotion=_target_emotion(marker),
                source=marker.source or None,
                label=marker.label or None,
            )
        )
    return rows


def conditions(markers: Sequence[MarkerRecord], end_sample: int) -> list[Condition]:
    """Stimulus (by condition: target emotion or imported condition) and rest spans, for a
    per-sample condition column."""
    spans = []
    for position, marker in enumerate(markers):
        name = block_condition(marker)
        if name is None:
            continue
        end = _block_end(markers, position, end_sample)
        start = int(marker.sample_index)
        if end is not None and end > start:
            spans.append(Condition(start, min(end, end_sample), name))
    return spans


def gap_rows(gaps: Sequence[GapRecord]) -> list[EventRow]:
    """Rows for samples lost in transit."""
    return [
        EventRow(int(g.first_missing_index), int(g.n_lost), GAP_TRIAL_TYPE, source="acquisition")
        for g in gaps
    ]


def artifact_rows(artifacts: Sequence[ArtifactRecord], names: Sequence[str]) -> list[EventRow]:
    """Rows for artifact flags (clipping, flat line, motion) on one channel each."""
    return [
        EventRow(
            int(a.start_index),
            int(a.stop_index - a.start_index),
            f"artifact_{a.flag}",
            channel=names[a.channel] if 0 <= a.channel < len(names) else None,
            source="artifact_detector",
        )
        for a in artifacts
    ]


def expression_label(expression: Expression, names: Sequence[str]) -> str:
    """Action units, likely emotion with confidence, and the channels of an expression."""
    units = "+".join(expression.action_units) or "no AU"
    emotion = expression.emotion or "unclear"
    channels = ",".join(
        names[c] if 0 <= c < len(names) else str(c + 1) for c in expression.channels
    )
    return f"{units} {emotion} ({expression.confidence:.2f}) on {channels}"


def expression_rows(expressions: Sequence[Expression], names: Sequence[str]) -> list[EventRow]:
    """Rows for detected facial expressions (micro_expression or macro_expression)."""
    return [
        EventRow(
            x.onset_index,
            x.offset_index - x.onset_index,
            f"{x.kind}_expression",
            source="expression_detector",
            label=expression_label(x, names),
        )
        for x in expressions
    ]


def all_rows(
    markers: Sequence[MarkerRecord],
    gaps: Sequence[GapRecord],
    artifacts: Sequence[ArtifactRecord],
    expressions: Sequence[Expression],
    names: Sequence[str],
    end_sample: int,
) -> list[EventRow]:
    """Every event of a session in onset order."""
    rows = (
        marker_rows(markers, end_sample)
        + gap_rows(gaps)
        + artifact_rows(artifacts, names)
        + expression_rows(expressions, names)
    )
    return sorted(rows, key=lambda row: (row.sample, row.trial_type, row.channel or ""))


def _annotation(marker: MarkerRecord) -> str:
    """What an EDF+ annotation says about an event: its code's meaning, else its label."""
    if marker.code is not None:
        return describe_marker(marker.code)
    return marker.label or marker.condition or marker.kind or "event"


def edf_annotations(
    markers: Sequence[MarkerRecord], gaps: Sequence[GapRecord], rate_hz: float
) -> list[tuple[float, float, str]]:
    """(onset s, duration s or -1, text of at most 40 ASCII characters) for the EDF+ file."""
    notes = [(m.sample_index / rate_hz, -1.0, _annotation(m)[:40]) for m in markers]
    notes += [
        (g.first_missing_index / rate_hz, g.n_lost / rate_hz, EDF_GAP_ANNOTATION) for g in gaps
    ]
    return sorted(notes)


@dataclass(frozen=True)
class SessionEvents:
    """Everything time-stamped in one session, read once for all files made from it."""

    markers: list[MarkerRecord]
    gaps: list[GapRecord]
    rows: list[EventRow]


def read_session_events(
    store: SessionStore, session_id: int, names: Sequence[str]
) -> SessionEvents:
    """Markers, gaps, artifacts and detected expressions of a session as event rows."""
    end = store.session(session_id).samples_per_channel
    markers = store.markers(session_id)
    gaps = store.gaps(session_id)
    found = store.expressions(session_id)
    rows = all_rows(markers, gaps, store.artifacts(session_id), found, names, end)
    return SessionEvents(markers, gaps, rows)
