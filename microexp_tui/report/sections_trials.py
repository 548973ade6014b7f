"""The "Responses by condition" section: trial-level responses per muscle and condition."""

from __future__ import annotations

from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Spacer

from microexp_tui.analysis.trials.options import TrialOptions
from microexp_tui.analysis.trials.summary import ConditionCurve, SummaryRow
from microexp_tui.analysis.trials.table import VALENCE_MUSCLE
from microexp_tui.report.charts import ResponseCurve, response_chart
from microexp_tui.report.gather import SessionResponses
from microexp_tui.report.sections_session import Context
from microexp_tui.report.styles import BODY, H1, H2, MUTED_TEXT, fmt, not_available, para, table

TITLE = "Responses by condition"
TABLE_HEADER = (
    "Condition",
    "Trials",
    "Excluded",
    "Mean change",
    "SD",
    "Mean z",
    "% change",
    "% MVC",
)


def responses_section(ctx: Context) -> list[Flowable]:
    """Per muscle: the mean response per condition over time with its 95% band, and counts."""
    out: list[Flowable] = [CondPageBreak(200), para(TITLE, H1)]
    responses = ctx.data.responses
    if responses is None or responses.missing is not None or not responses.curves:
        why = responses.missing if responses is not None else None
        return [*out, not_available(TITLE, why or "This session has no trial to show.")]
    out.append(para(ctx.template.wording.responses, MUTED_TEXT))
    out.append(para(options_line(responses.options, responses.trials), BODY))
    for muscle in muscles(responses.curves):
        out += muscle_block(responses, muscle, ctx.width)
    return out


def options_line(options: TrialOptions, trials: int) -> str:
    """The windows, bin width and exclusion limit the section was computed with."""
    (b0, b1), (w0, w1) = options.baseline_s, options.window_s
    return (
        f"{trials} trial{'s' if trials != 1 else ''}; baseline {b0:g} to {b1:g} s, response "
        f"window {w0:g} to {w1:g} s in {options.bin_ms:g} ms bins; trials beyond "
        f"{options.exclude_sd:g} SD of the muscle's changes excluded."
    )


def muscles(curves: list[ConditionCurve]) -> list[str]:
    """The muscles in the order the curves name them, the valence index last."""
    names = list(dict.fromkeys(curve.muscle for curve in curves))
    return [m for m in names if m != VALENCE_MUSCLE] + [m for m in names if m == VALENCE_MUSCLE]


def muscle_title(muscle: str) -> str:
    """A muscle's heading (the valence index says what it is)."""
    if muscle == VALENCE_MUSCLE:
        return "Valence index (corrugator minus zygomaticus)"
    return muscle[:1].upper() + muscle[1:]


def muscle_block(responses: SessionResponses, muscle: str, width: float) -> list[Flowable]:
    """One muscle's chart and its table of trials, exclusions and means per condition."""
    unit = responses.units.get(muscle, "")
    curves = [
        ResponseCurve(
            c.condition,
            tuple(c.bin_start_s),
            tuple(c.bin_end_s),
            tuple(c.mean),
            tuple(c.ci_low),
            tuple(c.ci_high),
        )
        for c in responses.curves
        if c.muscle == muscle
    ]
    rows = [summary_cells(s) for s in responses.summary if s.muscle == muscle]
    first = (width - 70) / 7
    return [
        KeepTogether(
            [
                para(muscle_title(muscle), H2),
                response_chart(unit, curves, width),
                Spacer(1, 3),
                table(
                    [*TABLE_HEADER[:3], f"Mean change ({unit})", *TABLE_HEADER[4:]],
                    rows,
                    [70] + [first] * 7,
                ),
            ]
        ),
        Spacer(1, 6),
    ]


def summary_cells(row: SummaryRow) -> list[object]:
    """One condition's table row."""
    return [
        row.condition,
        str(row.trials),
        str(row.excluded),
        _number(row.mean_change),
        _number(row.sd_change),
        fmt(row.mean_z, 2),
        fmt(row.mean_pct_change, 1),
        fmt(row.mean_pct_mvc, 1),
    ]


def _number(value: float | None) -> str:
    """Three significant digits, n/a when missing."""
    return "n/a" if value is None or value != value else f"{value:.3g}"
