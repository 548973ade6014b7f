"""Score EMG expressions against video-coded AU events: precision, recall, F1 and onset latency.

Per action unit, an EMG expression that includes the AU and an AU event of that AU match
when their onsets lie within the tolerance; pairs are taken closest first, each event at
most once. Precision is matched / EMG expressions with the AU, recall matched / AU events;
"overall" pools the counts of every scored AU. Only AUs both the montage can see and the
file codes are scored, and only EMG expressions inside the span the AU file covers.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from microexp_tui.domain.expressions import (
    AuEvent,
    AuScore,
    ConfirmedMicroExpression,
    Expression,
    ValidationReport,
)
from microexp_tui.expressions.au_import import au_number

DEFAULT_TOLERANCE_MS = 200.0
"""Onset tolerance: a few video frames plus the lag of video AU detectors behind the EMG."""


@dataclass(frozen=True)
class Alignment:
    """How to put AU-file times on the session clock: session_s = au_s + offset_s."""

    offset_s: float
    description: str


def explicit_alignment(offset_s: float) -> Alignment:
    """An offset the operator measured (e.g. from a clapper)."""
    return Alignment(offset_s, f"explicit offset {offset_s:+.3f} s")


def marker_alignment(marker_s: float, marker_name: str, au_sync_s: float) -> Alignment:
    """Sync marker at `marker_s` on the session clock seen at `au_sync_s` in the video."""
    return Alignment(
        marker_s - au_sync_s,
        f"sync marker {marker_name} at {marker_s:.3f} s = video {au_sync_s:.3f} s",
    )


def match_onsets(
    emg_onsets_s: Sequence[float], au_onsets_s: Sequence[float], tolerance_s: float
) -> list[tuple[int, int]]:
    """One-to-one pairs (emg index, au index) with onsets within tolerance, closest first."""
    au = np.asarray(au_onsets_s, dtype=np.float64)
    order = np.argsort(au, kind="stable")
    au_sorted = au[order]
    candidates: list[tuple[float, int, int]] = []
    for emg_index, onset in enumerate(emg_onsets_s):
        low = np.searchsorted(au_sorted, onset - tolerance_s, side="left")
        high = np.searchsorted(au_sorted, onset + tolerance_s, side="right")
        for position in range(int(low), int(high)):
            candidates.append((abs(au_sorted[position] - onset), emg_index, int(order[position])))
    candidates.sort()
    used_emg: set[int] = set()
    used_au: set[int] = set()
    pairs = []
    for _, emg_index, au_index in candidates:
        if emg_index in used_emg or au_index in used_au:
            continue
        used_emg.add(emg_index)
        used_au.add(au_index)
        pairs.append((emg_index, au_index))
    return sorted(pairs)


def validate(
    expressions: Sequence[Expression],
    au_events: Sequence[AuEvent],
    *,
    observable_aus: Iterable[str],
    alignment: Alignment,
    au_file: str,
    au_file_sha256: str,
    au_file_span_s: tuple[float, float] | None = None,
    coded_aus: Iterable[str] | None = None,
    tolerance_ms: float = DEFAULT_TOLERANCE_MS,
) -> ValidationReport:
    """The validation report of EMG expressions against AU events (AU times in file seconds).

    `au_file_span_s` is the first and last frame time of the AU file (file seconds) and
    `coded_aus` the AUs it has columns for (default: those with at least one event).
    """
    shifted = [
        AuEvent(
            e.action_unit,
            e.onset_s + alignment.offset_s,
            e.offset_s + alignment.offset_s,
            e.peak_intensity,
        )
        for e in au_events
    ]
    session_span = (
        None
        if au_file_span_s is None
        else (au_file_span_s[0] + alignment.offset_s, au_file_span_s[1] + alignment.offset_s)
    )
    inside = [x for x in expressions if session_span is None or _within(x.onset_s, session_span)]
    observable = set(observable_aus)
    coded = set(coded_aus) if coded_aus is not None else {e.action_unit for e in au_events}
    scored = sorted(observable & coded, key=au_number)
    ignored = sorted(observable ^ coded, key=au_number)
    tolerance_s = tolerance_ms / 1000.0
    scores: list[AuScore] = []
    latencies_by_expression: dict[int, list[float]] = {}
    all_latencies: list[float] = []
    for au in scored:
        emg = [(index, x) for index, x in enumerate(inside) if au in x.action_units]
        video = [event for event in shifted if event.action_unit == au]
        pairs = match_onsets([x.onset_s for _, x in emg], [e.onset_s for e in video], tolerance_s)
        latencies = [1000.0 * (video[v].onset_s - emg[m][1].onset_s) for m, v in pairs]
        for (m, _), latency in zip(pairs, latencies, strict=True):
            latencies_by_expression.setdefault(emg[m][0], []).append(latency)
        all_latencies.extend(latencies)
        scores.append(_score(au, len(emg), len(video), len(pairs), latencies))
    overall = _score(
        "overall",
        sum(s.emg_events for s in scores),
        sum(s.au_events for s in scores),
        sum(s.matched for s in scores),
        all_latencies,
    )
    confirmed = tuple(
        _confirmed(inside[index], latencies)
        for index, latencies in sorted(latencies_by_expression.items())
        if inside[index].kind == "micro"
    )
    return ValidationReport(
        au_file=au_file,
        au_file_sha256=au_file_sha256,
        offset_s=alignment.offset_s,
        alignment=alignment.description,
        tolerance_ms=tolerance_ms,
        overall=overall,
        per_action_unit=tuple(scores),
        confirmed_micro=confirmed,
        covered_s=session_span,
        ignored_action_units=tuple(ignored),
    )


def _within(time_s: float, span: tuple[float, float]) -> bool:
    """Whether a time lies in [start, end]."""
    return span[0] <= time_s <= span[1]


def _score(au: str, emg: int, video: int, matched: int, latencies_ms: list[float]) -> AuScore:
    """Precision, recall, F1 (None where undefined) and median latency of one AU's counts."""
    precision = matched / emg if emg else None
    recall = matched / video if video else None
    f1: float | None = None
    if precision is not None and recall is not None:
        f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    median = statistics.median(latencies_ms) if latencies_ms else None
    return AuScore(au, emg, video, matched, precision, recall, f1, median)


def _confirmed(expression: Expression, latencies_ms: list[float]) -> ConfirmedMicroExpression:
    """A micro-expression with the median onset latency of its matched AUs."""
    return ConfirmedMicroExpression(
        onset_s=expression.onset_s,
        duration_ms=expression.duration_ms,
        action_units=expression.action_units,
        emotion=expression.emotion,
        onset_latency_ms=statistics.median(latencies_ms),
    )


def report_as_dict(report: ValidationReport) -> dict[str, Any]:
    """A JSON-ready dict of a report (tuples become lists)."""
    return asdict(report)


def report_from_dict(data: dict[str, Any]) -> ValidationReport:
    """The report back from `report_as_dict` output (e.g. read from the store)."""
    covered = data.get("covered_s")
    return ValidationReport(
        au_file=data["au_file"],
        au_file_sha256=data["au_file_sha256"],
        offset_s=float(data["offset_s"]),
        alignment=data["alignment"],
        tolerance_ms=float(data["tolerance_ms"]),
        overall=AuScore(**data["overall"]),
        per_action_unit=tuple(AuScore(**score) for score in data["per_action_unit"]),
        confirmed_micro=tuple(
            ConfirmedMicroExpression(**{**item, "action_units": tuple(item["action_units"])})
            for item in data["confirmed_micro"]
        ),
        covered_s=None if covered is None else (float(covered[0]), float(covered[1])),
        ignored_action_units=tuple(data.get("ignored_action_units", ())),
    )
