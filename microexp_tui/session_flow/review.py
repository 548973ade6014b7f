"""What the Review screen shows about a session, gathered from the store in one go."""

from __future__ import annotations

from dataclasses import dataclass

from microexp_tui.domain import (
    EMOTION_CHANNELS,
    MARKER_STIMULUS_OFFSET,
    SEED_MONTAGE,
    emotion_of_marker,
)
from microexp_tui.store import session_extras as extras
from microexp_tui.store.records import MarkerRecord, SessionRecord
from microexp_tui.store.sessions import SessionStore

RESPONSE_WINDOW_S = 1.0
"""Events up to this long after a stimulus offset still count as responses to it."""


@dataclass(frozen=True)
class StimulusRow:
    """One presented stimulus and the muscle activity that followed it."""

    number: int
    emotion: str
    onset_s: float
    duration_s: float | None
    events: int
    micro_events: int
    expected_hit: bool
    """Whether an event occurred on a muscle the seed data ties to this emotion."""


@dataclass(frozen=True)
class SessionReview:
    """Everything the Review screen shows about one session."""

    record: SessionRecord
    setup: extras.SessionSetup | None
    checks: list[extras.ElectrodeCheck]
    calibration: list[extras.ChannelCalibration]
    notes: list[extras.Note]
    overrides: list[extras.Override]
    progress: extras.ProtocolProgress | None
    stimuli: list[StimulusRow]
    events: list[extras.MuscleEvent]
    gaps_lost_samples: int


def expected_channels(record: SessionRecord, emotion: str) -> set[int]:
    """Channels of this session's montage on the muscles the seed data ties to `emotion`."""
    muscles = {SEED_MONTAGE[index].name for index in EMOTION_CHANNELS[emotion]}
    return {spec.index for spec in record.channels if spec.muscle in muscles}


def stimulus_rows(
    record: SessionRecord,
    markers: list[MarkerRecord],
    events: list[extras.MuscleEvent],
    from_index: int,
) -> list[StimulusRow]:
    """Per-stimulus table: onsets after `from_index`, their offsets and the events in between."""
    rate = record.sample_rate_hz
    rows: list[StimulusRow] = []
    for position, marker in enumerate(markers):
        emotion = emotion_of_marker(marker.code)
        if emotion is None or marker.sample_index < from_index:
            continue
        offset = next(
            (m.sample_index for m in markers[position + 1 :] if m.code == MARKER_STIMULUS_OFFSET),
            None,
        )
        stop = (offset if offset is not None else marker.sample_index) + round(
            RESPONSE_WINDOW_S * rate
        )
        inside = [e for e in events if marker.sample_index <= e.start_index < stop]
        wanted = expected_channels(record, emotion)
        rows.append(
            StimulusRow(
                number=len(rows) + 1,
                emotion=emotion,
                onset_s=marker.sample_index / rate,
                duration_s=None if offset is None else (offset - marker.sample_index) / rate,
                events=len(inside),
                micro_events=sum(e.micro for e in inside),
                expected_hit=any(e.channel_index in wanted for e in inside),
            )
        )
    return rows


def load_review(store: SessionStore, session_id: int) -> SessionReview:
    """Gather a session's review from the store (slow-ish: run it in a worker)."""
    record = store.session(session_id)
    progress = extras.progress_of(store).get(session_id)
    events = extras.muscle_events(store, session_id)
    from_index = progress.start_index if progress and progress.start_index is not None else 0
    return SessionReview(
        record=record,
        setup=extras.setup(store, session_id),
        checks=extras.electrode_checks(store, session_id),
        calibration=extras.calibration(store, session_id),
        notes=extras.notes(store, session_id),
        overrides=extras.overrides(store, session_id),
        progress=progress,
        stimuli=stimulus_rows(record, store.markers(session_id), events, from_index),
        events=events,
        gaps_lost_samples=sum(gap.n_lost for gap in store.gaps(session_id)),
    )
