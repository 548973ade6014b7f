"""Acquisition pipeline benchmark: unpaced throughput, live CPU cost, database bytes per sample.

Run: python bench/bench_pipeline.py [--fast-s 10] [--live-s 20] [--out bench/out]
Not a test: figures go to docs/benchmarks.md with the command that produced them.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import tempfile
import time
from pathlib import Path

from microexp_tui.acquisition.recorder import Recorder, RecordingOptions, record_for
from microexp_tui.acquisition.sources import FramedSource
from microexp_tui.device.protocol import DEFAULT_BAUD
from microexp_tui.simulator.process import start_simulator_process
from microexp_tui.store.sessions import SessionStore

RATE_HZ = 1000
CHANNELS = 8


def record(port: str, db: Path, duration_s: float) -> tuple[dict[str, object], float, float]:
    """Record from `port` for `duration_s`; returns (summary, wall s, CPU s of this process)."""
    store = SessionStore.open(db)
    recorder = Recorder(FramedSource(port, DEFAULT_BAUD), store, RecordingOptions())
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
    """Unpaced simulator -> pty -> pipeline -> SQLite: seconds of signal stored per wall second."""
    db = work / "fast.sqlite"
    with start_simulator_process(["--fast", "--seed", "1"]) as sim:
        summary, wall, cpu = record(sim.port, db, fast_s)
    samples = int(summary["samples_per_channel"])  # type: ignore[call-overload]
    raw_bytes = samples * CHANNELS * 2
    return {
        "wall_s": round(wall, 2),
        "recorder_cpu_s": round(cpu, 2),
        "samples_per_channel": samples,
        "x_real_time": round(samples / RATE_HZ / wall, 1),
        "crc_errors": summary["crc_errors"],
        "lost_samples": summary["lost_samples"],
        "queue_overflows": summary["queue_overflows"],
        "db_bytes": database_bytes(db),
        "db_bytes_per_raw_int16_byte": round(database_bytes(db) / raw_bytes, 4),
    }


def live_cpu(live_s: float, work: Path) -> dict[str, object]:
    """Paced 8 x 1 kHz simulator: CPU seconds the recording process spends per wall second."""
    db = work / "live.sqlite"
    with start_simulator_process(["--seed", "2"]) as sim:
        summary, wall, cpu = record(sim.port, db, live_s)
    return {
        "wall_s": round(wall, 2),
        "recorder_cpu_s": round(cpu, 2),
        "cpu_percent_of_one_core": round(100 * cpu / wall, 1),
        "samples_per_channel": summary["samples_per_channel"],
        "lost_samples": summary["lost_samples"],
    }


def main() -> None:
    """Run both measurements and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fast-s", type=float, default=10.0)
    parser.add_argument("--live-s", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        result = {
            "machine_cores": os.cpu_count(),
            "throughput_unpaced": throughput(args.fast_s, work),
            "live_8ch_1khz": live_cpu(args.live_s, work),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
