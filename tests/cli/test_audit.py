"""`microexp audit verify`, the broken-chain warning, export and report refused without reason."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from microexp_tui.store.sessions import SessionStore

EDITED_ROW = 3


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """Run `python -m microexp_tui ARGS` as a person would (own data dir, no settings file)."""
    env = {**os.environ, "MICROEXP_DATA_DIR": str(home)}
    env["MICROEXP_CONFIG_FILE"] = str(home / "settings.toml")
    return subprocess.run(
        [sys.executable, "-m", "microexp_tui", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def _tamper(path: Path) -> None:
    """Drop the update trigger and edit an old row with plain sqlite3."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute(f"UPDATE audit_log SET actor = 'mallory' WHERE id = {EDITED_ROW}")
    conn.close()


@pytest.fixture
def tampered(two_sessions: Path) -> Path:
    """The two-session database with an audit row edited behind a dropped trigger."""
    _tamper(two_sessions)
    return two_sessions


def test_verify_exits_0_on_an_intact_chain(two_sessions: Path, tmp_path: Path) -> None:
    done = _cli("audit", "verify", "--db", str(two_sessions), home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK: the audit log of") and "intact" in done.stdout


def test_verify_exits_5_naming_the_first_broken_row(tampered: Path, tmp_path: Path) -> None:
    done = _cli("audit", "verify", "--db", str(tampered), "--json", home=tmp_path)
    assert done.returncode == 5, done.stderr
    verdict = json.loads(done.stdout)
    assert verdict["intact"] is False and verdict["first_broken_row"] == EDITED_ROW
    assert "edited" in verdict["reason"] and "Traceback" not in done.stderr
    plain = _cli("audit", "verify", "--db", str(tampered), home=tmp_path)
    assert plain.returncode == 5
    assert f"BROKEN: the audit log of {tampered} fails at row {EDITED_ROW} (" in plain.stdout


def test_a_missing_database_is_an_input_error(tmp_path: Path) -> None:
    done = _cli("audit", "verify", "--db", str(tmp_path / "none.sqlite"), home=tmp_path)
    assert done.returncode == 7 and "No session database" in done.stderr
    assert not (tmp_path / "none.sqlite").exists()


def test_every_command_then_warns_on_stderr_and_the_trigger_is_back(
    tampered: Path, tmp_path: Path
) -> None:
    first = _cli("sessions", "--db", str(tampered), home=tmp_path)
    assert first.returncode == 0
    assert "protective triggers (audit_log_no_update)" in first.stderr
    assert _cli("audit", "verify", "--db", str(tampered), home=tmp_path).returncode == 5
    later = _cli("sessions", "--db", str(tampered), home=tmp_path)
    assert later.returncode == 0
    assert f"is broken at row {EDITED_ROW}" in later.stderr and "audit verify" in later.stderr
    conn = sqlite3.connect(tampered, isolation_level=None)
    with pytest.raises(sqlite3.DatabaseError, match="append-only: UPDATE"):
        conn.execute("UPDATE audit_log SET actor = 'x' WHERE id = 1")
    conn.close()
    with SessionStore.open(tampered) as store:
        actions = [entry["action"] for entry in store.audit_entries()]
    assert actions.count("audit.triggers_restored") == 1


@pytest.mark.parametrize("command", ["export", "report"])
def test_export_and_report_refuse_a_broken_chain_unless_given_a_reason(
    command: str, tampered: Path, tmp_path: Path
) -> None:
    out = tmp_path / ("out" if command == "export" else "r.pdf")
    args = ["export", "--out", str(out)] if command == "export" else ["report", "1", "-o", str(out)]
    args += ["--db", str(tampered)]
    refused = _cli(*args, home=tmp_path)
    assert refused.returncode == 5, refused.stderr
    assert f"{command.capitalize()} refused: The audit log" in refused.stderr
    assert f"row {EDITED_ROW}" in refused.stderr and "--force-reason" in refused.stderr
    assert "Traceback" not in refused.stderr and not out.exists()
    forced = _cli(*args, "--force-reason", "copy for the ethics board", home=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert out.exists()
    with SessionStore.open(tampered) as store:
        entries = store.audit_entries()
    forced_entries = [e for e in entries if e["action"] == "audit.forced"]
    assert len(forced_entries) == 1
    detail = json.loads(forced_entries[0]["detail"])
    assert detail == {
        "broken_row": EDITED_ROW,
        "command": command,
        "reason": "copy for the ethics board",
    }
    assert entries[-1]["action"] == command, "the export/report itself is logged after it"
