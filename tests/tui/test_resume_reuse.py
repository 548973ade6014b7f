"""Resuming within a visit reuses the recent consent, electrode check and calibration, saying
how old they are; older or failed steps are asked again (real SQLite, real app)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from microexp_tui.domain.calibration import ChannelCalibration
from microexp_tui.domain.electrodes import ElectrodeCheck
from microexp_tui.domain.sessions import ProtocolProgress, SessionSetup
from microexp_tui.session_flow.reuse import reusable_setup, store_reused
from microexp_tui.settings import CheckPrefs
from microexp_tui.store.sessions import SessionStore
from microexp_tui.study.consent import load_consent
from microexp_tui.study.montages import load_preset, montage_for_board
from microexp_tui.tui.app import make_app
from microexp_tui.tui.screens.calibration import CalibrationScreen
from microexp_tui.tui.screens.device import DeviceScreen
from microexp_tui.tui.screens.electrode import ElectrodeCheckScreen
from microexp_tui.tui.screens.home import HomeScreen
from microexp_tui.tui.screens.recording import RecordingScreen
from microexp_tui.tui.widgets.panels import InstructionPanel
from tests.tui.helpers import FAST_PROTOCOL, fast_settings, sim_args, wait_for

CHANNELS = 4
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _ago(minutes: float, now: datetime = NOW) -> str:
    """A store timestamp `minutes` before `now`."""
    return (now - timedelta(minutes=minutes)).isoformat(timespec="milliseconds")


def _interrupted(store: SessionStore, now: datetime = NOW, red: bool = False) -> int:
    """An interrupted session whose consent, check and calibration were made 15, 12, 10 min
    before `now`."""
    participant = store.create_participant(code="P-RESUME")
    montage = montage_for_board(load_preset("seed8"), CHANNELS)
    session_id = store.start_session(
        participant.id,
        sample_rate_hz=500,
        channels=montage,
        device={"board_name": "test"},
        simulated=True,
        protocol=str(FAST_PROTOCOL),
    )
    store.finish_session(session_id, "interrupted")
    store.set_progress(session_id, ProtocolProgress("fast", 3, 1, 0, "paused"))
    consent = load_consent()
    setup = SessionSetup(
        session_id, consent_sha256=consent.sha256, consent_confirmed_at=_ago(15, now)
    )
    store.save_setup(setup)
    checks = [
        ElectrodeCheck(ch, "green", 30.0, 4.0, 0.02, 0.0, False, 250.0, True, "", 0, 500)
        for ch in range(CHANNELS)
    ]
    if red:
        checks[1] = ElectrodeCheck(1, "red", 0, 0, 0, 0, True, 0, False, "flat line", 0, 500)
    store.save_electrode_checks(session_id, checks, "tester", _ago(12, now))
    rows = [
        ChannelCalibration(ch, 30.0, 3.0, 400.0, True, 0, 500, 600, 1600) for ch in range(CHANNELS)
    ]
    store.save_calibration(session_id, rows, "tester", _ago(10, now))
    return session_id


def test_recent_steps_are_reused_with_their_age(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.sqlite") as store:
        session_id = _interrupted(store)
        sha = load_consent().sha256
        reuse = reusable_setup(store, session_id, sha, CHANNELS, 60.0, NOW)
        assert [step.describe(NOW) for step in reuse.steps()] == [
            "consent from 15 min ago reused",
            "electrode check from 12 min ago reused",
            "calibration from 10 min ago reused",
        ]
        assert len(reuse.checks) == CHANNELS and reuse.calibration is not None
        # Older than the setting: asked again.
        assert reusable_setup(store, session_id, sha, CHANNELS, 11.0, NOW).steps()[-1].what == (
            "calibration"
        )
        assert reusable_setup(store, session_id, sha, CHANNELS, 5.0, NOW).steps() == []
        assert reusable_setup(store, session_id, sha, CHANNELS, 0.0, NOW).steps() == []
        # Another consent text, another montage size: those steps are asked again.
        other = reusable_setup(store, session_id, "0" * 64, CHANNELS + 1, 60.0, NOW)
        assert other.steps() == []


def test_a_check_with_a_red_channel_is_not_reused(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.sqlite") as store:
        session_id = _interrupted(store, red=True)
        reuse = reusable_setup(store, session_id, load_consent().sha256, CHANNELS, 60.0, NOW)
        assert [step.what for step in reuse.steps()] == ["consent", "calibration"]


def test_reused_steps_keep_their_time_in_the_new_session(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.sqlite") as store:
        now = datetime.now(UTC)
        old = _interrupted(store, now)
        reuse = reusable_setup(store, old, load_consent().sha256, CHANNELS, 60.0, now)
        record = store.session(old)
        new = store.start_session(
            record.participant_id,
            sample_rate_hz=500,
            channels=record.channels,
            device={"board_name": "test"},
            simulated=True,
        )
        store_reused(store, new, reuse, "tester")
        assert store.setup_times(new) == store.setup_times(old)
        assert store.electrode_checks(new) == store.electrode_checks(old)
        assert store.calibration(new) == store.calibration(old)
        entry = [e for e in store.audit_entries(new) if e["action"] == "setup.reused"]
        assert len(entry) == 1
        detail = json.loads(entry[0]["detail"])
        assert detail == {
            "from_session": old,
            "consent": 15.0,
            "electrode check": 12.0,
            "calibration": 10.0,
        }


@pytest.mark.slow
def test_resuming_in_the_app_skips_what_is_reused_and_says_so(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    with SessionStore.open(db) as store:
        old = _interrupted(store, datetime.now(UTC))
    settings = fast_settings()
    settings.checks = CheckPrefs(
        rest_s=1.0, contraction_s=2.0, calibration_rest_s=1.0, mvc_s=2.0, reuse_max_age_min=30
    )

    async def run() -> int:
        app = make_app(
            db,
            settings=settings,
            settings_path=tmp_path / "settings.toml",
            simulate=True,
            sim_args=sim_args(),
        )
        try:
            async with app.run_test(size=(100, 30)) as pilot:
                await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen), "Home")
                home = app.screen
                await wait_for(
                    pilot, lambda: home.query_one("#sessions", DataTable).row_count > 0, "rows"
                )
                await pilot.press("r")
                # Consent is reused: straight to the Board screen.
                await wait_for(pilot, lambda: isinstance(app.screen, DeviceScreen), "Device")
                device = app.screen
                assert isinstance(device, DeviceScreen)
                await wait_for(pilot, lambda: device.identity is not None, "board identity")
                await pilot.press("ctrl+s")
                await wait_for(pilot, lambda: isinstance(app.screen, ElectrodeCheckScreen), "check")
                check = app.screen
                assert isinstance(check, ElectrodeCheckScreen)
                panel = check.query_one(InstructionPanel)
                assert "FROM 12 MIN AGO REUSED" in str(
                    panel.query_one("#instruction-text", Static).content
                )
                assert len(check.checks) == CHANNELS
                await pilot.press("ctrl+s")
                await wait_for(pilot, lambda: isinstance(app.screen, CalibrationScreen), "calib")
                calibration = app.screen
                assert isinstance(calibration, CalibrationScreen)
                text = str(
                    calibration.query_one(InstructionPanel)
                    .query_one("#instruction-text", Static)
                    .content
                )
                assert "CALIBRATION FROM 10 MIN AGO REUSED" in text
                await pilot.press("ctrl+s")
                await wait_for(pilot, lambda: isinstance(app.screen, RecordingScreen), "recording")
                live = app.visit.live
                assert live is not None and live.session_id is not None
                return live.session_id
        finally:
            app.shutdown()

    new = asyncio.run(run())
    with SessionStore.open(db) as store:
        setup = store.setup(new)
        assert setup is not None and setup.resumed_from_session_id == old
        assert len(store.electrode_checks(new)) == CHANNELS
        assert len(store.calibration(new)) == CHANNELS
        actions = [e["action"] for e in store.audit_entries(new)]
        assert "setup.reused" in actions
