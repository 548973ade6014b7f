"""Issue 16: hidden partial exports left by a killed export are removed by the next one, with
a notice; one that an export is still writing is left alone."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from pathlib import Path

from microexp_tui.store.sessions import SessionStore
from tests.cli.run import run_microexp


def _partial(parent: Path, name: str) -> Path:
    """A hidden partial export folder holding some data, as a killed export leaves it."""
    folder = parent / f".{name}.partial-abc123"
    (folder / "sub-x").mkdir(parents=True)
    (folder / "sub-x" / "data.tsv").write_text("1\t2\n", encoding="utf-8")
    return folder


def test_an_abandoned_partial_export_is_removed_with_a_notice(
    two_sessions: Path, tmp_path: Path
) -> None:
    exports = tmp_path / "exports"
    stale = _partial(exports, "killed")
    run = run_microexp(
        "export", "--db", two_sessions, "--out", exports / "new", "--secret-file", tmp_path / "k"
    )
    assert run.code == 0, run.err
    assert f"warning: removed {stale}" in run.err
    assert sorted(p.name for p in exports.iterdir()) == ["new"]


def test_a_partial_export_still_being_written_is_left_alone(
    two_sessions: Path, tmp_path: Path
) -> None:
    exports = tmp_path / "exports"
    running = _partial(exports, "running")
    lock = os.open(running, os.O_RDONLY)
    fcntl.flock(lock, fcntl.LOCK_EX)  # as the export writing it holds it
    try:
        run = run_microexp(
            "export",
            "--db",
            two_sessions,
            "--out",
            exports / "new",
            "--secret-file",
            tmp_path / "k",
        )
    finally:
        os.close(lock)
    assert run.code == 0, run.err
    assert "removed" not in run.err
    assert sorted(p.name for p in exports.iterdir()) == [running.name, "new"]


def test_a_visible_export_was_audited_with_its_manifest(two_sessions: Path, tmp_path: Path) -> None:
    out = tmp_path / "e"
    run = run_microexp(
        "export", "--db", two_sessions, "--out", out, "--secret-file", tmp_path / "k"
    )
    assert run.code == 0, run.err
    digest = hashlib.sha256((out / "MANIFEST.sha256").read_bytes()).hexdigest()
    with SessionStore.open(two_sessions) as store:
        exports = [e for e in store.audit_entries() if e["action"] == "export"]
    assert [json.loads(e["detail"])["manifest_sha256"] for e in exports] == [digest]
