"""Benchmark: the legacy sketch's millis as the clock, against the reader it replaced (not a test).

The simulated sketch (`simulator.legacy_sketch`, no pty) prints its lines for a recording of
--minutes at a loop of --period-ms, with millis jitter, lost lines and a host that reads them late
(exponential latency, mean 5 ms, and a 300 ms stall every 10 s, during which lines pile
up and arrive in one read). The lines go through `device.stream.LegacyStream` as the
recorder feeds them, one host read at a time. For each case the script reports:

  measured       the measured rate against the simulated one (1000 / period), in ppm
  stored         the rate as stored (nearest n/d Hz, d <= 60) against the simulated one
  misplaced      lines whose sample index differs from their loop number (less the first's)
  gaps/lost      counted gaps and lost samples, against the lines really lost
  resyncs        clock resyncs (none expected: every line here was sent in time)
  end error      the last line's time (index / rate) minus its true time, in ms, for this
                 reader and for the previous one (consecutive indices at a fixed 20 Hz)
  lines/s        decoding and placing throughput of LegacyStream.feed (the sketch sends ~20)

    python bench/bench_legacy_clock.py --minutes 10 60   # about 2 minutes
    python bench/bench_legacy_clock.py --minutes 10 --period-ms 50.8
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from microexp_tui.acquisition.sources import PREAMBLE_LINES
from microexp_tui.device.legacy_clock import measure_period_ms, storable_rate_hz
from microexp_tui.device.stream import LegacyStream, StreamCounters
from microexp_tui.simulator.legacy_sketch import SKETCH_PERIOD_MS, LegacySketch, SketchConfig
from microexp_tui.simulator.replay import ReplayData

OLD_RATE_HZ = 20.0
"""The previous reader's hard-coded rate: every line was the next sample at 20 Hz."""
STALL_EVERY_S = 10.0
STALL_S = 0.3
MEAN_LATENCY_S = 0.005


def numbered_replay(rows: int) -> ReplayData:
    """Rows that carry their loop number on the first two channels."""
    counts = np.zeros((rows, 8), dtype=np.uint16)
    counts[:, 0] = np.arange(rows) % 1000
    counts[:, 1] = (np.arange(rows) // 1000) % 1000
    return ReplayData(path=Path("numbered"), counts=counts)


def host_reads(
    lines: list[bytes], loops: list[int], period_ms: float, seed: int
) -> list[tuple[float, bytes]]:
    """Lines grouped into host reads: (receive time, bytes), late and bunched by stalls."""
    rng = np.random.default_rng(seed)
    sent_s = (np.asarray(loops) + 1) * period_ms / 1000
    arrive_s = sent_s + rng.exponential(MEAN_LATENCY_S, len(loops))
    stall_end_s = (np.floor(arrive_s / STALL_EVERY_S) * STALL_EVERY_S) + STALL_S
    in_stall = (arrive_s % STALL_EVERY_S) < STALL_S
    arrive_s = np.maximum.accumulate(np.where(in_stall, stall_end_s, arrive_s))
    reads: list[tuple[float, bytes]] = []
    for at_s, line in zip(arrive_s.tolist(), lines, strict=True):
        if reads and reads[-1][0] == at_s:
            reads[-1] = (at_s, reads[-1][1] + line)
        else:
            reads.append((at_s, line))
    return reads


def run_case(
    minutes: float, period_ms: float, jitter_ms: float, drop: float, seed: int
) -> dict[str, float]:
    """One recording through the stream; the figures of the module docstring."""
    loops_total = int(minutes * 60_000 / period_ms)
    config = SketchConfig(
        period_ms=period_ms,
        replay=numbered_replay(loops_total),
        jitter_ms=jitter_ms,
        drop_probability=drop,
        seed=seed,
    )
    sketch = LegacySketch(config)
    sketch.host_opened()
    chunks = sketch.produce(loops_total)
    lines = [chunk.data for chunk in chunks]
    loops = [int(v0) + 1000 * int(v1) for v0, v1 in (line.split(b",")[1:3] for line in lines)]
    counters = StreamCounters()
    first_millis = np.array([int(line.split(b",")[0]) for line in lines[:PREAMBLE_LINES]])
    prior_ms = measure_period_ms(first_millis)  # as LegacySource does when the port opens
    assert prior_ms is not None
    stream = LegacyStream(8, counters, 0, prior_ms)
    indices: list[int] = []
    started = time.perf_counter()
    for at_s, data in host_reads(lines, loops, period_ms, seed):
        for block in stream.feed(data, at_s):
            indices.extend(range(block.first_index, block.stop_index))
    elapsed_s = time.perf_counter() - started
    rate_hz = storable_rate_hz(stream.clock.measured_period_ms)
    true_hz = 1000 / period_ms
    expected = np.asarray(loops) - loops[0]
    true_end_s = expected[-1] / true_hz
    lost_true = int(expected[-1] + 1 - len(loops))
    return {
        "measured_error_ppm": (period_ms / stream.clock.measured_period_ms - 1) * 1e6,
        "rate_error_ppm": (rate_hz / true_hz - 1) * 1e6,
        "misplaced": int(np.count_nonzero(np.asarray(indices) != expected)),
        "gaps": counters.sequence_gaps,
        "lost": counters.lost_samples,
        "lost_true": lost_true,
        "resyncs": counters.clock_resyncs,
        "end_error_ms": (indices[-1] / rate_hz - true_end_s) * 1000,
        "old_end_error_ms": ((len(loops) - 1) / OLD_RATE_HZ - true_end_s) * 1000,
        "lines_per_s": len(loops) / elapsed_s,
    }


def main() -> None:
    """Run every case and print one row each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[10.0, 60.0])
    parser.add_argument(
        "--period-ms",
        type=float,
        nargs="+",
        default=[SKETCH_PERIOD_MS, 51.37],
        help="the sketch's loop periods to simulate (default: 51, and 51.37, not whole ms)",
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(
        "minutes period_ms jitter_ms drop | measured_ppm stored_ppm misplaced gaps lost/true "
        "resyncs | end_err_ms (old reader) | lines/s"
    )
    for minutes in args.minutes:
        for period_ms in args.period_ms:
            for jitter_ms, drop in ((0.0, 0.0), (5.0, 0.02), (20.0, 0.05)):
                print_case(minutes, period_ms, jitter_ms, drop, args.seed)


def print_case(minutes: float, period_ms: float, jitter_ms: float, drop: float, seed: int) -> None:
    """Run one case and print its row."""
    r = run_case(minutes, period_ms, jitter_ms, drop, seed)
    print(
        f"{minutes:7g} {period_ms:9g} {jitter_ms:9g} {drop:4g} | "
        f"{r['measured_error_ppm']:12.1f} {r['rate_error_ppm']:10.1f} "
        f"{r['misplaced']:9d} {r['gaps']:4d} {r['lost']:5d}/{r['lost_true']:<5d} "
        f"{r['resyncs']:7d} | {r['end_error_ms']:10.1f} ({r['old_end_error_ms']:9.0f}) "
        f"| {r['lines_per_s']:8.0f}"
    )


if __name__ == "__main__":
    main()
