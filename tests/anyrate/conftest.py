"""Fixtures of the imported-session tests: one database holding the three synthetic imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.anyrate.sessions import (
    ENVELOPE_20HZ_MV,
    RAW_2KHZ_UV,
    RAW_4KHZ_UV,
    Imported,
    create_imported_session,
)


@dataclass(frozen=True)
class ImportedDb:
    """A database path and the id of each synthetic imported session in it."""

    path: Path
    ids: dict[str, int]
    specs: dict[str, Imported]


@pytest.fixture(scope="module")
def imported_db(tmp_path_factory: pytest.TempPathFactory) -> ImportedDb:
    """A 20 Hz 8-channel mV envelope, a 2 kHz 4-channel uV raw and a 4 kHz 2-channel session."""
    path = tmp_path_factory.mktemp("anyrate") / "imported.sqlite"
    specs = {spec.name: spec for spec in (ENVELOPE_20HZ_MV, RAW_2KHZ_UV, RAW_4KHZ_UV)}
    ids = {
        name: create_imported_session(path, spec, participant=f"SUB{n:02d}")
        for n, (name, spec) in enumerate(specs.items(), start=1)
    }
    return ImportedDb(path, ids, specs)


def microexp(*args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m microexp_tui ARGS` as a person would; output captured as text."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.run(
        [sys.executable, "-m", "microexp_tui", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


def microexp_json(*args: str) -> Any:
    """Run a command with `--json` and parse its output; fail with its stderr when it fails."""
    done = microexp(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
