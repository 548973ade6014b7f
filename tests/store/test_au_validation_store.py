"""Stored AU validations (migration 6): round trip, latest first, audit entry, unknown session."""

from __future__ import annotations

from pathlib import Path

import pytest

from microexp_tui.domain.expressions import AuScore, ConfirmedMicroExpression, ValidationReport
from microexp_tui.errors import StoreError
from microexp_tui.store import schema
from microexp_tui.store.sessions import SessionStore
from tests.store import database_at_version, start_recording


def _report(f1: float, offset_s: float = 1.5) -> ValidationReport:
    """A validation report with one scored AU and one confirmed micro-expression."""
    score = AuScore("AU12", 10, 9, 8, 0.8, 8 / 9, f1, 12.5)
    return ValidationReport(
        au_file="/data/p01_openface.csv",
        au_file_sha256="ab" * 32,
        offset_s=offset_s,
        alignment=f"explicit offset {offset_s:+.3f} s",
        tolerance_ms=200.0,
        overall=score,
        per_action_unit=(score,),
        confirmed_micro=(ConfirmedMicroExpression(2.0, 40.0, ("AU6", "AU12"), "happy", 10.0),),
        covered_s=(1.5, 60.0),
        ignored_action_units=("AU25",),
    )


def test_round_trip_keeps_every_run_and_returns_the_latest(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = start_recording(store)
        assert store.latest_validation(session_id) is None
        store.save_validation(session_id, _report(0.5), "offline")
        store.save_validation(session_id, _report(0.9, offset_s=2.0), "live", actor="rev")
        assert store.latest_validation(session_id) == _report(0.9, offset_s=2.0)
        assert store.validation_count(session_id) == 2
        entries = [
            e for e in store.audit_entries(session_id) if e["action"] == "au_validation.save"
        ]
        assert len(entries) == 2 and entries[-1]["actor"] == "rev"
        assert store.verify_audit_chain() is None


def test_unknown_session_is_refused_by_id(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store, pytest.raises(StoreError, match="99"):
        store.save_validation(99, _report(0.5), "offline")


def test_version_5_database_migrates_to_6(tmp_path: Path) -> None:
    path = tmp_path / "v5.db"
    session_id = database_at_version(path, 5)
    with SessionStore.open(path) as store:
        assert schema.current_version(store.db) == schema.SCHEMA_VERSION
        assert "au_validations" in store.db.table_names()
        store.save_validation(session_id, _report(0.7), "offline")
        assert store.latest_validation(session_id) is not None
