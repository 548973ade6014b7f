"""Labelled events: kinds, optional codes, conditions, sanitised labels, older markers upgraded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from microexp_tui.domain.markers import (
    MARKER_OPERATOR_BASE,
    MARKER_REST_ONSET,
    MARKER_STIMULUS_OFFSET,
    MARKER_TRIGGER_INPUT,
    MAX_LABEL_CHARS,
    clean_label,
    code_meaning,
    stimulus_onset_code,
)
from microexp_tui.domain.recording import Batch, MarkerRecord
from microexp_tui.errors import InputError
from microexp_tui.store.sessions import SessionStore
from tests.store import database_at_version, start_recording

EVENTS_VERSION = 11
"""The migration that gave events a kind and a condition."""


def test_events_of_every_kind_round_trip_with_their_conditions(tmp_path: Path) -> None:
    events: list[MarkerRecord | tuple[Any, ...]] = [
        MarkerRecord(5, None, "lsl", "go cue", 1.25, "external", "congruent"),
        MarkerRecord(7, None, "video", None, None, "stimulus", "neutral"),
        MarkerRecord(9, 42, "lab-b", "trial_type=3", None, "trigger", None),
        MarkerRecord(11, None, "operator app", "note", None, "marker", None),
    ]
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = start_recording(store)
        store.write_batch(session_id, Batch(markers=events))
    with SessionStore.open(tmp_path / "s.db") as store:
        assert store.markers(session_id) == events


@pytest.mark.parametrize(
    ("code", "meaning"),
    [
        (stimulus_onset_code("fear"), ("stimulus", "fear")),
        (MARKER_REST_ONSET, ("stimulus", "rest")),
        (MARKER_STIMULUS_OFFSET, ("stimulus", None)),
        (MARKER_TRIGGER_INPUT, ("trigger", None)),
        (MARKER_OPERATOR_BASE + 2, ("marker", None)),
    ],
)
def test_product_codes_map_to_a_kind_and_condition(
    tmp_path: Path, code: int, meaning: tuple[str, str | None]
) -> None:
    assert code_meaning(code) == meaning
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = start_recording(store)
        store.write_batch(session_id, Batch(markers=[(3, code, "protocol")]))
        (event,) = store.markers(session_id)
    assert (event.kind, event.condition) == meaning


def test_labels_and_conditions_from_outside_are_sanitised_before_storing(tmp_path: Path) -> None:
    hostile = "\x1b[2J\x1b]0;owned\x07Anna\u202e  said\n\thi\x00" + "x" * 300
    event = MarkerRecord(1, None, "lsl", hostile, None, "external", "\x1b[31mneutral\x1b[0m\r\n")
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = start_recording(store)
        store.write_batch(session_id, Batch(markers=[event]))
        (stored,) = store.markers(session_id)
    assert stored.label == ("Anna said hi" + "x" * 300)[:MAX_LABEL_CHARS]
    assert stored.condition == "neutral"
    assert len(stored.label) == MAX_LABEL_CHARS and stored.label.isprintable()


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("plain", "plain"),
        ("  two   spaces\u00a0and nbsp ", "two spaces and nbsp"),
        ("\x1b[1;31mbold red\x1b[0m", "bold red"),
        ("title\x1b]2;evil\x1b\\ after", "title after"),
        ("\x9b2Jcleared", "cleared"),
        ("caf\u00e9 \u6f22\u5b57", "caf\u00e9 \u6f22\u5b57"),
        ("\x00\x07\x1b", None),
        ("", None),
        (None, None),
    ],
)
def test_clean_label_keeps_printable_text_only(text: str | None, cleaned: str | None) -> None:
    assert clean_label(text) == cleaned


def test_an_event_needs_a_known_kind_or_a_code(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = start_recording(store)
        with pytest.raises(InputError, match="kind None"):
            store.write_batch(session_id, Batch(markers=[(1, None, "lsl", "cue")]))
        with pytest.raises(InputError, match="kind 'stimuli'"):
            store.write_batch(session_id, Batch(markers=[(1, None, "lsl", None, None, "stimuli")]))
        assert store.markers(session_id) == []


def test_older_markers_gain_kinds_and_conditions(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    session_id = database_at_version(path, EVENTS_VERSION - 1)
    with SessionStore.open(path) as store:
        (event,) = store.markers(session_id)
    assert event == MarkerRecord(250, 0x0101, "host", None, None, "stimulus", "happy")
