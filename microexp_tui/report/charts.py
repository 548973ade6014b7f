"""Vector charts (reportlab.graphics): the timeline strip, its legend and the confusion matrix.

Every series arrives already reduced to one value (or one min/max pair) per point of
width, so a chart holds a few thousand points whatever the session's length.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from reportlab.graphics.shapes import Drawing, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors

from microexp_tui.report.analysis import Confusion
from microexp_tui.report.fonts import BOLD, REGULAR, safe_text
from microexp_tui.report.styles import ALERT, EMOTION_COLOURS, INK, MUTED, RULE

LABEL_W_PT = 70.0
"""Room left of the plots for lane labels."""
RIGHT_PAD_PT = 4.0
PROB_H_PT = 84.0
LANE_H_PT = 19.0
AXIS_H_PT = 16.0
LABEL_BAND_PT = 10.0
"""Room above the plots for stimulus and marker labels."""
ENVELOPE_FILL = colors.HexColor("#37474f")
MARKER_BLUE = colors.HexColor("#1a73e8")


def plot_width(width_pt: float) -> int:
    """Width of a strip's plot area in points (one decimated column per point)."""
    return max(50, int(width_pt - LABEL_W_PT - RIGHT_PAD_PT))


def tint(colour: colors.Color, amount: float) -> colors.Color:
    """`colour` mixed with white (`amount` of white, 0..1)."""
    return colors.Color(
        colour.red + (1 - colour.red) * amount,
        colour.green + (1 - colour.green) * amount,
        colour.blue + (1 - colour.blue) * amount,
    )


def nice_step_s(span_s: float, max_ticks: int = 8) -> float:
    """A round tick spacing in seconds giving at most `max_ticks` ticks over `span_s`."""
    candidates = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600]
    for step in candidates:
        if span_s / step <= max_ticks:
            return float(step)
    return 3600.0 * math.ceil(span_s / 3600.0 / max_ticks)


def time_label(t_s: float, step_s: float) -> str:
    """A tick label: m:ss for minute-scale steps, seconds otherwise."""
    if step_s >= 60 or t_s >= 600:
        minutes, seconds = divmod(round(t_s), 60)
        return f"{minutes}:{seconds:02d}"
    return f"{t_s:.1f} s" if step_s < 1 else f"{t_s:.0f} s"


def _drawing(width_pt: float, height_pt: float) -> Drawing:
    """A drawing whose default font is the embedded one (reportlab's default is Helvetica)."""
    drawing = Drawing(width_pt, height_pt)
    drawing.initialFontName = REGULAR
    return drawing


def _string(x: float, y: float, value: str, size: float = 6.5, **kw: object) -> String:
    """A chart label in the embedded font."""
    return String(x, y, safe_text(value), fontName=kw.pop("fontName", REGULAR), fontSize=size, **kw)


def _runs(finite: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) index ranges of consecutive True values."""
    padded = np.r_[False, finite, False].astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _points(xs: np.ndarray, ys: np.ndarray) -> list[float]:
    """Flat [x0, y0, x1, y1, ...] rounded to 0.01 pt (smaller PDF, no visible change)."""
    return np.round(np.column_stack([xs, ys]), 2).ravel().tolist()


def _segments(xs: np.ndarray, ys: np.ndarray) -> list[list[float]]:
    """Flat point lists for each run of finite ys."""
    return [_points(xs[a:b], ys[a:b]) for a, b in _runs(np.isfinite(ys))]


@dataclass(frozen=True)
class Band:
    """A stimulus shown from `start_s` to `stop_s` with its target emotion."""

    start_s: float
    stop_s: float
    emotion: str


@dataclass(frozen=True)
class Tick:
    """A point event: a muscle onset on a lane, an operator marker, or a gap start."""

    t_s: float
    lane: int
    strong: bool
    """Drawn in the alert colour (a micro-expression onset)."""


@dataclass(frozen=True)
class StripData:
    """What one row of the timeline shows, already cut to [t0_s, t1_s)."""

    t0_s: float
    t1_s: float
    classes: tuple[str, ...]
    probabilities: np.ndarray | None
    """(columns, classes) mean probability per column, NaN where no window ended."""
    env_min: np.ndarray | None
    """(columns, channels) in each lane's unit, NaN where nothing was stored."""
    env_max: np.ndarray | None
    lane_labels: tuple[str, ...]
    lane_ranges: tuple[tuple[float, float], ...]
    """(low, high) each lane is scaled to, in its unit (the same in every strip)."""
    bands: tuple[Band, ...]
    onsets: tuple[Tick, ...]
    markers: tuple[tuple[float, str], ...]
    gaps: tuple[tuple[float, float], ...]
    lane_units: tuple[str, ...] = ()
    """Each lane's unit (empty: ADC counts)."""


def timeline_strip(strip: StripData, width_pt: float) -> Drawing:
    """Probabilities over stimulus bands above one min/max envelope lane per channel."""
    lanes = len(strip.lane_labels)
    has_probs = strip.probabilities is not None
    top_h = PROB_H_PT + 8 if has_probs else 0.0
    height = LABEL_BAND_PT + top_h + lanes * LANE_H_PT + AXIS_H_PT + 4
    drawing = _drawing(width_pt, height)
    x0, x1 = LABEL_W_PT, LABEL_W_PT + plot_width(width_pt)
    span = max(strip.t1_s - strip.t0_s, 1e-9)

    def x_of(t_s: float) -> float:
        return x0 + (x1 - x0) * (t_s - strip.t0_s) / span

    plots_top = height - LABEL_BAND_PT
    lanes_top = plots_top - 4 - top_h
    lanes_bottom = lanes_top - lanes * LANE_H_PT
    for band in strip.bands:
        a, b = max(band.start_s, strip.t0_s), min(band.stop_s, strip.t1_s)
        if b <= a:
            continue
        fill = tint(EMOTION_COLOURS.get(band.emotion, MUTED), 0.78)
        drawing.add(
            Rect(
                x_of(a),
                lanes_bottom,
                max(x_of(b) - x_of(a), 0.6),
                plots_top - lanes_bottom,
                fillColor=fill,
                strokeColor=None,
            )
        )
        if x_of(b) - x_of(a) >= 3.4 * len(band.emotion) + 2:
            drawing.add(
                _string(
                    x_of(a) + 1,
                    plots_top + 2,
                    band.emotion,
                    6,
                    fillColor=EMOTION_COLOURS.get(band.emotion, MUTED),
                )
            )
    if has_probs:
        _probability_panel(drawing, strip, x0, x1, plots_top - 4 - PROB_H_PT, PROB_H_PT)
    _envelope_lanes(drawing, strip, x0, x1, lanes_top)
    for t_s, label in strip.markers:
        if strip.t0_s <= t_s < strip.t1_s:
            x = x_of(t_s)
            drawing.add(
                Line(
                    x,
                    lanes_bottom,
                    x,
                    plots_top + 8,
                    strokeColor=MARKER_BLUE,
                    strokeWidth=0.5,
                    strokeDashArray=[2, 2],
                )
            )
            drawing.add(_string(x + 1.5, plots_top + 2, label, 5.5, fillColor=MARKER_BLUE))
    for start_s, stop_s in strip.gaps:
        a, b = max(start_s, strip.t0_s), min(stop_s, strip.t1_s)
        if b > a or strip.t0_s <= start_s < strip.t1_s:
            drawing.add(
                Rect(
                    x_of(a),
                    lanes_bottom - 3,
                    max(x_of(b) - x_of(a), 1.0),
                    3,
                    fillColor=ALERT,
                    strokeColor=None,
                )
            )
    _time_axis(drawing, strip, x0, x1, lanes_bottom)
    return drawing


def _probability_panel(
    drawing: Drawing, strip: StripData, x0: float, x1: float, bottom: float, height: float
) -> None:
    """Frame, gridlines and one line per class (neutral dashed)."""
    for level in (0.0, 0.5, 1.0):
        y = bottom + level * height
        drawing.add(Line(x0, y, x1, y, strokeColor=RULE, strokeWidth=0.3))
        drawing.add(_string(x0 - 3, y - 2, f"{level:.1f}", 6, textAnchor="end", fillColor=MUTED))
    drawing.add(_string(2, bottom + height / 2 + 3, "probability", 6.5, fillColor=INK))
    drawing.add(_string(2, bottom + height / 2 - 5, "(mean per point)", 5.5, fillColor=MUTED))
    probs = strip.probabilities
    assert probs is not None
    columns = probs.shape[0]
    xs = x0 + (np.arange(columns) + 0.5) * (x1 - x0) / max(columns, 1)
    for k, name in enumerate(strip.classes):
        ys = bottom + np.clip(probs[:, k], 0, 1) * height
        colour = EMOTION_COLOURS.get(name, INK)
        for points in _segments(xs, ys):
            if len(points) == 2:
                points = [points[0] - 0.4, points[1], points[0] + 0.4, points[1]]
            line = PolyLine(
                points, strokeColor=colour, strokeWidth=0.8 if name != "neutral" else 0.6
            )
            if name == "neutral":
                line.strokeDashArray = [1.5, 1.5]
            drawing.add(line)


def _envelope_lanes(drawing: Drawing, strip: StripData, x0: float, x1: float, top: float) -> None:
    """One lane per channel: the min/max band of the envelope, labels, muscle-onset ticks."""
    for lane, label in enumerate(strip.lane_labels):
        lane_top = top - lane * LANE_H_PT
        bottom = lane_top - LANE_H_PT + 2
        inner = LANE_H_PT - 4
        drawing.add(
            Line(
                x0,
                lane_top - LANE_H_PT,
                x1,
                lane_top - LANE_H_PT,
                strokeColor=RULE,
                strokeWidth=0.25,
            )
        )
        drawing.add(_string(2, lane_top - 8, label, 6.5, fillColor=INK))
        low, high = strip.lane_ranges[lane]
        unit = strip.lane_units[lane] if strip.lane_units else "counts"
        drawing.add(_string(2, lane_top - 15, f"{low:.3g}-{high:.3g} {unit}", 5.2, fillColor=MUTED))
        if strip.env_min is None or strip.env_max is None:
            continue
        columns = strip.env_min.shape[0]
        xs = x0 + (np.arange(columns) + 0.5) * (x1 - x0) / max(columns, 1)
        scale = inner / (high - low if high > low else 1.0)
        lo = bottom + (strip.env_min[:, lane] - low) * scale
        hi = bottom + (strip.env_max[:, lane] - low) * scale
        hi = np.where(np.isfinite(hi), np.maximum(hi, lo + 0.4), hi)
        for a, b in _runs(np.isfinite(hi) & np.isfinite(lo)):
            points = _points(xs[a:b], hi[a:b]) + _points(xs[a:b][::-1], lo[a:b][::-1])
            drawing.add(
                Polygon(points, fillColor=ENVELOPE_FILL, strokeColor=ENVELOPE_FILL, strokeWidth=0.2)
            )
    span = max(strip.t1_s - strip.t0_s, 1e-9)
    for tick in strip.onsets:
        if not strip.t0_s <= tick.t_s < strip.t1_s or tick.lane >= len(strip.lane_labels):
            continue
        x = x0 + (x1 - x0) * (tick.t_s - strip.t0_s) / span
        y = top - tick.lane * LANE_H_PT - 1
        colour = ALERT if tick.strong else MARKER_BLUE
        drawing.add(Polygon([x - 2, y, x + 2, y, x, y - 3.2], fillColor=colour, strokeColor=None))


def _time_axis(drawing: Drawing, strip: StripData, x0: float, x1: float, y: float) -> None:
    """The shared time axis under the lanes."""
    drawing.add(Line(x0, y, x1, y, strokeColor=INK, strokeWidth=0.5))
    span = strip.t1_s - strip.t0_s
    step = nice_step_s(span)
    first = math.ceil(strip.t0_s / step) * step
    t = first
    while t <= strip.t1_s + 1e-9:
        x = x0 + (x1 - x0) * (t - strip.t0_s) / max(span, 1e-9)
        drawing.add(Line(x, y, x, y - 2.5, strokeColor=INK, strokeWidth=0.5))
        anchor = "end" if x > x1 - 12 else "middle"
        drawing.add(_string(x, y - 9, time_label(t, step), 6, textAnchor=anchor, fillColor=INK))
        t += step
    drawing.add(_string(2, y - 9, "time", 6.5, fillColor=INK))


def legend(classes: Sequence[str], width_pt: float) -> Drawing:
    """Class colours, the stimulus band, onset ticks and gap marks, on one or two lines."""
    items: list[tuple[str, str]] = [(name, "line") for name in classes]
    items += [
        ("stimulus (target colour)", "band"),
        ("muscle onset", "tick"),
        ("micro-expression onset", "micro"),
        ("lost samples", "gap"),
        ("operator marker", "marker"),
    ]
    rows: list[list[tuple[str, str, float]]] = [[]]
    x = 0.0
    for label, kind in items:
        w = 16 + 3.6 * len(label) + 10
        if x + w > width_pt and rows[-1]:
            rows.append([])
            x = 0.0
        rows[-1].append((label, kind, x))
        x += w
    drawing = _drawing(width_pt, 11 * len(rows) + 2)
    for r, row in enumerate(rows):
        y = drawing.height - 9 - 11 * r
        for label, kind, x in row:
            colour = EMOTION_COLOURS.get(label, INK)
            if kind == "line":
                line = Line(x, y + 2.5, x + 12, y + 2.5, strokeColor=colour, strokeWidth=1.4)
                if label == "neutral":
                    line.strokeDashArray = [1.5, 1.5]
                drawing.add(line)
            elif kind == "band":
                drawing.add(
                    Rect(
                        x,
                        y - 1,
                        12,
                        7,
                        fillColor=tint(EMOTION_COLOURS["happy"], 0.78),
                        strokeColor=None,
                    )
                )
            elif kind in ("tick", "micro"):
                fill = ALERT if kind == "micro" else MARKER_BLUE
                drawing.add(
                    Polygon(
                        [x + 4, y + 5, x + 8, y + 5, x + 6, y + 1.8],
                        fillColor=fill,
                        strokeColor=None,
                    )
                )
            elif kind == "gap":
                drawing.add(Rect(x, y + 1, 12, 3, fillColor=ALERT, strokeColor=None))
            else:
                drawing.add(
                    Line(
                        x + 6,
                        y - 1,
                        x + 6,
                        y + 6,
                        strokeColor=MARKER_BLUE,
                        strokeWidth=0.6,
                        strokeDashArray=[2, 2],
                    )
                )
            drawing.add(_string(x + 15, y, label, 6.5, fillColor=INK))
    return drawing


def confusion_chart(matrix: Confusion, width_pt: float) -> Drawing:
    """Target (rows) versus predicted (columns) stimulus counts, shaded by row share."""
    label_w, head_h = 62.0, 28.0
    cell_w = min(46.0, (width_pt - label_w - 40) / len(matrix.predicted))
    cell_h = 18.0
    height = head_h + cell_h * len(matrix.targets) + 18
    drawing = _drawing(width_pt, height)
    top = height - head_h
    drawing.add(
        _string(
            label_w + cell_w * len(matrix.predicted) / 2,
            height - 8,
            "predicted (dominant emotion per stimulus)",
            7,
            textAnchor="middle",
            fontName=BOLD,
            fillColor=INK,
        )
    )
    for j, name in enumerate(matrix.predicted):
        drawing.add(
            _string(
                label_w + (j + 0.5) * cell_w, top + 4, name, 6.5, textAnchor="middle", fillColor=INK
            )
        )
    for i, target in enumerate(matrix.targets):
        y = top - (i + 1) * cell_h
        drawing.add(_string(label_w - 4, y + 6, target, 6.5, textAnchor="end", fillColor=INK))
        row_total = int(matrix.counts[i].sum())
        for j, name in enumerate(matrix.predicted):
            count = int(matrix.counts[i, j])
            share = count / row_total if row_total else 0.0
            base = colors.HexColor("#1e6b35") if name == target else colors.HexColor("#b3261e")
            fill = tint(base, 1 - 0.75 * share) if count else colors.white
            drawing.add(
                Rect(
                    label_w + j * cell_w,
                    y,
                    cell_w,
                    cell_h,
                    fillColor=fill,
                    strokeColor=RULE,
                    strokeWidth=0.4,
                )
            )
            ink = colors.white if share > 0.6 else INK
            drawing.add(
                _string(
                    label_w + (j + 0.5) * cell_w,
                    y + 6,
                    str(count) if count else "",
                    7,
                    textAnchor="middle",
                    fillColor=ink,
                )
            )
        drawing.add(
            _string(
                label_w + len(matrix.predicted) * cell_w + 4,
                y + 6,
                f"n={row_total}",
                6,
                fillColor=MUTED,
            )
        )
    bottom = top - len(matrix.targets) * cell_h
    drawing.add(
        _string(
            2, top - len(matrix.targets) * cell_h / 2, "target", 7, fontName=BOLD, fillColor=INK
        )
    )
    drawing.add(
        _string(
            label_w,
            bottom - 12,
            "Green: predicted = target; red: another emotion or neutral. Shade: share of the row.",
            6,
            fillColor=MUTED,
        )
    )
    return drawing


CURVE_H_PT = 84.0
"""Height of the plot area of one muscle's response chart."""
CURVE_PALETTE: tuple[str, ...] = ("#00838f", "#ad1457", "#5d4037", "#283593", "#558b2f", "#ef6c00")
"""Colours of conditions that are not emotions (imported trial types), in order of name."""


@dataclass(frozen=True)
class ResponseCurve:
    """One condition's mean response per bin with its 95% band (None where no trial was kept)."""

    condition: str
    bin_start_s: tuple[float, ...]
    bin_end_s: tuple[float, ...]
    mean: tuple[float | None, ...]
    ci_low: tuple[float | None, ...]
    ci_high: tuple[float | None, ...]


def condition_colours(conditions: Sequence[str]) -> dict[str, colors.Color]:
    """A colour per condition: the emotion's own, else the next colour of the palette."""
    others = sorted(c for c in set(conditions) if c not in EMOTION_COLOURS)
    palette = {
        c: colors.HexColor(CURVE_PALETTE[i % len(CURVE_PALETTE)]) for i, c in enumerate(others)
    }
    return {c: EMOTION_COLOURS.get(c) or palette[c] for c in conditions}


def _values(values: Sequence[float | None]) -> np.ndarray:
    """Float array with NaN for None."""
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def value_ticks(low: float, high: float, max_ticks: int = 5) -> list[float]:
    """Round values between `low` and `high` (1, 2 or 5 times a power of ten apart)."""
    span = max(high - low, 1e-12)
    power = 10.0 ** math.floor(math.log10(span / max_ticks))
    step = next(power * m for m in (1, 2, 5, 10) if span / (power * m) <= max_ticks)
    first = math.ceil(low / step)
    return [round(k * step, 12) for k in range(first, math.floor(high / step) + 1)]


def response_chart(unit: str, curves: Sequence[ResponseCurve], width_pt: float) -> Drawing:
    """Mean baseline-corrected response over time per condition, with its 95% band shaded."""
    height = LABEL_BAND_PT + CURVE_H_PT + AXIS_H_PT + 8
    drawing = _drawing(width_pt, height)
    x0, x1 = LABEL_W_PT, LABEL_W_PT + plot_width(width_pt)
    bottom, top = AXIS_H_PT + 4, AXIS_H_PT + 4 + CURVE_H_PT
    starts = [s for c in curves for s in c.bin_start_s]
    ends = [e for c in curves for e in c.bin_end_s]
    t0, t1 = (min(starts), max(ends)) if starts else (0.0, 1.0)
    arrays = [(_values(c.mean), _values(c.ci_low), _values(c.ci_high)) for c in curves]
    finite = np.concatenate([np.r_[0.0], *[a[np.isfinite(a)] for trio in arrays for a in trio]])
    low, high = float(finite.min()), float(finite.max())
    pad = (high - low) * 0.05 or 1.0
    low, high = low - pad, high + pad

    def x_of(t_s: float) -> float:
        return x0 + (x1 - x0) * (t_s - t0) / max(t1 - t0, 1e-9)

    def y_of(value: np.ndarray) -> np.ndarray:
        return bottom + (value - low) * (top - bottom) / (high - low)

    middle = (top + bottom) / 2
    drawing.add(_string(2, middle + 3, "change", 6.5, fillColor=INK))
    drawing.add(_string(2, middle - 5, f"({unit})" if unit else "", 5.5, fillColor=MUTED))
    for level in value_ticks(low, high):
        y = float(y_of(np.array(level)))
        dash = [] if level == 0.0 else [1, 2]
        drawing.add(Line(x0, y, x1, y, strokeColor=RULE, strokeWidth=0.4, strokeDashArray=dash))
        drawing.add(_string(x0 - 3, y - 2, f"{level:g}", 6, textAnchor="end", fillColor=MUTED))
    palette = condition_colours([c.condition for c in curves])
    lines: list[PolyLine] = []
    for curve, (mean, ci_low, ci_high) in zip(curves, arrays, strict=True):
        xs = np.array(
            [x_of((a + b) / 2) for a, b in zip(curve.bin_start_s, curve.bin_end_s, strict=True)]
        )
        colour = palette[curve.condition]
        for a, b in _runs(np.isfinite(ci_low) & np.isfinite(ci_high)):
            points = _points(xs[a:b], y_of(ci_high[a:b])) + _points(
                xs[a:b][::-1], y_of(ci_low[a:b][::-1])
            )
            if b - a > 1:
                drawing.add(Polygon(points, fillColor=tint(colour, 0.8), strokeColor=None))
        for points in _segments(xs, y_of(mean)):
            if len(points) == 2:
                points = [points[0] - 0.8, points[1], points[0] + 0.8, points[1]]
            lines.append(PolyLine(points, strokeColor=colour, strokeWidth=1.0))
    for line in lines:  # every band first, so no band hides another condition's mean
        drawing.add(line)
    onset_x = x_of(0.0) if t0 <= 0 <= t1 else x0
    drawing.add(Line(onset_x, bottom, onset_x, top, strokeColor=INK, strokeWidth=0.4))
    axis = StripData(t0, t1, (), None, None, None, (), (), (), (), (), ())
    _time_axis(drawing, axis, x0, x1, bottom)
    x = x0
    for condition in palette:
        drawing.add(
            Line(x, top + 5, x + 10, top + 5, strokeColor=palette[condition], strokeWidth=1.4)
        )
        drawing.add(_string(x + 12, top + 3, condition, 6.5, fillColor=INK))
        x += 16 + 3.6 * len(condition) + 8
    return drawing
