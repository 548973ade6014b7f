"""Anonymised export from the Review screen: dialog, worker, summary, a verifiable folder."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.widgets import Button, Input, RadioSet, Static

from microexp_tui.export import verify
from microexp_tui.export.manifest import MANIFEST_NAME
from microexp_tui.paths import DATA_DIR_ENV
from microexp_tui.settings import Settings
from microexp_tui.tui.app import MicroexpApp, make_app
from microexp_tui.tui.screens.export_dialog import (
    ExportDialog,
    ExportSummaryDialog,
    default_export_dir,
)
from microexp_tui.tui.screens.review import ReviewScreen
from tests.tui.helpers import wait_for
from tests.tui.seed_data import seed_database

SIZE = (100, 40)


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, int]:
    """The seeded database (its completed session); the data dir (site secret) in tmp_path."""
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    db_path = tmp_path / "sessions.sqlite"
    return db_path, seed_database(db_path).completed


async def open_review(app: MicroexpApp, session_id: int) -> ReviewScreen:
    """Push the Review screen for `session_id` once Home has loaded; wait for its data."""
    await app.workers.wait_for_complete()
    await app.push_screen(ReviewScreen(session_id))
    await app.workers.wait_for_complete()
    review = app.screen
    assert isinstance(review, ReviewScreen)
    return review


def test_bids_export_from_review_verifies(tmp_path: Path, seeded: tuple[Path, int]) -> None:
    db_path, session_id = seeded
    out_dir = tmp_path / "out" / "bids-export"
    app = make_app(db_path, settings=Settings(operator="tester"))
    try:
        asyncio.run(_export_as_bids(app, session_id, out_dir))
    finally:
        app.shutdown()

    assert (out_dir / "dataset_description.json").is_file()
    assert (out_dir / MANIFEST_NAME).is_file()
    checked = verify(out_dir)
    assert checked.ok, checked.problems()
    assert checked.checked > 2


async def _export_as_bids(app: MicroexpApp, session_id: int, out_dir: Path) -> None:
    """Review -> export button -> BIDS into `out_dir` -> summary -> back on Review."""
    async with app.run_test(size=SIZE) as pilot:
        review = await open_review(app, session_id)
        await wait_for(pilot, lambda: review.review is not None, "review loaded")
        button = review.query_one("#export", Button)
        assert not button.disabled
        button.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportDialog), "export dialog")
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        radio = dialog.query_one("#export-format", RadioSet)
        assert radio.pressed_button is not None and radio.pressed_button.name == "bids"
        folder = dialog.query_one("#export-folder", Input)
        data_dir = app.settings.database_dir()
        assert folder.value == str(default_export_dir(data_dir, session_id, "bids"))
        folder.value = str(out_dir)
        folder.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportSummaryDialog), "export summary")
        await app.workers.wait_for_complete()
        summary = str(app.screen.query_one(".dialog-body", Static).render())
        assert str(out_dir) in summary and "scan: passed" in summary
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is review, "back on review")


def test_export_refuses_a_non_empty_folder(tmp_path: Path, seeded: tuple[Path, int]) -> None:
    db_path, session_id = seeded
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("not an export\n")
    app = make_app(db_path, settings=Settings(operator="tester"))
    try:
        asyncio.run(_refused(app, session_id, taken))
    finally:
        app.shutdown()
    assert sorted(p.name for p in taken.iterdir()) == ["keep.txt"]


async def _refused(app: MicroexpApp, session_id: int, taken: Path) -> None:
    """The dialog keeps a non-empty folder out and says why; Escape goes back."""
    async with app.run_test(size=SIZE) as pilot:
        review = await open_review(app, session_id)
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportDialog), "export dialog")
        dialog = app.screen
        folder = dialog.query_one("#export-folder", Input)
        folder.value = str(taken)
        await pilot.click("#ok")
        await pilot.pause()
        assert app.screen is dialog
        error = str(dialog.query_one("#export-error", Static).render())
        assert "already exists and is not an empty folder" in error
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is review, "dialog cancelled")
