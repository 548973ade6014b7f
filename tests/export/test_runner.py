"""Safety of the export run: manifest and verify, progress, cancellation, no half exports, CLI."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from microexp_tui.cli import main
from microexp_tui.errors import InputError
from microexp_tui.export import ExportCancelled, ExportReport, export_sessions, verify
from microexp_tui.export.manifest import MANIFEST_NAME
from tests.export.helpers import BuiltDb


def _leftovers(parent: Path) -> list[str]:
    """Hidden partial folders left in `parent`."""
    return [p.name for p in parent.iterdir() if ".partial-" in p.name]


def test_manifest_lists_every_file_and_sha256sum_agrees(bids_export: ExportReport) -> None:
    root = bids_export.out_dir
    listed = [line.split("  ", 1)[1] for line in (root / MANIFEST_NAME).read_text().splitlines()]
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert sorted([*listed, MANIFEST_NAME]) == files
    assert bids_export.files == len(listed)
    checked = subprocess.run(
        ["sha256sum", "--quiet", "-c", MANIFEST_NAME], cwd=root, capture_output=True, check=False
    )
    assert checked.returncode == 0, checked.stdout
    assert verify(root).ok


def test_verify_names_changed_missing_and_extra_files(
    bids_export: ExportReport, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(bids_export.out_dir, copy)
    (copy / "participants.tsv").write_text("participant_id\nsub-x\n")
    next(copy.rglob("*_events.json")).unlink()
    (copy / "notes.txt").write_text("added later")
    report = verify(copy)
    assert not report.ok
    assert report.mismatched == ["participants.tsv"]
    assert len(report.missing) == 1 and report.missing[0].endswith("_events.json")
    assert report.unlisted == ["notes.txt"]
    assert main(["export", "verify", str(copy)]) == 7
    assert main(["export", "verify", str(bids_export.out_dir)]) == 0


def test_a_folder_without_manifest_is_not_a_finished_export(tmp_path: Path) -> None:
    (tmp_path / "half").mkdir()
    with pytest.raises(InputError, match="not a finished export"):
        verify(tmp_path / "half")


def test_progress_reports_every_step_in_order(
    built: BuiltDb, secret_file: Path, tmp_path: Path
) -> None:
    seen: list[tuple[int, int, str]] = []
    export_sessions(
        built.path,
        tmp_path / "out",
        built.session_ids[:2],
        "bids",
        secret_file,
        lambda done, total, message: seen.append((done, total, message)),
    )
    assert [done for done, _, _ in seen] == [1, 2, 3, 4, 5]
    assert {total for _, total, _ in seen} == {5}
    assert seen[-1][2] == "manifest written"


def test_a_cancelled_export_leaves_nothing(
    built: BuiltDb, secret_file: Path, tmp_path: Path
) -> None:
    cancel = threading.Event()

    def progress(done: int, total: int, message: str) -> None:
        if done == 2:
            cancel.set()

    with pytest.raises(ExportCancelled):
        export_sessions(
            built.path, tmp_path / "out", None, "bids", secret_file, progress, cancel=cancel
        )
    assert not (tmp_path / "out").exists() and _leftovers(tmp_path) == []


def test_an_interrupted_export_leaves_nothing(
    built: BuiltDb, secret_file: Path, tmp_path: Path
) -> None:
    def progress(done: int, total: int, message: str) -> None:
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export_sessions(built.path, tmp_path / "out", None, "parquet", secret_file, progress)
    assert not (tmp_path / "out").exists() and _leftovers(tmp_path) == []


def test_an_existing_folder_is_never_overwritten(
    built: BuiltDb, secret_file: Path, tmp_path: Path
) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="never overwrites"):
        export_sessions(built.path, tmp_path / "out", None, "bids", secret_file)
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"
    (tmp_path / "empty").mkdir()
    export_sessions(built.path, tmp_path / "empty", [built.session_ids[1]], "csv", secret_file)
    assert verify(tmp_path / "empty").ok


def test_bad_requests_are_refused_with_advice(
    built: BuiltDb, secret_file: Path, tmp_path: Path
) -> None:
    with pytest.raises(InputError, match="do not exist"):
        export_sessions(built.path, tmp_path / "a", [999], "bids", secret_file)
    with pytest.raises(InputError, match="No session database"):
        export_sessions(tmp_path / "missing.sqlite", tmp_path / "b", None, "bids", secret_file)
    with pytest.raises(InputError, match="unknown"):
        export_sessions(built.path, tmp_path / "c", None, "xlsx", secret_file)
    assert not (tmp_path / "missing.sqlite").exists()


def test_cli_exports_and_prints_json(
    built: BuiltDb, secret_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cli"
    argv = [
        "export",
        "--db",
        str(built.path),
        "--out",
        str(out),
        "--session",
        str(built.session_ids[3]),
        "--format",
        "parquet",
        "--secret-file",
        str(secret_file),
        "--k",
        "1",
        "--json",
    ]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["format"] == "parquet" and report["sessions"][0]["simulated"] is True
    assert report["k_anonymity"]["satisfied"] is True and report["warnings"] == []
    assert main(["export", "verify", str(out)]) == 0
    again = [
        "export",
        "--db",
        str(built.path),
        "--out",
        str(out),
        "--secret-file",
        str(secret_file),
    ]
    assert main(again) == 7
    assert "never overwrites" in capsys.readouterr().err


KILLED_EXPORT = """
import os, signal, sys
from pathlib import Path
from microexp_tui.export import export_sessions

def progress(done, total, message):
    if done == 3:
        os.kill(os.getpid(), signal.SIGKILL)

export_sessions(Path(sys.argv[1]), Path(sys.argv[2]), None, "bids", Path(sys.argv[3]), progress)
"""


def test_a_killed_export_leaves_only_a_hidden_unfinished_folder(
    built: BuiltDb, secret_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = [str(built.path), str(out), str(secret_file)]
    done = subprocess.run(
        [sys.executable, "-c", KILLED_EXPORT, *args],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL
    assert not out.exists()
    (partial,) = _leftovers(tmp_path)
    assert partial.startswith(".out.partial-")
    with pytest.raises(InputError, match="not a finished export"):
        verify(tmp_path / partial)
