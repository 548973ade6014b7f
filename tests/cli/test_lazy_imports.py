"""Building the parser and every `--help` import no heavy library; `sessions` stays lean too.

Each check runs in a fresh interpreter and looks at `sys.modules` afterwards, so it fails as
soon as a command module imports numpy, scipy, onnxruntime, ... at its top level.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.cli.test_registry import COMMAND_NAMES

HEAVY = (
    "numpy",
    "scipy",
    "onnxruntime",
    "reportlab",
    "textual",
    "pyedflib",
    "pyarrow",
    "sqlite_utils",
    "serial",
    "tensorflow",
)
ROOT = Path(__file__).resolve().parents[2]


def loaded_after(code: str) -> list[str]:
    """The HEAVY modules a fresh interpreter holds after running `code`."""
    report = f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    probe = f"{code}\nimport json, sys\n{report}"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return list(json.loads(done.stdout.splitlines()[-1]))


def test_building_the_parser_and_every_help_imports_nothing_heavy() -> None:
    helps = [["--help"], *[[name, "--help"] for name in COMMAND_NAMES]]
    helps.append(["export", "verify", "--help"])
    code = (
        "import contextlib, io\n"
        "from microexp_tui.cli import build_parser, main\n"
        "build_parser()\n"
        f"for argv in {helps!r}:\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        try:\n"
        "            main(argv)\n"
        "        except SystemExit as done:\n"
        "            assert done.code == 0, argv\n"
    )
    assert loaded_after(code) == []


def test_the_standalone_simulator_help_imports_nothing_heavy() -> None:
    code = (
        "import contextlib, io\n"
        "from microexp_tui.simulator.__main__ import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main(['--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
    )
    assert loaded_after(code) == []


def test_listing_sessions_loads_no_signal_model_report_or_ui_library(two_sessions: Path) -> None:
    code = (
        "import contextlib, io\n"
        "from microexp_tui.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['sessions', '--db', {str(two_sessions)!r}, '--json']) == 0\n"
    )
    # the store itself needs numpy and sqlite_utils (which brings pyarrow through pandas)
    unneeded = {"scipy", "onnxruntime", "reportlab", "textual", "pyedflib", "serial", "tensorflow"}
    assert unneeded & set(loaded_after(code)) == set()
