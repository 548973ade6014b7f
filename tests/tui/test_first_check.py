"""A newcomer's first electrode check and calibration pass on the simulated board.

The simulated participant here is restless (frequent spontaneous expressions and motion
artifacts), but keeps still from the check's rest cue on, as a person asked to relax would.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from microexp_tui.acquisition.recorder import RecordingOptions
from microexp_tui.domain.electrodes import ElectrodeCheck
from microexp_tui.session_flow.board import BoardChoice, ConnectedBoard
from microexp_tui.session_flow.live import LiveSession
from microexp_tui.settings import CheckPrefs, Settings
from microexp_tui.study.consent import load_consent
from microexp_tui.study.montages import load_preset, montage_for_board
from microexp_tui.tui.app import make_app
from microexp_tui.tui.screens.calibration import CalibrationScreen
from microexp_tui.tui.screens.electrode import ElectrodeCheckScreen
from microexp_tui.tui.screens.home import HomeScreen
from tests.tui.helpers import FAST_PROTOCOL, HERE, wait_for

pytestmark = pytest.mark.slow

BUSY_SCENARIO = HERE / "busy.toml"


def check_settings() -> Settings:
    """The shipped rest windows (5 s), shorter contractions to keep the test brief."""
    return Settings(
        checks=CheckPrefs(rest_s=5.0, contraction_s=1.5, calibration_rest_s=5.0, mvc_s=2.5),
        default_protocol=str(FAST_PROTOCOL),
        operator="tester",
        open_media=False,
    )


async def _first_check(db: Path, tmp_path: Path, seed: int) -> list[ElectrodeCheck]:
    """Run one electrode check and one calibration on a restless participant; the results."""
    args = ["--seed", str(seed), "--scenario", str(BUSY_SCENARIO)]
    app = make_app(db, settings=check_settings(), settings_path=tmp_path / "settings.toml")
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen), "Home")
            await app.workers.wait_for_complete()
            participant = app.store.create_participant(code=f"NEW-{seed}")
            visit = app.new_visit()
            visit.participant, visit.consent = participant, load_consent()
            visit.board = ConnectedBoard(BoardChoice("Simulated board", None, True), args)
            await asyncio.to_thread(visit.board.connect)
            visit.montage = montage_for_board(load_preset("seed8"), 8)
            options = RecordingOptions(participant_code=participant.code)
            visit.live = LiveSession(visit.board, db, options, visit.montage)
            await asyncio.to_thread(visit.live.start)
            app.goto_electrode_check()
            await wait_for(pilot, lambda: isinstance(app.screen, ElectrodeCheckScreen), "check")
            screen = app.screen
            assert isinstance(screen, ElectrodeCheckScreen)
            await pilot.press("space")
            await wait_for(pilot, lambda: bool(screen.checks), "graded electrodes")
            checks = list(screen.checks)
            if any(check.grade == "red" for check in checks):
                return checks
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, CalibrationScreen), "calibration")
            calibration = app.screen
            assert isinstance(calibration, CalibrationScreen)
            await pilot.press("space")
            await wait_for(pilot, lambda: calibration.calibration is not None, "calibration")
            assert calibration.calibration is not None
            assert all(calibration.calibration.usable), calibration.calibration
            return checks
    finally:
        app.shutdown()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_first_check_passes_on_a_restless_simulated_participant(
    tmp_path: Path, seed: int
) -> None:
    checks = asyncio.run(_first_check(tmp_path / "s.sqlite", tmp_path, seed))
    assert len(checks) == 8
    red = {check.channel_index + 1: check.reasons for check in checks if check.grade == "red"}
    assert red == {}
