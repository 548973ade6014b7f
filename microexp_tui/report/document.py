"""The page frame: paper sizes, header and "Page X of Y" footer on every page, and the build.

Page numbers need the page count, known only at the end: the canvas keeps each finished
page's state and draws every header and footer when the document is saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4, LETTER
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from microexp_tui.report.fonts import BOLD, REGULAR, register_fonts, safe_text
from microexp_tui.report.styles import ALERT, INK, MUTED, RULE

PAPER_SIZES_PT: dict[str, tuple[float, float]] = {"A4": A4, "Letter": LETTER}
MARGIN_X_PT = 42.0
MARGIN_TOP_PT = 64.0
MARGIN_BOTTOM_PT = 52.0


@dataclass(frozen=True)
class PageFrame:
    """What the header and footer of every page say."""

    title: str
    subtitle: str
    participant_code: str
    session_id: int
    flags: tuple[str, ...]
    """Status words shown in red in the header (INTERRUPTED, ABORTED, SIMULATED)."""
    generated: str
    version: str
    notice: str


def frame_width_pt(paper: str) -> float:
    """Width of the text frame on `paper`."""
    return PAPER_SIZES_PT[paper][0] - 2 * MARGIN_X_PT


def _canvas_class(page: PageFrame) -> type[Canvas]:
    """A canvas that draws `page`'s header and footer with the final page count."""

    class NumberedCanvas(Canvas):
        """Keeps finished pages, then draws headers and "Page X of Y" when saving."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                _draw_frame(self, page, number, total)
                super().showPage()
            super().save()

    return NumberedCanvas


def _draw_frame(canvas: Canvas, page: PageFrame, number: int, total: int) -> None:
    """Header (title, participant code, session, status) and footer (page, time, version)."""
    width, height = canvas._pagesize
    left, right = MARGIN_X_PT, width - MARGIN_X_PT
    top = height - 30
    canvas.saveState()
    canvas.setFillColor(INK)
    canvas.setFont(BOLD, 8.5)
    canvas.drawString(left, top, safe_text(page.title))
    canvas.drawRightString(
        right, top, safe_text(f"Participant {page.participant_code} · Session {page.session_id}")
    )
    canvas.setFont(REGULAR, 7)
    canvas.setFillColor(MUTED)
    canvas.drawString(left, top - 10, safe_text(page.subtitle))
    if page.flags:
        canvas.setFont(BOLD, 7.5)
        canvas.setFillColor(ALERT)
        canvas.drawRightString(right, top - 10, safe_text(" · ".join(page.flags)))
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.6)
    canvas.line(left, top - 15, right, top - 15)
    bottom = 30.0
    canvas.line(left, bottom + 10, right, bottom + 10)
    canvas.setFont(REGULAR, 7)
    canvas.setFillColor(MUTED)
    canvas.drawString(left, bottom, safe_text(f"Generated {page.generated} · {page.version}"))
    canvas.drawCentredString((left + right) / 2 + 40, bottom, safe_text(page.notice))
    canvas.setFont(BOLD, 7.5)
    canvas.setFillColor(INK)
    canvas.drawRightString(right, bottom, f"Page {number} of {total}")
    canvas.restoreState()


def build_pdf(
    path: Path, paper: str, page: PageFrame, story: Sequence[Flowable], pdf_title: str
) -> int:
    """Lay out `story` into `path` on `paper`; return the page count."""
    register_fonts()
    width, height = PAPER_SIZES_PT[paper]
    doc = BaseDocTemplate(
        str(path),
        pagesize=(width, height),
        leftMargin=MARGIN_X_PT,
        rightMargin=MARGIN_X_PT,
        topMargin=MARGIN_TOP_PT,
        bottomMargin=MARGIN_BOTTOM_PT,
        title=safe_text(pdf_title),
        author="microexp-tui",
        subject=f"Session {page.session_id}, participant {page.participant_code}",
        creator=page.version,
        initialFontName=REGULAR,
        pageCompression=1,
    )
    frame = Frame(
        MARGIN_X_PT,
        MARGIN_BOTTOM_PT,
        width - 2 * MARGIN_X_PT,
        height - MARGIN_TOP_PT - MARGIN_BOTTOM_PT,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="body",
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    doc.build(list(story), canvasmaker=_canvas_class(page))
    return int(doc.page)
