"""`microexp trials` as a person runs it: a recorded session to a table, and bad inputs
refused with an exit code and a message (never a traceback)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from microexp_tui.errors import ExitCode
from tests.cli.run import run_microexp
from tests.export.trial_sessions import PROTOCOL, TRIALS_PER_SESSION, record

INPUT = int(ExitCode.INPUT)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A database with one paced simulator recording of the face protocol."""
    root = tmp_path_factory.mktemp("recorded")
    protocol = root / "faces.toml"
    protocol.write_text(PROTOCOL, encoding="utf-8")
    db = root / "lab.sqlite"
    return db, record(db, "P-CLI001", 21, protocol)


def test_a_session_becomes_a_table_and_json_says_what_was_written(
    recorded: tuple[Path, int], tmp_path: Path
) -> None:
    db, sid = recorded
    session_id = str(sid)
    out = tmp_path / "t.tsv"
    done = run_microexp(
        "trials", session_id, "--db", f"{db}=lab-1", "--format", "tsv",
        "--baseline-s", "-0.5", "0", "--window-s", "0", "1", "--bin-ms", "500",
        "--secret-file", tmp_path / "key", "-o", out, "--json",
    )  # fmt: skip
    assert done.code == 0, done.err
    said = json.loads(done.out)
    assert said["files"] == [str(out), str(tmp_path / "t_summary.tsv")]
    assert said["trials"] == TRIALS_PER_SESSION and said["sessions"] == 1
    assert said["sites"] == ["lab-1"]
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert len(rows) == said["rows"]
    assert {r["bin_end_s"] for r in rows} == {"0.5", "1"}
    assert "P-CLI001" not in out.read_text()


def test_the_settings_give_the_default_windows(
    recorded: tuple[Path, int], tmp_path: Path, settings_file: Path
) -> None:
    db, sid = recorded
    session_id = str(sid)
    settings_file.write_text("[trials]\nwindow_s = [0.0, 0.5]\nbin_ms = 250\n")
    out = tmp_path / "t.csv"
    done = run_microexp("trials", session_id, "--db", db, "--local-codes", "-o", out)
    assert done.code == 0, done.err
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["bin"] for r in rows} == {"0", "1", "2"}
    assert {r["participant"] for r in rows} == {"P-CLI001"}
    assert {r["site"] for r in rows} == {"lab"}, "the database's file name names the site"


def test_an_unknown_session_is_refused(recorded: tuple[Path, int], tmp_path: Path) -> None:
    db, _ = recorded
    done = run_microexp("trials", "999", "--db", db, "-o", tmp_path / "t.csv")
    done.assert_refused(INPUT, "999", "do not exist", "microexp sessions")
    assert list(tmp_path.iterdir()) == []


def test_a_missing_database_is_refused(tmp_path: Path) -> None:
    done = run_microexp("trials", "--all", "--db", tmp_path / "nope.sqlite", "-o", tmp_path / "t")
    done.assert_refused(INPUT, "No session database", "nope.sqlite")
    assert not (tmp_path / "nope.sqlite").exists(), "no empty database was created"


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--window-s", "2", "1"], ["response window must start before it ends"]),
        (["--baseline-s", "-100", "0"], ["baseline_s"]),
        (["--window-s", "0", "0.05", "--bin-ms", "100"], ["does not fit"]),
        (["--format", "csv", "--partitioned"], ["--format parquet"]),
        (["--format", "parquet", "--partitioned", "--wide"], ["--wide"]),
    ],
)
def test_bad_windows_and_combinations_are_refused(
    recorded: tuple[Path, int], tmp_path: Path, options: list[str], words: list[str]
) -> None:
    db, sid = recorded
    session_id = str(sid)
    done = run_microexp("trials", session_id, "--db", db, *options, "-o", tmp_path / "t.csv")
    done.assert_refused(INPUT, *words)
    assert list(tmp_path.iterdir()) == []


def test_an_existing_output_is_refused(recorded: tuple[Path, int], tmp_path: Path) -> None:
    db, sid = recorded
    session_id = str(sid)
    out = tmp_path / "t.csv"
    out.write_text("keep me\n")
    done = run_microexp("trials", session_id, "--db", db, "-o", out)
    done.assert_refused(INPUT, "already exists", "never overwrite")
    assert out.read_text() == "keep me\n"


def test_sessions_and_all_are_one_or_the_other(tmp_path: Path) -> None:
    done = run_microexp("trials", "-o", tmp_path / "t.csv")
    done.assert_refused(INPUT, "--all")


def test_a_site_name_that_cannot_be_a_folder_is_refused(
    recorded: tuple[Path, int], tmp_path: Path
) -> None:
    db, _ = recorded
    done = run_microexp("trials", "--all", "--db", f"{db}=a/b", "-o", tmp_path / "t.csv")
    done.assert_refused(INPUT, "Site name", "a/b")
