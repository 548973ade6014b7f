"""Run the simulated board as a subprocess and learn its port: for tests and the app."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO

from microexp_tui.errors import DeviceError

_PACKAGE_PARENT = Path(__file__).resolve().parents[3]
DEFAULT_STARTUP_TIMEOUT_S = 15.0


class SimulatorProcess:
    """A running `python -m microexp_tui.simulator`; `.port` is the latest announced path."""

    def __init__(self, process: subprocess.Popen[bytes], stderr: IO[bytes]) -> None:
        """Wrap a started process; call `wait_for_port` before using `.port`."""
        self.process = process
        self._stderr = stderr
        self._pending = b""
        self.port = ""

    def wait_for_port(self, timeout_s: float = DEFAULT_STARTUP_TIMEOUT_S) -> str:
        """Read the next path line from stdout (the first, or a new one after an unplug)."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout_s
        while b"\n" not in self._pending:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(remaining, 0.0))
            if not ready:
                raise DeviceError(
                    f"The simulator printed no port path within {timeout_s:.1f} s. "
                    f"{self.stderr_text()}"
                )
            data = os.read(fd, 4096)
            if not data:
                code = self.process.wait()
                raise DeviceError(
                    f"The simulator exited (code {code}) before announcing a port: "
                    f"{self.stderr_text()}"
                )
            self._pending += data
        line, _, self._pending = self._pending.partition(b"\n")
        self.port = line.decode().strip()
        return self.port

    def stderr_text(self) -> str:
        """What the simulator wrote to stderr so far (its logs and error messages)."""
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace").strip()

    def stop(self, timeout_s: float = 5.0) -> int:
        """SIGTERM, wait for a clean exit (kill after `timeout_s`); returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()
        return int(self.process.returncode)

    def __enter__(self) -> SimulatorProcess:
        """Use as a context manager that stops the simulator on exit."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the simulator."""
        self.stop()


def start_simulator_process(
    args: list[str], startup_timeout_s: float = DEFAULT_STARTUP_TIMEOUT_S
) -> SimulatorProcess:
    """Start the simulator with CLI `args` and wait until it announces its port."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PACKAGE_PARENT), env.get("PYTHONPATH")]))
    stderr = tempfile.TemporaryFile()  # noqa: SIM115 (owned and closed by SimulatorProcess)
    process = subprocess.Popen(
        [sys.executable, "-m", "microexp_tui.simulator", *args],
        stdout=subprocess.PIPE,
        stderr=stderr,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    simulator = SimulatorProcess(process, stderr)
    try:
        simulator.wait_for_port(startup_timeout_s)
    except BaseException:
        simulator.stop()
        raise
    return simulator
