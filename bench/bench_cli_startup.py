"""Benchmark: how long `microexp --help` and `microexp sessions` take to start, and their memory.

Runs each command as a fresh `python -m microexp_tui` process, --runs times, interleaved
with `python -c pass` (the interpreter's floor on this machine, measured in the same run)
and, with --baseline-rev, with the same commands from an earlier commit of this repository
(extracted with `git archive` into a temporary folder), so ratios compare like with like on
a shared, noisy machine. Per case it prints the median wall time, the median CPU time
(user + system of the child) and the median peak RSS.

Cases: `--help`; `sessions --db DB` (a database of --sessions finished 8-channel sessions,
written by this tree's store); `sessions` without --db (the database found through the
operator settings, so they are loaded: pydantic-settings).

    python bench/bench_cli_startup.py
    python bench/bench_cli_startup.py --runs 15 --baseline-rev 02eea49
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class Case:
    """One command line, run in one source tree."""

    label: str
    tree: Path | None
    """The source tree on PYTHONPATH (None: the bare interpreter)."""
    argv: tuple[str, ...]


@dataclass(frozen=True)
class Sample:
    """One run of a case: wall and CPU seconds, peak resident memory."""

    wall_s: float
    cpu_s: float
    max_rss_mb: float


def build_database(folder: Path, sessions: int) -> Path:
    """A database of `sessions` finished 10 s sessions of 8 channels at 1 kHz, in `folder`."""
    import numpy as np

    from microexp_tui.domain.channels import ChannelSpec
    from microexp_tui.domain.recording import Batch
    from microexp_tui.store.sessions import SessionStore

    path = folder / "sessions.sqlite"
    channels = [ChannelSpec(i, f"EMG{i + 1}", "", "envelope", ()) for i in range(8)]
    chunk = np.full((1000, 8), 100, np.int16)
    with SessionStore.open(path) as store:
        for number in range(sessions):
            participant = store.create_participant()
            session_id = store.start_session(
                participant.id,
                sample_rate_hz=1000,
                channels=channels,
                device={"board": "bench"},
                simulated=bool(number % 2),
            )
            for second in range(10):
                store.write_batch(session_id, Batch(chunks=[(second * 1000, chunk)]))
            store.finish_session(session_id, "completed")
    with SessionStore.open(path):  # the checkpoint at the newest audit row, as after any open
        pass
    return path


def extract_revision(rev: str, folder: Path) -> Path:
    """The package of commit `rev` of this repository, unpacked into `folder`."""
    archive = folder / "tree.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "archive", rev], cwd=ROOT, stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(folder / "tree", filter="data")
    return folder / "tree"


def run_once(case: Case, env: dict[str, str]) -> Sample:
    """Run the case once in a fresh process; its wall time, CPU time and peak RSS."""
    command = [sys.executable, *case.argv] if case.tree else [sys.executable, "-c", "pass"]
    child_env = {**env, "PYTHONPATH": str(case.tree)} if case.tree else env
    started = time.perf_counter()
    child = subprocess.Popen(
        command, env=child_env, cwd=case.tree or ROOT, stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall_s = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{case.label} failed with exit code {child.returncode}")
    return Sample(wall_s, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def measure(cases: list[Case], runs: int, env: dict[str, str]) -> dict[str, list[Sample]]:
    """Every case `runs` times, interleaved so the machine's load falls on all alike."""
    samples: dict[str, list[Sample]] = {case.label: [] for case in cases}
    for case in cases:  # one warm-up each: file caches, .pyc files
        run_once(case, env)
    for _ in range(runs):
        for case in cases:
            samples[case.label].append(run_once(case, env))
    return samples


def median(values: list[float]) -> float:
    """The median of the values."""
    return statistics.median(values)


def main() -> None:
    """Build the database, run the cases and print the table and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="runs per case (default 11)")
    parser.add_argument("--sessions", type=int, default=20, help="sessions in the database")
    parser.add_argument(
        "--baseline-rev", help="also run the commands of this commit (e.g. 02eea49)"
    )
    parser.add_argument("--build-into", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_into:  # in a child, so this process stays small: a fork starts at its RSS
        build_database(args.build_into, args.sessions)
        return
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as temp:
        folder = Path(temp)
        build = [sys.executable, __file__, "--build-into", str(folder), "--sessions"]
        subprocess.run([*build, str(args.sessions)], check=True)
        database = folder / "sessions.sqlite"
        settings = folder / "settings.toml"
        settings.write_text("", encoding="utf-8")
        env = {
            **os.environ,
            "MICROEXP_CONFIG_FILE": str(settings),
            "MICROEXP_DATA_DIR": str(folder),
        }
        trees = {"this tree": ROOT}
        if args.baseline_rev:
            trees[f"baseline {args.baseline_rev}"] = extract_revision(args.baseline_rev, folder)
        cases = [Case("python -c pass", None, ())]
        for name, tree in trees.items():
            module = ("-m", "microexp_tui")
            cases += [
                Case(f"{name}: --help", tree, (*module, "--help")),
                Case(f"{name}: sessions --db", tree, (*module, "sessions", "--db", str(database))),
                Case(f"{name}: sessions (settings)", tree, (*module, "sessions")),
            ]
        samples = measure(cases, args.runs, env)
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cpus")
    print(f"{args.runs} runs per case, medians; {args.sessions} sessions in the database")
    print(f"{'case':<40} {'wall s':>8} {'cpu s':>8} {'rss MB':>8}")
    medians: dict[str, tuple[float, float, float]] = {}
    for label, runs in samples.items():
        medians[label] = (
            median([s.wall_s for s in runs]),
            median([s.cpu_s for s in runs]),
            median([s.max_rss_mb for s in runs]),
        )
        wall_s, cpu_s, rss_mb = medians[label]
        print(f"{label:<40} {wall_s:>8.3f} {cpu_s:>8.3f} {rss_mb:>8.1f}")
    if args.baseline_rev:
        print("ratios, baseline / this tree (wall, cpu, rss):")
        for command in ("--help", "sessions --db", "sessions (settings)"):
            new = medians[f"this tree: {command}"]
            old = medians[f"baseline {args.baseline_rev}: {command}"]
            print(
                f"  {command:<22} {old[0] / new[0]:6.2f}x {old[1] / new[1]:6.2f}x "
                f"{old[2] / new[2]:6.2f}x"
            )


if __name__ == "__main__":
    main()
