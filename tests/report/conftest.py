"""Report fixtures: one database with every kind of session, and reports generated from it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pypdf
import pytest

from microexp_tui.report.generate import ReportResult, generate_report
from microexp_tui.store.sessions import SessionStore
from tests.report.helpers import ReportDb, build_report_db


@dataclass(frozen=True)
class Pdf:
    """A generated report with its pages' extracted text (whitespace collapsed)."""

    result: ReportResult
    reader: pypdf.PdfReader
    pages: list[str]

    @property
    def text(self) -> str:
        """All pages' text joined."""
        return " ".join(self.pages)


def read_pdf(result: ReportResult) -> Pdf:
    """Open a written report with pypdf and extract each page's text."""
    reader = pypdf.PdfReader(result.path)
    pages = [" ".join(page.extract_text().split()) for page in reader.pages]
    return Pdf(result, reader, pages)


def make_report(db: Path, session_id: int, out: Path, **kw: object) -> Pdf:
    """Generate a report of `session_id` into `out` and read it back."""
    with SessionStore.open(db) as store:
        result = generate_report(store, session_id, out, **kw)  # type: ignore[arg-type]
    return read_pdf(result)


@pytest.fixture(scope="session")
def report_db(tmp_path_factory: pytest.TempPathFactory) -> ReportDb:
    """Earlier, main and interrupted sessions of one participant; one lone session."""
    return build_report_db(tmp_path_factory.mktemp("report-db") / "sessions.sqlite")


@pytest.fixture(scope="session")
def main_pdf(report_db: ReportDb, tmp_path_factory: pytest.TempPathFactory) -> Pdf:
    """The main session's report with the default template (A4)."""
    out = tmp_path_factory.mktemp("main-pdf") / "main.pdf"
    return make_report(report_db.path, report_db.main, out)


@pytest.fixture(scope="session")
def interrupted_pdf(report_db: ReportDb, tmp_path_factory: pytest.TempPathFactory) -> Pdf:
    """The interrupted session's report (no predictions, checks or calibration)."""
    out = tmp_path_factory.mktemp("interrupted-pdf") / "interrupted.pdf"
    return make_report(report_db.path, report_db.interrupted, out)
