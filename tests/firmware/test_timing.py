"""Timing headroom: interrupt work per sample period, counted in emulated cycles.

The harness's --bench mode streams for 2 emulated seconds and attributes every cycle to
an interrupt handler, the main loop or sleep (simavr's cycle counter at each instruction;
the 5-cycle interrupt response simavr does not count is added per entry). The figures
and the command are in docs/benchmarks_firmware.md.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.firmware import firmware_elf, harness

CONFIGS = [
    (8, 1000),  # the default
    (4, 2000),  # the highest sample rate (5 x 2000 exceeds the ADC budget)
    (16, 600),  # all channels at the 9600 samples/s ADC budget
    (5, 1920),  # the most bytes per second on the line (18-byte frames at 1920 Hz)
]


def bench(channels: int, rate_hz: int, seconds: float = 2.0) -> dict[str, Any]:
    """The harness's JSON report for one configuration."""
    result = subprocess.run(
        [
            str(harness()),
            "--bench",
            str(seconds),
            "--channels",
            str(channels),
            "--rate",
            str(rate_hz),
            str(firmware_elf()),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


@pytest.mark.parametrize(("channels", "rate_hz"), CONFIGS)
def test_interrupt_work_fits_the_sample_period_with_margin(channels: int, rate_hz: int) -> None:
    report = bench(channels, rate_hz)
    period = report["period_cycles"]
    assert period == 16_000_000 // rate_hz
    assert abs(report["periods"] - 2 * rate_hz) <= 1
    # hard real time: all interrupt handlers of the worst period use at most half of it
    assert report["isr_cycles_per_period_max"] <= 0.5 * period
    # everything the CPU does (handlers + frame encoding + wake-ups) leaves 10% idle
    assert report["busy_cycles_per_period_max"] <= 0.9 * period
    # the ADC scan ends before the next tick
    assert report["adc_scan_cycles_max"] <= 0.95 * period
    # the tick interrupt is short and never starves the others for long
    assert report["vectors"]["TIMER1_COMPA"]["max"] < 300
    assert report["vectors"]["ADC"]["count"] >= channels * report["periods"]
    # and nothing was lost or corrupted meanwhile
    assert report["sequence_gaps"] == 0 and report["crc_errors"] == 0
    status = report["status"]
    assert status["tx_overflow_frames"] == 0 and status["adc_overruns"] == 0
    assert status["state"] == 1
