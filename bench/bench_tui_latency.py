"""Key press to screen update latency of the operator TUI while recording, and its CPU use.

The app runs in its own process on a real pseudo-terminal, recording 8 channels at 1 kHz
from the simulated board (paced in real time) with live classification, the protocol
running. This script types `space` (pause) into the terminal and times how long until the
terminal output shows "PAUSED"; then resumes, waits, and repeats. CPU is the app process's
user + system time over the measured span, divided by wall time.

    python bench/bench_tui_latency.py [--presses 40] [--model cnn_window] [--size 100x30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from microexp_tui.simulator.process import start_simulator_process  # noqa: E402

READY_TEXT = b"block "
PAUSED_TEXT = b"PAUSED"
WAIT_LIMIT_S = 60.0


class TerminalOutput:
    """Collects what the app writes to its terminal, in a thread."""

    def __init__(self, fd: int) -> None:
        """Start reading `fd` (the pty master)."""
        self.fd = fd
        self.buffer = bytearray()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        """Append everything the app writes."""
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.buffer += data

    def mark(self) -> int:
        """Current length: search only what comes after this."""
        with self.lock:
            return len(self.buffer)

    def wait_for(self, text: bytes, since: int, limit_s: float = WAIT_LIMIT_S) -> float:
        """Seconds until `text` appears after offset `since` (polled every 0.5 ms)."""
        start = time.perf_counter()
        while time.perf_counter() - start < limit_s:
            with self.lock:
                if self.buffer.find(text, since) >= 0:
                    return time.perf_counter() - start
            time.sleep(0.0005)
        raise TimeoutError(f"{text!r} never appeared on the app's terminal")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_app(
    port: str, db: Path, model: str, size: tuple[int, int]
) -> tuple[subprocess.Popen[bytes], int]:
    """The app (this script with --child) on a new pseudo-terminal; returns it and the master fd."""
    master, slave = os.openpty()
    columns, rows = size
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor")
    command = [
        sys.executable,
        __file__,
        "--child",
        "--port",
        port,
        "--db",
        str(db),
        "--model",
        model,
    ]
    process = subprocess.Popen(
        command, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    return process, master


def measure(args: argparse.Namespace) -> dict[str, object]:
    """Run the app against the simulator and time the presses."""
    size = tuple(int(part) for part in args.size.split("x"))
    with tempfile.TemporaryDirectory() as folder:
        link, db = Path(folder) / "board", Path(folder) / "bench.sqlite"
        sim_args = ["--channels", "8", "--rate-hz", "1000", "--link", str(link)]
        with start_simulator_process(sim_args):
            process, master = start_app(str(link), db, args.model, size)  # type: ignore[arg-type]
            output = TerminalOutput(master)
            try:
                output.wait_for(READY_TEXT, 0)
                time.sleep(args.warmup_s)
                result = press_and_time(process.pid, output, args.presses)
            finally:
                os.write(master, b"\x11")  # ctrl+q, then confirm
                time.sleep(0.5)
                os.write(master, b"y")
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
        result["recording"] = recording_counters(db)
    result.update(presses=args.presses, model=args.model, terminal=args.size)
    return result


def press_and_time(pid: int, output: TerminalOutput, presses: int) -> dict[str, object]:
    """Pause (timed) and resume (untimed) `presses` times; latencies in ms and CPU use."""
    fd = output.fd
    latencies_ms = []
    cpu_start, wall_start = cpu_seconds(pid), time.perf_counter()
    for _ in range(presses):
        since = output.mark()
        os.write(fd, b" ")
        latencies_ms.append(1000 * output.wait_for(PAUSED_TEXT, since))
        time.sleep(0.3)
        os.write(fd, b" ")
        time.sleep(0.7)
    wall_s = time.perf_counter() - wall_start
    cpu_s = cpu_seconds(pid) - cpu_start
    ordered = sorted(latencies_ms)
    return {
        "latency_ms_p50": round(ordered[len(ordered) // 2], 1),
        "latency_ms_p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
        "latency_ms_max": round(ordered[-1], 1),
        "app_cpu_percent_of_one_core": round(100 * cpu_s / wall_s, 1),
        "measured_s": round(wall_s, 1),
        "latencies_ms": [round(value, 1) for value in latencies_ms],
    }


def recording_counters(db: Path) -> dict[str, object]:
    """Data-quality counters and prediction count of the benchmark's session."""
    from microexp_tui.store.sessions import SessionStore

    with SessionStore.open(db) as store:
        record = store.list_sessions()[-1]
        keys = ("frames", "lost_samples", "sequence_gaps", "queue_overflows", "predictions")
        return {key: record.counters.get(key, 0) for key in keys}


# -- the app side ----------------------------------------------------------------------------


def run_child(port: str, db: Path, model: str) -> None:
    """The real app, opened straight onto a running recording with the protocol started."""
    from microexp_tui.acquisition.recorder import RecordingOptions
    from microexp_tui.inference.catalog import model_path_for
    from microexp_tui.session_flow.board import BoardChoice, ConnectedBoard
    from microexp_tui.session_flow.live import LiveSession
    from microexp_tui.settings import Settings
    from microexp_tui.study.consent import load_consent
    from microexp_tui.study.montages import load_preset, montage_for_board
    from microexp_tui.study.protocols import load_protocol
    from microexp_tui.tui.app import MicroexpApp, make_app

    settings = Settings(model=model, open_media=False, default_protocol="six_emotions")
    app = make_app(db, settings=settings, port=port)

    async def prepare(app: MicroexpApp) -> None:
        await asyncio.sleep(0.5)
        participant = await asyncio.to_thread(app.store.create_participant, code="BENCH-1")
        visit = app.new_visit()
        visit.participant, visit.consent = participant, load_consent()
        visit.protocol = load_protocol("six_emotions")
        visit.board = ConnectedBoard(BoardChoice("bench board", port))
        visit.montage = montage_for_board(load_preset("seed8"), 8)
        options = RecordingOptions(participant_code=participant.code)
        visit.live = LiveSession(visit.board, db, options, visit.montage, model_path_for(model))
        await asyncio.to_thread(visit.live.start)
        await app.push_screen(app.recording_screen())
        await asyncio.sleep(0.2)
        app.screen.action_start_pause()  # type: ignore[attr-defined]

    app.call_later(lambda: app.run_worker(prepare(app)))
    try:
        app.run()
    finally:
        app.shutdown()


def main() -> None:
    """Parse the options; measure, or be the app."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=40)
    parser.add_argument("--model", default="cnn_window", help="model in models/, or none")
    parser.add_argument("--size", default="100x30", help="terminal COLUMNSxROWS")
    parser.add_argument("--warmup-s", type=float, default=3.0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.port, args.db, args.model)
        return
    result = measure(args)
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
