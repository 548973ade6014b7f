"""PDF report from the Review screen: dialog, worker with progress, summary, errors as dialogs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pypdf
import pytest
from textual.widgets import Button, Input, Label, Static

from microexp_tui.paths import DATA_DIR_ENV
from microexp_tui.settings import Settings
from microexp_tui.store.sessions import SessionStore
from microexp_tui.tui.app import MicroexpApp, make_app
from microexp_tui.tui.screens.dialogs import ErrorDialog
from microexp_tui.tui.screens.report_dialog import (
    ReportDialog,
    ReportProgress,
    ReportSummaryDialog,
    default_report_path,
)
from microexp_tui.tui.screens.review import ReviewScreen
from tests.tui.helpers import wait_for
from tests.tui.seed_data import seed_database

SIZE = (100, 40)


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, int]:
    """The seeded database and its completed session; the data dir in tmp_path."""
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    db_path = tmp_path / "sessions.sqlite"
    return db_path, seed_database(db_path).completed


async def open_review(app: MicroexpApp, session_id: int) -> ReviewScreen:
    """Push the Review screen for `session_id` once Home has loaded."""
    await app.workers.wait_for_complete()
    await app.push_screen(ReviewScreen(session_id))
    await app.workers.wait_for_complete()
    review = app.screen
    assert isinstance(review, ReviewScreen)
    return review


def test_report_button_writes_the_pdf(tmp_path: Path, seeded: tuple[Path, int]) -> None:
    db_path, session_id = seeded
    out = tmp_path / "out" / "review-report.pdf"
    out.parent.mkdir()
    progress: list[ReportProgress] = []

    def hook(message: object) -> None:
        if isinstance(message, ReportProgress):
            progress.append(message)

    app = make_app(db_path, settings=Settings(operator="tester"))
    try:
        asyncio.run(_write_report(app, session_id, out, hook))
    finally:
        app.shutdown()
    reader = pypdf.PdfReader(out)
    assert len(reader.pages) >= 3
    assert "Participant P-ALPHA1" in reader.pages[0].extract_text()
    assert progress and progress[-1].done == progress[-1].total
    with SessionStore.open(db_path) as store:
        assert any(e["action"] == "report" for e in store.audit_entries(session_id))


async def _write_report(app: MicroexpApp, session_id: int, out: Path, hook: object) -> None:
    """Review -> report button -> dialog (default path shown) -> file -> summary -> Review."""
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:  # type: ignore[arg-type]
        review = await open_review(app, session_id)
        await wait_for(pilot, lambda: review.review is not None, "review loaded")
        button = review.query_one("#report", Button)
        assert not button.disabled
        button.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReportDialog), "report dialog")
        dialog = app.screen
        field = dialog.query_one("#report-file", Input)
        assert field.value == str(default_report_path(app.settings.database_dir(), session_id))
        field.value = str(out)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReportSummaryDialog), "summary")
        await app.workers.wait_for_complete()
        summary = str(app.screen.query_one(".dialog-body", Static).render())
        assert str(out) in summary and "pages" in summary
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is review, "back on review")


def test_report_dialog_refuses_an_unwritable_file(tmp_path: Path, seeded: tuple[Path, int]) -> None:
    db_path, session_id = seeded
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    app = make_app(db_path, settings=Settings(operator="tester"))
    try:
        asyncio.run(_refused(app, session_id, blocker / "r.pdf"))
    finally:
        app.shutdown()


async def _refused(app: MicroexpApp, session_id: int, out: Path) -> None:
    """The dialog keeps an unwritable path out and says why; Escape goes back."""
    async with app.run_test(size=SIZE) as pilot:
        review = await open_review(app, session_id)
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, ReportDialog), "report dialog")
        dialog = app.screen
        dialog.query_one("#report-file", Input).value = str(out)
        await pilot.click("#ok")
        await pilot.pause()
        assert app.screen is dialog
        assert "Cannot write the report to" in str(
            dialog.query_one("#report-error", Static).render()
        )
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is review, "dialog cancelled")


def test_a_failing_report_is_an_error_dialog_not_a_traceback(
    tmp_path: Path, seeded: tuple[Path, int]
) -> None:
    db_path, _ = seeded
    app = make_app(db_path, settings=Settings(operator="tester"))
    try:
        asyncio.run(_fails(app, tmp_path / "r.pdf"))
    finally:
        app.shutdown()
    assert not (tmp_path / "r.pdf").exists()


async def _fails(app: MicroexpApp, out: Path) -> None:
    """A session that is not in the database: the worker fails, an error dialog says why."""
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        review = ReviewScreen(999)
        await app.push_screen(review)
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorDialog), "load error shown")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is review, "back on review")
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, ReportDialog), "report dialog")
        app.screen.query_one("#report-file", Input).value = str(out)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorDialog), "report error shown")
        body = str(app.screen.query_one(".dialog-body", Static).render())
        assert "Session 999 is not in" in body and "Traceback" not in body
        title = str(app.screen.query_one(".dialog-title", Label).render())
        assert "Could not write the PDF report" in title
