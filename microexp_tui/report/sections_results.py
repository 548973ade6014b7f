"""Sections about what was found: per-stimulus table, timeline, confusion, events, AU validation."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Paragraph, Spacer

from microexp_tui.domain.emotions import NEUTRAL
from microexp_tui.domain.markers import operator_key_of_marker
from microexp_tui.domain.sessions import SessionRecord
from microexp_tui.expressions.stimulus_response import RESPONSE_RULE
from microexp_tui.readmodels.review import StimulusRow
from microexp_tui.report.analysis import StimulusOutcome, column_means, confusion, strip_count
from microexp_tui.report.charts import (
    Band,
    StripData,
    Tick,
    confusion_chart,
    legend,
    plot_width,
    timeline_strip,
)
from microexp_tui.report.gather import Envelope
from microexp_tui.report.labels import amount, channel_name, channel_units, clock, short_muscle
from microexp_tui.report.sections_session import Context, agreement
from microexp_tui.report.styles import (
    ALERT,
    BODY,
    CELL,
    H1,
    H2,
    MUTED_TEXT,
    OK,
    fmt,
    not_available,
    para,
    table,
)

MIN_LANE_SPAN_COUNTS = 100.0
"""Smallest count range a timeline lane spans (a tenth of the 10-bit ADC)."""
MAX_LANES_PER_DRAWING = 16
"""Channels drawn in one timeline drawing; more channels continue in further drawings, so a
256-channel import still fits pages."""
NO_PREDICTIONS = (
    "No emotion model classified this session (record with --model, or run "
    "`microexp reprocess SESSION --model FILE.onnx`)."
)


def response_cell(row: StimulusRow) -> str:
    """What the muscles answered: the emotion (with `match` when it is the target), ? when
    unclear, - without a response."""
    if not row.events:
        return "-"
    if row.response_emotion is None:
        return "?"
    return f"{row.response_emotion}: match" if row.expected_hit else row.response_emotion


def stimuli(ctx: Context) -> list[Flowable]:
    """One row per stimulus: target, the model's dominant emotion, muscle latency and strength."""
    figures = ctx.figures
    record = figures.record
    out: list[Flowable] = [CondPageBreak(120), para("Stimuli and responses", H1)]
    if not figures.review.stimuli:
        return [
            *out,
            not_available(
                "Per-stimulus results",
                "No stimulus was presented in this session (it was recorded without a stimulus "
                "protocol, or stopped before the first stimulus).",
            ),
        ]
    primary = figures.primary
    model = f"Predictions of model {primary.run.model_id} ({primary.run.kind})" if primary else None
    explain = (
        "Response: the emotion the muscles answering the stimulus show, by the rule below "
        "(marked match only for the target's own emotion; ? when unclear; - without one). "
        "Predicted: the emotion the model named in most windows of the response window "
        "(neutral only when it named nothing else); confidence: its mean probability in those "
        "windows; windows: how many named it of all. Latency: from the stimulus onset to the "
        "first muscle activation in the response window (negative when it started just "
        "before the onset); most active: the activation with the highest peak (% of the "
        "calibrated range, else in the channel's unit: ADC counts on a board, the file's unit "
        "for an import). Match: whether the model's prediction is the target."
    )
    out.append(para(explain, MUTED_TEXT))
    out.append(para(RESPONSE_RULE, MUTED_TEXT))
    out.append(para(f"{model}." if model else NO_PREDICTIONS, MUTED_TEXT if model else BODY))
    out.append(Spacer(1, 4))
    rows = []
    units = channel_units(record)
    for o in figures.outcomes:
        match = {True: ("yes", OK), False: ("no", ALERT), None: ("n/a", None)}[o.matches]
        colour = match[1].hexval() if match[1] is not None else "#5f6368"
        peak = "" if o.most_active_peak is None else f" ({_peak(o, units)})"
        rows.append(
            [
                str(o.row.number),
                clock(o.row.onset_s),
                o.row.emotion,
                response_cell(o.row),
                o.predicted or "n/a",
                fmt(o.confidence, 2),
                f"{o.agreeing_windows}/{o.windows}" if o.windows else "n/a",
                fmt(o.latency_ms, 0),
                (
                    channel_name(record, o.most_active_channel) + peak
                    if o.most_active_channel is not None
                    else "none"
                ),
                Paragraph(f'<font color="{colour}"><b>{match[0]}</b></font>', CELL),
            ]
        )
    header = [
        "#",
        "Onset",
        "Target",
        "Response",
        "Predicted",
        "Conf.",
        "Windows",
        "Latency (ms)",
        "Most active muscle",
        "Match",
    ]
    w = ctx.width
    fixed = [24, 44, 52, 74, 52, 36, 50, 46]
    widths = [*fixed, w - sum(fixed) - 34, 34]
    out.append(table(header, rows, widths))
    right, total = agreement(figures)
    if total:
        out.append(
            para(
                f"{right} of {total} stimuli were predicted as their target "
                f"({100 * right / total:.0f} %).",
                BODY,
            )
        )
    return out


def _strip_envelope(
    envelope: Envelope | None, k: int, per_strip: int
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The columns of strip `k` of the session envelope."""
    if envelope is None:
        return None, None
    cols = slice(k * per_strip, (k + 1) * per_strip)
    return envelope.minimum[cols], envelope.maximum[cols]


def _peak(outcome: StimulusOutcome, units: tuple[str, ...]) -> str:
    """The most active channel's peak: % of its calibrated range, else in its unit."""
    value = outcome.most_active_peak
    channel = outcome.most_active_channel
    if value is None or outcome.peak_is_pct or channel is None:
        return fmt(value, 0, " %")
    return amount(value, units[channel]) if units[channel] != "counts" else fmt(value, 0, " ct")


def lane_ranges(
    envelope: Envelope | None,
    channels: int,
    calibrated_max: dict[int, float],
    units: tuple[str, ...] = (),
) -> tuple[tuple[float, float], ...]:
    """What each lane spans: the channel's lowest value up to its highest or calibrated maximum.

    In ADC counts a span of at least MIN_LANE_SPAN_COUNTS keeps a quiet channel's noise small
    instead of stretching it over the whole lane; a physical unit has no such scale, so its
    lane spans the channel's own range.
    """
    out = []
    for c in range(channels):
        min_span = MIN_LANE_SPAN_COUNTS if not units or units[c] == "counts" else 0.0
        if envelope is None or not np.isfinite(envelope.minimum[:, c]).any():
            out.append((0.0, 1023.0))
            continue
        low = float(np.nanmin(envelope.minimum[:, c]))
        high = max(
            float(np.nanmax(envelope.maximum[:, c])),
            calibrated_max.get(c, low),
            low + min_span,
        )
        out.append((low, high))
    return tuple(out)


def timeline(ctx: Context) -> list[Flowable]:
    """Probability and envelope strips over the whole session, with stimuli and events marked."""
    data, figures = ctx.data, ctx.figures
    record = figures.record
    rate = record.sample_rate_hz
    duration = record.duration_s
    out: list[Flowable] = [CondPageBreak(300), para("Timeline", H1)]
    if duration <= 0:
        return [*out, not_available("Timeline", "The session holds no samples.")]
    strips = strip_count(duration, ctx.template.timeline_minutes_per_row)
    per_strip = plot_width(ctx.width)
    primary = figures.primary
    probs = None
    if primary is not None and len(primary.end_index):
        probs = column_means(
            primary.end_index,
            primary.probabilities.astype(np.float64),
            record.samples_per_channel,
            strips * per_strip,
        )
    classes = primary.run.classes if primary else ()
    lead = (
        f"Emotion probabilities of model {primary.run.model_id} over the stimuli (shaded in "
        "the target's colour), then the signal of each channel as its min/max band per "
        "point, with muscle onsets marked."
        if primary
        else f"{NO_PREDICTIONS} Below: the signal of each channel as its min/max band per point, "
        "with stimuli shaded and muscle onsets marked."
    )
    out.append(para(lead, MUTED_TEXT))
    out.append(legend(classes or (NEUTRAL,) if primary else (), ctx.width))
    bands = tuple(
        Band(
            r.onset_s,
            r.response_stop_index / rate if r.duration_s is None else r.onset_s + r.duration_s,
            r.emotion,
        )
        for r in figures.review.stimuli
    )
    ticks = _onset_ticks(ctx)
    keys = ((m.sample_index, operator_key_of_marker(m.code)) for m in figures.markers)
    markers = tuple((index / rate, f"M{key}") for index, key in keys if key is not None)
    gaps = tuple(
        (g.first_missing_index / rate, (g.first_missing_index + g.n_lost) / rate)
        for g in figures.gaps
    )
    labels = tuple(channel_name(record, c) for c in range(record.channel_count))
    calibrated = {c.channel_index: c.max_value for c in figures.review.calibration if c.valid}
    units = channel_units(record)
    ranges = lane_ranges(data.envelope, record.channel_count, calibrated, units)
    strip_s = duration / strips
    groups = range(0, record.channel_count, MAX_LANES_PER_DRAWING)
    for k in range(strips):
        env_min, env_max = _strip_envelope(data.envelope, k, per_strip)
        whole = StripData(
            t0_s=k * strip_s,
            t1_s=(k + 1) * strip_s,
            classes=classes,
            probabilities=None if probs is None else probs[k * per_strip : (k + 1) * per_strip],
            env_min=env_min,
            env_max=env_max,
            lane_labels=labels,
            lane_ranges=ranges,
            bands=bands,
            onsets=ticks,
            markers=markers,
            gaps=gaps,
            lane_units=units,
        )
        for first in groups:
            strip = _lanes_from(whole, first)
            title = para(
                f"{clock(strip.t0_s)} to {clock(strip.t1_s)}"
                + (f" (row {k + 1} of {strips})" if strips > 1 else "")
                + (_lane_group(first, record.channel_count) if len(groups) > 1 else ""),
                H2,
            )
            drawing = timeline_strip(strip, ctx.width)
            if k == 0 and not first:  # keep the section's title, lead and legend with it
                out[0] = CondPageBreak(drawing.height + 110)
            out.append(KeepTogether([title, drawing]))
    return out


def _lanes_from(strip: StripData, first: int) -> StripData:
    """The strip's lanes from channel `first` on (at most MAX_LANES_PER_DRAWING of them);
    probabilities are drawn above the first group only."""
    lanes = slice(first, first + MAX_LANES_PER_DRAWING)
    return replace(
        strip,
        probabilities=None if first else strip.probabilities,
        env_min=None if strip.env_min is None else strip.env_min[:, lanes],
        env_max=None if strip.env_max is None else strip.env_max[:, lanes],
        lane_labels=strip.lane_labels[lanes],
        lane_ranges=strip.lane_ranges[lanes],
        lane_units=strip.lane_units[lanes],
        onsets=tuple(
            replace(tick, lane=tick.lane - first)
            for tick in strip.onsets
            if first <= tick.lane < first + MAX_LANES_PER_DRAWING
        ),
    )


def _lane_group(first: int, channels: int) -> str:
    """`, channels a-b` for the timeline drawing that starts at 0-based channel `first`."""
    return f", channels {first + 1}-{min(first + MAX_LANES_PER_DRAWING, channels)}"


def _onset_ticks(ctx: Context) -> tuple[Tick, ...]:
    """Muscle onsets to mark on the lanes: the activations of the detected expressions."""
    figures = ctx.figures
    rate = figures.record.sample_rate_hz
    return tuple(
        Tick(a.onset_index / rate, a.channel_index, e.kind == "micro")
        for e in figures.expressions.expressions
        for a in e.activations
    )


def confusion_section(ctx: Context) -> list[Flowable]:
    """Target versus predicted emotion over the session's stimuli."""
    figures = ctx.figures
    out: list[Flowable] = [CondPageBreak(220), para("Target versus predicted emotion", H1)]
    if figures.primary is None:
        return [*out, not_available("Confusion matrix", NO_PREDICTIONS)]
    matrix = confusion(figures.outcomes)
    if matrix.total == 0:
        return [
            *out,
            not_available("Confusion matrix", "No stimulus had a classified window in its span."),
        ]
    out.append(
        para(
            f"{matrix.correct} of {matrix.total} stimuli predicted as their target "
            f"({100 * matrix.correct / matrix.total:.0f} %), model {figures.primary.run.model_id}. "
            "One stimulus is one count; a single session is a small sample.",
            BODY,
        )
    )
    out.append(Spacer(1, 4))
    out.append(confusion_chart(matrix, ctx.width))
    return out


def events(ctx: Context) -> list[Flowable]:
    """Detected expressions (micro and macro), or why there are none."""
    figures = ctx.figures
    found = figures.expressions
    out: list[Flowable] = [
        CondPageBreak(120),
        para("Short muscle events and micro-expressions", H1),
    ]
    if not found.analysed:
        why = (
            "Expressions were not analysed for this session (run the micro-expression "
            "detection to fill this section)."
        )
        return [*out, not_available("Expressions", why)]
    if not found.expressions:
        return [
            *out,
            para(
                f"Expression detection ran ({found.source}) and found no expression in this "
                "session.",
                BODY,
            ),
        ]
    micro = sum(e.kind == "micro" for e in found.expressions)
    guided = figures.review.guided
    guided_note = (
        f" {len(guided)} answered a guided contraction of the electrode check or "
        "calibration (kind marked 'guided'): the participant doing as asked."
        if guided
        else ""
    )
    out.append(
        para(
            f"{len(found.expressions)} expressions ({micro} micro-expressions of at most "
            f"500 ms, {len(found.expressions) - micro} longer), from the {found.source} "
            "detection. Muscles: channels taking part; peak: highest activation as % of "
            "the calibrated range (without calibration: ADC counts on a board, the file's unit "
            "for an import)." + guided_note,
            MUTED_TEXT,
        )
    )
    limit = ctx.template.max_event_rows
    out.append(_expression_table(ctx, limit))
    total = len(found.expressions)
    if total > limit:
        out.append(
            para(
                f"First {limit} of {total} events shown (the template's max_event_rows).",
                MUTED_TEXT,
            )
        )
    return out


def _expression_table(ctx: Context, limit: int) -> Flowable:
    """The first `limit` detected expressions as a table: timing, muscles, AUs, emotion, peak."""
    record = ctx.figures.record
    guided = ctx.figures.review.guided
    rows = []
    units = channel_units(record)
    for number, e in enumerate(ctx.figures.expressions.expressions[:limit], start=1):
        peak = max(e.activations, key=lambda a: a.peak_pct_mvc or a.peak_counts, default=None)
        peak_text = (
            "n/a"
            if peak is None
            else fmt(peak.peak_pct_mvc, 0, " %")
            if peak.peak_pct_mvc is not None
            else fmt(peak.peak_counts, 0, " ct")
            if units[peak.channel_index] == "counts"
            else amount(peak.peak_counts, units[peak.channel_index])
        )
        rows.append(
            [
                str(number),
                clock(e.onset_s),
                fmt(e.duration_ms, 0),
                f"{e.kind}, guided" if number - 1 in guided else e.kind,
                ", ".join(short_muscle(_muscle(record, c)) for c in e.channels) or "-",
                " ".join(e.action_units) or "-",
                e.emotion or "unclear",
                fmt(e.confidence, 2),
                peak_text,
            ]
        )
    header = [
        "#",
        "Onset",
        "Duration (ms)",
        "Kind",
        "Muscles",
        "Action units",
        "Emotion",
        "Conf.",
        "Peak",
    ]
    w = ctx.width
    widths = [26, 44, 44, 34, w - 26 - 44 - 44 - 34 - 96 - 46 - 32 - 52, 96, 46, 32, 52]
    return table(header, rows, widths)


def _muscle(record: SessionRecord, channel: int) -> str | None:
    """The muscle of a channel of the session's montage."""
    return record.channels[channel].muscle if 0 <= channel < len(record.channels) else None
