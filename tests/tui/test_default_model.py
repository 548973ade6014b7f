"""The default live model in the operator app: on the simulated board's 8 seed channels at
1000 Hz the shipped window CNN classifies during the recording and its predictions reach the
review and the report's figures; on 4 channels it is left out, and the recording says why."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from microexp_tui.report.gather import session_figures
from microexp_tui.store.sessions import SessionStore
from microexp_tui.tui.app import MicroexpApp, make_app
from microexp_tui.tui.screens.calibration import CalibrationScreen
from microexp_tui.tui.screens.device import DeviceScreen
from microexp_tui.tui.screens.recording import RecordingScreen
from microexp_tui.tui.screens.review import ReviewScreen
from tests.tui.helpers import fast_settings, sim_args, wait_for
from tests.tui.test_flow import _electrode_check, _participant_and_consent

pytestmark = pytest.mark.slow


async def _to_recording(app: MicroexpApp, pilot) -> RecordingScreen:  # type: ignore[no-untyped-def]
    """New participant, device, check and calibration by keys; returns the recording screen."""
    await _participant_and_consent(app, pilot)
    await wait_for(pilot, lambda: isinstance(app.screen, DeviceScreen), "Device")
    device = app.screen
    assert isinstance(device, DeviceScreen)
    await wait_for(pilot, lambda: device.identity is not None, "board identity")
    await pilot.press("ctrl+s")
    await _electrode_check(app, pilot)
    await wait_for(pilot, lambda: isinstance(app.screen, CalibrationScreen), "calibration")
    calibration = app.screen
    assert isinstance(calibration, CalibrationScreen)
    await pilot.press("space")
    await wait_for(pilot, lambda: calibration.calibration is not None, "calibration saved")
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: isinstance(app.screen, RecordingScreen), "recording")
    screen = app.screen
    assert isinstance(screen, RecordingScreen)
    return screen


async def _drive(db: Path, tmp_path: Path, channels: int) -> tuple[int, str, list[str]]:
    """A whole session with the default settings' model; (session id, the emotion panel's
    text during the protocol, the notices shown)."""
    settings = fast_settings()
    assert settings.model == "cnn_window", "the test runs the default"
    app = make_app(
        db,
        settings=settings,
        settings_path=tmp_path / "settings.toml",
        simulate=True,
        sim_args=sim_args(channels=channels, rate_hz=1000),
    )
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await _to_recording(app, pilot)
            await pilot.press("space")
            live = app.visit.live
            assert live is not None
            if channels == 8:
                await wait_for(pilot, lambda: live.view(1.0).prediction is not None, "prediction")
            else:
                await wait_for(pilot, lambda: screen.model_problem_told, "the model notice")
            await pilot.pause(0.2)
            panel = str(screen.query_one("#probs").render())
            notices = [n.message for n in app._notifications]
            await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen), "review")
            review = app.screen
            assert isinstance(review, ReviewScreen)
            await wait_for(pilot, lambda: review.review is not None, "review loaded")
            await app.workers.wait_for_complete()
            await pilot.pause(0.2)  # let the review's header settle before the app closes
            return review.session_id, panel, notices
    finally:
        app.shutdown()


def test_the_default_model_classifies_live_and_fills_the_review(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    session_id, panel, notices = asyncio.run(_drive(db, tmp_path, channels=8))
    assert "model not loaded" not in panel and "%" in panel, panel
    assert not any("Live emotions off" in notice for notice in notices)
    with SessionStore.open(db) as store:
        [run] = store.prediction_runs(session_id)
        assert run.model_id.startswith("cnn-window") and run.kind == "live"
        assert len(store.predictions(session_id, run.model_id)) > 10
        figures = session_figures(store, session_id)
    assert figures.outcomes and any(o.predicted is not None for o in figures.outcomes)


def test_a_default_model_that_does_not_fit_is_off_and_the_recording_says_why(
    tmp_path: Path,
) -> None:
    db = tmp_path / "s.sqlite"
    session_id, panel, notices = asyncio.run(_drive(db, tmp_path, channels=4))
    assert "model not loaded" in panel and "expects 8 channels" in panel.replace("\n", " ")
    assert any("Live emotions off" in n and "expects 8 channels" in n for n in notices)
    with SessionStore.open(db) as store:
        assert store.prediction_runs(session_id) == []
        assert store.session(session_id).status == "completed"
