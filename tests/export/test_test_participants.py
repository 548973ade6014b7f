"""Test participants (headless `record` without --participant) stay out of exports unless asked.

A real database: two real participants' sessions and one test participant's, exported with
the runner and with the `export` command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from microexp_tui.errors import InputError
from microexp_tui.export import export_sessions
from microexp_tui.store.sessions import SessionStore
from tests.cli.run import run_microexp
from tests.export.helpers import add_session


@pytest.fixture
def with_test_session(tmp_path: Path) -> tuple[Path, int, int]:
    """A database with one real participant's session and one test participant's: (path,
    real session id, test session id)."""
    path = tmp_path / "s.sqlite"
    with SessionStore.open(path) as store:
        real = store.create_participant("P-REAL1", 1990, "female", "right")
        real_id, _ = add_session(store, real.id, duration_s=3.0, seed=1)
        test_id, _ = add_session(store, store.test_participant().id, duration_s=3.0, seed=2)
    return path, real_id, test_id


def exported_ids(report_sessions: list[dict[str, Any]]) -> list[int]:
    """Session ids an export report lists, in order."""
    return sorted(int(session["session_id"]) for session in report_sessions)


def test_exports_leave_test_participants_out_and_say_so(
    with_test_session: tuple[Path, int, int], tmp_path: Path
) -> None:
    path, real_id, test_id = with_test_session
    report = export_sessions(path, tmp_path / "out", None, "csv", tmp_path / "key", k=1)
    assert exported_ids(report.sessions) == [real_id]
    [said] = [w for w in report.warnings if "test participant" in w]
    assert f"sessions {test_id}" in said and "--include-test-participants" in said
    asked = export_sessions(
        path, tmp_path / "all", None, "csv", tmp_path / "key", k=1, include_test_participants=True
    )
    assert exported_ids(asked.sessions) == [real_id, test_id]
    assert not any("test participant" in w for w in asked.warnings)


def test_a_test_participants_session_asked_for_by_id_needs_the_option(
    with_test_session: tuple[Path, int, int], tmp_path: Path
) -> None:
    path, _, test_id = with_test_session
    with pytest.raises(InputError, match="TEST is a test participant"):
        export_sessions(path, tmp_path / "out", [test_id], "csv", tmp_path / "key", k=1)
    assert not (tmp_path / "out").exists()


def test_the_export_command_leaves_them_out_unless_asked(
    with_test_session: tuple[Path, int, int], tmp_path: Path
) -> None:
    path, _, test_id = with_test_session
    common = ("export", "--db", path, "--format", "csv", "--k", "1", "--secret-file")
    left_out = run_microexp(*common, tmp_path / "key", "--out", tmp_path / "a")
    assert left_out.code == 0, left_out.err
    assert "exported 1 session(s)" in left_out.out
    assert "warning: left out 1 session(s) of test participant TEST" in left_out.err
    kept = run_microexp(
        *common, tmp_path / "key", "--out", tmp_path / "b", "--include-test-participants"
    )
    assert kept.code == 0 and "exported 2 session(s)" in kept.out, kept.err
    by_id = ("--session", str(test_id))
    only = run_microexp(*common, tmp_path / "key", "--out", tmp_path / "c", *by_id)
    only.assert_refused(7, "--include-test-participants")


def test_a_database_of_only_test_sessions_says_how_to_export_them(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with SessionStore.open(path) as store:
        add_session(store, store.test_participant().id, duration_s=2.0, seed=3)
    with pytest.raises(InputError, match=r"only finished sessions .* test participant TEST"):
        export_sessions(path, tmp_path / "out", None, "csv", tmp_path / "key", k=1)
