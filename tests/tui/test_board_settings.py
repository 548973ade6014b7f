"""Rate and channel count chosen on the Board screen reach the board and the recorded session."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.widgets import Select

from microexp_tui.session_flow.board import SIMULATED_LABEL, BoardChoice
from microexp_tui.store.sessions import SessionStore
from microexp_tui.tui.app import MicroexpApp, make_app
from microexp_tui.tui.screens.device import DeviceScreen
from microexp_tui.tui.screens.dialogs import ErrorDialog
from microexp_tui.tui.screens.electrode import ElectrodeCheckScreen
from tests.tui.helpers import fast_settings, sim_args, wait_for
from tests.tui.test_flow import _participant_and_consent

pytestmark = pytest.mark.slow


def _app(db: Path, tmp_path: Path) -> MicroexpApp:
    """The app on a simulated board that starts at 8 channels and 1000 Hz."""
    return make_app(
        db,
        settings=fast_settings(),
        settings_path=tmp_path / "settings.toml",
        simulate=True,
        sim_args=sim_args(channels=8, rate_hz=1000),
    )


def test_chosen_rate_and_channels_are_recorded(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"

    async def run() -> int:
        app = _app(db, tmp_path)
        try:
            async with app.run_test(size=(80, 24)) as pilot:
                await _participant_and_consent(app, pilot)
                await wait_for(pilot, lambda: isinstance(app.screen, DeviceScreen), "Device")
                device = app.screen
                assert isinstance(device, DeviceScreen)
                await wait_for(pilot, lambda: device.identity is not None, "board identity")
                assert device.query_one("#rate", Select).value == 1000
                assert device.query_one("#channels", Select).value == 8
                assert len(device.montage) == 8

                device.query_one("#rate", Select).value = 500
                await wait_for(
                    pilot,
                    lambda: device.identity is not None and device.identity.sample_rate_hz == 500,
                    "500 Hz",
                )
                device.query_one("#channels", Select).value = 4
                await wait_for(
                    pilot,
                    lambda: device.identity is not None and device.identity.channel_count == 4,
                    "4 channels",
                )
                assert len(device.montage) == 4
                assert device.board is not None
                assert (device.board.sample_rate_hz, device.board.channels) == (500, 4)

                await pilot.press("ctrl+s")
                await wait_for(
                    pilot, lambda: isinstance(app.screen, ElectrodeCheckScreen), "electrode check"
                )
                live = app.visit.live
                assert live is not None and live.session_id is not None
                return live.session_id
        finally:
            app.shutdown()

    session_id = asyncio.run(run())
    with SessionStore.open(db) as store:
        record = store.session(session_id)
        assert record.sample_rate_hz == 500
        assert record.channel_count == 4


def test_a_refused_combination_is_explained_and_the_old_settings_stay(tmp_path: Path) -> None:
    async def run() -> None:
        app = _app(tmp_path / "s.sqlite", tmp_path)
        try:
            async with app.run_test(size=(80, 24)) as pilot:
                await app.workers.wait_for_complete()
                device = DeviceScreen(choices=[BoardChoice(SIMULATED_LABEL, None, True)])
                await app.push_screen(device)
                await pilot.pause()
                await pilot.press("c")
                await wait_for(pilot, lambda: device.identity is not None, "board identity")

                device.query_one("#channels", Select).value = 16
                await wait_for(pilot, lambda: isinstance(app.screen, ErrorDialog), "refusal")
                dialog = app.screen
                assert isinstance(dialog, ErrorDialog)
                assert "board settings" in dialog.title_text.lower()
                assert "Unexpected error" not in dialog.title_text
                assert dialog.message
                await pilot.press("enter")
                await wait_for(pilot, lambda: app.screen is device, "back on the Board screen")

                assert device.identity is not None
                assert (device.identity.channel_count, device.identity.sample_rate_hz) == (8, 1000)
                assert device.board is not None
                assert (device.board.sample_rate_hz, device.board.channels) == (None, None)
                assert device.query_one("#channels", Select).value == 8
                assert device.query_one("#rate", Select).value == 1000
                assert len(device.montage) == 8
                assert not device.applying
        finally:
            app.shutdown()

    asyncio.run(run())
