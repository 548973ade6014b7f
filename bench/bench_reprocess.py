"""Offline reprocessing of a stored hour: per stage, the current tree against a baseline commit.

Run from the repository root:

    python bench/bench_reprocess.py                  # baseline: main, best of 3
    python bench/bench_reprocess.py --baseline HEAD~2 --repeats 5

A 60-minute 8-channel 1 kHz envelope session (the simulator's spontaneously expressive
participant, one-second int16 chunks, as `bench_inference.py` records it) is built once
and cached under /tmp (never in the repository). The baseline's `microexp_tui` is taken
from git (`git archive`) into /tmp too; each stage then runs in a fresh process of each tree,
alternating baseline and current so both see the same load, best of `--repeats`:

- read: every stored chunk (`SessionStore.sample_chunks`) joined into 60 s pieces;
- filters: the filter bank over the pieces (the current tree's channel-split bank);
- filters + classification: `classify_recording` with `models/cnn_window.onnx` (read
  ahead, displayed probabilities accumulated);
- store: `start_prediction_run` of the hour's 35,996 predictions;
- reprocess: `reprocess_session` end to end (read, filters, classification, store);
- detection: `analyse_session` end to end (read, filters, recorded flags, detector, store);
- CLI: `microexp reprocess` and `microexp microexpressions` as commands, imports included
  (the current `reprocess` also detects the expressions);
- offline: everything offline reprocessing stores, as commands: the baseline's `reprocess`
  and `microexpressions` back to back on one copy (wall and CPU summed) against the current
  `reprocess` alone, with whether the stored predictions and offline expressions (and the
  detector's parameters) are equal, row for row.

`--only STAGE ...` times just those stages.

Wall and CPU seconds (all threads of the process) are printed for each, with whether the
stored predictions and expressions are equal, bit for bit, to the baseline's. Not a test:
the figures go to docs/benchmarks.md with the command that produced them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import resource
import shutil
import subprocess
import sys
import tarfile
import time
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path("/tmp/microexp-bench-reprocess")
SESSION_DB = CACHE / "hour.sqlite"
MODEL = ROOT / "models" / "cnn_window.onnx"
STAGES = ("read", "filters", "filters_classification", "store", "reprocess", "detection")
COMMANDS = ("cli_reprocess", "cli_microexpressions", "cli_offline")


def build_session() -> None:
    """Record the simulated hour into the cached database (once)."""
    sys.path.insert(0, str(ROOT))
    import numpy as np

    from microexp_tui.domain.recording import Batch
    from microexp_tui.simulator.board import EmgSource
    from microexp_tui.simulator.participant import ParticipantConfig, SimulatedParticipant
    from microexp_tui.simulator.signals import SignalConfig, SignalGenerator
    from microexp_tui.store.sessions import SessionStore
    from tests.store import seed_channels

    CACHE.mkdir(parents=True, exist_ok=True)
    partial = CACHE / "hour.partial.sqlite"
    participant = SimulatedParticipant(ParticipantConfig(spontaneous=True), (), 1, 0)
    source = EmgSource(SignalGenerator(SignalConfig("envelope", 1000, 8, 1)), participant)
    with SessionStore.open(partial) as store:
        person = store.create_participant(code="BENCH")
        session_id = store.start_session(
            person.id, sample_rate_hz=1000, channels=seed_channels(), device={}, simulated=True
        )
        for first in range(0, 3_600_000, 1000):
            chunk = source.block(first, 1000).astype(np.int16)
            store.write_batch(session_id, Batch(chunks=[(first, chunk)]))
        store.finish_session(session_id, "completed")
    partial.rename(SESSION_DB)


def baseline_tree(commit: str) -> Path:
    """The baseline commit's `microexp_tui` unpacked under /tmp (once per commit)."""
    sha = subprocess.run(
        ["git", "rev-parse", commit], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    tree = CACHE / f"baseline-{sha[:12]}"
    if not (tree / "microexp_tui").is_dir():
        archive = subprocess.run(
            ["git", "archive", sha, "microexp_tui", "templates"], cwd=ROOT, check=True,
            capture_output=True,
        ).stdout  # fmt: skip
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(tree, filter="data")
    return tree


def fresh_copy(name: str) -> Path:
    """A private copy of the cached session database (each run writes into it)."""
    target = CACHE / f"work-{name}-{os.getpid()}.sqlite"
    shutil.copy(SESSION_DB, target)
    return target


def run_stage(stage: str) -> dict[str, Any]:
    """Run one stage in this process (imported from PYTHONPATH's tree); time and digest it."""
    import numpy as np

    from microexp_tui.analysis.microexpressions import analyse_session
    from microexp_tui.analysis.reprocess import reprocess_session
    from microexp_tui.domain.recording import PredictionRecord
    from microexp_tui.dsp.filters import FilterSettings
    from microexp_tui.dsp.units import WorkingUnits
    from microexp_tui.inference.model import EmotionModel
    from microexp_tui.inference.offline import classify_recording, join_contiguous
    from microexp_tui.store.sessions import SessionStore

    db = fresh_copy(stage)
    model = EmotionModel.load(MODEL)
    store = SessionStore.open(db)
    record = store.session(1)
    kinds = [c.sensor_kind for c in record.channels]
    muscles = [c.muscle for c in record.channels]
    working = WorkingUnits.board(8)
    settings = FilterSettings(sample_rate_hz=1000.0)
    chunks = list(store.sample_chunks(1))
    pieces = list(join_contiguous(iter(chunks), 60_000))
    if stage == "store":  # what the stage stores, made before it is timed
        run = classify_recording(
            iter(chunks), model=model, sample_rate_hz=1000.0, muscles=muscles, sensor_kinds=kinds
        )
        records = [
            PredictionRecord(model.model_id, p.sample_index, p.label, p.activation,
                             p.probabilities, p.raw_probabilities)
            for p in run.predictions
        ]  # fmt: skip
    digest: Any = None
    wall0, cpu0 = time.perf_counter(), time.process_time()
    if stage == "read":
        digest = len(list(join_contiguous(store.sample_chunks(1), 60_000)))
    elif stage == "filters":
        try:
            from microexp_tui.dsp.batch import SplitFilterBank  # the current tree

            bank: Any = SplitFilterBank(working, kinds, settings)
        except ImportError:  # the baseline: one bank
            bank = working.filter_bank(kinds, settings)
        out = [bank.process(working.convert(values)) for _, values in pieces]
        digest = hashlib.sha256(b"".join(np.ascontiguousarray(o).tobytes() for o in out))
        digest = digest.hexdigest()
    elif stage == "filters_classification":
        again = classify_recording(
            iter(chunks), model=model, sample_rate_hz=1000.0, muscles=muscles, sensor_kinds=kinds
        )
        digest = hashlib.sha256(pickle.dumps(again.predictions)).hexdigest()
    elif stage == "store":
        store.start_prediction_run(
            1, model.model_id, kind="reprocess", classes=model.card.output_classes,
            hop_ms=run.hop_ms, window_samples=run.window_samples, model_card=model.card.raw,
            records=records,
        )  # fmt: skip
        digest = hashlib.sha256(pickle.dumps(store.predictions(1, model.model_id))).hexdigest()
    elif stage == "reprocess":
        store.close()
        reprocess_session(db, 1, MODEL, mains_hz=50.0, hop_ms=100.0)
    elif stage == "detection":
        analysis = analyse_session(store, 1)
        digest = hashlib.sha256(pickle.dumps(analysis.expressions)).hexdigest()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    if stage == "reprocess":
        with SessionStore.open(db) as again_store:
            stored = again_store.predictions(1, model.model_id)
        digest = hashlib.sha256(pickle.dumps(stored)).hexdigest()
    else:
        store.close()
    db.unlink()
    return {"wall_s": wall, "cpu_s": cpu, "digest": digest}


def stage_in(tree: Path, stage: str) -> dict[str, Any]:
    """Run one stage in a fresh process importing `tree`'s microexp_tui."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--stage", stage],
        cwd=tree, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def command_in(tree: Path, command: str) -> dict[str, Any]:
    """Run `microexp reprocess` or `microexp microexpressions` of `tree` on a fresh copy
    (`cli_offline`: what offline reprocessing takes in that tree, see the module's notes)."""
    db = fresh_copy(command)
    env = {**os.environ, "PYTHONPATH": str(tree)}
    reprocess = ["reprocess", "1", "--db", str(db), "--model", str(MODEL), "--mains-hz", "50"]
    detect = ["microexpressions", "1", "--db", str(db), "--mains-hz", "50"]
    runs = {"cli_reprocess": [reprocess], "cli_microexpressions": [detect]}.get(command)
    if runs is None:
        runs = [reprocess] if tree == ROOT else [reprocess, detect]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall0 = time.perf_counter()
    for argv in runs:
        subprocess.run(
            [sys.executable, "-m", "microexp_tui", *argv], cwd=tree, env=env, check=True,
            capture_output=True,
        )  # fmt: skip
    wall = time.perf_counter() - wall0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    digest = stored_digest(db) if command == "cli_offline" else None
    db.unlink()
    return {"wall_s": wall, "cpu_s": cpu, "digest": digest}


def stored_digest(db: Path) -> str:
    """SHA-256 of the stored predictions, offline expressions (with their activations) and
    detector parameters."""
    import sqlite3

    queries = (
        "SELECT * FROM predictions ORDER BY session_id, model_id, sample_index",
        "SELECT * FROM expressions ORDER BY id",
        "SELECT * FROM expression_activations ORDER BY rowid",
        "SELECT source, detector FROM expression_runs ORDER BY source",
    )
    with sqlite3.connect(db) as connection:
        rows = [connection.execute(query).fetchall() for query in queries]
    return hashlib.sha256(pickle.dumps(rows)).hexdigest()


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Smallest wall and CPU time of the runs (each its own best), and the digests seen."""
    return {
        "wall_s": round(min(r["wall_s"] for r in runs), 3),
        "cpu_s": round(min(r["cpu_s"] for r in runs), 3),
        "digests": sorted({str(r["digest"]) for r in runs}),
    }


def main() -> None:
    """Build the session if needed, time every stage in both trees, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="main", help="git commit of the baseline")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--stage", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--only", nargs="+", choices=(*STAGES, *COMMANDS), help="these stages")
    args = parser.parse_args()
    if args.stage:
        print(json.dumps(run_stage(args.stage)))
        return
    if not SESSION_DB.exists():
        build_session()
    trees = {"baseline": baseline_tree(args.baseline), "current": ROOT}
    report: dict[str, Any] = {
        "session": "60 min, 8 envelope channels, 1 kHz, 3,600 int16 chunks",
        "baseline": args.baseline,
        "repeats": args.repeats,
        "load_average_start": os.getloadavg(),
    }
    for stage in args.only or (*STAGES, *COMMANDS):
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
        for _ in range(args.repeats):
            for name, tree in trees.items():
                timed = command_in if stage in COMMANDS else stage_in
                runs[name].append(timed(tree, stage))
        base, current = best(runs["baseline"]), best(runs["current"])
        report[stage] = {
            "baseline": base,
            "current": current,
            "wall_ratio": round(base["wall_s"] / current["wall_s"], 2),
            "cpu_ratio": round(base["cpu_s"] / current["cpu_s"], 2),
            "equal": base["digests"] == current["digests"] and len(base["digests"]) == 1,
        }
        print(stage, json.dumps(report[stage]), file=sys.stderr, flush=True)
    report["load_average_end"] = os.getloadavg()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
