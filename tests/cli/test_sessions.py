"""`microexp sessions` and its read-model: one row per stored session, as text or JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from microexp_tui.cli import main
from microexp_tui.readmodels.session_summary import SessionSummary, session_summaries
from microexp_tui.store.sessions import SessionStore


def test_summaries_give_each_session_its_extent_and_labels(two_sessions: Path) -> None:
    with SessionStore.open(two_sessions) as store:
        first, second = session_summaries(store)
    assert isinstance(first, SessionSummary)
    assert (first.session_id, first.duration_s, first.simulated) == (1, 2.0, True)
    assert (second.session_id, second.duration_s, second.simulated) == (2, 3.0, False)
    assert second.status == "completed" and second.channels == 2
    assert second.sample_rate_hz == 1000 and second.samples_per_channel == 3000


def test_json_lists_every_field_in_order(
    two_sessions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sessions", "--db", str(two_sessions), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert list(rows[0]) == [
        "session_id",
        "participant_code",
        "status",
        "started_at",
        "ended_at",
        "protocol",
        "channels",
        "sample_rate_hz",
        "samples_per_channel",
        "duration_s",
        "simulated",
        "counters",
        "source",
        "test_participant",
    ]
    assert [row["duration_s"] for row in rows] == [2.0, 3.0]
    assert isinstance(rows[0]["counters"], dict)


def test_text_has_one_line_per_session_with_the_simulated_label(
    two_sessions: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sessions", "--db", str(two_sessions)]) == 0
    first, second = capsys.readouterr().out.splitlines()
    assert first.split()[0] == "1" and "completed" in first and first.endswith("  SIMULATED")
    assert "2.0 s  2 ch @ 1000 Hz" in first
    assert "3.0 s  2 ch @ 1000 Hz" in second and "SIMULATED" not in second
    assert main(["sessions", "--db", str(tmp_path / "empty.sqlite")]) == 0
    assert capsys.readouterr().out == "no sessions\n"
