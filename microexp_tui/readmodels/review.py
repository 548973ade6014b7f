"""What the Review screen shows about a session, gathered from the store in one go."""

from __future__ import annotations

from dataclasses import dataclass, field

from microexp_tui.domain.calibration import ChannelCalibration
from microexp_tui.domain.electrodes import ElectrodeCheck
from microexp_tui.domain.expressions import Expression, ValidationReport
from microexp_tui.domain.markers import is_stimulus_offset, stimulus_condition
from microexp_tui.domain.muscles import EMOTION_CHANNELS, SEED_MONTAGE
from microexp_tui.domain.recording import MarkerRecord
from microexp_tui.domain.sessions import (
    Note,
    Override,
    ProtocolProgress,
    SessionRecord,
    SessionSetup,
)
from microexp_tui.expressions.guided import guided_expressions
from microexp_tui.store.sessions import SessionStore

RESPONSE_WINDOW_S = 1.0
"""Expressions starting up to this long after a stimulus offset still count as responses to it."""


@dataclass(frozen=True)
class StimulusRow:
    """One presented stimulus and the facial expressions that followed it."""

    number: int
    emotion: str
    """The stimulus's condition: its target emotion, or another lab's condition (`neutral`, a
    trial_type) for an imported event."""
    onset_s: float
    duration_s: float | None
    events: int
    """Expressions starting between the onset and the end of the response window."""
    micro_events: int
    """How many of them were micro-expressions."""
    expected_hit: bool
    """Whether one of them involved a muscle the seed data ties to this emotion."""
    onset_index: int = 0
    """Sample index of the stimulus onset marker."""
    response_stop_index: int = 0
    """One past the last sample that counts as a response (offset + RESPONSE_WINDOW_S)."""


@dataclass(frozen=True)
class SessionReview:
    """Everything the Review screen shows about one session."""

    record: SessionRecord
    setup: SessionSetup | None
    checks: list[ElectrodeCheck]
    calibration: list[ChannelCalibration]
    notes: list[Note]
    overrides: list[Override]
    progress: ProtocolProgress | None
    stimuli: list[StimulusRow]
    gaps_lost_samples: int
    expressions: list[Expression] = field(default_factory=list)
    """Detected expressions (the offline set when there is one, else the live one)."""
    guided: frozenset[int] = frozenset()
    """Positions in `expressions` answering a guided contraction of the check or calibration."""
    validation: ValidationReport | None = None
    """The latest validation of the expressions against video-coded action units."""


def expected_channels(record: SessionRecord, emotion: str) -> set[int]:
    """Channels of this session's montage on the muscles the seed data ties to `emotion`."""
    muscles = {SEED_MONTAGE[index].name for index in EMOTION_CHANNELS.get(emotion, ())}
    return {spec.index for spec in record.channels if spec.muscle in muscles}


def stimulus_rows(
    record: SessionRecord,
    markers: list[MarkerRecord],
    expressions: list[Expression],
    from_index: int,
) -> list[StimulusRow]:
    """Per-stimulus table: onsets after `from_index`, offsets and the expressions in between."""
    rate = record.sample_rate_hz
    rows: list[StimulusRow] = []
    for position, marker in enumerate(markers):
        emotion = stimulus_condition(marker)
        if emotion is None or marker.sample_index < from_index:
            continue
        offset = next(
            (m.sample_index for m in markers[position + 1 :] if is_stimulus_offset(m)),
            None,
        )
        stop = (offset if offset is not None else marker.sample_index) + round(
            RESPONSE_WINDOW_S * rate
        )
        inside = [x for x in expressions if marker.sample_index <= x.onset_index < stop]
        wanted = expected_channels(record, emotion)
        rows.append(
            StimulusRow(
                number=len(rows) + 1,
                emotion=emotion,
                onset_s=marker.sample_index / rate,
                duration_s=None if offset is None else (offset - marker.sample_index) / rate,
                events=len(inside),
                micro_events=sum(x.kind == "micro" for x in inside),
                expected_hit=any(wanted.intersection(x.channels) for x in inside),
                onset_index=marker.sample_index,
                response_stop_index=stop,
            )
        )
    return rows


def load_review(store: SessionStore, session_id: int) -> SessionReview:
    """Gather a session's review from the store (slow-ish: run it in a worker)."""
    record = store.session(session_id)
    progress = store.protocol_progress().get(session_id)
    expressions = store.expressions(session_id)
    from_index = progress.start_index if progress and progress.start_index is not None else 0
    markers = store.markers(session_id)
    guided = guided_expressions(
        expressions,
        ((m.sample_index, m.code) for m in markers if m.code is not None),
        record.sample_rate_hz,
    )
    return SessionReview(
        record=record,
        setup=store.setup(session_id),
        checks=store.electrode_checks(session_id),
        calibration=store.calibration(session_id),
        notes=store.notes(session_id),
        overrides=store.overrides(session_id),
        progress=progress,
        stimuli=stimulus_rows(record, markers, expressions, from_index),
        gaps_lost_samples=sum(gap.n_lost for gap in store.gaps(session_id)),
        expressions=expressions,
        guided=guided,
        validation=store.latest_validation(session_id),
    )
