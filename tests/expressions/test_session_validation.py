"""Validating a stored session: alignment by sync marker or offset, stored report, clear errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from microexp_tui.analysis.au_validation import AuAlignmentRequest, validate_session_aus
from microexp_tui.domain.markers import MARKER_TRIGGER_INPUT
from microexp_tui.domain.muscles import SEED_MONTAGE
from microexp_tui.domain.recording import Batch, MarkerRecord
from microexp_tui.errors import InputError
from microexp_tui.simulator.au_csv import plan_au_events, write_openface_csv
from microexp_tui.store.sessions import SessionStore
from tests.expressions.test_validation import as_detected, many_expressions
from tests.store import one_second, start_recording

VIDEO_START_S = 4.0
"""Session time of the video's first frame; the trigger marker is sent at that moment."""


@pytest.fixture
def session(tmp_path: Path) -> Iterator[tuple[SessionStore, int, Path]]:
    """A stored session with detected expressions, a trigger marker and the video's AU file."""
    scripted = many_expressions(16)
    store = SessionStore.open(tmp_path / "s.db")
    session_id = start_recording(store)
    seconds = int(scripted[-1].onset_s + scripted[-1].duration_s + 3)
    for second in range(seconds):
        store.write_batch(session_id, one_second(second * 1000))
    trigger = MarkerRecord(int(VIDEO_START_S * 1000), MARKER_TRIGGER_INPUT, "board")
    store.write_batch(session_id, Batch(markers=[trigger]))
    store.save_expressions(session_id, as_detected(scripted), "offline")
    plan = plan_au_events(
        scripted,
        SEED_MONTAGE,
        duration_s=seconds - VIDEO_START_S,
        video_start_s=VIDEO_START_S,
        miss_probability=0.0,
        extras_per_min=0,
    )
    au_path = tmp_path / "video_openface.csv"
    write_openface_csv(plan, au_path)
    yield store, session_id, au_path
    store.close()


def test_sync_marker_alignment_validates_every_planted_event(
    session: tuple[SessionStore, int, Path],
) -> None:
    store, session_id, au_path = session
    report = validate_session_aus(store, session_id, au_path)
    assert report.offset_s == pytest.approx(VIDEO_START_S)
    assert "0x0400" in report.alignment
    assert report.overall.recall == pytest.approx(1.0)
    assert report.overall.precision == pytest.approx(1.0)
    assert store.latest_validation(session_id) == report


def test_a_wrong_explicit_offset_scores_no_match(session: tuple[SessionStore, int, Path]) -> None:
    store, session_id, au_path = session
    report = validate_session_aus(store, session_id, au_path, AuAlignmentRequest(offset_s=0.0))
    assert report.overall.matched == 0
    assert report.alignment == "explicit offset +0.000 s"


def test_missing_sync_marker_says_how_to_align(session: tuple[SessionStore, int, Path]) -> None:
    store, session_id, au_path = session
    with pytest.raises(InputError, match="--offset-s SECONDS"):
        validate_session_aus(store, session_id, au_path, AuAlignmentRequest(sync_code=0x1009))
    assert store.latest_validation(session_id) is None


def test_non_positive_tolerance_is_refused(session: tuple[SessionStore, int, Path]) -> None:
    store, session_id, au_path = session
    with pytest.raises(InputError, match="positive number of milliseconds"):
        validate_session_aus(store, session_id, au_path, tolerance_ms=0)
