"""The board is lost mid-protocol: banner, automatic reconnect, gap recorded, session completes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from microexp_tui.acquisition.recorder import RecordingOptions
from microexp_tui.domain.markers import (
    MARKER_PAUSE,
    MARKER_RESUME,
    MARKER_STIMULUS_OFFSET,
    emotion_of_marker,
)
from microexp_tui.session_flow.board import BoardChoice, ConnectedBoard
from microexp_tui.session_flow.live import LiveSession
from microexp_tui.simulator.process import start_simulator_process
from microexp_tui.store.sessions import SessionStore
from microexp_tui.study.consent import load_consent
from microexp_tui.study.montages import load_preset, montage_for_board
from microexp_tui.study.protocols import load_protocol
from microexp_tui.tui.app import make_app
from microexp_tui.tui.screens.home import HomeScreen
from microexp_tui.tui.screens.recording import RecordingScreen
from microexp_tui.tui.screens.review import ReviewScreen
from microexp_tui.tui.widgets.panels import LinkBanner
from tests.tui.helpers import FAST_PROTOCOL, WAIT_LIMIT_S, fast_settings, sim_args, wait_for

pytestmark = pytest.mark.slow

FAULT = "disconnect@2.5:1.5"


async def _record_through_a_disconnect(db: Path, link: Path) -> tuple[int, bool]:
    """Start the recording on the faulty board and run the protocol; returns (id, banner seen)."""
    app = make_app(db, settings=fast_settings(), port=str(link))
    banner_seen = False
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen), "Home")
            await app.workers.wait_for_complete()
            participant = app.store.create_participant(code="LOSS-1")
            visit = app.new_visit()
            visit.participant, visit.consent = participant, load_consent()
            visit.protocol = load_protocol(str(FAST_PROTOCOL))
            visit.board = ConnectedBoard(BoardChoice("faulty board", str(link)))
            visit.montage = montage_for_board(load_preset("seed8"), 4)
            options = RecordingOptions(participant_code=participant.code)
            visit.live = LiveSession(visit.board, db, options, visit.montage)
            await asyncio.to_thread(visit.live.start)
            await app.push_screen(app.recording_screen())
            await wait_for(pilot, lambda: isinstance(app.screen, RecordingScreen), "recording")
            await pilot.press("space")
            for _ in range(int(WAIT_LIMIT_S / 0.05)):
                if isinstance(app.screen, ReviewScreen):
                    break
                banners = app.screen.query(LinkBanner)
                banner_seen = banner_seen or any(b.has_class("-shown") for b in banners)
                await pilot.pause(0.05)
            screen = app.screen
            assert isinstance(screen, ReviewScreen), "the session never reached its review"
            session_id = screen.session_id
            await wait_for(pilot, lambda: screen.review is not None, "review loaded")
            await pilot.pause()
            return session_id, banner_seen
    finally:
        app.shutdown()


def test_lost_board_shows_a_banner_reconnects_and_the_session_completes(tmp_path: Path) -> None:
    link = tmp_path / "board"
    db = tmp_path / "s.sqlite"
    with start_simulator_process(sim_args(extra=("--link", str(link), "--fault", FAULT))):
        session_id, banner_seen = asyncio.run(_record_through_a_disconnect(db, link))
    assert banner_seen
    with SessionStore.open(db) as store:
        record = store.session(session_id)
        assert record.status == "completed"
        assert record.counters["reconnects"] >= 1
        assert store.gaps(session_id), "the disconnection must be recorded as a gap"
        markers = store.markers(session_id)
        onsets = [m for m in markers if emotion_of_marker(m.code)]
        offsets = [m for m in markers if m.code == MARKER_STIMULUS_OFFSET]
        assert {emotion_of_marker(m.code) for m in onsets} == {"happy", "surprise"}
        assert len(offsets) == len(onsets), "every onset, even an interrupted one, has an offset"
        progress = store.protocol_progress()[session_id]
        assert progress.state == "completed"
        # The automatic pause and resume are markers: the pause before the gap, on the host
        # side (the board was gone), the resume after it.
        gap = store.gaps(session_id)[0]
        pauses = [m for m in markers if m.code == MARKER_PAUSE]
        resumes = [m for m in markers if m.code == MARKER_RESUME]
        assert len(pauses) == len(resumes) == 1
        assert pauses[0].source == "host"
        assert pauses[0].sample_index <= gap.first_missing_index
        assert resumes[0].sample_index >= gap.first_missing_index + gap.n_lost
