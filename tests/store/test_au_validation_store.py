"""Stored AU validations (migration 6): round trip, latest first, audit entry, unknown session."""

from __future__ import annotations

from pathlib import Path

import pytest

from microexp_tui.domain.expressions import AuScore, ConfirmedMicroExpression, ValidationReport
from microexp_tui.errors import StoreError
from microexp_tui.store import SessionStore, schema
from microexp_tui.store import au_validation as stored
from microexp_tui.store.database import connect
from tests.store import one_second, start_recording


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
        assert stored.latest_validation(store, session_id) is None
        stored.save_validation(store, session_id, _report(0.5), "offline")
        stored.save_validation(store, session_id, _report(0.9, offset_s=2.0), "live", actor="rev")
        assert stored.latest_validation(store, session_id) == _report(0.9, offset_s=2.0)
        assert stored.validation_count(store, session_id) == 2
        entries = [
            e for e in store.audit_entries(session_id) if e["action"] == "au_validation.save"
        ]
        assert len(entries) == 2 and entries[-1]["actor"] == "rev"
        assert store.verify_audit_chain() is None


def test_unknown_session_is_refused_by_id(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store, pytest.raises(StoreError, match="99"):
        stored.save_validation(store, 99, _report(0.5), "offline")


def test_version_5_database_migrates_to_6(tmp_path: Path) -> None:
    path = tmp_path / "v5.db"
    with SessionStore.open(path) as store:
        session_id = start_recording(store)
        store.write_batch(session_id, one_second(0))
    db = connect(path)
    db.executescript("DROP TABLE au_validations; DELETE FROM schema_version WHERE version = 6;")
    assert schema.current_version(db) == 5
    db.close()
    with SessionStore.open(path) as store:
        assert schema.current_version(store.db) == stored.AU_VALIDATION_VERSION
        stored.save_validation(store, session_id, _report(0.7), "offline")
        assert stored.latest_validation(store, session_id) is not None
