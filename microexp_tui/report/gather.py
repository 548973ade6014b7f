"""Everything a report needs, read from the store into plain records: the only module touching it.

The per-stimulus table comes from `session_flow.review` (the same rows the Review screen
shows); predictions, expressions, the AU validation and a min/max envelope of the samples
are added here. Identity fields are never read: the participant appears by code only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from microexp_tui.analysis.trials.options import TrialOptions
from microexp_tui.analysis.trials.session import session_trials
from microexp_tui.analysis.trials.standardise import standardise
from microexp_tui.analysis.trials.summary import (
    ConditionCurve,
    SummaryRow,
    condition_curves,
    summarise,
)
from microexp_tui.domain.expressions import Expression, ValidationReport
from microexp_tui.domain.recording import ArtifactRecord, GapRecord, MarkerRecord
from microexp_tui.domain.sessions import SessionRecord
from microexp_tui.dsp.units import WorkingUnits
from microexp_tui.errors import InputError
from microexp_tui.expressions.stimulus_response import DEFAULT_RULE, ResponseRule
from microexp_tui.readmodels.review import SessionReview, load_review
from microexp_tui.report.analysis import (
    EnvelopeAccumulator,
    PredictionSeries,
    StimulusOutcome,
    artifact_samples,
    muscle_onsets,
    stimulus_outcomes,
    strip_count,
)
from microexp_tui.store.sessions import SessionStore

HISTORY_SESSIONS = 5
"""Earlier sessions of the participant shown beside this one on the longitudinal page."""

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Envelope:
    """Per-column min/max of each channel over the whole session, in its working unit (ADC
    counts on a board, the physical unit of an import)."""

    total_samples: int
    minimum: np.ndarray
    """(columns, channels) float64, NaN where no sample was stored."""
    maximum: np.ndarray
    """(columns, channels) float64, NaN where no sample was stored."""


@dataclass(frozen=True)
class ExpressionData:
    """The session's detected expressions, or why there are none."""

    analysed: bool
    """Whether a detection run exists (live or offline)."""
    source: str | None
    expressions: list[Expression]


@dataclass(frozen=True)
class SessionFigures:
    """One session's headline measures (the longitudinal page compares these)."""

    record: SessionRecord
    review: SessionReview
    artifacts: list[ArtifactRecord]
    gaps: list[GapRecord]
    markers: list[MarkerRecord]
    artifact_samples_per_channel: list[int]
    artifact_samples_any: int
    artifact_kinds: dict[int, list[str]]
    series: list[PredictionSeries]
    expressions: ExpressionData
    outcomes: list[StimulusOutcome]

    @property
    def primary(self) -> PredictionSeries | None:
        """The run the per-stimulus table and timeline use."""
        return primary_series(self.series)

    @property
    def artifact_share(self) -> float:
        """Share of the session's time flagged as artifact on at least one channel."""
        total = self.record.samples_per_channel
        return self.artifact_samples_any / total if total else 0.0


@dataclass(frozen=True)
class SessionResponses:
    """The session's trial-level responses by condition (core's tables), or why there are none."""

    options: TrialOptions
    trials: int
    curves: list[ConditionCurve]
    summary: list[SummaryRow]
    units: dict[str, str]
    """The envelope's unit of each muscle's values."""
    missing: str | None = None
    """Why the session has no trials (None when it has some)."""


def read_responses(
    store: SessionStore, session_id: int, options: TrialOptions | None = None
) -> SessionResponses:
    """Epoch the session around its onsets, standardise it alone, and summarise by condition."""
    options = options or TrialOptions()
    try:
        found = session_trials(store, session_id, options)
    except InputError as err:
        return SessionResponses(options, 0, [], [], {}, str(err))
    if not found.onsets or not found.rows:
        why = "No stimulus or event onset was recorded in this session, so it has no trials."
        return SessionResponses(options, 0, [], [], {}, why)
    rows = standardise(found.rows, options.exclude_sd)
    units = {row.muscle: row.unit for row in rows}
    return SessionResponses(
        options, len(found.onsets), condition_curves(rows), summarise(rows), units
    )


@dataclass(frozen=True)
class ReportData:
    """The session, its figures, the envelope, the AU validation and earlier sessions."""

    figures: SessionFigures
    envelope: Envelope | None
    validation: ValidationReport | None
    history: list[SessionFigures]
    """Earlier sessions of the same participant, oldest first (at most HISTORY_SESSIONS)."""
    earlier_sessions: int
    """How many earlier sessions the participant has in all."""
    generated_at: datetime
    responses: SessionResponses | None = None
    """Trial-level responses by condition (None when the template leaves that section out)."""

    @property
    def record(self) -> SessionRecord:
        """The session's record."""
        return self.figures.record


def primary_series(series: list[PredictionSeries]) -> PredictionSeries | None:
    """The live run (what the operator saw) if there is one, else the newest reprocess."""
    live = [s for s in series if s.run.kind == "live"]
    if live:
        return live[0]
    return series[-1] if series else None


def check_session(store: SessionStore, session_id: int) -> None:
    """InputError naming the database when the session id is not in it."""
    if session_id not in {record.id for record in store.list_sessions()}:
        raise InputError(
            f"Session {session_id} is not in {store.path}; `microexp sessions --db "
            f"{store.path}` lists the sessions it holds."
        )


def session_figures(
    store: SessionStore, session_id: int, rule: ResponseRule = DEFAULT_RULE
) -> SessionFigures:
    """Read one session's review, predictions, expressions and artifacts, and score them."""
    review = load_review(store, session_id, rule)
    record = review.record
    artifacts = store.artifacts(session_id)
    per_channel, union, kinds = artifact_samples(artifacts, record.channel_count)
    series = [
        PredictionSeries.from_records(run, store.predictions(session_id, run.model_id))
        for run in store.prediction_runs(session_id)
    ]
    runs = store.expression_runs(session_id)
    found = review.expressions
    source = "offline" if any(r.source == "offline" for r in runs) else ("live" if runs else None)
    expressions = ExpressionData(bool(runs), source, found)
    onsets = muscle_onsets(found)
    primary = primary_series(series)
    outcomes = stimulus_outcomes(review.stimuli, primary, onsets, record.sample_rate_hz)
    return SessionFigures(
        record=record,
        review=review,
        artifacts=artifacts,
        gaps=store.gaps(session_id),
        markers=store.markers(session_id),
        artifact_samples_per_channel=per_channel,
        artifact_samples_any=union,
        artifact_kinds=kinds,
        series=series,
        expressions=expressions,
        outcomes=outcomes,
    )


def read_envelope(store: SessionStore, record: SessionRecord, columns: int) -> Envelope | None:
    """Min/max per column of every channel, streamed chunk by chunk (None without samples)."""
    total = record.samples_per_channel
    if total <= 0:
        return None
    accumulator = EnvelopeAccumulator(total, columns, record.channel_count)
    working = WorkingUnits.of_session(record.channels, record.source, record.sample_format)
    for first, counts in store.sample_chunks(record.id):
        accumulator.add(first, working.convert(counts))
    low, high = accumulator.result()
    return Envelope(total, low, high)


def gather(
    store: SessionStore,
    session_id: int,
    columns_per_row: int,
    minutes_per_row: float,
    progress: Progress | None = None,
    now: datetime | None = None,
    rule: ResponseRule = DEFAULT_RULE,
    responses: bool = True,
) -> ReportData:
    """Everything the report shows about `session_id` (InputError for an unknown id); the
    trial-level `responses` only when asked for."""
    step = progress or (lambda _message: None)
    check_session(store, session_id)
    figures = session_figures(store, session_id, rule)
    step("session, predictions and expressions read")
    rows = strip_count(figures.record.duration_s, minutes_per_row)
    envelope = read_envelope(store, figures.record, rows * columns_per_row)
    step("signal envelopes computed")
    earlier = [
        r
        for r in store.list_sessions()
        if r.participant_id == figures.record.participant_id
        and (r.started_at, r.id) < (figures.record.started_at, figures.record.id)
    ]
    history = [session_figures(store, r.id, rule) for r in earlier[-HISTORY_SESSIONS:]]
    step("earlier sessions read")
    trials = read_responses(store, session_id) if responses else None
    return ReportData(
        figures=figures,
        envelope=envelope,
        validation=store.latest_validation(session_id),
        history=history,
        earlier_sessions=len(earlier),
        generated_at=now or datetime.now().astimezone(),
        responses=trials,
    )
