"""Benchmark: anonymised BIDS export of ten 60-minute, 8-channel, 1 kHz sessions (not a test).

The database is made quickly with real `SessionStore.write_batch` calls (one batch, and so
one ~1 s sample chunk, per second of synthetic envelope data, as the recorder writes them,
with stimulus markers and one gap per session), not by recording in real time. The export
is then timed end to end with `export_sessions` (planning, EDF+ writing, sidecars, the
identifying-data scan of every file, the SHA-256 manifest and the move into place), best
of --repeats runs; the database build is timed separately and not counted.

    python bench/bench_export.py                       # 10 x 60 min, BIDS (about 2 minutes)
    python bench/bench_export.py --sessions 2 --minutes 5 --format parquet
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.emotions import EMOTIONS
from microexp_tui.domain.markers import (
    MARKER_REST_ONSET,
    MARKER_STIMULUS_OFFSET,
    stimulus_onset_code,
)
from microexp_tui.domain.muscles import SEED_MONTAGE
from microexp_tui.domain.recording import Batch, GapRecord, MarkerRecord
from microexp_tui.export import export_sessions
from microexp_tui.store.sessions import SessionStore

RATE_HZ = 1000
CHANNELS = 8


def montage() -> list[ChannelSpec]:
    """The seed montage, envelope sensors."""
    return [
        ChannelSpec(i, f"EMG{i + 1}", m.name, "envelope", m.action_units)
        for i, m in enumerate(SEED_MONTAGE)
    ]


def second_of_data(rng: np.random.Generator, second: int) -> np.ndarray:
    """One second of (samples, channels) envelope counts with a burst every few seconds."""
    base = rng.normal(60.0, 8.0, (RATE_HZ, CHANNELS))
    if second % 5 == 0:
        base[200:700, second % CHANNELS] += 300.0
    return np.clip(base, 0, 1023).astype(np.int16)


def markers_for(second: int) -> list[MarkerRecord]:
    """A stimulus block every 10 s: onset, offset and rest."""
    if second % 10:
        return []
    emotion = EMOTIONS[(second // 10) % len(EMOTIONS)]
    at = second * RATE_HZ
    return [
        MarkerRecord(at, stimulus_onset_code(emotion), "protocol", emotion),
        MarkerRecord(at + 4 * RATE_HZ, MARKER_STIMULUS_OFFSET, "protocol"),
        MarkerRecord(at + 4 * RATE_HZ, MARKER_REST_ONSET, "protocol"),
    ]


def build_database(path: Path, sessions: int, minutes: float, seed: int) -> float:
    """Write the benchmark database; return the seconds it took."""
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    gap_second = 7
    with SessionStore.open(path) as store:
        for number in range(sessions):
            person = store.create_participant(f"BENCH-{number:03d}", 1990 + number, "female")
            sid = store.start_session(
                person.id,
                sample_rate_hz=RATE_HZ,
                channels=montage(),
                device={"board": "Arduino Mega 2560", "adc_bits": 10, "adc_vref_mv": 5000},
                simulated=number % 2 == 1,
                protocol="six_emotions",
                operator="Bench Operator",
            )
            for second in range(int(minutes * 60)):
                data = second_of_data(rng, second)
                batch = Batch(markers=markers_for(second))
                first = second * RATE_HZ
                if second == gap_second:
                    batch.chunks.append((first + 250, data[250:]))
                    batch.gaps.append(GapRecord(first, 250))
                else:
                    batch.chunks.append((first, data))
                store.write_batch(sid, batch)
            store.finish_session(sid, "completed")
    return time.perf_counter() - started


def time_export(db: Path, work: Path, fmt: str, repeats: int) -> tuple[list[float], Any]:
    """Wall times of `repeats` full exports (each into a new folder) and the last report."""
    times, report = [], None
    for run in range(repeats):
        out = work / f"export-{run}"
        started = time.perf_counter()
        report = export_sessions(db, out, None, fmt, work / "secret.key")
        times.append(time.perf_counter() - started)
        shutil.rmtree(out)
    return times, report


def main() -> None:
    """Build the database, time the exports, print a JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--format", choices=("bids", "parquet", "csv"), default="bids")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--keep", type=Path, help="build/keep the database here (reused if present)"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-export-"))
    try:
        db = args.keep or work / "bench.sqlite"
        build_s = 0.0 if db.exists() else build_database(db, args.sessions, args.minutes, args.seed)
        times, report = time_export(db, work, args.format, args.repeats)
        summary = {
            "format": args.format,
            "sessions": args.sessions,
            "minutes_per_session": args.minutes,
            "channels": CHANNELS,
            "rate_hz": RATE_HZ,
            "database_bytes": db.stat().st_size,
            "database_build_s": round(build_s, 1),
            "export_s_runs": [round(t, 2) for t in times],
            "export_s_best": round(min(times), 2),
            "export_files": report.files,
            "export_bytes": report.bytes,
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "machine": platform.machine(),
        }
        print(json.dumps(summary, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
