"""Enter submits every dialog (from a choice list too), key hints show on buttons, the palette
lists the app's commands only, and the small wording rules (plurals, grades, durations)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.command import CommandList
from textual.widgets import Button, Label

from microexp_tui.settings import Settings
from microexp_tui.tui.app import MicroexpApp, make_app
from microexp_tui.tui.screens.dialogs import ConfirmDialog, ReasonDialog
from microexp_tui.tui.screens.export_dialog import ExportChoice, ExportDialog
from microexp_tui.tui.screens.home import PROTOCOL_COLUMN, session_column_widths
from microexp_tui.tui.screens.report_dialog import ReportChoice, ReportDialog
from microexp_tui.tui.widgets.expressions import COLUMNS, column_widths
from microexp_tui.tui.widgets.wording import counted, minutes_seconds
from tests.tui.helpers import wait_for
from tests.tui.seed_data import seed_database


class Host(App[None]):
    """A bare app that opens one dialog and keeps what it returned."""

    def __init__(self, dialog: object) -> None:
        """Keep the dialog to open."""
        super().__init__()
        self.dialog = dialog
        self.results: list[object] = []

    def compose(self) -> ComposeResult:
        """Something behind the dialog."""
        yield Label("behind")

    def on_mount(self) -> None:
        """Open the dialog; keep its answer."""
        self.push_screen(self.dialog, self.results.append)  # type: ignore[call-overload]


def answer_of(dialog: object, *keys: str) -> list[object]:
    """Open `dialog` at 80x24, press `keys`, and return what it was dismissed with."""

    async def drive() -> list[object]:
        app = Host(dialog)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press(*keys)
            await pilot.pause()
        return app.results

    return asyncio.run(drive())


def test_enter_on_the_export_format_list_exports_in_the_highlighted_format(
    tmp_path: Path,
) -> None:
    results = answer_of(ExportDialog(3, tmp_path), "down", "enter")
    assert results == [ExportChoice("parquet", tmp_path / "exports" / "session-3-parquet")]


def test_enter_on_the_export_format_list_keeps_a_typed_folder(tmp_path: Path) -> None:
    dialog = ExportDialog(3, tmp_path)
    mine = tmp_path / "mine"

    async def drive() -> list[object]:
        app = Host(dialog)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            dialog.query_one("#export-folder").value = str(mine)  # type: ignore[attr-defined]
            await pilot.press("down", "down", "enter")
            await pilot.pause()
        return app.results

    assert asyncio.run(drive()) == [ExportChoice("csv", mine)]


def test_enter_on_the_report_paper_list_writes_the_report(tmp_path: Path) -> None:
    dialog = ReportDialog(4, tmp_path)

    async def drive() -> list[object]:
        app = Host(dialog)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            dialog.query_one("#report-paper").focus()
            await pilot.press("down", "enter")
            await pilot.pause()
        return app.results

    (chosen,) = asyncio.run(drive())
    assert isinstance(chosen, ReportChoice)
    assert chosen.paper == "Letter" and chosen.out_path.name == "session-4.pdf"


def test_the_reason_dialog_submits_with_enter_and_refuses_an_empty_reason() -> None:
    assert answer_of(ReasonDialog("Use channel 2?"), "enter") == []
    assert answer_of(ReasonDialog("Use channel 2?"), *"gel", "enter") == ["gel"]


@pytest.mark.parametrize(("keys", "answer"), [(("y",), True), (("n",), False), (("enter",), False)])
def test_the_confirm_dialog_shows_its_keys_and_answers_them(
    keys: tuple[str, ...], answer: bool
) -> None:
    dialog = ConfirmDialog("Abort?", "Abort session", "Carry on")

    async def drive() -> tuple[list[str], list[object]]:
        app = Host(dialog)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            labels = [str(button.label) for button in dialog.query(Button)]
            await pilot.press(*keys)
            await pilot.pause()
        return labels, app.results

    labels, results = asyncio.run(drive())
    assert labels == ["Abort session [y]", "Carry on [n]"]
    assert results == [answer]  # Enter presses the focused button: the safe answer


def test_the_palette_lists_the_screens_keys_and_no_generic_commands(tmp_path: Path) -> None:
    db_path = tmp_path / "sessions.sqlite"
    seed_database(db_path)
    app = make_app(db_path, settings=Settings(operator="tester"))

    async def drive(app: MicroexpApp) -> list[str]:
        async with app.run_test(size=(80, 24)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.press("ctrl+p")
            await wait_for(pilot, lambda: bool(app.screen.query(CommandList)), "the palette")
            commands = app.screen.query_one(CommandList)
            await wait_for(pilot, lambda: commands.option_count >= 9, "its commands")
            return [str(commands.get_option_at_index(n).prompt) for n in range(9)]

    try:
        listed = " ".join(asyncio.run(drive(app)))
    finally:
        app.shutdown()
    for command in ("New participant", "New session", "Open", "Resume", "Settings", "Quit"):
        assert command in listed
    for generic in ("Theme", "Screenshot", "Maximize", "Keys", "palette", "Cursor"):
        assert generic not in listed


def test_counts_follow_the_plural_rule() -> None:
    assert counted(1, "session") == "1 session"
    assert counted(0, "participant") == "0 participants"
    assert counted(2, "micro-expression") == "2 micro-expressions"


def test_durations_read_as_minutes_and_seconds() -> None:
    assert [minutes_seconds(s) for s in (4.2, 59.6, 1205.0)] == ["0:04", "1:00", "20:05"]


def test_the_muscles_column_gets_the_rest_of_the_width_at_80_columns() -> None:
    row = ("26.80", "2132", "macro guided", "AU1+2+12", "?", "0.00", "Zygomatic, Frontalis")
    widths = column_widths([row], 78)
    assert len(widths) == len(COLUMNS)
    assert sum(widths) + 2 * len(COLUMNS) + 4 <= 78  # cell padding, margins, scrollbar
    assert widths[2] == len("macro guided") and widths[-1] >= len("Muscles")
    assert column_widths([row], 200)[-1] == len(row[-1])


def test_home_gives_spare_width_to_protocol_names_only() -> None:
    at_80 = session_column_widths(78)
    assert sum(at_80) + 2 * len(at_80) <= 78
    at_120 = session_column_widths(118)
    changed = [n for n, (a, b) in enumerate(zip(at_80, at_120, strict=True)) if a != b]
    assert changed == [PROTOCOL_COLUMN] and at_120[PROTOCOL_COLUMN] >= len("six_emotions")
