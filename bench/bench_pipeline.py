"""Acquisition pipeline benchmark: the pty transport's ceiling, the simulator alone, unpaced
throughput with everything the recorder does by default, live CPU cost, database bytes.

Run: python bench/bench_pipeline.py [--ceiling-s 5] [--sim-s 5] [--fast-s 300] [--live-s 20]
Not a test: figures go to docs/benchmarks.md with the command that produced them.

All three rates are measured in the same run, as x real time of an 8-channel 1 kHz stream:

- ceiling: pyserial reads a raw pty in 64 KiB reads while a writer process fills it as fast
  as it can with 8-channel SAMPLES frames (no decoding: what the transport allows);
- simulator: the simulated board (`--fast`) read the same way, nothing decoded (its own
  output rate);
- pipeline: the recorder exactly as `microexp record` runs it by default (codec, filters,
  artifact flags, live expression detection, the default live model `cnn_window`, SQLite),
  from the unpaced simulator; the ratio pipeline / ceiling is the issue's figure.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sqlite3
import tempfile
import time
import tty
from pathlib import Path

import numpy as np
import serial

from microexp_tui.acquisition.recorder import Recorder, RecordingOptions, record_for
from microexp_tui.acquisition.sources import FramedSource
from microexp_tui.device.protocol import DEFAULT_BAUD, OVERHEAD_BYTES, Command, encode_samples_block
from microexp_tui.device.transport import BoardLink
from microexp_tui.inference.catalog import DEFAULT_MODEL, model_path_for
from microexp_tui.inference.model import EmotionModel
from microexp_tui.simulator.process import start_simulator_process
from microexp_tui.store.sessions import SessionStore

RATE_HZ = 1000
CHANNELS = 8
FRAME_BYTES = OVERHEAD_BYTES + 2 * CHANNELS
READ_BYTES = 64 * 1024
WRITER_BLOCK_FRAMES = 8192


def _fill_pty(master_fd: int, seconds: float) -> None:
    """Writer process: write 8-channel SAMPLES frames to the pty master as fast as it takes them."""
    counts = np.random.default_rng(0).integers(0, 1024, (WRITER_BLOCK_FRAMES, CHANNELS))
    block = memoryview(encode_samples_block(0, counts))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        view = block
        while view:
            written = os.write(master_fd, view)
            view = view[written:]
    os.close(master_fd)


def _read_rate(port: serial.Serial, seconds: float) -> tuple[int, float, float]:
    """Read 64 KiB at a time for `seconds`; returns (bytes, wall s, CPU s of this process)."""
    total = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    deadline = wall0 + seconds
    while time.perf_counter() < deadline:
        total += len(port.read(READ_BYTES))
    return total, time.perf_counter() - wall0, time.process_time() - cpu0


def _process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) another process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _x_real_time(n_bytes: int, wall_s: float) -> float:
    """An 8-channel 1 kHz stream's seconds carried per wall second by `n_bytes` of frames."""
    return n_bytes / FRAME_BYTES / RATE_HZ / wall_s


def ceiling(seconds: float) -> dict[str, object]:
    """pyserial reading a raw pty (64 KiB reads) that a writer process fills as fast as it can."""
    master, slave = os.openpty()
    tty.setraw(slave)
    path = os.ttyname(slave)
    writer = multiprocessing.get_context("fork").Process(
        target=_fill_pty, args=(master, seconds + 2.0)
    )
    writer.start()
    os.close(master)
    try:
        with serial.Serial(path, DEFAULT_BAUD, timeout=0.1) as port:
            port.read(READ_BYTES)  # let the writer get going
            n_bytes, wall, cpu = _read_rate(port, seconds)
    finally:
        os.close(slave)
        writer.terminate()
        writer.join()
    return {
        "wall_s": round(wall, 2),
        "reader_cpu_s": round(cpu, 2),
        "bytes": n_bytes,
        "x_real_time": round(_x_real_time(n_bytes, wall), 1),
        "x_real_time_per_reader_cpu_s": round(_x_real_time(n_bytes, cpu), 1),
    }


def simulator_alone(seconds: float) -> dict[str, object]:
    """The unpaced simulator's own output rate: its pty read like the ceiling's, not decoded."""
    with start_simulator_process(["--fast", "--seed", "1"]) as sim:
        link = BoardLink(sim.port, DEFAULT_BAUD)
        link.connect()
        link.send(Command.START)
        assert link._serial is not None
        link._serial.timeout = 0.1
        link._serial.read(READ_BYTES)
        sim_cpu0 = _process_cpu_s(sim.process.pid)
        n_bytes, wall, _ = _read_rate(link._serial, seconds)
        sim_cpu = _process_cpu_s(sim.process.pid) - sim_cpu0
        link.close()
    return {
        "wall_s": round(wall, 2),
        "simulator_cpu_s": round(sim_cpu, 2),
        "x_real_time": round(_x_real_time(n_bytes, wall), 1),
        "x_real_time_per_simulator_cpu_s": round(_x_real_time(n_bytes, sim_cpu), 1),
    }


def default_options() -> RecordingOptions:
    """What `microexp record` records with by default: the shipped live model, soft."""
    options = RecordingOptions(model_required=False)
    path = model_path_for(DEFAULT_MODEL)
    assert path is not None
    options.model = EmotionModel.load(path)
    return options


def record(
    port: str, db: Path, duration_s: float, options: RecordingOptions
) -> tuple[dict[str, object], float, float]:
    """Record `duration_s` of signal from `port`; returns (summary, wall s, process CPU s)."""
    store = SessionStore.open(db)
    recorder = Recorder(FramedSource(port, DEFAULT_BAUD), store, options)
    recorder.start()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    summary = record_for(recorder, duration_s)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    store.close()
    return summary.as_json(), wall, cpu


def database_bytes(db: Path) -> int:
    """Size of the database after folding the WAL back into it."""
    connection = sqlite3.connect(db)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*") if p.is_file())


def throughput(fast_s: float, work: Path) -> dict[str, object]:
    """Unpaced simulator -> pty -> pipeline (default model) -> SQLite: signal s per wall s."""
    db = work / "fast.sqlite"
    with start_simulator_process(["--fast", "--seed", "1"]) as sim:
        sim_cpu0 = _process_cpu_s(sim.process.pid)
        summary, wall, cpu = record(sim.port, db, fast_s, default_options())
        sim_cpu = _process_cpu_s(sim.process.pid) - sim_cpu0
    samples = int(summary["samples_per_channel"])  # type: ignore[call-overload]
    raw_bytes = samples * CHANNELS * 2
    return {
        "wall_s": round(wall, 2),
        "recorder_cpu_s": round(cpu, 2),
        "simulator_cpu_s": round(sim_cpu, 2),
        "samples_per_channel": samples,
        "x_real_time": round(samples / RATE_HZ / wall, 1),
        "x_real_time_per_recorder_cpu_s": round(samples / RATE_HZ / cpu, 1),
        "crc_errors": summary["crc_errors"],
        "lost_samples": summary["lost_samples"],
        "queue_overflows": summary["queue_overflows"],
        "predictions": summary["predictions"],
        "expressions": summary["expressions"],
        "model_problem": summary["model_problem"],
        "db_bytes": database_bytes(db),
        "db_bytes_per_raw_int16_byte": round(database_bytes(db) / raw_bytes, 4),
    }


def live_cpu(live_s: float, work: Path) -> dict[str, object]:
    """Paced 8 x 1 kHz simulator: CPU seconds the recording process spends per wall second."""
    db = work / "live.sqlite"
    with start_simulator_process(["--seed", "2"]) as sim:
        summary, wall, cpu = record(sim.port, db, live_s, default_options())
    return {
        "wall_s": round(wall, 2),
        "recorder_cpu_s": round(cpu, 2),
        "cpu_percent_of_one_core": round(100 * cpu / wall, 1),
        "samples_per_channel": summary["samples_per_channel"],
        "lost_samples": summary["lost_samples"],
    }


def main() -> None:
    """Run the measurements and print one JSON object (live last; --live-s 0 skips it)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ceiling-s", type=float, default=5.0)
    parser.add_argument("--sim-s", type=float, default=5.0)
    parser.add_argument("--fast-s", type=float, default=300.0, help="seconds of signal")
    parser.add_argument("--live-s", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        transport = ceiling(args.ceiling_s)
        simulator = simulator_alone(args.sim_s)
        pipeline = throughput(args.fast_s, work)
        result: dict[str, object] = {
            "machine_cores": os.cpu_count(),
            "load_average_1min": round(os.getloadavg()[0], 2),
            "pty_ceiling": transport,
            "simulator_alone": simulator,
            "throughput_unpaced": pipeline,
            "pipeline_over_ceiling": round(
                float(pipeline["x_real_time"]) / float(transport["x_real_time"]),  # type: ignore[arg-type]
                4,
            ),
        }
        if args.live_s > 0:
            result["live_8ch_1khz"] = live_cpu(args.live_s, work)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
