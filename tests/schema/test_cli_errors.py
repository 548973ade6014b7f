"""`microexp record --protocol <bad file>`: one `error:` line, exit code 7, no database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from microexp_tui.errors import ExitCode
from tests.schema.helpers import toml_text

GOOD_BLOCK = {"kind": "stimulus", "emotion": "happy", "duration_s": 2.0}


def protocol_file(tmp_path: Path, case: str) -> Path:
    """A protocol file with one kind of mistake."""
    path = tmp_path / "lab.toml"
    if case == "nan duration":
        path.write_text(
            toml_text({"block": [GOOD_BLOCK, {**GOOD_BLOCK, "duration_s": float("nan")}]})
        )
    elif case == "longer than a day":
        path.write_text(
            toml_text({"repetitions": 1000, "block": [{**GOOD_BLOCK, "duration_s": 90.0}]})
        )
    elif case == "title is a number":
        path.write_text(toml_text({"title": 5, "block": [GOOD_BLOCK]}))
    elif case == "not utf-8":
        path.write_bytes(b'title = "\xff"\n')
    elif case == "syntax error":
        path.write_text("[[block]\nkind = 'rest'\n")
    elif case == "a folder":
        path.mkdir()
    return path


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("nan duration", "field 'block[2].duration_s' must be a finite number"),
        ("longer than a day", "at most 24 h is allowed"),
        ("title is a number", "line 1: field 'title' must be text"),
        ("not utf-8", "is not UTF-8 text (byte 9"),
        ("syntax error", "is not valid TOML (line 1, column"),
        ("a folder", "is a folder"),
    ],
)
def test_record_with_a_bad_protocol_prints_one_error_line_and_exits_7(
    tmp_path: Path, case: str, expected: str
) -> None:
    protocol = protocol_file(tmp_path, case)
    db = tmp_path / "sessions.sqlite"
    command = [sys.executable, "-m", "microexp_tui", "record", "--protocol", str(protocol)]
    command += ["--simulate", "--duration-s", "1", "--db", str(db)]
    out = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == ExitCode.INPUT, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in out.stderr
    assert str(protocol) in lines[0] and expected in lines[0]
    assert not db.exists(), "nothing is recorded from a protocol that was refused"
