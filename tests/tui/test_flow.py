"""The whole operator flow on the simulated board, driven by keys, then checked in the database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.widgets import Checkbox, DataTable, Input, Static

from microexp_tui.domain.markers import (
    MARKER_OPERATOR_BASE,
    MARKER_PAUSE,
    MARKER_REST_ONSET,
    MARKER_RESUME,
    MARKER_STIMULUS_OFFSET,
    guided_contraction_code,
    stimulus_onset_code,
)
from microexp_tui.store.sessions import SessionStore
from microexp_tui.tui.app import MicroexpApp, make_app
from microexp_tui.tui.screens.calibration import CalibrationScreen
from microexp_tui.tui.screens.device import DeviceScreen
from microexp_tui.tui.screens.electrode import ElectrodeCheckScreen
from microexp_tui.tui.screens.home import HomeScreen
from microexp_tui.tui.screens.participant import ParticipantScreen
from microexp_tui.tui.screens.recording import RecordingScreen
from microexp_tui.tui.screens.review import ReviewScreen
from tests.tui.helpers import fast_settings, sim_args, wait_for

pytestmark = pytest.mark.slow


async def _participant_and_consent(app: MicroexpApp, pilot) -> None:  # type: ignore[no-untyped-def]
    """New participant: an invalid age is refused inline, consent is required, then accepted."""
    await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen), "Home")
    await pilot.press("n")
    await wait_for(pilot, lambda: isinstance(app.screen, ParticipantScreen), "Participant")
    await pilot.press(*"12x")
    await pilot.press("ctrl+s")
    screen = app.screen
    assert "birth year" in str(screen.query_one("#birth-error", Static).content).lower()
    assert "consent" in str(screen.query_one("#consent-error", Static).content).lower()
    assert isinstance(app.screen, ParticipantScreen)  # nothing saved yet
    birth = screen.query_one("#birth", Input)
    birth.value = "1990"
    screen.query_one("#consent", Checkbox).focus()
    await pilot.press("space")
    await pilot.press("ctrl+s")


async def _electrode_check(app: MicroexpApp, pilot) -> None:  # type: ignore[no-untyped-def]
    """Run the check; override any channel that is not green so the flow can go on."""
    await wait_for(pilot, lambda: isinstance(app.screen, ElectrodeCheckScreen), "electrode check")
    screen = app.screen
    assert isinstance(screen, ElectrodeCheckScreen)
    await pilot.press("space")
    await wait_for(pilot, lambda: bool(screen.checks), "graded electrodes")
    for check in screen.checks:
        if check.grade == "red":
            screen.query_one("#results", DataTable).move_cursor(row=check.channel_index)
            await pilot.press("o")
            await pilot.press(*"gel refreshed", "enter")

            def overridden(channel: int = check.channel_index) -> bool:
                return channel in screen.overridden

            await wait_for(pilot, overridden, "override")
    await pilot.press("ctrl+s")


def test_full_session_flow_on_the_simulated_board(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    session_id = asyncio.run(_drive_full_flow(db, tmp_path))
    _check_database(db, session_id)


async def _drive_full_flow(db: Path, tmp_path: Path) -> int:
    """New participant to review, by keys; returns the session id."""
    app = make_app(
        db,
        settings=fast_settings(),
        settings_path=tmp_path / "settings.toml",
        simulate=True,
        sim_args=sim_args(),
    )
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await _participant_and_consent(app, pilot)
            await wait_for(pilot, lambda: isinstance(app.screen, DeviceScreen), "Device")
            device = app.screen
            assert isinstance(device, DeviceScreen)
            await wait_for(pilot, lambda: device.identity is not None, "board identity")
            assert device.identity is not None and device.identity.simulated
            assert len(device.montage) == 4
            await pilot.press("ctrl+s")
            await _electrode_check(app, pilot)

            await wait_for(pilot, lambda: isinstance(app.screen, CalibrationScreen), "calibration")
            calibration = app.screen
            assert isinstance(calibration, CalibrationScreen)
            await pilot.press("space")
            await wait_for(pilot, lambda: calibration.calibration is not None, "calibration saved")
            await pilot.press("ctrl+s")

            await wait_for(pilot, lambda: isinstance(app.screen, RecordingScreen), "recording")
            await pilot.press("space")
            await pilot.press("space", "space")  # pause and resume: both stored as markers
            await pilot.press("3")
            await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen), "review")
            review = app.screen
            assert isinstance(review, ReviewScreen)
            await wait_for(pilot, lambda: review.review is not None, "review loaded")
            review.query_one("#note", Input).focus()
            await pilot.press(*"calm participant", "enter")
            await app.workers.wait_for_complete()
            return review.session_id
    finally:
        app.shutdown()


def _check_database(db: Path, session_id: int) -> None:
    """Everything the flow should have stored."""
    with SessionStore.open(db) as store:
        record = store.session(session_id)
        assert record.status == "completed" and record.simulated
        assert record.protocol == "fast"
        assert record.participant_code.startswith("P-")
        codes = [marker.code for marker in store.markers(session_id)]
        for emotion in ("happy", "surprise"):
            assert stimulus_onset_code(emotion) in codes
        assert codes.count(MARKER_STIMULUS_OFFSET) >= 2
        assert MARKER_OPERATOR_BASE + 3 in codes
        assert codes.count(MARKER_PAUSE) == 1 and codes.count(MARKER_RESUME) == 1
        assert codes.index(MARKER_PAUSE) < codes.index(MARKER_RESUME)
        assert MARKER_REST_ONSET in codes and guided_contraction_code(0) in codes
        assert len(store.electrode_checks(session_id)) == 4
        calibration_rows = store.calibration(session_id)
        assert len(calibration_rows) == 4 and any(row.valid for row in calibration_rows)
        setup = store.setup(session_id)
        assert setup is not None and setup.consent_sha256 and setup.consent_confirmed_at
        assert setup.protocol_seed == 7, "the protocol file's own seed wins over the setting"
        progress = store.protocol_progress()[session_id]
        assert progress.state == "completed" and progress.blocks_done == progress.blocks_total
        assert [note.text for note in store.notes(session_id)] == ["calm participant"]
        actions = {entry["action"] for entry in store.audit_entries(session_id)}
        assert {"consent.confirmed", "electrode_check", "calibration", "session.finish"} <= actions
        assert store.verify_audit_chain() is None


def test_every_key_is_also_in_the_command_palette(tmp_path: Path) -> None:
    async def run() -> None:
        app = make_app(tmp_path / "s.sqlite", settings=fast_settings())
        try:
            async with app.run_test(size=(80, 24)) as pilot:
                await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen), "Home")
                commands = {command.title for command in app.get_system_commands(app.screen)}
                assert {"New participant", "Resume", "Settings", "Help"} <= commands
                await pilot.press("ctrl+p")
                await pilot.press(*"new participant")
                await pilot.pause(0.3)
                await pilot.press("enter")
                await wait_for(pilot, lambda: isinstance(app.screen, ParticipantScreen), "setup")
        finally:
            app.shutdown()

    asyncio.run(run())
