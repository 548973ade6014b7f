"""The written PDF: valid, framed on every page, fonts embedded, paper sizes, tables that split."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pypdf
import pytest

from microexp_tui.store.sessions import SessionStore
from tests.report.conftest import Pdf, make_report
from tests.report.helpers import CODE, ReportDb

A4_PT = (595.28, 841.89)
LETTER_PT = (612.0, 792.0)
EMBEDDED = ("/FontFile", "/FontFile2", "/FontFile3")


def fonts_of(reader: pypdf.PdfReader) -> list[tuple[str, Any]]:
    """(base name, font dictionary) of every font any page or form on a page uses."""
    found = []

    def visit(resources: Any) -> None:
        resources = resources.get_object() if resources is not None else {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            found.append((str(font.get("/BaseFont")), font))
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form":
                visit(xobject.get("/Resources"))

    for page in reader.pages:
        visit(page.get("/Resources"))
    return found


def is_embedded(font: Any) -> bool:
    """Whether a font dictionary (or its CID descendant) carries its font program."""
    if font.get("/Subtype") == "/Type0":
        font = font["/DescendantFonts"][0].get_object()
    descriptor = font.get("/FontDescriptor")
    return descriptor is not None and any(k in descriptor.get_object() for k in EMBEDDED)


def text_starts(page: Any) -> list[tuple[float, float]]:
    """Page coordinates where each non-blank text run starts."""
    starts: list[tuple[float, float]] = []

    def visit(text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            starts.append((x, y))

    page.extract_text(visitor_text=visit)
    return starts


def size_of(pdf: Pdf, page: int = 0) -> tuple[float, float]:
    """A page's media box width and height in points, rounded to 0.01."""
    box = pdf.reader.pages[page].mediabox
    return round(float(box.width), 2), round(float(box.height), 2)


def test_report_is_a_valid_pdf_with_a_frame_on_every_page(
    main_pdf: Pdf, report_db: ReportDb
) -> None:
    pages = len(main_pdf.reader.pages)
    assert pages == main_pdf.result.pages >= 6
    assert main_pdf.reader.metadata is not None
    for number, text in enumerate(main_pdf.pages, start=1):
        assert f"Page {number} of {pages}" in text
        assert f"Participant {CODE} · Session {report_db.main}" in text
        assert "Generated " in text and "microexp-tui 0.1.0" in text


def test_every_font_is_embedded_and_none_is_a_standard_font(main_pdf: Pdf) -> None:
    fonts = fonts_of(main_pdf.reader)
    assert fonts, "the report uses no font at all?"
    missing = [name for name, font in fonts if not is_embedded(font)]
    assert missing == []
    assert not [name for name, _ in fonts if "Helvetica" in name or "Times" in name]


def test_a4_by_default_letter_by_option_and_by_template(
    report_db: ReportDb, tmp_path: Path
) -> None:
    a4 = make_report(report_db.path, report_db.lone, tmp_path / "a4.pdf")
    letter = make_report(report_db.path, report_db.lone, tmp_path / "letter.pdf", paper="Letter")
    brief = make_report(report_db.path, report_db.lone, tmp_path / "brief.pdf", template="brief")
    assert {size_of(a4, i) for i in range(len(a4.pages))} == {A4_PT}
    assert {size_of(letter, i) for i in range(len(letter.pages))} == {LETTER_PT}
    assert size_of(brief) == LETTER_PT and brief.result.template == "brief"
    assert "Timeline" not in brief.text and "Facial-EMG session summary" in brief.text
    over = make_report(
        report_db.path, report_db.lone, tmp_path / "b4.pdf", template="brief", paper="A4"
    )
    assert size_of(over) == A4_PT


def test_a_long_table_splits_with_its_header_repeated(main_pdf: Pdf) -> None:
    header = "# Onset Target Response Predicted Conf. Windows Latency (ms) Most active muscle Match"
    pages = [i for i, text in enumerate(main_pdf.pages) if header in text]
    assert len(pages) >= 2, "the per-stimulus table should span two pages"
    continuation = main_pdf.pages[pages[1]]
    first_row = continuation.split(header, 1)[1].split()[0]
    assert int(first_row) > 1, "the continuation page starts with a later stimulus"
    events_header = "# Onset Duration (ms) Kind Muscles Action units Emotion Conf. Peak"
    assert sum(events_header in text for text in main_pdf.pages) >= 2


def test_every_section_of_the_default_template_is_there(main_pdf: Pdf) -> None:
    for title in (
        "Data quality",
        "Electrode check",
        "Calibration",
        "Artifacts",
        "Lost samples",
        "Stimuli and responses",
        "Timeline",
        "Target versus predicted emotion",
        "Short muscle events and micro-expressions",
        "Validation against action units",
        "Models",
        "Longitudinal: earlier sessions",
        "Interpretation caveats",
        "Reviewer sign-off",
        "At a glance",
        "Montage",
    ):
        assert title in main_pdf.text, title
    assert "not a medical device" in main_pdf.text


def test_report_never_prints_identity_fields(main_pdf: Pdf, report_db: ReportDb) -> None:
    with SessionStore.open(report_db.path) as store:
        person = store.participant_by_code(CODE)
        assert person is not None
        identity = store.participant_identity(person.id)
    assert identity is not None and identity.name and identity.contact
    for value in (identity.name, identity.contact, identity.notes or "identity note"):
        assert value not in main_pdf.text


def test_text_stays_inside_the_page(main_pdf: Pdf) -> None:
    """Every text run starts inside the page's margins (nothing placed off the page)."""
    for page in main_pdf.reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        starts = text_starts(page)
        assert starts
        assert all(20 <= x <= width - 20 and 20 <= y <= height - 20 for x, y in starts), page


@pytest.mark.parametrize("session", ["main", "lone"])
def test_report_is_small(report_db: ReportDb, tmp_path: Path, session: str) -> None:
    pdf = make_report(report_db.path, getattr(report_db, session), tmp_path / "r.pdf")
    assert pdf.result.bytes < 400_000
