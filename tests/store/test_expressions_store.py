"""Stored expressions: migration 5 from version 4, round trip, live appends, offline replaces."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from microexp_tui.domain.expressions import Activation, Expression
from microexp_tui.errors import InputError, StoreError
from microexp_tui.store import schema
from microexp_tui.store.sessions import SessionStore
from tests.store import database_at_version, start_recording


def _expression(onset: int, duration: int, units: tuple[str, ...] = ("AU6", "AU12")) -> Expression:
    """An expression of two channels with made-up but valid indexes."""
    first = Activation(0, onset, onset + duration, onset + duration // 2, 300.0, 42.5)
    second = Activation(7, onset + 5, onset + duration - 3, onset + duration // 2 + 1, 250.0, None)
    return Expression(
        rate_hz=1000.0,
        onset_index=onset,
        offset_index=onset + duration,
        apex_index=onset + duration // 2,
        activations=(first, second),
        action_units=units,
        kind="micro" if duration <= 500 else "macro",
        emotion="happy",
        confidence=0.8,
        emotion_source="action_units",
    )


def test_version_4_database_migrates_to_5_and_keeps_its_sessions(tmp_path: Path) -> None:
    path = tmp_path / "v4.db"
    session_id = database_at_version(path, 4)  # as the release before expressions left it
    with SessionStore.open(path) as store:
        assert schema.current_version(store.db) == schema.SCHEMA_VERSION
        assert store.session(session_id).samples_per_channel == 1000
        assert store.expressions(session_id) == []
        store.save_expressions(session_id, [_expression(100, 200)], "live")
        assert len(store.expressions(session_id)) == 1


def test_round_trip_live_appends_and_offline_replaces_and_is_preferred(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = start_recording(store)
        first, second = _expression(100, 200), _expression(2000, 900, ("AU1", "AU2", "AU4"))
        store.save_expressions(session_id, [first], "live", {"version": 1})
        store.save_expressions(session_id, [second], "live", {"version": 1})
        assert store.expressions(session_id) == [first, second]
        offline = [_expression(105, 190), _expression(5000, 300)]
        store.save_expressions(session_id, offline, "offline", {"on_fraction": 0.1})
        store.save_expressions(session_id, offline[:1], "offline", {"on_fraction": 0.2})
        assert store.expressions(session_id) == offline[:1]
        assert store.expressions(session_id, "live") == [first, second]
        runs = {run.source: run for run in store.expression_runs(session_id)}
        assert runs["offline"].detector == {"on_fraction": 0.2}
        assert (runs["live"].expressions, runs["offline"].expressions) == (2, 1)
        saves = [e for e in store.audit_entries(session_id) if e["action"] == "expressions.save"]
        assert len(saves) == 4 and '"replaced":2' in saves[-1]["detail"]
        assert store.verify_audit_chain() is None


def test_invalid_input_and_unknown_session_are_refused(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = start_recording(store)
        with pytest.raises(InputError, match="source"):
            store.save_expressions(session_id, [], "video")
        bad = replace(_expression(100, 200), apex_index=400)
        with pytest.raises(InputError, match="onset <= apex < offset"):
            store.save_expressions(session_id, [bad], "offline")
        with pytest.raises(StoreError, match="Session 99 does not exist"):
            store.expressions(99)
        assert store.expression_runs(session_id) == []
