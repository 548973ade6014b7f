"""The AU-validation section: EMG expressions scored against video-coded action units."""

from __future__ import annotations

from reportlab.platypus import CondPageBreak, Flowable, Spacer

from microexp_tui.domain.expressions import ValidationReport
from microexp_tui.report.labels import clock
from microexp_tui.report.sections_session import Context
from microexp_tui.report.styles import (
    BODY,
    CELL_HEAD,
    H1,
    H2,
    MUTED_TEXT,
    fmt,
    not_available,
    para,
    table,
)


def validation_section(ctx: Context) -> list[Flowable]:
    """The latest AU validation of the session, or why there is none."""
    out: list[Flowable] = [CondPageBreak(160), para("Validation against action units", H1)]
    report = ctx.data.validation
    if report is None:
        return [
            *out,
            not_available(
                "AU validation",
                "No video-coded action-unit file (OpenFace or py-feat CSV) was validated against "
                "this session's expressions.",
            ),
        ]
    return out + validation_flowables(report, ctx.width)


def validation_flowables(report: ValidationReport, width: float) -> list[Flowable]:
    """Alignment, per-AU precision/recall/F1/latency and the confirmed micro-expressions."""
    out: list[Flowable] = [
        para(
            f"AU file {report.au_file} (SHA-256 {report.au_file_sha256[:12]}...), aligned by "
            f"{report.alignment} (offset {report.offset_s:+.3f} s), tolerance "
            f"{report.tolerance_ms:.0f} ms.",
            BODY,
        ),
        Spacer(1, 4),
    ]
    rows: list[list[object]] = [
        [
            s.action_unit,
            str(s.emg_events),
            str(s.au_events),
            str(s.matched),
            fmt(s.precision, 2),
            fmt(s.recall, 2),
            fmt(s.f1, 2),
            fmt(s.median_onset_latency_ms, 0),
        ]
        for s in (*report.per_action_unit, report.overall)
    ]
    rows[-1] = [para(cell, CELL_HEAD) for cell in rows[-1]]
    header = [
        "Action unit",
        "EMG events",
        "AU events",
        "Matched",
        "Precision",
        "Recall",
        "F1",
        "Median latency (ms)",
    ]
    w = (width - 70) / 7
    out.append(table(header, rows, [70] + [w] * 7))
    notes = []
    if report.covered_s is not None:
        notes.append(
            f"The AU file covers {clock(report.covered_s[0])} to "
            f"{clock(report.covered_s[1])} of the session; expressions outside are not "
            "scored."
        )
    if report.ignored_action_units:
        notes.append(
            f"Not scored (no montage muscle or not in the file): "
            f"{', '.join(report.ignored_action_units)}."
        )
    out += [para(note, MUTED_TEXT) for note in notes]
    out.append(
        para(
            "Latency: AU onset minus EMG onset over matched pairs (positive when the video lags).",
            MUTED_TEXT,
        )
    )
    out.append(para("Confirmed micro-expressions", H2))
    if not report.confirmed_micro:
        out.append(
            para("No micro-expression was seen both in the EMG and in the action units.", BODY)
        )
        return out
    rows = [
        [
            clock(c.onset_s),
            fmt(c.duration_ms, 0),
            " ".join(c.action_units) or "-",
            c.emotion or "unclear",
            fmt(c.onset_latency_ms, 0),
        ]
        for c in report.confirmed_micro
    ]
    out.append(
        table(
            ["Onset", "Duration (ms)", "Action units", "Emotion", "AU latency (ms)"],
            rows,
            [60, 70, width - 60 - 70 - 80 - 80, 80, 80],
        )
    )
    return out
