"""What the Review screen shows about a session, gathered from the store in one go."""

from __future__ import annotations

from dataclasses import dataclass, field

from microexp_tui.domain.calibration import ChannelCalibration
from microexp_tui.domain.electrodes import ElectrodeCheck
from microexp_tui.domain.expressions import Expression, ValidationReport
from microexp_tui.domain.recording import MarkerRecord
from microexp_tui.domain.sessions import (
    Note,
    Override,
    ProtocolProgress,
    SessionRecord,
    SessionSetup,
)
from microexp_tui.expressions.guided import guided_expressions
from microexp_tui.expressions.stimulus_response import (
    DEFAULT_RULE,
    ResponseRule,
    StimulusResponse,
    stimulus_responses,
)
from microexp_tui.store.sessions import SessionStore


@dataclass(frozen=True)
class StimulusRow:
    """One presented stimulus and the facial expressions answering it (`RESPONSE_RULE`)."""

    number: int
    emotion: str
    """The stimulus's condition: its target emotion, or another lab's condition (`neutral`, a
    trial_type) for an imported event."""
    onset_s: float
    duration_s: float | None
    events: int
    """Expressions answering it: with a muscle activation starting inside its response window."""
    micro_events: int
    """How many of them were micro-expressions."""
    expected_hit: bool
    """✓: whether a response shows the target emotion (`StimulusResponse.matches`)."""
    onset_index: int = 0
    """Sample index of the stimulus onset marker."""
    response_stop_index: int = 0
    """One past the last sample of the response window (offset + the rule's after_s)."""
    response_start_index: int = 0
    """First sample of the response window (onset - the rule's lead_s)."""
    response_emotion: str | None = None
    """The emotion its responses show (the target when one matches), None when unclear."""

    @classmethod
    def of(cls, number: int, found: StimulusResponse, rate_hz: float) -> StimulusRow:
        """The row of the `number`th stimulus from what the per-stimulus rule found."""
        onset, offset = found.onset_index, found.offset_index
        return cls(
            number=number,
            emotion=found.condition,
            onset_s=onset / rate_hz,
            duration_s=None if offset is None else (offset - onset) / rate_hz,
            events=len(found.responses),
            micro_events=sum(r.expression.kind == "micro" for r in found.responses),
            expected_hit=found.matches,
            onset_index=onset,
            response_stop_index=found.window.stop,
            response_start_index=found.window.start,
            response_emotion=found.emotion,
        )


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


def stimulus_rows(
    record: SessionRecord,
    markers: list[MarkerRecord],
    expressions: list[Expression],
    from_index: int,
    rule: ResponseRule = DEFAULT_RULE,
) -> list[StimulusRow]:
    """Per-stimulus table: onsets after `from_index` and the expressions answering each."""
    rate = record.sample_rate_hz
    found = stimulus_responses(markers, expressions, record.channels, rate, rule, from_index)
    return [StimulusRow.of(number, item, rate) for number, item in enumerate(found, start=1)]


def load_review(
    store: SessionStore, session_id: int, rule: ResponseRule = DEFAULT_RULE
) -> SessionReview:
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
        stimuli=stimulus_rows(record, markers, expressions, from_index, rule),
        gaps_lost_samples=sum(gap.n_lost for gap in store.gaps(session_id)),
        expressions=expressions,
        guided=guided,
        validation=store.latest_validation(session_id),
    )
