"""Building the parser and every `--help` import no heavy library; nor does `sessions`.

Each check runs in a fresh interpreter and looks at `sys.modules` afterwards, so it fails as
soon as a command module imports numpy, scipy, onnxruntime, ... at its top level, or the
listing of a database goes through the full store (sqlite_utils, which imports pandas).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from microexp_tui.store.sessions import SessionStore
from tests.cli.test_registry import COMMAND_NAMES

HEAVY = (
    "numpy",
    "pandas",
    "pydantic",
    "pydantic_settings",
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


def run_module_code(*argv: str) -> str:
    """Code that runs `python -m microexp_tui ARGV` in the probe and checks it listed sessions."""
    return (
        "import contextlib, io, runpy, sys\n"
        f"sys.argv = ['microexp', *{list(argv)!r}]\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    try:\n"
        "        runpy.run_module('microexp_tui', run_name='__main__')\n"
        "    except SystemExit as done:\n"
        "        assert done.code == 0, done.code\n"
        "assert out.getvalue().count('completed') == 2, out.getvalue()\n"
    )


def test_listing_sessions_loads_no_heavy_library(two_sessions: Path) -> None:
    for argv in (
        ["sessions", "--db", str(two_sessions)],
        ["sessions", "--db", str(two_sessions), "--json"],
    ):
        assert loaded_after(run_module_code(*argv)) == [], argv


def test_listing_a_database_the_store_must_repair_still_lists_it(two_sessions: Path) -> None:
    os.chmod(two_sessions, 0o644)  # the full open tightens it (0600), with sqlite_utils
    assert "sqlite_utils" in loaded_after(run_module_code("sessions", "--db", str(two_sessions)))
    assert two_sessions.stat().st_mode & 0o777 == 0o600
    assert loaded_after(run_module_code("sessions", "--db", str(two_sessions))) == []


def test_listing_the_database_the_settings_name_loads_no_signal_library(tmp_path: Path) -> None:
    from tests.cli.conftest import write_session

    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    with SessionStore.open(data / "sessions.sqlite") as store:
        for _ in range(2):
            write_session(store, 1, simulated=False)
    settings = tmp_path / "settings.toml"
    settings.write_text("", encoding="utf-8")
    variables = {"MICROEXP_CONFIG_FILE": str(settings), "MICROEXP_DATA_DIR": str(data)}
    loaded = loaded_after(
        f"import os\nos.environ.update({variables!r})\n{run_module_code('sessions')}"
    )
    assert set(loaded) <= {"pydantic", "pydantic_settings"}, "validating the settings needs them"
