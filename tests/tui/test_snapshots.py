"""Every screen and dialog at 80x24 and 120x40 on seeded data (pytest-textual-snapshot;
`--snapshot-update` to accept)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.command import CommandList
from textual.pilot import Pilot
from textual.screen import Screen

from microexp_tui.device.protocol import BoardId, Identity, SensorKind
from microexp_tui.domain.calibration import Calibration
from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.export import ExportReport
from microexp_tui.export.kanon import k_anonymity
from microexp_tui.report.generate import ReportResult
from microexp_tui.session_flow.board import SIMULATED_LABEL, BoardChoice, ConnectedBoard
from microexp_tui.session_flow.frozen import FrozenFeed
from microexp_tui.session_flow.predictions import LivePrediction
from microexp_tui.settings import Settings
from microexp_tui.study.protocols import for_session, load_protocol
from microexp_tui.tui.app import MicroexpApp, make_app
from microexp_tui.tui.screens.calibration import CalibrationScreen
from microexp_tui.tui.screens.device import BoardConnected, DeviceScreen
from microexp_tui.tui.screens.dialogs import ConfirmDialog, ErrorDialog, ReasonDialog
from microexp_tui.tui.screens.electrode import ElectrodeCheckScreen
from microexp_tui.tui.screens.export_dialog import (
    ExportChoice,
    ExportDialog,
    ExportProgressDialog,
    ExportSummaryDialog,
)
from microexp_tui.tui.screens.montage_dialog import ChannelDialog
from microexp_tui.tui.screens.participant import ParticipantScreen
from microexp_tui.tui.screens.recording import RecordingScreen
from microexp_tui.tui.screens.report_dialog import (
    ReportChoice,
    ReportDialog,
    ReportProgressDialog,
    ReportSummaryDialog,
)
from microexp_tui.tui.screens.review import ReviewScreen
from microexp_tui.tui.screens.settings import SettingsScreen
from tests.tui.helpers import wait_for
from tests.tui.seed_data import RATE_HZ, Seeded, seed_database

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
FROZEN_AT_INDEX = RATE_HZ * 11
MEGA = BoardChoice(
    "/dev/ttyACM0 (Arduino Mega 2560): Arduino Mega 2560", "/dev/ttyACM0", False, True
)
MEGA_IDENTITY = Identity(
    protocol_version=1,
    firmware_version=(1, 0, 0),
    board_id=BoardId.MEGA2560,
    channel_count=8,
    sample_rate_hz=1000,
    adc_bits=10,
    adc_vref_mv=5000,
    sensor_kinds=(SensorKind.ENVELOPE,) * 8,
    board_name="Arduino Mega 2560 (microexp firmware)",
)
PREDICTION = LivePrediction(
    {
        "neutral": 0.12,
        "happy": 0.05,
        "surprise": 0.61,
        "disgust": 0.04,
        "sadness": 0.08,
        "fear": 0.07,
        "anger": 0.03,
    },
    sample_index=FROZEN_AT_INDEX,
)


@pytest.fixture(params=list(SIZES.values()), ids=list(SIZES))
def size(request: pytest.FixtureRequest) -> tuple[int, int]:
    """Every snapshot at the smallest supported terminal and at a common larger one."""
    return request.param


@pytest.fixture
def seeded_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[MicroexpApp, Seeded]]:
    """The app on the seeded database (run from its folder, so paths print short)."""
    monkeypatch.chdir(tmp_path)
    seeded = seed_database(tmp_path / "sessions.sqlite")
    app = make_app(tmp_path / "sessions.sqlite", settings=Settings(operator="snap"))
    yield app, seeded
    app.shutdown()


async def settle(pilot: Pilot[None]) -> None:
    """Wait until the workers have read their data and the screen shows it."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def settled(pilot: Pilot[None]) -> None:
    """Wait until no worker runs, including workers that finished ones started (Review reads
    the session, then computes its responses in a second worker)."""
    app = pilot.app
    for _ in range(20):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(worker.is_running for worker in app.workers):
            await pilot.pause()
            return


def with_screen(make: Callable[[MicroexpApp], Screen[None]]) -> Callable[[Pilot[None]], object]:
    """A run_before that opens a screen over Home once both have read their data."""

    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, MicroexpApp)
        await app.workers.wait_for_complete()
        await app.push_screen(make(app))
        await settled(pilot)

    return run_before


def frozen(app: MicroexpApp, session_id: int, **kwargs: object) -> FrozenFeed:
    """The completed seeded session frozen at 11 s."""
    return FrozenFeed(app.store, session_id, FROZEN_AT_INDEX, **kwargs)  # type: ignore[arg-type]


def test_home(snap_compare, seeded_app, size) -> None:  # type: ignore[no-untyped-def]
    app, _ = seeded_app
    assert snap_compare(app, terminal_size=size, run_before=settle)


def test_participant(snap_compare, seeded_app, size) -> None:  # type: ignore[no-untyped-def]
    app, _ = seeded_app
    screen = with_screen(lambda a: ParticipantScreen(code="P-SNAP01"))
    assert snap_compare(app, terminal_size=size, run_before=screen)


def test_device(snap_compare, seeded_app, size) -> None:  # type: ignore[no-untyped-def]
    app, _ = seeded_app

    def make(a: MicroexpApp) -> Screen[None]:
        return DeviceScreen(choices=[MEGA, BoardChoice(SIMULATED_LABEL, None, True)])

    async def run_before(pilot: Pilot[None]) -> None:
        await with_screen(make)(pilot)  # type: ignore[misc]
        pilot.app.screen.post_message(BoardConnected(ConnectedBoard(MEGA), MEGA_IDENTITY))
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_electrode_check(snap_compare, seeded_app, size) -> None:  # type: ignore[no-untyped-def]
    app, seeded = seeded_app

    def make(a: MicroexpApp) -> Screen[None]:
        feed = frozen(a, seeded.completed)
        return ElectrodeCheckScreen(feed, feed.montage, a.store.electrode_checks(seeded.completed))

    assert snap_compare(app, terminal_size=size, run_before=with_screen(make))


def test_calibration(snap_compare, seeded_app, size) -> None:  # type: ignore[no-untyped-def]
    app, seeded = seeded_app

    def make(a: MicroexpApp) -> Screen[None]:
        feed = frozen(a, seeded.completed)
        checks = a.store.electrode_checks(seeded.completed)
        calibration = Calibration(tuple(a.store.calibration(seeded.completed)))
        return CalibrationScreen(feed, feed.montage, checks, calibration)

    assert snap_compare(app, terminal_size=size, run_before=with_screen(make))


def test_recording_with_live_probabilities(snap_compare, seeded_app, size) -> None:  # type: ignore[no-untyped-def]
    app, seeded = seeded_app

    def make(a: MicroexpApp) -> Screen[None]:
        feed = frozen(a, seeded.completed, prediction=PREDICTION)
        calibration = Calibration(tuple(a.store.calibration(seeded.completed)))
        checks = a.store.electrode_checks(seeded.completed)
        return RecordingScreen(
            feed, feed.montage, for_session(load_protocol("demo"), 2026), 0, calibration, checks
        )

    async def run_before(pilot: Pilot[None]) -> None:
        await with_screen(make)(pilot)  # type: ignore[misc]
        await pilot.press("space")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_recording_without_a_model_and_board_lost(snap_compare, seeded_app, size) -> None:  # type: ignore[no-untyped-def]
    app, seeded = seeded_app

    def make(a: MicroexpApp) -> Screen[None]:
        a.settings = a.settings.model_copy(update={"model": "none"})  # live emotions off
        feed = frozen(a, seeded.completed, connected=False)
        return RecordingScreen(feed, feed.montage, for_session(load_protocol("demo"), 2026))

    assert snap_compare(app, terminal_size=size, run_before=with_screen(make))


def test_review(snap_compare, seeded_app, size) -> None:  # type: ignore[no-untyped-def]
    app, seeded = seeded_app
    screen = with_screen(lambda a: ReviewScreen(seeded.completed))
    assert snap_compare(app, terminal_size=size, run_before=screen)


def test_settings(snap_compare, seeded_app, size) -> None:  # type: ignore[no-untyped-def]
    app, _ = seeded_app
    assert snap_compare(app, terminal_size=size, run_before=with_screen(lambda a: SettingsScreen()))


def test_help(snap_compare, seeded_app, size) -> None:  # type: ignore[no-untyped-def]
    app, _ = seeded_app

    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.app.workers.wait_for_complete()
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def over_review(make: Callable[[MicroexpApp, Seeded], Screen[Any]], seeded: Seeded):  # type: ignore[no-untyped-def]
    """A run_before that opens Review of the completed session, then a dialog over it."""

    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, MicroexpApp)
        await with_screen(lambda a: ReviewScreen(seeded.completed))(pilot)  # type: ignore[misc]
        await app.push_screen(make(app, seeded))
        await pilot.pause()

    return run_before


def export_report(out_dir: Path) -> ExportReport:
    """A finished export with a k-anonymity warning and a new site secret (a long summary)."""
    kanon = k_anonymity([("30-39", "female", "right")], k=5)
    return ExportReport(
        out_dir=out_dir,
        fmt="bids",
        sessions=[{"session_id": 1, "exported_as": "sub-7f3a2c"}],
        files=14,
        bytes=2_345_678,
        elapsed_s=1.4,
        manifest_sha256="0" * 64,
        kanon=kanon,
        secret_path=out_dir.parent / "site-secret",
        secret_created=True,
        warnings=kanon.warnings(),
    )


def test_export_dialog(snap_compare, seeded_app, size) -> None:  # type: ignore[no-untyped-def]
    app, seeded = seeded_app
    run_before = over_review(lambda a, s: ExportDialog(s.completed, Path("data")), seeded)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_export_progress(snap_compare, seeded_app, size) -> None:  # type: ignore[no-untyped-def]
    app, seeded = seeded_app
    choice = ExportChoice("bids", Path("data/exports/session-1-bids"))

    def make(a: MicroexpApp, s: Seeded) -> Screen[Any]:
        return ExportProgressDialog(choice, threading.Event())

    async def run_before(pilot: Pilot[None]) -> None:
        await over_review(make, seeded)(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ExportProgressDialog)
        dialog.show_progress(2, 5, "writing the EDF+ file")  # a bar that stands still
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_export_summary(snap_compare, seeded_app, size) -> None:  # type: ignore[no-untyped-def]
    app, seeded = seeded_app
    report = export_report(Path("data/exports/session-1-bids"))
    run_before = over_review(lambda a, s: ExportSummaryDialog(report), seeded)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_report_dialog(snap_compare, seeded_app, size) -> None:  # type: ignore[no-untyped-def]
    app, seeded = seeded_app
    run_before = over_review(lambda a, s: ReportDialog(s.completed, Path("data")), seeded)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_report_progress(snap_compare, seeded_app, size) -> None:  # type: ignore[no-untyped-def]
    app, seeded = seeded_app
    choice = ReportChoice(Path("data/reports/session-1.pdf"), "default", "A4")

    async def run_before(pilot: Pilot[None]) -> None:
        await over_review(lambda a, s: ReportProgressDialog(choice), seeded)(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ReportProgressDialog)
        dialog.show_progress(1, 4, "drawing the figures")  # a bar that stands still
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_report_summary(snap_compare, seeded_app, size) -> None:  # type: ignore[no-untyped-def]
    app, seeded = seeded_app
    result = ReportResult(
        Path("data/reports/session-1.pdf"), 4, 182_000, "0" * 64, 1.2, "default", "A4", 1
    )
    run_before = over_review(lambda a, s: ReportSummaryDialog(result), seeded)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_confirm_abort(snap_compare, seeded_app, size) -> None:  # type: ignore[no-untyped-def]
    app, seeded = seeded_app

    def make(a: MicroexpApp) -> Screen[None]:
        feed = frozen(a, seeded.completed)
        return RecordingScreen(feed, feed.montage, for_session(load_protocol("demo"), 2026))

    async def run_before(pilot: Pilot[None]) -> None:
        await with_screen(make)(pilot)  # type: ignore[misc]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmDialog)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_override_reason(snap_compare, seeded_app, size) -> None:  # type: ignore[no-untyped-def]
    app, _ = seeded_app
    question = "Use channel 6 (red: flat line) anyway?"

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.app.push_screen(ReasonDialog(question))
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_error_dialog(snap_compare, seeded_app, size) -> None:  # type: ignore[no-untyped-def]
    app, _ = seeded_app
    message = (
        "Channels 2, 7 are red. Fix the electrodes and redo the check (space), or override "
        "each of them with a reason (o)."
    )

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.app.push_screen(ErrorDialog("Red channels", message))
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_channel_dialog(snap_compare, seeded_app, size) -> None:  # type: ignore[no-untyped-def]
    app, _ = seeded_app

    def make(a: MicroexpApp) -> Screen[None]:
        return DeviceScreen(choices=[MEGA, BoardChoice(SIMULATED_LABEL, None, True)])

    async def run_before(pilot: Pilot[None]) -> None:
        await with_screen(make)(pilot)  # type: ignore[misc]
        spec = ChannelSpec(0, "EMG1", "Zygomaticus major", "envelope", ("AU12",))
        await pilot.app.push_screen(ChannelDialog(spec))
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


HOME_COMMANDS = 9
"""Home's keys and the app's (help, quit), one palette entry each."""


def palette_options(app: App[Any]) -> int:
    """How many commands the open palette lists (0 until it shows them)."""
    lists = app.screen.query(CommandList)
    return lists.first().option_count if lists else 0


def test_command_palette(snap_compare, seeded_app, size) -> None:  # type: ignore[no-untyped-def]
    app, _ = seeded_app

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: palette_options(pilot.app) >= HOME_COMMANDS, "commands")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
