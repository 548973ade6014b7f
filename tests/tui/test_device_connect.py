"""The Board screen: a failed connect leaves a clear state, the legacy sketch is a board kind,
and a detected board is not opened until the operator chooses it (real ptys and simulators)."""

from __future__ import annotations

import asyncio
import os
import select
import threading
from pathlib import Path

import pytest
from textual.widgets import OptionList, Select, Static

from microexp_tui.domain.markers import MARKER_REST_ONSET, guided_contraction_code
from microexp_tui.session_flow.board import SIMULATED_LABEL, BoardChoice
from microexp_tui.store.sessions import SessionStore
from microexp_tui.study.consent import load_consent
from microexp_tui.tui.app import MicroexpApp, make_app
from microexp_tui.tui.screens.device import BoardsFound, DeviceScreen
from microexp_tui.tui.screens.dialogs import ErrorDialog
from microexp_tui.tui.screens.electrode import ElectrodeCheckScreen
from microexp_tui.tui.widgets.panels import InstructionPanel
from tests.acquisition.helpers import pty_peer
from tests.tui.helpers import WAIT_LIMIT_S, fast_settings, sim_args, wait_for

pytestmark = pytest.mark.slow


class Listener:
    """A pty peer that answers nothing and remembers every byte the host wrote."""

    def __init__(self) -> None:
        """Nothing heard yet."""
        self.heard = b""

    def __call__(self, master: int, stop: threading.Event) -> None:
        """Read until stopped."""
        while not stop.is_set():
            if select.select([master], [], [], 0.05)[0]:
                try:
                    self.heard += os.read(master, 4096)
                except OSError:
                    return


def _app(tmp_path: Path) -> MicroexpApp:
    """The app without a preselected simulator."""
    return make_app(
        tmp_path / "s.sqlite", settings=fast_settings(), settings_path=tmp_path / "st.toml"
    )


def _identity_text(device: DeviceScreen) -> str:
    """What the identity panel says."""
    return str(device.query_one("#identity", Static).content)


def test_a_failed_connect_says_what_answered_and_leaves_a_clear_state(tmp_path: Path) -> None:
    async def run() -> None:
        app = _app(tmp_path)
        try:
            with pty_peer(Listener()) as path:
                async with app.run_test(size=(100, 30)) as pilot:
                    await app.workers.wait_for_complete()
                    plain = BoardChoice(f"{path}: no description", path, group="other")
                    device = DeviceScreen(choices=[BoardChoice(SIMULATED_LABEL, None, True), plain])
                    await app.push_screen(device)
                    await pilot.pause()
                    options = device.query_one("#boards", OptionList)
                    assert str(options.get_option_at_index(1).prompt) == "Other serial ports:"
                    options.highlighted = 2
                    await pilot.press("c")
                    await wait_for(pilot, lambda: isinstance(app.screen, ErrorDialog), "the error")
                    dialog = app.screen
                    assert isinstance(dialog, ErrorDialog)
                    assert "heard: no reply" in dialog.message
                    await pilot.press("enter")
                    await wait_for(pilot, lambda: app.screen is device, "back on the Board screen")
                    text = _identity_text(device)
                    assert text.startswith("Not connected:") and "Connecting" not in text
                    assert "press c" in text
                    assert device.board is None and device.identity is None
                    assert app.visit.board is None
                    assert device.query_one("#rate", Select).disabled
        finally:
            app.shutdown()

    asyncio.run(run())


def test_the_legacy_sketch_is_a_board_kind(tmp_path: Path) -> None:
    async def run() -> None:
        app = _app(tmp_path)
        try:
            async with app.run_test(size=(100, 30)) as pilot:
                await app.workers.wait_for_complete()
                device = DeviceScreen(choices=[BoardChoice(SIMULATED_LABEL, None, True)])
                await app.push_screen(device)
                await pilot.pause()
                device.query_one("#board-kind", Select).value = "legacy"
                await pilot.press("c")
                await wait_for(pilot, lambda: device.identity is not None, "the sketch's lines")
                assert device.board is not None and device.board.legacy
                assert device.identity is not None and device.identity.channel_count == 8
                assert "answered: the article's sketch, 8 values per line" in _identity_text(device)
                assert device.query_one("#rate", Select).disabled  # the sketch takes no settings

                device.query_one("#board-kind", Select).value = "framed"
                await pilot.press("c")
                await wait_for(pilot, lambda: device.identity is not None, "framed identity")
                assert device.board is not None and not device.board.legacy
                assert "answered: framed identity" in _identity_text(device)
        finally:
            app.shutdown()

    asyncio.run(run())


def test_a_detected_board_is_not_opened_until_chosen(tmp_path: Path) -> None:
    async def run() -> None:
        app = _app(tmp_path)
        listener = Listener()
        try:
            with pty_peer(listener) as path:
                async with app.run_test(size=(100, 30)) as pilot:
                    await app.workers.wait_for_complete()
                    mega = BoardChoice(f"{path} (Arduino Mega 2560)", path, False, True)
                    device = DeviceScreen(choices=[])
                    await app.push_screen(device)
                    await pilot.pause()
                    device.post_message(
                        BoardsFound([mega, BoardChoice(SIMULATED_LABEL, None, True)])
                    )
                    await wait_for(pilot, lambda: "Press c" in _identity_text(device), "the hint")
                    await app.workers.wait_for_complete()
                    assert listener.heard == b"" and device.board is None
                    await pilot.press("c")
                    await wait_for(pilot, lambda: bool(listener.heard), "the handshake on the port")
        finally:
            app.shutdown()

    asyncio.run(run())


def test_guided_cues_stand_out_and_are_stored_on_the_legacy_sketch(tmp_path: Path) -> None:
    """The sketch takes no commands: the cues are host markers at the sample index."""
    db = tmp_path / "s.sqlite"

    async def run() -> int:
        app = make_app(
            db,
            settings=fast_settings(),
            settings_path=tmp_path / "st.toml",
            simulate=True,
            sim_args=sim_args(),
        )
        cue_seen = False
        try:
            async with app.run_test(size=(100, 30)) as pilot:
                await app.workers.wait_for_complete()
                visit = app.new_visit()
                visit.participant = app.store.create_participant(code="P-LEGACY")
                visit.consent = load_consent()
                device = DeviceScreen(choices=[BoardChoice(SIMULATED_LABEL, None, True)])
                await app.push_screen(device)
                await pilot.pause()
                device.query_one("#board-kind", Select).value = "legacy"
                await pilot.press("c")
                await wait_for(pilot, lambda: device.identity is not None, "the sketch")
                await pilot.press("ctrl+s")
                await wait_for(pilot, lambda: isinstance(app.screen, ElectrodeCheckScreen), "check")
                check = app.screen
                assert isinstance(check, ElectrodeCheckScreen)
                await pilot.press("space")
                panel = check.query_one(InstructionPanel)
                for _ in range(int(WAIT_LIMIT_S / 0.05)):
                    cue_seen = cue_seen or panel.has_class("-cue")
                    if check.checks:
                        break
                    await pilot.pause(0.05)
                assert check.checks, "the check never finished"
                assert cue_seen, "no guided contraction was shown as a cue"
                assert app.visit.live is not None and app.visit.live.session_id is not None
                return app.visit.live.session_id
        finally:
            app.shutdown()

    session_id = asyncio.run(run())
    with SessionStore.open(db) as store:
        assert store.session(session_id).sample_rate_hz < 100  # the sketch's ~20 Hz
        markers = store.markers(session_id)
    codes = [marker.code for marker in markers]
    assert codes[0] == MARKER_REST_ONSET
    assert codes[1:] == [guided_contraction_code(channel) for channel in range(4)]
    indices = [marker.sample_index for marker in markers]
    assert indices == sorted(indices) and indices[-1] > indices[0] > 0
    assert {marker.source for marker in markers} == {"host"}
