"""Firmware timing headroom under simavr: interrupt and CPU load per sample period.

    python bench/bench_firmware_timing.py [--seconds 2] [--json bench/out/firmware.json]

Builds the Mega 2560 firmware and the simavr harness (firmware/Makefile, into
bench/out/firmware/), runs `microexp-sim --bench` for each configuration and prints a
Markdown table of emulated-cycle figures plus the firmware's flash and RAM use. Cycles
are counted by the harness at every emulated instruction: inside an interrupt handler
(plus the 5-cycle interrupt response simavr does not count), in the main loop, or asleep.
Needs gcc-avr, avr-libc, arduino-core-avr, simavr and libsimavr-dev.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIRMWARE = ROOT / "firmware"
OUT = ROOT / "bench" / "out" / "firmware"
F_CPU_HZ = 16_000_000
CONFIGS: list[tuple[int, int, str]] = [
    (8, 1000, "default"),
    (4, 2000, "highest rate"),
    (1, 2000, "one channel, highest rate"),
    (16, 600, "16 ch at the 9600 S/s ADC budget"),
    (12, 800, "9600 S/s"),
    (5, 1920, "9600 S/s, most line bytes/s"),
    (16, 250, "16 ch, lowest rate"),
]


def build() -> tuple[Path, Path]:
    """Firmware ELF and harness binary, built with the repository's Makefiles."""
    for target in ("firmware", "sim"):
        subprocess.run(
            ["make", "-s", "-C", str(FIRMWARE), f"BUILD={OUT}", "-j2", target],
            check=True,
            capture_output=True,
            text=True,
        )
    return OUT / "microexp_emg.elf", OUT / "microexp-sim"


def memory_use(elf: Path) -> dict[str, int]:
    """Flash (.text + .data) and static RAM (.data + .bss) in bytes."""
    out = subprocess.run(
        ["avr-size", "-A", str(elf)], check=True, capture_output=True, text=True
    ).stdout
    rows = (line.split() for line in out.splitlines())
    sizes = {p[0]: int(p[1]) for p in rows if len(p) == 3 and p[0].startswith(".")}
    return {
        "flash_bytes": sizes[".text"] + sizes[".data"],
        "ram_bytes": sizes[".data"] + sizes[".bss"],
    }


def run_bench(harness: Path, elf: Path, channels: int, rate_hz: int, seconds: float) -> Any:
    """The harness's JSON report for one configuration."""
    command = [str(harness), "--bench", str(seconds), "--channels", str(channels)]
    command += ["--rate", str(rate_hz), str(elf)]
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(result.stdout)


def percent(cycles: float, period: int) -> str:
    """Cycles as a share of the sample period."""
    return f"{100.0 * cycles / period:.1f}%"


def table_row(report: dict[str, Any], label: str) -> str:
    """One Markdown row: cycles and shares of the period."""
    period = int(report["period_cycles"])
    isr_mean = float(report["isr_cycles_per_period_mean"])
    isr_max = int(report["isr_cycles_per_period_max"])
    busy_mean = float(report["busy_cycles_per_period_mean"])
    busy_max = int(report["busy_cycles_per_period_max"])
    scan = int(report["adc_scan_cycles_max"])
    jitter = int(report["period_cycles_max"]) - int(report["period_cycles_min"])
    return (
        f"| {report['channels']} x {report['rate_hz']} ({label}) | {period} "
        f"| {isr_mean:.0f} ({percent(isr_mean, period)}) | {isr_max} ({percent(isr_max, period)}) "
        f"| {busy_mean:.0f} ({percent(busy_mean, period)}) "
        f"| {busy_max} ({percent(busy_max, period)}) | {scan} ({percent(scan, period)}) "
        f"| {jitter} | {report['sequence_gaps']} / {report['status']['tx_overflow_frames']} "
        f"/ {report['status']['adc_overruns']} |"
    )


def vector_rows(report: dict[str, Any]) -> list[str]:
    """Per-handler cycles of one configuration."""
    rows = []
    for name, stats in report["vectors"].items():
        if stats["count"]:
            rows.append(f"| {name} | {stats['count']} | {stats['mean']:.1f} | {stats['max']} |")
    return rows


def main() -> None:
    """Build, run every configuration, print the tables (and write JSON if asked)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="emulated seconds each")
    parser.add_argument("--json", type=Path, help="also write the raw reports here")
    args = parser.parse_args()
    elf, harness = build()
    memory = memory_use(elf)
    reports = []
    for channels, rate_hz, label in CONFIGS:
        report = run_bench(harness, elf, channels, rate_hz, args.seconds)
        report["label"] = label
        reports.append(report)
    print(
        f"Firmware: {memory['flash_bytes']} bytes of flash, "
        f"{memory['ram_bytes']} bytes of static RAM (ATmega2560: 256 KB / 8 KB)\n"
    )
    print(
        "| config | period (cycles) | ISR mean | ISR max | CPU busy mean | CPU busy max "
        "| ADC scan max | tick jitter | gaps / tx overflow / adc overruns |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for report in reports:
        print(table_row(report, report["label"]))
    print("\nPer interrupt handler, 8 x 1000 Hz (cycles per run, response included):\n")
    print("| handler | runs | mean | max |\n|---|---|---|---|")
    print("\n".join(vector_rows(reports[0])))
    wall = sum(float(r["wall_s"]) for r in reports)
    emulated = sum(float(r["emulated_s"]) for r in reports)
    print(f"\nEmulated {emulated:.1f} s in {wall:.2f} s of wall time ({emulated / wall:.1f}x).")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"memory": memory, "reports": reports}, indent=2))


if __name__ == "__main__":
    main()
