"""Benchmark: AU import of a 30-minute, 30 fps OpenFace 2.2 file, against pandas (not a test).

The file has OpenFace FeatureExtraction's full default column layout (714 columns:
`frame, face_id, timestamp, confidence, success`, gaze, 2D and 3D eye landmarks, pose, 2D
and 3D face landmarks, shape parameters, 17 `AUxx_r` and 18 `AUxx_c`), a space-padded
header and values written with six significant digits as OpenFace's C++ streams write them.
`read_au_csv` + `au_events` is timed against `pandas.read_csv` of the same file, whole and
with only the columns the importer needs, in the same run; best of --repeats each.

    python bench/bench_au_import.py                    # 30 min x 30 fps, best of 3
    python bench/bench_au_import.py --minutes 7.5      # about 84 MB
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from microexp_tui.expressions.au_import import au_events, read_au_csv

AUS_R = (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 45)
AUS_C = (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 28, 45)
DISTINCT_BODIES = 500
"""Distinct non-AU row bodies cycled through (generating every value would take minutes)."""


def openface_header() -> list[str]:
    """OpenFace 2.2 FeatureExtraction's default header (all outputs on), 714 names."""
    names = ["frame", "face_id", "timestamp", "confidence", "success"]
    names += [f"gaze_{eye}_{axis}" for eye in (0, 1) for axis in "xyz"]
    names += ["gaze_angle_x", "gaze_angle_y"]
    names += [f"eye_lmk_{axis}_{i}" for axis in "xyXYZ" for i in range(56)]
    names += ["pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry", "pose_Rz"]
    names += [f"{axis}_{i}" for axis in "xyXYZ" for i in range(68)]
    names += ["p_scale", "p_rx", "p_ry", "p_rz", "p_tx", "p_ty"] + [f"p_{i}" for i in range(34)]
    names += [f"AU{au:02d}_r" for au in AUS_R] + [f"AU{au:02d}_c" for au in AUS_C]
    return names


def write_file(path: Path, minutes: float, fps: float, seed: int) -> int:
    """Write the benchmark file; return its number of frames."""
    rng = np.random.default_rng(seed)
    header = openface_header()
    middle = len(header) - 5 - len(AUS_R) - len(AUS_C)
    scales = rng.choice([0.1, 1.0, 30.0, 300.0], size=middle)
    bodies = [
        ", ".join(f"{v:.6g}" for v in rng.normal(0.0, 1.0, middle) * scales)
        for _ in range(DISTINCT_BODIES)
    ]
    frames = int(minutes * 60 * fps)
    intensity = au_intensities(rng, frames, fps)
    presence = np.zeros((frames, len(AUS_C)), dtype=int)  # AU28 has no intensity: absent
    for j, au in enumerate(AUS_C):
        if au in AUS_R:
            presence[:, j] = intensity[:, AUS_R.index(au)] > 1.0
    with path.open("w", encoding="utf-8") as out:
        out.write(", ".join(header) + "\n")
        for k in range(frames):
            au_r = ", ".join(f"{v:.4g}" for v in intensity[k])
            au_c = ", ".join(map(str, presence[k]))
            out.write(f"{k + 1}, 0, {k / fps:.3f}, 0.98, 1, {bodies[k % DISTINCT_BODIES]}, ")
            out.write(f"{au_r}, {au_c}\n")
    return frames


def au_intensities(rng: np.random.Generator, frames: int, fps: float) -> np.ndarray:
    """Per-AU intensity (0-5): rest near 0.3, an action every ~10 s lasting 0.3-4 s."""
    intensity = np.clip(rng.normal(0.3, 0.15, (frames, len(AUS_R))), 0, 5)
    for au in range(len(AUS_R)):
        starts = np.flatnonzero(rng.random(frames) < 1.0 / (10.0 * fps))
        for start in starts:
            length = int(rng.uniform(0.3, 4.0) * fps)
            intensity[start : start + length, au] = rng.uniform(1.2, 4.5)
    return intensity


def best_of(repeats: int, work: Callable[[], object]) -> tuple[float, list[float], float]:
    """Best wall time of `repeats` runs, all of them, and the CPU time (all threads) of the best."""
    runs, cpu = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        work()
        runs.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return min(runs), runs, cpu[runs.index(min(runs))]


def main() -> None:
    """Write the file, time the importer and pandas, print a JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    import pandas as pd

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "openface.csv"
        started = time.perf_counter()
        frames = write_file(path, args.minutes, args.fps, args.seed)
        build_s = time.perf_counter() - started
        header = [name.strip() for name in openface_header()]
        needed = ["face_id", "timestamp", "confidence", "success", "frame"]
        needed += [name for name in header if name.startswith("AU")]
        events: list[Any] = []
        importer, importer_runs, importer_cpu = best_of(
            args.repeats, lambda: events.append(len(au_events(read_au_csv(path))))
        )
        whole, whole_runs, whole_cpu = best_of(
            args.repeats, lambda: pd.read_csv(path, skipinitialspace=True)
        )
        usecols, usecols_runs, usecols_cpu = best_of(
            args.repeats,
            lambda: pd.read_csv(path, skipinitialspace=True, usecols=needed),
        )
        summary = {
            "file": {
                "minutes": args.minutes,
                "fps": args.fps,
                "frames": frames,
                "columns": len(header),
                "megabytes": round(path.stat().st_size / 1e6, 1),
                "build_s": round(build_s, 1),
            },
            "au_events": events[-1],
            "read_au_csv_plus_events_s": round(importer, 3),
            "pandas_read_csv_whole_s": round(whole, 3),
            "pandas_read_csv_usecols_s": round(usecols, 3),
            "cpu_s": {
                "importer": round(importer_cpu, 3),
                "pandas_whole": round(whole_cpu, 3),
                "pandas_usecols": round(usecols_cpu, 3),
            },
            "speedup_vs_pandas_whole": round(whole / importer, 2),
            "speedup_vs_pandas_usecols": round(usecols / importer, 2),
            "runs_s": {
                "importer": [round(r, 3) for r in importer_runs],
                "pandas_whole": [round(r, 3) for r in whole_runs],
                "pandas_usecols": [round(r, 3) for r in usecols_runs],
            },
            "machine": f"{platform.machine()}, Python {platform.python_version()}, "
            f"numpy {np.__version__}, pandas {pd.__version__}",
        }
        print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
