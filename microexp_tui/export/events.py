"""Session events as exported rows: stimuli with durations, markers, gaps, artifacts, expressions.

Onsets are seconds from the first sample (sample index / rate); host clock times are
never exported (they are calendar times).
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from microexp_tui.domain.emotions import EMOTIONS
from microexp_tui.domain.expressions import Expression
from microexp_tui.domain.markers import (
    GUIDED_RELAX_GAP_S,
    REST_CONDITION,
    block_condition,
    channel_of_guided_marker,
    code_meaning,
    describe_marker,
    emotion_of_marker,
    is_stimulus_offset,
    stimulus_condition,
    stimulus_offset_index,
    trial_type_of_code,
)
from microexp_tui.domain.recording import ArtifactRecord, GapRecord, MarkerRecord
from microexp_tui.domain.sessions import SessionRecord
from microexp_tui.expressions.stimulus_response import (
    DEFAULT_RULE,
    ResponseRule,
    StimulusResponse,
    response_to,
)
from microexp_tui.store.sessions import SessionStore

GAP_TRIAL_TYPE = "acquisition_gap"
UNCLEAR_RESPONSE = "unclear"
"""response_emotion of a stimulus answered only by expressions of unclear emotion."""
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
    response_emotion: str | None = None
    """For a stimulus: the emotion its responses show (`UNCLEAR_RESPONSE` when none is clear)."""
    response_match: bool | None = None
    """For a stimulus: whether a response shows its target emotion (the per-stimulus rule)."""

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


def _is_step(marker: MarkerRecord) -> bool:
    """Whether an event starts or ends a timed step: a block, an offset, a guided contraction."""
    guided = channel_of_guided_marker(marker.code) is not None
    return guided or _is_block_start(marker) or is_stimulus_offset(marker)


def _target_emotion(marker: MarkerRecord) -> str | None:
    """The emotion a stimulus onset targets (its code's, or an imported condition naming one)."""
    condition = stimulus_condition(marker)
    return emotion_of_marker(marker.code) or (condition if condition in EMOTIONS else None)


def _next_step(markers: Sequence[MarkerRecord], position: int, end_sample: int) -> int:
    """Sample index of the first step event after markers[position], else the recording's end."""
    later = (int(m.sample_index) for m in markers[position + 1 :] if _is_step(m))
    return next(later, end_sample)


def _cue_spacing(markers: Sequence[MarkerRecord], position: int) -> int | None:
    """Typical samples between the cues of the run of guided contractions holding
    markers[position] (None for a cue alone in its run)."""
    steps = [(i, m) for i, m in enumerate(markers) if _is_step(m)]
    at = next(k for k, (i, _) in enumerate(steps) if i == position)
    first = last = at
    while first > 0 and channel_of_guided_marker(steps[first - 1][1].code) is not None:
        first -= 1
    while last + 1 < len(steps) and channel_of_guided_marker(steps[last + 1][1].code) is not None:
        last += 1
    onsets = [int(m.sample_index) for _, m in steps[first : last + 1]]
    if len(onsets) < 2:
        return None
    return round(statistics.median(b - a for a, b in itertools.pairwise(onsets)))


def block_end(
    markers: Sequence[MarkerRecord], position: int, end_sample: int, rate_hz: float
) -> int | None:
    """Where the event at markers[position] ends (its real extent), or None when unknown.

    A stimulus ends at its offset (None without one); a rest block at the next step event
    (a block, an offset or a guided contraction; else the recording's end); a guided
    contraction at the next step event or earlier, after its step's length: the operator app
    cues a run's contractions back to back, each as long as the others with
    GUIDED_RELAX_GAP_S between them, so a step lasts the typical cue spacing minus that gap.
    Every other event (offsets, operator markers, triggers) is an instant: duration 0.
    """
    marker = markers[position]
    start = int(marker.sample_index)
    condition = block_condition(marker)
    if condition is not None and condition != REST_CONDITION:
        return stimulus_offset_index(markers, position)
    if condition == REST_CONDITION:
        return _next_step(markers, position, end_sample)
    if channel_of_guided_marker(marker.code) is not None:
        following = _next_step(markers, position, end_sample)
        spacing = _cue_spacing(markers, position)
        if spacing is None:
            return following
        step = max(0, spacing - round(GUIDED_RELAX_GAP_S * rate_hz))
        return min(following, start + step)
    return start


def marker_rows(
    markers: Sequence[MarkerRecord],
    end_sample: int,
    rate_hz: float,
    responses: Sequence[StimulusResponse | None] = (),
) -> list[EventRow]:
    """Rows for markers with their real durations (`block_end`); stimulus rows carry what the
    per-stimulus rule found (`responses`, one entry per marker, None for non-stimuli)."""
    rows = []
    for position, marker in enumerate(markers):
        end = block_end(markers, position, end_sample, rate_hz)
        start = int(marker.sample_index)
        found = responses[position] if position < len(responses) else None
        rows.append(
            EventRow(
                sample=start,
                duration_samples=None if end is None else max(0, end - start),
                trial_type=marker_trial_type(marker),
                value=marker.code,
                target_emotion=_target_emotion(marker),
                source=marker.source or None,
                label=marker.label or None,
                response_emotion=_response_emotion(found),
                response_match=None if found is None else found.matches,
            )
        )
    return rows


def _response_emotion(found: StimulusResponse | None) -> str | None:
    """The emotion a stimulus's responses show, `unclear` when none is clear, None without."""
    if found is None or not found.responses:
        return None
    return found.emotion or UNCLEAR_RESPONSE


def conditions(markers: Sequence[MarkerRecord], end_sample: int, rate_hz: float) -> list[Condition]:
    """Stimulus (by condition: target emotion or imported condition) and rest spans, for a
    per-sample condition column."""
    spans = []
    for position, marker in enumerate(markers):
        name = block_condition(marker)
        if name is None:
            continue
        end = block_end(markers, position, end_sample, rate_hz)
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
    record: SessionRecord,
    markers: Sequence[MarkerRecord],
    gaps: Sequence[GapRecord],
    artifacts: Sequence[ArtifactRecord],
    expressions: Sequence[Expression],
    names: Sequence[str],
    rule: ResponseRule = DEFAULT_RULE,
) -> list[EventRow]:
    """Every event of a session in onset order (stimuli with the per-stimulus rule's answer)."""
    rate = record.sample_rate_hz
    responses = [
        response_to(markers, position, expressions, record.channels, rate, rule)
        for position in range(len(markers))
    ]
    rows = (
        marker_rows(markers, record.samples_per_channel, rate, responses)
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
    store: SessionStore,
    session_id: int,
    names: Sequence[str],
    rule: ResponseRule = DEFAULT_RULE,
) -> SessionEvents:
    """Markers, gaps, artifacts and detected expressions of a session as event rows."""
    record = store.session(session_id)
    markers = store.markers(session_id)
    gaps = store.gaps(session_id)
    found = store.expressions(session_id)
    rows = all_rows(record, markers, gaps, store.artifacts(session_id), found, names, rule)
    return SessionEvents(markers, gaps, rows)
