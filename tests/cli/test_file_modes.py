"""Issue 16: databases (and WAL/SHM), exports, reports and secrets are owner-only whatever the
umask and whoever created the file first; a looser existing file is tightened with a notice."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from microexp_tui.store.sessions import SessionStore
from tests.cli.conftest import write_session
from tests.cli.run import run_microexp

OPEN_AND_STAT = """
import json, os, stat, sys
from pathlib import Path
os.umask(0)
from microexp_tui.store.sessions import SessionStore
from tests.cli.conftest import write_session
path = Path(sys.argv[1])
with SessionStore.open(path) as store:
    write_session(store, 1, simulated=True)
    files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    print(json.dumps({p.name: stat.S_IMODE(p.stat().st_mode) for p in files}))
"""


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _open_under_umask_0(path: Path) -> dict[str, int]:
    """Open (and write to) the database in a process whose umask is 0; modes while it is open."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run(
        [sys.executable, "-c", OPEN_AND_STAT, str(path)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    modes: dict[str, int] = json.loads(done.stdout)
    return modes


def test_a_new_database_and_its_wal_and_shm_are_owner_only_under_umask_0(tmp_path: Path) -> None:
    modes = _open_under_umask_0(tmp_path / "new.sqlite")
    assert modes == dict.fromkeys(["new.sqlite", "new.sqlite-wal", "new.sqlite-shm"], 0o600)


def test_an_existing_loose_database_is_tightened_with_a_notice(tmp_path: Path) -> None:
    db = tmp_path / "loose.sqlite"
    with SessionStore.open(db) as store:
        write_session(store, 1, simulated=True)
    db.chmod(0o644)
    for side in ("-wal", "-shm"):  # left by a crash, readable by everyone
        Path(f"{db}{side}").touch(mode=0o666)
        os.chmod(f"{db}{side}", 0o666)
    run = run_microexp("sessions", "--db", db)
    assert run.code == 0, run.err
    assert "now owner-only" in run.err and str(db) in run.err
    present = [p for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()]
    assert {_mode(p) for p in present} == {0o600}
    assert _open_under_umask_0(db) == dict.fromkeys(
        ["loose.sqlite", "loose.sqlite-wal", "loose.sqlite-shm"], 0o600
    )


def test_an_empty_world_readable_file_is_adopted_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "empty.sqlite"
    db.touch()
    db.chmod(0o644)
    assert _open_under_umask_0(db) == dict.fromkeys(
        ["empty.sqlite", "empty.sqlite-wal", "empty.sqlite-shm"], 0o600
    )


def test_an_export_under_umask_0_is_owner_only(two_sessions: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    key = tmp_path / "site.key"
    run = run_microexp("export", "--db", two_sessions, "--out", out, "--secret-file", key, umask=0)
    assert run.code == 0, run.err
    folders = [out, *(p for p in out.rglob("*") if p.is_dir())]
    files = [p for p in out.rglob("*") if p.is_file()]
    assert files and {_mode(p) for p in files} == {0o600}
    assert {_mode(p) for p in folders} == {0o700}
    assert _mode(key) == 0o600


def test_a_loose_secret_is_tightened_with_a_notice(two_sessions: Path, tmp_path: Path) -> None:
    key = tmp_path / "site.key"
    key.write_text("ab" * 32 + "\n", encoding="ascii")
    key.chmod(0o644)
    run = run_microexp(
        "export", "--db", two_sessions, "--out", tmp_path / "e", "--secret-file", key
    )
    assert run.code == 0, run.err
    assert "now owner-only" in run.err and _mode(key) == 0o600


def test_a_report_under_umask_0_is_owner_only(two_sessions: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.pdf"
    run = run_microexp("report", "1", "--db", two_sessions, "-o", out, umask=0)
    assert run.code == 0, run.err
    assert _mode(out) == 0o600


def test_the_operator_apps_log_is_owner_only_under_umask_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from microexp_tui.cli.commands.tui import owner_only_log_file

    monkeypatch.setenv("MICROEXP_DATA_DIR", str(tmp_path / "data"))
    loose = tmp_path / "data" / "microexp-tui.log"
    previous = os.umask(0)
    try:
        created = owner_only_log_file()
        assert created == loose and stat.S_IMODE(created.stat().st_mode) == 0o600
        loose.chmod(0o644)
        assert stat.S_IMODE(owner_only_log_file().stat().st_mode) == 0o600
    finally:
        os.umask(previous)
