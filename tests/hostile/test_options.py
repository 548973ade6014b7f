"""Hostile option values for record and simulate: a message naming the allowed values."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from microexp_tui.errors import ExitCode, InputError
from microexp_tui.simulator.faults import parse_fault_spec


def _microexp(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the program as a person would, from this worktree."""
    return subprocess.run(
        [sys.executable, "-m", "microexp_tui", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("rate_hz", ["100000", "0", "249", "2001"])
def test_record_refuses_a_rate_the_protocol_cannot_carry_by_naming_the_range(
    tmp_path: Path, rate_hz: str
) -> None:
    done = _microexp(
        "record", "--port", "/dev/null", "--duration-s", "1", "--rate-hz", rate_hz,
        "--db", str(tmp_path / "s.sqlite"),
    )  # fmt: skip
    assert done.returncode == ExitCode.USAGE
    assert "250..2000 Hz" in done.stderr and f"--rate-hz {rate_hz}" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("spec", ["drop@nan", "drop@inf", "drop@1:nan", "corrupt@2:inf"])
def test_a_fault_time_that_is_not_a_finite_number_is_refused_when_parsed(spec: str) -> None:
    with pytest.raises(InputError) as err:
        parse_fault_spec(spec)
    assert "finite" in str(err.value) and spec in str(err.value)


def test_simulate_refuses_a_nan_fault_before_serving() -> None:
    done = _microexp("simulate", "--fault", "drop@nan")
    assert done.returncode == ExitCode.INPUT
    assert "drop@nan" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("duration", ["nan", "inf", "0", "-1"])
def test_simulate_refuses_a_duration_that_would_never_end_or_never_start(duration: str) -> None:
    done = _microexp("simulate", "--duration-s", duration)
    assert done.returncode == 2 and "--duration-s" in done.stderr
    assert "Traceback" not in done.stderr
