"""Help text that spells out a library's limits or vocabulary says what the code enforces.

The parser may not import the modules holding these values (they load numpy), so the help
writes them out; these tests fail if the two drift apart.
"""

from __future__ import annotations

import pytest

from microexp_tui.cli import main
from microexp_tui.device.protocol import MAX_CHANNELS, MAX_RATE_HZ, MIN_RATE_HZ
from microexp_tui.expressions.validation import DEFAULT_TOLERANCE_MS
from microexp_tui.simulator.faults import FAULT_KINDS


def help_text(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """`microexp ARGV --help` with line wrapping undone."""
    with pytest.raises(SystemExit):
        main([*argv, "--help"])
    return " ".join(capsys.readouterr().out.split())


def test_simulate_help_states_the_board_limits_and_fault_kinds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = help_text(capsys, "simulate")
    assert f"power-up sample rate, {MIN_RATE_HZ}..{MAX_RATE_HZ}" in text
    assert f"power-up channel count, 1..{MAX_CHANNELS}" in text
    assert f"KIND one of {', '.join(FAULT_KINDS)};" in text


def test_record_help_states_the_board_limits(capsys: pytest.CaptureFixture[str]) -> None:
    text = help_text(capsys, "record")
    assert f"sample rate ({MIN_RATE_HZ}-{MAX_RATE_HZ})" in text
    assert f"channel count (1-{MAX_CHANNELS})" in text


def test_microexpressions_help_states_the_validators_default_tolerance(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = help_text(capsys, "microexpressions")
    assert f"(default {DEFAULT_TOLERANCE_MS:.0f})" in text
