"""Settings screen: each value shows its source, a wrong value is named inline, saving reloads."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import Input, Label, Static

from microexp_tui.settings import load_settings
from microexp_tui.tui.app import make_app
from microexp_tui.tui.screens.settings import SettingsScreen
from tests.tui.helpers import wait_for


def source_shown(screen: SettingsScreen, widget_id: str) -> str:
    """The source label on the row of a widget."""
    row = screen.query_one(f"#{widget_id}").parent
    assert row is not None
    return str(row.query_one(".field-source", Label).content)


def test_sources_are_shown_and_a_bad_value_is_named_before_saving(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('operator = "Ana"\n[filters]\nmains_hz = 60.0\n', encoding="utf-8")
    settings = load_settings(path, {"MICROEXP_CHECKS_REST_S": "2"})

    async def run() -> None:
        app = make_app(tmp_path / "s.sqlite", settings=settings, settings_path=path)
        try:
            async with app.run_test(size=(80, 24)) as pilot:
                screen = SettingsScreen()
                await app.push_screen(screen)
                await pilot.pause()
                assert source_shown(screen, "operator") == "file"
                assert source_shown(screen, "mains_hz") == "file"
                assert source_shown(screen, "rest_s") == "env"
                assert source_shown(screen, "refresh_hz") == "default"
                notes = [str(note.content) for note in screen.query(".source-note").results(Static)]
                assert notes == ["from MICROEXP_CHECKS_REST_S"]

                screen.query_one("#refresh_hz", Input).value = "fast"
                await pilot.press("ctrl+s")
                await pilot.pause()
                error = str(screen.query_one("#settings-error", Static).content)
                assert "setting 'refresh_hz' must be a number, not 'fast'" in error
                assert "refresh_hz" not in path.read_text(encoding="utf-8"), "nothing saved"

                screen.query_one("#refresh_hz", Input).value = "25"
                await pilot.press("ctrl+s")
                await wait_for(pilot, lambda: app.screen is not screen, "the screen closes")
                assert app.settings.refresh_hz == 25.0
                assert app.settings.source_of("refresh_hz") == str(path)
                assert app.settings.operator == "Ana" and app.settings.filters.mains_hz == 60.0
        finally:
            app.shutdown()

    asyncio.run(run())
    assert "refresh_hz = 25.0" in path.read_text(encoding="utf-8")
