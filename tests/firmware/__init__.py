"""Shared helpers of the firmware tests: toolchain checks, builds, the emulated board.

The firmware is built with the real avr-gcc toolchain and run in the real simavr harness
(firmware/sim/) on a real pseudo-terminal. In CI (CI=true) a missing tool is a failure;
elsewhere the tests that need it are skipped.
"""

from __future__ import annotations

import atexit
import functools
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "firmware"
VECTORS = FIRMWARE / "vectors"
F_CPU_HZ = 16_000_000
AVR_TOOLS = ("avr-gcc", "avr-g++", "avr-gcc-ar", "avr-objcopy", "avr-size", "avr-nm", "make")
ARDUINO_CORE = Path("/usr/share/arduino/hardware/arduino/avr/cores/arduino")
SIMAVR_HEADER = Path("/usr/include/simavr/sim_avr.h")
APT_HINT = "apt-get install gcc-avr avr-libc simavr libsimavr-dev arduino-core-avr"


def in_ci() -> bool:
    """Whether we run in CI, where a missing toolchain must fail the build."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(what: str) -> None:
    """Fail (CI) or skip (a developer machine without the toolchain)."""
    message = f"{what} is missing ({APT_HINT})"
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


def require_host_compiler() -> str:
    """The host C compiler for the protocol tests."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        missing("a host C compiler (gcc)")
    assert compiler is not None
    return compiler


def require_avr_toolchain() -> None:
    """avr-gcc, binutils, make and Debian's Arduino core."""
    for tool in AVR_TOOLS:
        if shutil.which(tool) is None:
            missing(tool)
    if not (ARDUINO_CORE / "main.cpp").exists():
        missing(f"the Arduino AVR core ({ARDUINO_CORE})")


def require_simavr() -> None:
    """libsimavr and its headers, plus what the firmware build needs."""
    require_avr_toolchain()
    require_host_compiler()
    if not SIMAVR_HEADER.exists():
        missing("libsimavr-dev")


@functools.cache
def build_dir() -> Path:
    """One temporary build directory per test process (the checkout stays untouched)."""
    path = Path(tempfile.mkdtemp(prefix="microexp-fw-"))
    atexit.register(shutil.rmtree, path, True)
    return path


def run_make(*args: str) -> subprocess.CompletedProcess[str]:
    """`make -C firmware ...` into the test build directory; fails the test on error."""
    command = ["make", "-C", str(FIRMWARE), f"BUILD={build_dir()}", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@functools.cache
def firmware_elf() -> Path:
    """The firmware built from firmware/microexp_emg (once per test process)."""
    require_avr_toolchain()
    run_make("-j2", "firmware")
    return build_dir() / "microexp_emg.elf"


@functools.cache
def harness() -> Path:
    """The simavr harness built from firmware/sim (once per test process)."""
    require_simavr()
    run_make("sim")
    return build_dir() / "microexp-sim"


def adc_counts(millivolts: int) -> int:
    """What simavr's 10-bit ADC returns for an input, with AVCC = 5000 mV."""
    return min(1023, millivolts * 1023 // 5000)


def expected_ramp(indices: np.ndarray, channels: int) -> np.ndarray:
    """Counts of the harness's `--signal ramp` input: (k * 37 + c * 311) % 5001 mV for
    channel c of sample set k, a distinct known value per sample."""
    millivolts = (indices[:, None] * 37 + np.arange(channels)[None, :] * 311) % 5001
    return np.minimum(1023, millivolts * 1023 // 5000)


ISR_LATENCY_CYCLES = 200
"""Longest wait of the tick interrupt behind another handler (the longest runs ~120)."""
DECODE_LATENCY_CYCLES = 6000
"""Upper bound on the board's reaction to a command: one byte time to the RX interrupt,
then the main loop finishes the frame it is encoding and decodes the command (measured
1400-3800 cycles under emulation; 6000 = 375 us leaves margin)."""


def marker_window(ticks: Sequence[int], command_cycle: int) -> tuple[int, int]:
    """Sample indices a MARKER command may be echoed at: the first tick after it reached
    the board, where "reached" is between the cycle its last byte entered the UART and
    DECODE_LATENCY_CYCLES later. Both bounds are equal unless a tick falls in between."""
    array = np.asarray(ticks)
    earliest = int(np.searchsorted(array, command_cycle, side="right"))
    latest = int(np.searchsorted(array, command_cycle + DECODE_LATENCY_CYCLES, side="right"))
    return earliest, latest


@dataclass
class Events:
    """The harness's --events log: what happened on the emulated chip, in cycles."""

    ticks: list[list[int]] = field(default_factory=list)
    """Cycle of each Timer1 tick, one list per stream (START to the next START)."""
    conversions: dict[tuple[int, int, int], int] = field(default_factory=dict)
    """(stream, sample set, channel) -> millivolts latched at the conversion."""
    commands: list[tuple[int, int, int]] = field(default_factory=list)
    """(cycle, command type, seq) when a command's last byte entered the UART."""
    trigger_edges: list[tuple[int, int]] = field(default_factory=list)
    led: list[tuple[int, int]] = field(default_factory=list)
    resets: list[int] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path) -> Events:
        """Parse an event log (`<cycle> <kind> <fields...>` per line)."""
        events = cls()
        stream = -1
        for line in path.read_text().splitlines():
            cycle_text, kind, *rest = line.split()
            cycle = int(cycle_text)
            if kind == "tick":
                if int(rest[0]) == 0:
                    stream += 1
                    events.ticks.append([])
                events.ticks[stream].append(cycle)
            elif kind == "conv" and int(rest[2]) >= 0 and stream >= 0:
                events.conversions[(stream, int(rest[2]), int(rest[0]))] = int(rest[1])
            elif kind == "cmd":
                events.commands.append((cycle, int(rest[0], 0), int(rest[1])))
            elif kind == "trig":
                events.trigger_edges.append((cycle, int(rest[0])))
            elif kind == "led":
                events.led.append((cycle, int(rest[0])))
            elif kind == "reset":
                events.resets.append(cycle)
        return events


class EmulatedBoard:
    """The harness running the firmware, serving its UART on a pty (`.port`)."""

    def __init__(self, process: subprocess.Popen[bytes], stderr: IO[bytes], port: str) -> None:
        """Wrap a started harness whose port is known."""
        self.process = process
        self._stderr = stderr
        self.port = port

    def stderr_text(self) -> str:
        """What the harness wrote to stderr so far."""
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def stop(self) -> int:
        """SIGTERM and wait (the event log is flushed on a clean exit)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        return int(self.process.returncode)


def read_port_line(process: subprocess.Popen[bytes], timeout_s: float) -> str:
    """The first stdout line of the harness: the pty path."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    data = b""
    deadline = time.monotonic() + timeout_s
    while b"\n" not in data:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            raise TimeoutError("the harness printed no port path")
        chunk = os.read(fd, 256)
        if not chunk:
            raise RuntimeError("the harness exited before printing its port")
        data += chunk
    return data.split(b"\n", 1)[0].decode()


@contextmanager
def emulated_board(args: Sequence[str] = ()) -> Iterator[EmulatedBoard]:
    """Run the harness with `args` on the built firmware; stop it afterwards."""
    command = [str(harness()), *args, str(firmware_elf())]
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr)
        try:
            port = read_port_line(process, 10.0)
        except (TimeoutError, RuntimeError) as err:
            process.kill()
            process.wait()
            stderr.seek(0)
            pytest.fail(f"{err}: {stderr.read().decode(errors='replace')}")
        board = EmulatedBoard(process, stderr, port)
        try:
            yield board
        finally:
            code = board.stop()
            assert code == 0, f"harness exited with {code}: {board.stderr_text()}"
