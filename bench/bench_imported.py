"""Offline detection of imported sessions at their own rate, against a board session.

Run from the repository root:

    python bench/bench_imported.py              # 5 minutes of 8 channels per session, ~1 minute
    python bench/bench_imported.py --minutes 10

Each session holds the same kind of synthetic raw EMG (Gaussian noise with 0.8 s bursts,
8 channels): a board session at 1 kHz in ADC counts (int16, artifact flags stored by the
recorder, here none) is the peer; imported sessions at 2 kHz (int32, uV) and 4 kHz
(float32, uV) are analysed in their units with artifact flags computed from each channel's
input range. `analyse_session` (SQLite read, filter chain, flags, detector, replace the
offline set) is timed, best of 3, and given per second of recording and per sample.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from microexp_tui.analysis.microexpressions import analyse_session  # noqa: E402
from microexp_tui.domain.channels import ChannelSpec, board_channel  # noqa: E402
from microexp_tui.domain.muscles import SEED_MONTAGE  # noqa: E402
from microexp_tui.domain.recording import Batch  # noqa: E402
from microexp_tui.store.sessions import SessionStore  # noqa: E402

CHANNELS = 8
CASES = (
    ("board 1 kHz int16 counts", 1000.0, "board", "int16"),
    ("import 2 kHz int32 uV", 2000.0, "import", "int32"),
    ("import 4 kHz float32 uV", 4000.0, "import", "float32"),
)


def _signal(rate_hz: float, minutes: float, seed: int) -> np.ndarray:
    """Raw EMG in uV: 5 uV noise, 60 uV bursts of 0.8 s every 4 s on two channels in turn."""
    rng = np.random.default_rng(seed)
    n = round(minutes * 60 * rate_hz)
    sd = np.full((n, CHANNELS), 5.0)
    for k, start_s in enumerate(np.arange(3.0, minutes * 60 - 1, 4.0)):
        a = round(start_s * rate_hz)
        sd[a : a + round(0.8 * rate_hz), [k % CHANNELS, (k + 3) % CHANNELS]] = 60.0
    return rng.normal(size=(n, CHANNELS)) * sd


def _session(store: SessionStore, rate_hz: float, source: str, fmt: str, minutes: float) -> int:
    """Store one session of the case; return its id."""
    uv = _signal(rate_hz, minutes, seed=int(rate_hz))
    if source == "board":
        channels = [
            board_channel(i, f"EMG{i + 1}", m.name, "raw", m.action_units)
            for i, m in enumerate(SEED_MONTAGE)
        ]
        values = np.clip(np.round(512 + uv), 0, 1023).astype(np.int16)  # 1 count per uV
    else:
        scale = 0.01 if fmt == "int32" else 1.0
        channels = [
            ChannelSpec(
                i,
                f"EMG{i + 1}",
                m.name,
                "raw",
                m.action_units,
                unit="uV",
                scale=scale,
                physical_min=-5000.0,
                physical_max=5000.0,
            )
            for i, m in enumerate(SEED_MONTAGE)
        ]
        values = (np.round(uv / scale) if fmt == "int32" else uv).astype(fmt)
    participant = store.create_participant()
    session = store.start_session(
        participant.id,
        sample_rate_hz=rate_hz,
        channels=channels,
        device={},
        simulated=True,
        source=source,
        sample_format=fmt,
    )
    step = round(10 * rate_hz)
    for first in range(0, values.shape[0], step):
        store.write_batch(session, Batch(chunks=[(first, values[first : first + step])]))
    store.finish_session(session, "completed")
    return session


def main() -> None:
    """Build the sessions, time their analysis, print a table and JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results = []
    with (
        tempfile.TemporaryDirectory() as folder,
        SessionStore.open(Path(folder) / "b.sqlite") as store,
    ):
        ids = [_session(store, rate, source, fmt, args.minutes) for _, rate, source, fmt in CASES]
        for (name, rate, _, _), session in zip(CASES, ids, strict=True):
            times, found = [], 0
            for _ in range(args.repeat):
                start = time.perf_counter()
                found = len(analyse_session(store, session).expressions)
                times.append(time.perf_counter() - start)
            best = min(times)
            samples = args.minutes * 60 * rate * CHANNELS
            results.append(
                {
                    "case": name,
                    "seconds": round(best, 3),
                    "expressions": found,
                    "s_per_recorded_minute": round(best / args.minutes, 4),
                    "ns_per_sample": round(1e9 * best / samples, 1),
                }
            )
    peer = results[0]["ns_per_sample"]
    for row in results:
        row["per_sample_vs_board"] = round(row["ns_per_sample"] / peer, 2)
        print(
            f"{row['case']:<26} {row['seconds']:7.3f} s  {row['ns_per_sample']:6.1f} ns/sample  "
            f"x{row['per_sample_vs_board']:.2f} per sample  {row['expressions']} expressions"
        )
    print(json.dumps({"minutes": args.minutes, "channels": CHANNELS, "results": results}))


if __name__ == "__main__":
    main()
