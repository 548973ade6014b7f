"""Benchmark: PDF report of a 60-minute, 8-channel, 1 kHz session (not a test).

The session is built like the export benchmark's (`bench_export.build_database`: real
`SessionStore.write_batch` calls, one ~1 s chunk per second, a stimulus every 10 s, one
gap), then given what a full report shows: a live prediction run of the shipped CNN card
every 100 ms (36,000 windows), one stored expression per stimulus, electrode checks and a
calibration. The report (default template, A4) is timed end to end with `generate_report`
(store reads, the min/max envelope of all 28.8 million samples, layout, write, audit),
best of --repeats runs; the database build is timed separately and not counted.

    python bench/bench_report.py                 # 60 min (database build about a minute)
    python bench/bench_report.py --minutes 5 --repeats 1
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

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import bench_export  # noqa: E402  (the export benchmark's session builder)

from microexp_tui.domain.calibration import ChannelCalibration  # noqa: E402
from microexp_tui.domain.electrodes import ElectrodeCheck  # noqa: E402
from microexp_tui.domain.emotions import EMOTIONS  # noqa: E402
from microexp_tui.domain.expressions import Activation, Expression  # noqa: E402
from microexp_tui.domain.muscles import EMOTION_CHANNELS, SEED_MONTAGE  # noqa: E402
from microexp_tui.domain.recording import PredictionRecord  # noqa: E402
from microexp_tui.report.generate import generate_report  # noqa: E402
from microexp_tui.store.sessions import SessionStore  # noqa: E402

RATE_HZ = bench_export.RATE_HZ
CARD = HERE.parent / "models" / "cnn_window.card.json"


def add_results(store: SessionStore, session_id: int, seconds: int) -> None:
    """Predictions every 100 ms, an expression per stimulus, checks and calibration."""
    card = json.loads(CARD.read_text())
    classes = tuple(card["output_classes"])
    rng = np.random.default_rng(3)
    records = []
    for end in range(500, seconds * RATE_HZ + 1, RATE_HZ // 10):
        second = end // RATE_HZ
        in_stimulus = second % 10 < 4
        emotion = EMOTIONS[(second // 10) % len(EMOTIONS)]
        probs = rng.dirichlet(np.ones(len(classes)) * 0.5)
        probs[classes.index(emotion if in_stimulus else "neutral")] += 2.0
        probs /= probs.sum()
        label = classes[int(np.argmax(probs))]
        records.append(PredictionRecord(card["model_id"], end, label, 0.2, tuple(probs.tolist())))
    store.start_prediction_run(
        session_id,
        card["model_id"],
        kind="live",
        classes=classes,
        hop_ms=100.0,
        window_samples=500,
        model_card=card,
        records=records,
    )
    found = []
    for second in range(0, seconds, 10):
        emotion = EMOTIONS[(second // 10) % len(EMOTIONS)]
        onset = second * RATE_HZ + 350
        length = 300 if second % 20 == 0 else 1200
        acts = tuple(
            Activation(ch, onset, onset + length, onset + length // 2, 360.0, 55.0)
            for ch in EMOTION_CHANNELS[emotion]
        )
        units = tuple(u for ch in EMOTION_CHANNELS[emotion] for u in SEED_MONTAGE[ch].action_units)
        found.append(
            Expression(
                float(RATE_HZ),
                onset,
                onset + length,
                onset + length // 2,
                acts,
                units,
                "micro" if length <= 500 else "macro",
                emotion,
                0.7,
            )
        )
    store.save_expressions(session_id, found, "offline")
    store.save_electrode_checks(
        session_id,
        [
            ElectrodeCheck(c, "green", 60.0, 8.0, 0.02, 0.0, False, 300.0, True)
            for c in range(bench_export.CHANNELS)
        ],
    )
    store.save_calibration(
        session_id,
        [
            ChannelCalibration(c, 60.0, 8.0, 360.0, True, 0, 1000)
            for c in range(bench_export.CHANNELS)
        ],
    )


def build(path: Path, minutes: float) -> float:
    """The benchmark database; seconds it took."""
    started = time.perf_counter()
    bench_export.build_database(path, 1, minutes, seed=7)
    with SessionStore.open(path) as store:
        add_results(store, store.list_sessions()[0].id, int(minutes * 60))
    return time.perf_counter() - started


def main() -> None:
    """Build the session, time the reports, print a JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build/keep the database here (reused)")
    parser.add_argument("--pdf", type=Path, help="also keep the last report here")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-report-"))
    try:
        db = args.keep or work / "bench.sqlite"
        build_s = 0.0 if db.exists() else build(db, args.minutes)
        times, result = [], None
        with SessionStore.open(db) as store:
            session_id = store.list_sessions()[0].id
            for run in range(args.repeats):
                started = time.perf_counter()
                result = generate_report(store, session_id, work / f"report-{run}.pdf")
                times.append(time.perf_counter() - started)
        assert result is not None
        if args.pdf:
            shutil.copyfile(result.path, args.pdf)
        summary = {
            "minutes": args.minutes,
            "channels": bench_export.CHANNELS,
            "rate_hz": RATE_HZ,
            "samples_per_channel": int(args.minutes * 60 * RATE_HZ),
            "prediction_windows": int(args.minutes * 600) - 4,
            "database_bytes": db.stat().st_size,
            "database_build_s": round(build_s, 1),
            "report_s_runs": [round(t, 2) for t in times],
            "report_s_best": round(min(times), 2),
            "report_pages": result.pages,
            "report_bytes": result.bytes,
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "machine": platform.machine(),
        }
        print(json.dumps(summary, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
