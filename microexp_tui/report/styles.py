"""Shared look of the report: paragraph styles, colours, table styles and small text helpers."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, Table, TableStyle

from microexp_tui.report.fonts import BOLD, ITALIC, REGULAR, register_fonts, safe_text

register_fonts()

INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#5f6368")
RULE = colors.HexColor("#9aa0a6")
HEADER_FILL = colors.HexColor("#e8eaed")
ZEBRA = colors.HexColor("#f6f7f8")
ALERT = colors.HexColor("#b3261e")
ALERT_FILL = colors.HexColor("#fbe9e7")
WARN = colors.HexColor("#8a5a00")
WARN_FILL = colors.HexColor("#fff4d6")
OK = colors.HexColor("#1e6b35")

EMOTION_COLOURS: dict[str, colors.Color] = {
    "neutral": colors.HexColor("#9aa0a6"),
    "happy": colors.HexColor("#e0a800"),
    "surprise": colors.HexColor("#f57c00"),
    "disgust": colors.HexColor("#2e7d32"),
    "sadness": colors.HexColor("#1565c0"),
    "fear": colors.HexColor("#6a1b9a"),
    "anger": colors.HexColor("#c62828"),
}
GRADE_WORDS = {"green": "pass", "amber": "amber", "red": "fail"}
GRADE_COLOURS = {"green": OK, "amber": WARN, "red": ALERT}

BODY = ParagraphStyle(
    "body", fontName=REGULAR, fontSize=9, leading=12, textColor=INK, bulletFontName=REGULAR
)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=7.5, leading=9.5)
MUTED_TEXT = ParagraphStyle("muted", parent=SMALL, textColor=MUTED, fontName=ITALIC)
CELL = ParagraphStyle("cell", parent=BODY, fontSize=7.5, leading=9)
CELL_HEAD = ParagraphStyle("cell-head", parent=CELL, fontName=BOLD)
TITLE = ParagraphStyle("title", parent=BODY, fontName=BOLD, fontSize=20, leading=25, spaceAfter=6)
SUBTITLE = ParagraphStyle("subtitle", parent=BODY, fontSize=11, leading=15, textColor=MUTED)
H1 = ParagraphStyle(
    "h1",
    parent=BODY,
    fontName=BOLD,
    fontSize=13,
    leading=17,
    spaceBefore=10,
    spaceAfter=5,
    keepWithNext=1,
)
H2 = ParagraphStyle(
    "h2",
    parent=BODY,
    fontName=BOLD,
    fontSize=10,
    leading=13,
    spaceBefore=7,
    spaceAfter=3,
    keepWithNext=1,
)
BANNER = ParagraphStyle(
    "banner", parent=BODY, fontName=BOLD, fontSize=10, leading=13, alignment=TA_CENTER
)


def text(value: object) -> str:
    """Plain text made safe for a Paragraph: escaped markup, only characters the font has."""
    return escape(safe_text(str(value)))


def para(value: object, style: ParagraphStyle = BODY) -> Paragraph:
    """A paragraph of plain (escaped) text."""
    return Paragraph(text(value), style)


def not_available(what: str, why: str) -> Paragraph:
    """The standard "not available" line of a section, with the reason."""
    return Paragraph(f"<b>{text(what)}: not available.</b> {text(why)}", BODY)


def fmt(value: float | int | None, digits: int = 1, unit: str = "") -> str:
    """A number with `digits` decimals and an optional unit; "n/a" for None or NaN."""
    if value is None or (isinstance(value, float) and value != value):
        return "n/a"
    if isinstance(value, int):
        return f"{value:,}{unit}"
    return f"{value:,.{digits}f}{unit}"


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    widths: Sequence[float],
    *,
    align_right: Sequence[int] = (),
    extra: Sequence[tuple[object, ...]] = (),
) -> Table:
    """A data table: bold header repeated on every page it spans, zebra rows, wrapped cells."""
    head = [Paragraph(text(h), CELL_HEAD) for h in header]
    body = [
        [cell if isinstance(cell, Paragraph) else Paragraph(text(cell), CELL) for cell in row]
        for row in rows
    ]
    result = Table([head, *body], colWidths=list(widths), repeatRows=1, hAlign="LEFT")
    style: list[tuple[object, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), REGULAR),
        ("FONTSIZE", (0, 0), (-1, -1), 7.5),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, RULE),
        ("LINEBELOW", (0, -1), (-1, -1), 0.6, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA]),
    ]
    style.extend(extra)
    result.setStyle(TableStyle(style))
    return result


def key_values(pairs: Sequence[tuple[str, object]], widths: Sequence[float]) -> Table:
    """A two-column label/value table without a header."""
    rows = [
        [Paragraph(text(k), CELL_HEAD), v if isinstance(v, Paragraph) else para(v, CELL)]
        for k, v in pairs
    ]
    result = Table(rows, colWidths=list(widths), hAlign="LEFT")
    result.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, HEADER_FILL),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return result


def banner(message: str, fill: colors.Color, ink: colors.Color, width: float) -> Table:
    """A full-width coloured box for a status the reader must not miss."""
    style = ParagraphStyle("banner-ink", parent=BANNER, textColor=ink)
    box = Table([[Paragraph(text(message), style)]], colWidths=[width])
    box.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("BACKGROUND", (0, 0), (-1, -1), fill),
                ("BOX", (0, 0), (-1, -1), 1.2, ink),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return box
