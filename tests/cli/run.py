"""Run `python -m microexp_tui` in a subprocess, as a person would, and read what it said."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DOCUMENTED_EXIT_CODES = frozenset({0, 2, 3, 4, 5, 6, 7, 130})
"""The exit codes the README's table lists."""

COMMAND_TIMEOUT_S = 120.0
"""A generous bound on one command, so a hang fails the test instead of blocking CI."""


@dataclass(frozen=True)
class Run:
    """One finished command: its exit code and what it printed."""

    code: int
    out: str
    err: str

    def assert_refused(self, code: int, *words: str) -> None:
        """The command failed with `code`, said each of `words` and printed no traceback."""
        assert self.code == code, (self.code, self.out, self.err)
        assert "Traceback" not in self.err + self.out, self.err
        for word in words:
            assert word in self.err, (word, self.err)


def run_microexp(
    *args: str | Path,
    env: Mapping[str, str] | None = None,
    umask: int | None = None,
    cwd: Path | None = None,
) -> Run:
    """`python -m microexp_tui ARGS` with this checkout on PYTHONPATH; optional env and umask."""
    full_env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    full_env.update(env or {})
    done = subprocess.run(
        [sys.executable, "-m", "microexp_tui", *map(str, args)],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=COMMAND_TIMEOUT_S,
        preexec_fn=None if umask is None else (lambda: os.umask(umask) and None),
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)
