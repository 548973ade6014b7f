"""Issue 16: bad options, paths and environments get a message and a documented exit code."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from microexp_tui.store.sessions import SessionStore
from tests.cli.conftest import write_session
from tests.cli.run import run_microexp

AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
"""Root writes through any permission bits, so permission cases only mean something for others."""


def test_verify_refuses_a_manifest_of_random_bytes(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "MANIFEST.sha256").write_bytes(bytes(range(128, 256)) * 4)
    run_microexp("export", "verify", folder).assert_refused(7, "is not a manifest", "Export again")


@pytest.mark.parametrize("where", ["under-a-file", "proc"])
def test_export_into_a_folder_that_cannot_exist_says_so(
    two_sessions: Path, tmp_path: Path, where: str
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    out = blocker / "export" if where == "under-a-file" else Path("/proc/microexp-export")
    before = sorted(tmp_path.iterdir())
    run = run_microexp(
        "export", "--db", two_sessions, "--out", out, "--secret-file", tmp_path / "s.key"
    )
    run.assert_refused(7, "Cannot write the export", "nothing was created")
    assert sorted(p for p in tmp_path.iterdir() if p.name != "s.key") == before


@pytest.mark.skipif(AS_ROOT, reason="root writes into read-only folders")
def test_export_into_a_read_only_folder_says_so(two_sessions: Path, tmp_path: Path) -> None:
    parent = tmp_path / "locked"
    parent.mkdir(mode=0o500)
    run = run_microexp(
        "export", "--db", two_sessions, "--out", parent / "x", "--secret-file", tmp_path / "k"
    )
    run.assert_refused(7, "Cannot write the export")


@contextlib.contextmanager
def _tmpfs(mount: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `mount` (root only), so ENOSPC is real."""
    if not AS_ROOT:
        pytest.skip("mounting a small tmpfs needs root")
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)])
    if done.returncode != 0:
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 kB disk for this test."""
    with _tmpfs(tmp_path / "small-disk", "64k") as mount:
        yield mount


def test_export_onto_a_full_disk_leaves_nothing_and_audits_nothing(
    tmp_path: Path, small_disk: Path
) -> None:
    db = tmp_path / "big.sqlite"
    with SessionStore.open(db) as store:
        session = write_session(store, 30, simulated=True)
        audited_before = len(store.audit_entries())
    run = run_microexp(
        "export", "--db", db, "--out", small_disk / "e", "--secret-file", tmp_path / "k"
    )
    run.assert_refused(7, "The disk is full", "nothing was created")
    assert list(small_disk.iterdir()) == []
    with SessionStore.open(db) as store:
        assert len(store.audit_entries()) == audited_before, "no export was recorded"
        assert store.session(session).status == "completed"


def test_report_onto_a_full_disk_leaves_nothing_and_audits_nothing(
    tmp_path: Path, small_disk: Path
) -> None:
    db = tmp_path / "big.sqlite"
    with SessionStore.open(db) as store:
        session = write_session(store, 2, simulated=True)
        audited_before = len(store.audit_entries())
    (small_disk / "filler").write_bytes(b"\0" * 40_000)
    run = run_microexp("report", str(session), "--db", db, "-o", small_disk / "r.pdf")
    run.assert_refused(7, "the disk is full", "nothing was written")
    assert [p.name for p in small_disk.iterdir()] == ["filler"]
    with SessionStore.open(db) as store:
        assert len(store.audit_entries()) == audited_before, "no report was recorded"


def test_a_recording_that_fills_the_disk_stores_the_status_it_prints(tmp_path: Path) -> None:
    with _tmpfs(tmp_path / "disk", "1m") as disk:
        db = disk / "sessions.sqlite"
        run = run_microexp(
            "record", "--simulate", "--channels", "8", "--rate-hz", "1200",
            "--duration-s", "60", "--db", db, "--json",
        )  # fmt: skip
        assert run.code == 5 and "Traceback" not in run.err, run.err
        summary = json.loads(run.out)
        assert "is full" in summary["error"] and "free disk space" in summary["error"]
        printed = summary["status"]
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            stored = conn.execute("SELECT status FROM sessions").fetchone()[0]
    assert printed == stored == "interrupted"


def test_a_data_folder_of_an_unknown_user_is_refused(tmp_path: Path) -> None:
    env = {
        "MICROEXP_DATA_DIR": "~no-such-user-here/data",
        "MICROEXP_CONFIG_FILE": str(tmp_path / "none.toml"),
    }
    run_microexp("sessions", env=env).assert_refused(7, "names no user", "MICROEXP_DATA_DIR")


@pytest.mark.parametrize("kind", ["a-file", "under-a-file", "proc"])
def test_a_data_folder_that_cannot_be_used_is_named(tmp_path: Path, kind: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    folder = {
        "a-file": blocker,
        "under-a-file": blocker / "data",
        "proc": Path("/proc/microexp-data"),
    }[kind]
    env = {"MICROEXP_DATA_DIR": str(folder), "MICROEXP_CONFIG_FILE": str(tmp_path / "none.toml")}
    run = run_microexp("sessions", env=env)
    run.assert_refused(7, str(folder), "MICROEXP_DATA_DIR", "--db PATH")


@pytest.mark.skipif(AS_ROOT, reason="root reads and writes through permission bits")
@pytest.mark.parametrize("mode", [0o000, 0o500])
def test_an_unreadable_or_unwritable_data_folder_is_named(tmp_path: Path, mode: int) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=mode)
    env = {"MICROEXP_DATA_DIR": str(folder), "MICROEXP_CONFIG_FILE": str(tmp_path / "none.toml")}
    run_microexp("sessions", env=env).assert_refused(7, str(folder))


def test_a_reader_that_stops_early_ends_the_listing_quietly(tmp_path: Path) -> None:
    db = tmp_path / "many.sqlite"
    with SessionStore.open(db) as store:
        for _ in range(400):
            write_session(store, 0, simulated=True)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    for extra in (["--json"], []):
        process = subprocess.Popen(
            [sys.executable, "-m", "microexp_tui", "sessions", "--db", str(db), *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        assert process.stdout is not None and process.stderr is not None
        first = process.stdout.read(10)
        process.stdout.close()  # like `| head -c 10`
        err = process.stderr.read().decode()
        assert process.wait(timeout=60) == 0
        assert first and err == "", err


@pytest.mark.parametrize("value", ["inf", "nan", "-inf", "0", "-1"])
def test_record_duration_must_be_a_finite_positive_number(value: str, tmp_path: Path) -> None:
    run = run_microexp(
        "record", "--simulate", "--db", tmp_path / "x.sqlite", f"--duration-s={value}"
    )
    run.assert_refused(2, "argument --duration-s", repr(value))
    assert not (tmp_path / "x.sqlite").exists(), "nothing was recorded"


@pytest.mark.parametrize("option", ["--offset-s", "--au-sync-s", "--tolerance-ms", "--au-fps"])
@pytest.mark.parametrize("value", ["nan", "inf"])
def test_microexpression_times_must_be_finite(
    two_sessions: Path, tmp_path: Path, option: str, value: str
) -> None:
    run = run_microexp(
        "microexpressions", "1", "--db", two_sessions, "--aus", tmp_path / "a.csv",
        f"{option}={value}",
    )  # fmt: skip
    run.assert_refused(2, f"argument {option}", "not a finite number")


@pytest.mark.parametrize("option", ["--epochs", "--window", "--stride"])
def test_train_refuses_zero_instead_of_replacing_it(tmp_path: Path, option: str) -> None:
    run = run_microexp(
        "train", "--dataset", tmp_path, "--arch", "cnn", "--input", "window",
        "--protocol", "split", "--out", tmp_path / "m", option, "0",
    )  # fmt: skip
    run.assert_refused(2, f"argument {option}", "must be at least 1")
