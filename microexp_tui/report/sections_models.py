"""Sections about trust: models and their cards, earlier sessions, caveats, reviewer sign-off."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from statistics import median
from typing import Any

from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Spacer, Table, TableStyle

from microexp_tui.paths import resource_dir
from microexp_tui.report.analysis import PredictionSeries, dominant_label
from microexp_tui.report.fonts import REGULAR
from microexp_tui.report.gather import SessionFigures
from microexp_tui.report.labels import channel_units, utc_time
from microexp_tui.report.sections_session import (
    Context,
    agreement,
    expression_counts,
    grade_counts,
)
from microexp_tui.report.styles import (
    BODY,
    CELL,
    CELL_HEAD,
    H1,
    H2,
    MUTED_TEXT,
    RULE,
    fmt,
    key_values,
    not_available,
    para,
    table,
)

MAX_TEXT_CHARS = 320


@cache
def shipped_cards(directory: Path | None = None) -> dict[str, Path]:
    """Model cards shipped in models/, by model id (unreadable cards are skipped)."""
    folder = directory or resource_dir("models")
    cards: dict[str, Path] = {}
    for path in sorted(folder.glob("*.card.json")):
        try:
            model_id = json.loads(path.read_text(encoding="utf-8")).get("model_id")
        except (OSError, ValueError):
            continue
        if isinstance(model_id, str):
            cards[model_id] = path
    return cards


def _short(value: object) -> str:
    """Text cut to MAX_TEXT_CHARS characters."""
    words = " ".join(str(value).split())
    return words if len(words) <= MAX_TEXT_CHARS else words[: MAX_TEXT_CHARS - 3] + "..."


def _block(card: Mapping[str, Any], key: str) -> dict[str, Any]:
    """A card's sub-object `key` ({} when missing or not an object)."""
    value = card.get(key)
    return value if isinstance(value, dict) else {}


def _metrics(block: Mapping[str, Any] | None) -> str:
    """`accuracy x, macro-F1 y over n windows` from a card's metrics block."""
    if not isinstance(block, Mapping):
        return "not stated"
    metrics = block.get("metrics", block)
    if not isinstance(metrics, Mapping):
        return "not stated"
    parts = []
    if isinstance(metrics.get("accuracy"), int | float):
        parts.append(f"accuracy {100 * metrics['accuracy']:.2f} %")
    if isinstance(metrics.get("macro_f1"), int | float):
        parts.append(f"macro-F1 {metrics['macro_f1']:.3f}")
    if isinstance(metrics.get("windows"), int):
        parts.append(f"over {metrics['windows']:,} windows")
    return ", ".join(parts) or "not stated"


def run_agreement(figures: SessionFigures, series: PredictionSeries) -> str:
    """How often this run's dominant emotion matched the stimuli's targets in this session."""
    if figures.primary is series:
        right, total = agreement(figures)
        return f"{right} of {total} stimuli predicted as their target" if total else "no stimuli"
    right = total = 0
    for row in figures.review.stimuli:
        label, _conf, windows, _agree = dominant_label(
            series, row.response_start_index, row.response_stop_index
        )
        if windows:
            total += 1
            right += label == row.emotion
    return f"{right} of {total} stimuli predicted as their target" if total else "no stimuli"


def displayed_probabilities(card: Mapping[str, Any]) -> str:
    """How the shown probabilities differ from the network's softmax (calibration, evidence)."""
    calibration, evidence = _block(card, "probability_calibration"), _block(card, "evidence")
    if not calibration and not evidence:
        return "the network's softmax as it is (no calibration or accumulation in the card)"
    parts = []
    if calibration:
        parts.append(
            f"softmax {calibration.get('method', '?')}-scaled "
            f"(T = {float(calibration.get('temperature', 1.0)):.2f}, fitted on held-out "
            "participants)"
        )
    if evidence:
        parts.append(
            f"evidence accumulated over time ({evidence.get('method', '?')}); neutral until "
            "an emotion has sustained evidence"
        )
    return _short("; ".join(parts))


def models(ctx: Context) -> list[Flowable]:
    """Every model that classified the session: card identity, protocol, metrics, versions."""
    figures = ctx.figures
    out: list[Flowable] = [CondPageBreak(160), para("Models", H1)]
    if not figures.series:
        return [
            *out,
            not_available(
                "Models", "No emotion model classified this session, so no prediction is reported."
            ),
        ]
    shipped = shipped_cards()
    for series in figures.series:
        run, card = series.run, dict(series.run.model_card)
        evaluation, versions, training = (
            _block(card, k) for k in ("evaluation", "versions", "training")
        )
        held_out = card.get("held_out_evaluation")
        shipped_path = shipped.get(run.model_id)
        how = "classified while recording" if run.kind == "live" else "from the stored samples"
        made = utc_time(str(card["created_at"])) if card.get("created_at") else "n/a"
        where = f"shipped as models/{shipped_path.name}" if shipped_path else "not shipped here"
        pairs: list[tuple[str, object]] = [
            (
                "Run",
                f"{run.kind} ({how}), {run.predictions:,} windows, every {run.hop_ms:g} ms, "
                f"stored {utc_time(run.created_at)}",
            ),
            (
                "Model",
                f"{card.get('architecture', '?')} on {card.get('input_mode', '?')} input; "
                f"classes: {', '.join(run.classes)}",
            ),
            (
                "Card",
                f"{where}; made {made}; ONNX SHA-256 {str(card.get('onnx_sha256', 'n/a'))[:16]}",
            ),
            ("Training data", _short(training.get("data", "not stated"))),
            (
                "Evaluation protocol",
                _short(
                    f"{evaluation.get('protocol', 'not stated')}: "
                    f"{evaluation.get('description', '')}"
                ),
            ),
            ("Evaluation metrics", _metrics(evaluation)),
            ("Held-out participants", _metrics(held_out) if held_out else "none held out"),
            ("Displayed probabilities", displayed_probabilities(card)),
            ("This session", run_agreement(figures, series)),
            ("Versions", ", ".join(f"{k} {v}" for k, v in versions.items()) or "not stated"),
        ]
        block: list[Flowable] = [para(run.model_id, H2), key_values(pairs, [110, ctx.width - 110])]
        if len(out) == 2:  # the section title stays with the first model (not alone at a foot)
            block.insert(0, out.pop())
        out.append(KeepTogether(block))
    out.append(
        para(
            "Card metrics were measured on the training data set under the stated protocol; they "
            "do not measure accuracy on this participant.",
            MUTED_TEXT,
        )
    )
    return out


def _measures(f: SessionFigures) -> list[str]:
    """One column of the longitudinal table."""
    record = f.record
    right, total = agreement(f)
    confidences = [o.confidence for o in f.outcomes if o.confidence is not None]
    latencies = [o.latency_ms for o in f.outcomes if o.latency_ms is not None]
    lost = sum(g.n_lost for g in f.gaps)
    return [
        utc_time(record.started_at)[:10],
        record.status + (" (sim.)" if record.simulated else ""),
        fmt(record.duration_s / 60, 1, " min"),
        fmt(record.counters.get("frames", 0)),
        fmt(record.counters.get("crc_errors", 0)),
        fmt(lost),
        fmt(100 * f.artifact_share, 1, " %"),
        grade_counts(f),
        (
            f"{sum(c.valid for c in f.review.calibration)}/{record.channel_count}"
            if f.review.calibration
            else "none"
        ),
        str(len(f.review.stimuli)),
        f"{right}/{total}" if total else "n/a",
        fmt(sum(confidences) / len(confidences), 2) if confidences else "n/a",
        fmt(median(latencies), 0, " ms") if latencies else "n/a",
        expression_counts(f),
    ]


MEASURE_NAMES = (
    "Date",
    "Status",
    "Duration",
    "Frames",
    "CRC errors",
    "Lost samples",
    "Artifact time",
    "Electrode check",
    "Calibrated",
    "Stimuli",
    "Predicted = target",
    "Mean confidence",
    "Median latency",
    "Expressions",
)


def longitudinal(ctx: Context) -> list[Flowable]:
    """This session beside the participant's earlier ones (only when there are earlier ones)."""
    data = ctx.data
    if not data.history:
        return []
    sessions = [*data.history, data.figures]
    out: list[Flowable] = [CondPageBreak(300), para("Longitudinal: earlier sessions", H1)]
    shown = len(data.history)
    more = (
        f" (the {shown} most recent of {data.earlier_sessions})"
        if data.earlier_sessions > shown
        else ""
    )
    out.append(
        para(
            f"Participant {data.record.participant_code} has {data.earlier_sessions} earlier "
            f"session(s){more}; the same measures side by side, this session last.",
            BODY,
        )
    )
    out.append(Spacer(1, 4))
    columns = [_measures(f) for f in sessions]
    header = [
        "Measure",
        *[f"Session {f.record.id}" + (" (this)" if f is data.figures else "") for f in sessions],
    ]
    rows = [[name, *[col[i] for col in columns]] for i, name in enumerate(MEASURE_NAMES)]
    first = 96.0
    w = (ctx.width - first) / len(sessions)
    out.append(table(header, rows, [first] + [w] * len(sessions)))
    return out


def caveats(ctx: Context) -> list[Flowable]:
    """The template's caveats, then the ones this session's own data calls for."""
    figures = ctx.figures
    record = figures.record
    items = list(ctx.template.wording.caveats)
    failed = [c for c in figures.review.checks if c.grade == "red"]
    if failed:
        items.append(
            f"{len(failed)} of {record.channel_count} channels failed the electrode "
            "check; results that rely on them are unreliable."
        )
    if not figures.review.checks:
        items.append("No electrode check was stored: contact quality is unknown.")
    if not figures.review.calibration:
        units = ", ".join(sorted(set(channel_units(record)))).replace("counts", "ADC counts")
        items.append(
            f"No calibration was stored: activations are in {units} and models used "
            "population defaults, so comparisons between people are weak."
        )
    if figures.artifact_share > 0.1:
        items.append(
            f"{100 * figures.artifact_share:.0f} % of the session was flagged as "
            "artifact on at least one channel."
        )
    if record.simulated:
        items.append(ctx.template.wording.simulated)
    if record.status != "completed":
        items.append(f"The session ended {record.status}: it does not cover the whole protocol.")
    if figures.primary is not None:
        items.append(
            "Per-stimulus agreement counts stimuli, not windows; with few stimuli per "
            "emotion a single miss changes it a lot."
        )
    out: list[Flowable] = [CondPageBreak(200), para("Interpretation caveats", H1)]
    out += [para(f"• {item}", BODY) for item in items]
    return out


def signoff(ctx: Context) -> list[Flowable]:
    """The reviewer's block: statement, name, role, date, signature and comments."""
    out: list[Flowable] = [
        para("Reviewer sign-off", H1),
        para(ctx.template.wording.signoff, BODY),
        Spacer(1, 8),
    ]
    label_w = 90.0
    rows = [[para(name, CELL_HEAD), ""] for name in ("Reviewer name", "Role", "Date", "Signature")]
    rows += [["", ""], [para("Comments", CELL_HEAD), para("", CELL)]]
    box = Table(rows, colWidths=[label_w, ctx.width - label_w], rowHeights=[24, 24, 24, 34, 12, 90])
    box.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("VALIGN", (0, -1), (-1, -1), "TOP"),
                ("LINEBELOW", (1, 0), (1, 3), 0.6, RULE),
                ("BOX", (1, 5), (1, 5), 0.6, RULE),
            ]
        )
    )
    return [KeepTogether([*out, box])]
