"""The test participant: one flagged participant reused by every headless record, and the
migration (0015) that adds the flag without flagging anyone who was already there."""

from __future__ import annotations

from pathlib import Path

from microexp_tui.store.sessions import SessionStore
from tests.store import database_at_version

TEST_FLAG_VERSION = 15


def test_the_test_participant_is_created_once_and_flagged(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.sqlite") as store:
        real = store.create_participant("P-REAL1")
        first = store.test_participant()
        again = store.test_participant()
        assert first == again and first.code == "TEST" and first.test
        again_real = store.participant(real.id)
        assert not real.test and again_real is not None and not again_real.test
        assert [(p.code, p.test) for p in store.list_participants()] == [
            ("P-REAL1", False),
            ("TEST", True),
        ]
        assert store.participant_by_code("TEST") == first
        actions = [e["action"] for e in store.audit_entries() if e["action"].startswith("part")]
        assert actions == ["participant.create", "participant.create"], "created once"


def test_the_migration_flags_no_existing_participant(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    session_id = database_at_version(path, TEST_FLAG_VERSION - 1)
    from microexp_tui.store.database import connect

    db = connect(path)
    db.execute("INSERT INTO participants (code, created_at) VALUES ('TEST', 'x')")
    db.conn.commit()
    db.conn.close()
    with SessionStore.open(path) as store:
        assert [(p.code, p.test) for p in store.list_participants()] == [
            ("P-OLD1", False),
            ("TEST", False),
        ], "a real participant who happens to be called TEST stays real"
        assert not store.session(session_id).test_participant
        made = store.test_participant()
        assert made.code == "TEST-2" and made.test, "the real TEST keeps its code"
