"""Sections about the session itself: cover page (with the at-a-glance box) and data quality."""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.platypus import Flowable, Image, KeepTogether, PageBreak, Paragraph, Spacer

from microexp_tui import __version__
from microexp_tui.domain.sessions import SessionRecord
from microexp_tui.report.gather import ReportData, SessionFigures
from microexp_tui.report.labels import channel_name, channel_units, clock, utc_time
from microexp_tui.report.styles import (
    ALERT,
    ALERT_FILL,
    BODY,
    CELL,
    GRADE_COLOURS,
    GRADE_WORDS,
    H1,
    H2,
    MUTED_TEXT,
    SUBTITLE,
    TITLE,
    WARN,
    WARN_FILL,
    banner,
    fmt,
    key_values,
    not_available,
    para,
    table,
    text,
)
from microexp_tui.report.template import ReportTemplate

MAX_GAP_ROWS = 40
LOGO_MAX_H_PT = 48.0


@dataclass(frozen=True)
class Context:
    """What every section builder gets: the data, the template and the frame width."""

    data: ReportData
    template: ReportTemplate
    width: float

    @property
    def figures(self) -> SessionFigures:
        """The reported session's figures."""
        return self.data.figures


def status_banners(ctx: Context) -> list[Flowable]:
    """Red box for an interrupted, aborted or empty session, amber box for a simulated one."""
    record, wording = ctx.data.record, ctx.template.wording
    out: list[Flowable] = []
    if record.status == "interrupted":
        out += [banner(wording.interrupted, ALERT_FILL, ALERT, ctx.width), Spacer(1, 6)]
    elif record.status == "aborted":
        out += [banner(wording.aborted, ALERT_FILL, ALERT, ctx.width), Spacer(1, 6)]
    elif record.status == "empty":
        message = (
            "This session is EMPTY: the board sent no valid sample (see the data-quality "
            "counters for what it sent instead)."
        )
        out += [banner(message, ALERT_FILL, ALERT, ctx.width), Spacer(1, 6)]
    elif record.status == "recording":
        message = "This session is still RECORDING (or its program stopped without closing it)."
        out += [banner(message, ALERT_FILL, ALERT, ctx.width), Spacer(1, 6)]
    if record.simulated:
        out += [banner(wording.simulated, WARN_FILL, WARN, ctx.width), Spacer(1, 6)]
    return out


def agreement(figures: SessionFigures) -> tuple[int, int]:
    """(stimuli predicted as their target, stimuli with a prediction)."""
    scored = [o for o in figures.outcomes if o.predicted is not None]
    return sum(bool(o.matches) for o in scored), len(scored)


def grade_counts(figures: SessionFigures) -> str:
    """`pass/amber/fail` counts of the electrode check ("not checked" without one)."""
    checks = figures.review.checks
    if not checks:
        return "not checked"
    counts = {grade: sum(c.grade == grade for c in checks) for grade in GRADE_WORDS}
    return " · ".join(f"{counts[g]} {GRADE_WORDS[g]}" for g in GRADE_WORDS)


def expression_counts(figures: SessionFigures) -> str:
    """Micro/macro expression counts, or why there are none."""
    found = figures.expressions
    if not found.analysed:
        return "not analysed"
    micro = sum(e.kind == "micro" for e in found.expressions)
    return f"{micro} micro · {len(found.expressions) - micro} macro"


def cover(ctx: Context) -> list[Flowable]:
    """Title page: study, site, session identity, device, montage, status and the key figures."""
    record, template, figures = ctx.data.record, ctx.template, ctx.figures
    out: list[Flowable] = []
    if template.logo is not None:
        logo = Image(str(template.logo))
        scale = min(1.0, LOGO_MAX_H_PT / logo.imageHeight, 160.0 / logo.imageWidth)
        logo.drawWidth, logo.drawHeight = logo.imageWidth * scale, logo.imageHeight * scale
        logo.hAlign = "LEFT"
        out += [logo, Spacer(1, 8)]
    out += [
        para(template.title, TITLE),
        para(template.study, SUBTITLE),
        para(template.site, SUBTITLE),
    ]
    out += [Spacer(1, 12), *status_banners(ctx)]
    device = dict(record.device)
    progress = figures.review.progress
    protocol = record.protocol or "none (free recording)"
    if progress is not None:
        protocol += f" ({progress.blocks_done} of {progress.blocks_total} blocks, {progress.state})"
    setup = figures.review.setup
    montage = setup.montage_preset if setup and setup.montage_preset else None
    montage = montage or device.get("montage_preset") or "custom / as recorded"
    firmware = device.get("firmware_version") or "unknown"
    if device.get("protocol_version") is not None:
        firmware += f", wire protocol v{device['protocol_version']}"
    unknown = "imported recording" if record.source == "import" else "unknown board"
    board = str(device.get("board") or unknown)
    if device.get("board_id") is not None:
        board += f" (id {device['board_id']})"
    if device.get("port"):
        board += f" on {device['port']}"
    pairs: list[tuple[str, object]] = [
        ("Participant (pseudonymous code)", record.participant_code),
        ("Session", f"{record.id}"),
        ("Session date", f"{utc_time(record.started_at)} to {utc_time(record.ended_at)}"),
        (
            "Recorded",
            f"{fmt(record.duration_s, 1, ' s')} ({clock(record.duration_s)}), "
            f"{record.channel_count} channels at {record.sample_rate_hz:g} Hz",
        ),
        ("Status", record.status.upper() if record.status != "completed" else "completed"),
        ("Operator", record.operator or "not recorded"),
        ("Protocol", protocol),
        ("Device", board),
        ("Firmware", firmware),
        ("Signal source", _signal_source(record)),
        ("Montage", montage),
    ]
    if setup and setup.protocol_seed is not None:
        pairs.append(("Stimulus order", f"seed {setup.protocol_seed} (reproduces the order)"))
    if setup and setup.resumed_from_session_id:
        pairs.append(("Resumes", f"session {setup.resumed_from_session_id}"))
    out += [key_values(pairs, [150, ctx.width - 150]), Spacer(1, 10)]
    out += [para("Montage", H2), montage_table(ctx), Spacer(1, 10)]
    out += [KeepTogether([para("At a glance", H2), glance_table(ctx)])]
    out.append(
        para(
            f"Report template {template.name} ({template.path.name}), {template.paper} paper, "
            f"microexp-tui {__version__}.",
            MUTED_TEXT,
        )
    )
    out.append(PageBreak())
    return out


def _signal_source(record: SessionRecord) -> str:
    """Where the samples come from: the simulator, a board, or an imported file."""
    if record.source == "import":
        return f"imported file ({record.sample_format} values)"
    return "SIMULATED board" if record.simulated else "hardware"


def montage_table(ctx: Context) -> Flowable:
    """Channel -> label, muscle, sensor kind, unit and action units."""
    record = ctx.data.record
    units = channel_units(record)
    rows = [
        [
            str(s.index + 1),
            s.label,
            s.muscle or "unassigned",
            s.sensor_kind,
            units[s.index],
            ", ".join(s.action_units) or "-",
        ]
        for s in record.channels
    ]
    widths = [24, 60, ctx.width - 24 - 60 - 60 - 44 - 90, 60, 44, 90]
    return table(["Ch", "Label", "Muscle", "Sensor", "Unit", "Action units"], rows, widths)


def glance_table(ctx: Context) -> Flowable:
    """The figures a reviewer looks at first, in one box."""
    figures, data = ctx.figures, ctx.data
    record = figures.record
    counters = record.counters
    lost = sum(g.n_lost for g in figures.gaps)
    right, total = agreement(figures)
    validation = data.validation
    wire = (
        ("Source", "imported file")
        if record.source == "import"
        else (
            "Frames / CRC errors",
            f"{fmt(counters.get('frames', 0))} / {fmt(counters.get('crc_errors', 0))}",
        )
    )
    pairs: list[tuple[str, object]] = [
        wire,
        ("Lost samples", f"{fmt(lost)} ({fmt(lost / record.sample_rate_hz, 2, ' s')})"),
        ("Artifact-flagged time", fmt(100 * figures.artifact_share, 1, " %")),
        ("Electrode check", grade_counts(figures)),
        (
            "Calibrated channels",
            f"{sum(c.valid for c in figures.review.calibration)} of {record.channel_count}"
            if figures.review.calibration
            else "not calibrated",
        ),
        ("Stimuli presented", str(len(figures.review.stimuli))),
        ("Predicted = target", f"{right} of {total}" if total else "no predictions"),
        ("Expressions", expression_counts(figures)),
        (
            "AU validation",
            f"overall F1 {fmt(validation.overall.f1, 2)}" if validation else "not validated",
        ),
    ]
    half = (len(pairs) + 1) // 2
    rows = []
    for i in range(half):
        left = pairs[i]
        right_pair = pairs[i + half] if i + half < len(pairs) else ("", "")
        rows.append([left[0], left[1], right_pair[0], right_pair[1]])
    w = ctx.width / 4
    return table(
        ["Measure", "Value", "Measure", "Value"], rows, [w * 1.1, w * 0.9, w * 1.1, w * 0.9]
    )


def quality(ctx: Context) -> list[Flowable]:
    """Counters, electrode check, calibration, artifacts, gaps, overrides and notes."""
    figures = ctx.figures
    record = figures.record
    c = record.counters
    lost = sum(g.n_lost for g in figures.gaps)
    rate = record.sample_rate_hz
    out: list[Flowable] = [para("Data quality", H1)]
    pairs = [
        ("Frames received", fmt(c.get("frames", 0))),
        ("CRC errors", fmt(c.get("crc_errors", 0))),
        ("Malformed frames", fmt(c.get("malformed", 0))),
        ("Sequence gaps", fmt(len(figures.gaps))),
        ("Lost samples", f"{fmt(lost)} per channel ({fmt(1000 * lost / rate, 0, ' ms')})"),
        (
            "Samples stored",
            f"{fmt(record.stored_samples)} of {fmt(record.samples_per_channel)} per channel",
        ),
        ("Reconnects", fmt(c.get("reconnects", 0))),
        ("Queue overflows", fmt(c.get("queue_overflows", 0))),
        ("Device TX overflows", fmt(c.get("device_tx_overflows", 0))),
        ("Garbage bytes", fmt(c.get("garbage_bytes", 0))),
        (
            "Artifact-flagged time",
            f"{fmt(figures.artifact_samples_any / rate, 1, ' s')} "
            f"({fmt(100 * figures.artifact_share, 1, ' %')} of the session, any channel)",
        ),
    ]
    rows = []
    for i in range(0, len(pairs), 2):
        right = pairs[i + 1] if i + 1 < len(pairs) else ("", "")
        rows.append([pairs[i][0], pairs[i][1], right[0], right[1]])
    w = ctx.width
    out += [
        table(["Counter", "Value", "Counter", "Value"], rows, [w * 0.2, w * 0.3, w * 0.2, w * 0.3])
    ]
    out += electrode_section(ctx) + calibration_section(ctx) + artifact_section(ctx)
    out += gap_section(ctx) + override_section(ctx)
    return out


def electrode_section(ctx: Context) -> list[Flowable]:
    """Per-channel electrode-check result with the reason for each amber or fail."""
    figures = ctx.figures
    out: list[Flowable] = [para("Electrode check", H2)]
    if not figures.review.checks:
        why = (
            "it was imported from a file, which carries no check result"
            if figures.record.source == "import"
            else "it was recorded without the operator app's check step, e.g. with "
            "`microexp record`"
        )
        return [
            *out,
            not_available(
                "Electrode check",
                f"No electrode-check result was stored with this session ({why}).",
            ),
        ]
    rows = []
    for check in figures.review.checks:
        grade = GRADE_WORDS.get(check.grade, check.grade)
        colour = GRADE_COLOURS.get(check.grade)
        result = Paragraph(
            f'<font color="{colour.hexval() if colour else "#000000"}"><b>{text(grade)}</b></font>',
            CELL,
        )
        lit = {True: "lit", False: "not lit", None: "n/a"}[check.contraction_lit]
        why = check.reasons or ("flat line" if check.flat_line else "")
        rows.append(
            [
                channel_name(figures.record, check.channel_index),
                result,
                fmt(check.rest_level_counts, 1),
                fmt(check.noise_counts, 1),
                fmt(None if check.mains_fraction is None else 100 * check.mains_fraction, 1, " %"),
                fmt(
                    None if check.clipping_fraction is None else 100 * check.clipping_fraction,
                    1,
                    " %",
                ),
                f"{fmt(check.contraction_rise, 0)} ({lit})",
                why or "-",
            ]
        )
    w = ctx.width
    widths = [76, 36, 40, 40, 36, 42, 64, w - 334]
    header = [
        "Channel",
        "Result",
        "Rest level",
        "Noise",
        "Mains",
        "Clipping",
        "Contraction rise",
        "Why",
    ]
    note = para(
        "Rest level, noise and contraction rise in ADC counts; mains and clipping as "
        "shares of the rest window.",
        MUTED_TEXT,
    )
    return [*out, table(header, rows, widths), note]


def calibration_section(ctx: Context) -> list[Flowable]:
    """Rest baseline and maximal contraction per channel."""
    figures = ctx.figures
    out: list[Flowable] = [para("Calibration", H2)]
    if not figures.review.calibration:
        return [
            *out,
            not_available(
                "Calibration",
                "No rest/maximal-contraction calibration was stored with this session; models used "
                "their cards' population defaults and no %MVC values exist.",
            ),
        ]
    rows = [
        [
            channel_name(figures.record, c.channel_index),
            fmt(c.baseline, 1),
            fmt(c.rest_sd, 1),
            fmt(c.max_value, 1),
            fmt(c.max_value - c.baseline, 1),
            "yes" if c.valid else "NO",
        ]
        for c in figures.review.calibration
    ]
    header = ["Channel", "Rest baseline (counts)", "Rest SD", "Max contraction", "Range", "Valid"]
    w = (ctx.width - 90) / 5
    return [*out, table(header, rows, [90, w, w, w, w, w])]


def artifact_section(ctx: Context) -> list[Flowable]:
    """Flagged time per channel and the kinds of flags."""
    figures = ctx.figures
    record = figures.record
    out: list[Flowable] = [para("Artifacts", H2)]
    if not figures.artifacts:
        return [*out, para("No artifact was flagged on any channel.", BODY)]
    total = max(record.samples_per_channel, 1)
    rows = [
        [
            channel_name(record, ch),
            fmt(n / record.sample_rate_hz, 2, " s"),
            fmt(100 * n / total, 2, " %"),
            ", ".join(figures.artifact_kinds.get(ch, [])) or "-",
        ]
        for ch, n in enumerate(figures.artifact_samples_per_channel)
    ]
    w = ctx.width
    return [*out, table(["Channel", "Flagged time", "Share", "Flags"], rows, [90, 70, 60, w - 220])]


def gap_section(ctx: Context) -> list[Flowable]:
    """Where samples were lost in transit (the first MAX_GAP_ROWS)."""
    figures = ctx.figures
    if not figures.gaps:
        return [para("Lost samples", H2), para("No samples were lost in transit.", BODY)]
    rate = figures.record.sample_rate_hz
    rows = [
        [clock(g.first_missing_index / rate), fmt(g.n_lost), fmt(1000 * g.n_lost / rate, 0)]
        for g in figures.gaps[:MAX_GAP_ROWS]
    ]
    out: list[Flowable] = [
        para("Lost samples", H2),
        table(["At", "Samples lost", "Duration (ms)"], rows, [80, 80, 80]),
    ]
    if len(figures.gaps) > MAX_GAP_ROWS:
        out.append(para(f"First {MAX_GAP_ROWS} of {len(figures.gaps)} gaps shown.", MUTED_TEXT))
    return out


def override_section(ctx: Context) -> list[Flowable]:
    """Operator overrides (with reasons) and notes."""
    review = ctx.figures.review
    out: list[Flowable] = [para("Operator overrides and notes", H2)]
    if not review.overrides and not review.notes:
        return [*out, para("No overrides and no notes.", BODY)]
    rows = [
        [utc_time(o.at), f"override: {o.kind} ({o.target})", o.reason, o.actor]
        for o in review.overrides
    ]
    rows += [[utc_time(n.at), "note", n.text, n.author] for n in review.notes]
    w = ctx.width
    return [*out, table(["When", "What", "Text", "By"], rows, [80, 110, w - 270, 80])]
