"""Live cost of the recorder: marginal CPU of a 30 s recording over a 10 s one, baseline and after.

Run: python bench/bench_live_cost.py --baseline PATH [--also NAME=PATH ...] [--short-s 10]
[--long-s 30] [--rounds 1]. PATH is a checkout of the code to compare against (e.g.
`git archive BASE | tar -x -C PATH`); `--also` adds other checkouts (what-if experiments).
Each recording runs in its own process (a paced simulated board, 8 ch x 1 kHz, on a pty,
with everything `microexp record` does by default: filters, artifact flags, live expression
detection, live classification with the default model and its evidence display, SQLite).
The marginal CPU (long - short) / (long - short seconds) cancels start-up and stop.
Not a test: figures go to docs/benchmarks.md with the command that produced them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve()
REPO = HERE.parent.parent


def thread_cpu_s() -> dict[str, float]:
    """CPU seconds (user + system) of each live thread of this process, by thread name."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    tick_hz = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = names.get(int(task.name), "other (native)")
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick_hz
    return out


def worker(seconds: float) -> dict[str, object]:
    """Record `seconds` from a paced simulator with the default settings; CPU and counts."""
    from microexp_tui.acquisition.recorder import Recorder, RecordingOptions, record_for
    from microexp_tui.acquisition.sources import FramedSource
    from microexp_tui.device.protocol import DEFAULT_BAUD
    from microexp_tui.inference.catalog import DEFAULT_MODEL, choose_live_model
    from microexp_tui.inference.model import EmotionModel
    from microexp_tui.simulator.process import start_simulator_process
    from microexp_tui.store.sessions import SessionStore

    choice = choose_live_model(DEFAULT_MODEL)
    assert choice.path is not None
    options = RecordingOptions(model=EmotionModel.load(choice.path), model_required=False)
    with tempfile.TemporaryDirectory() as tmp, start_simulator_process(["--seed", "2"]) as sim:
        store = SessionStore.open(Path(tmp) / "live.sqlite")
        recorder = Recorder(FramedSource(sim.port, DEFAULT_BAUD), store, options)
        recorder.start()
        before = thread_cpu_s()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        threads = thread_cpu_s()  # the recorder's threads end with the stop: read them first
        summary = record_for_with_threads(recorder, seconds, record_for, threads)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        store.close()
    per_thread = {k: round(v - before.get(k, 0.0), 3) for k, v in threads.items()}
    return {
        "seconds": seconds,
        "wall_s": wall,
        "cpu_s": cpu,
        "threads_cpu_s": per_thread,
        "samples_per_channel": summary.samples_per_channel,
        "predictions": summary.counters.get("predictions", 0),
        "expressions": summary.counters.get("expressions", 0),
        "lost_samples": summary.counters.get("lost_samples", 0),
        "model_problem": summary.model_problem,
    }


def record_for_with_threads(
    recorder: object, seconds: float, record_for: object, threads: dict[str, float]
) -> object:
    """Run `record_for`, updating `threads` with per-thread CPU just before the stop."""
    sampler_stop = threading.Event()

    def sample() -> None:
        while not sampler_stop.wait(0.5):
            threads.update(thread_cpu_s())

    sampler = threading.Thread(target=sample, name="bench-sampler", daemon=True)
    sampler.start()
    try:
        return record_for(recorder, seconds)  # type: ignore[operator]
    finally:
        sampler_stop.set()
        sampler.join()


def run_worker(checkout: Path, seconds: float) -> dict[str, object]:
    """One recording in a fresh process importing the code of `checkout`."""
    env = dict(os.environ, PYTHONPATH=str(checkout))
    done = subprocess.run(
        [sys.executable, str(HERE), "--worker", str(seconds)],
        env=env,
        cwd=checkout,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Measure baseline and after, interleaved, and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", type=Path, required=False)
    parser.add_argument("--short-s", type=float, default=10.0)
    parser.add_argument("--long-s", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--also", action="append", default=[], metavar="NAME=PATH")
    parser.add_argument("--worker", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        print(json.dumps(worker(args.worker)))
        return
    variants = {"after": REPO}
    if args.baseline is not None:
        variants = {"baseline": args.baseline.resolve(), "after": REPO}
    for also in args.also:
        name, _, path = also.partition("=")
        variants[name] = Path(path).resolve()
    runs: dict[str, list[dict[str, object]]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, checkout in variants.items():
            short = run_worker(checkout, args.short_s)
            long = run_worker(checkout, args.long_s)
            span_s = float(long["wall_s"]) - float(short["wall_s"])  # type: ignore[arg-type]
            marginal = (float(long["cpu_s"]) - float(short["cpu_s"])) / span_s  # type: ignore[arg-type]
            runs[name].append(
                {
                    "marginal_percent_of_one_core": round(100 * marginal, 2),
                    "short": short,
                    "long": long,
                }
            )
    print(json.dumps({"machine_cores": os.cpu_count(), "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
