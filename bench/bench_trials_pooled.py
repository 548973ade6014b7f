"""Trial tables of many 60-minute 8-channel 1 kHz raw sessions pooled, and one DuckDB query.

Run from the repository root:

    python bench/bench_trials_pooled.py                 # 100 sessions of 50 participants
    python bench/bench_trials_pooled.py --sessions 10   # a smaller pool

One session is simulated (the single-session benchmark's hour, `bench/bench_trials.py`,
cached under /tmp: the simulator's raw signal, a reaction to a stimulus every 8 s, 449
trials) and its samples and markers are cloned by SQL into `--sessions` sessions of
`--sessions / 2` participants in the benchmark's own database under /tmp (never in the
repository). Then `microexp trials --all --format parquet --partitioned` runs as a person
would run it (a subprocess: two worker processes, participant by participant), and its wall
time and the peak RSS of the largest process (the command or a worker) are printed; then one
DuckDB query over the partitioned dataset (mean change per condition and muscle), timed.
Not a test: the figures go to docs/benchmarks.md with the command.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CACHE = Path("/tmp/microexp-bench-pooled")
SOURCE_DB = Path("/tmp/microexp-bench-trials/hour-raw.sqlite")
"""The single-session benchmark's cached hour (built by it when missing)."""
SESSION_BYTES = 3_600_000 * 8 * 2


def source_session() -> Path:
    """The simulated hour, built by the single-session benchmark if it is not cached yet."""
    if not SOURCE_DB.exists():
        sys.path.insert(0, str(ROOT / "bench"))
        from bench_trials import build_session  # type: ignore[import-not-found]

        build_session()
    return SOURCE_DB


def pooled_database(sessions: int) -> Path:
    """A database of `sessions` clones of the hour, two per participant (built once)."""
    db = CACHE / f"pooled-{sessions}.sqlite"
    if db.exists():
        return db
    free = shutil.disk_usage(CACHE.parent).free
    if free < 1.5 * sessions * SESSION_BYTES:
        raise SystemExit(f"{free / 1e9:.1f} GB free under /tmp: too little for {sessions} hours")
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = CACHE / f"pooled-{sessions}.partial.sqlite"
    partial.unlink(missing_ok=True)
    source_db = source_session()
    with closing(sqlite3.connect(source_db)) as source, closing(sqlite3.connect(partial)) as copy:
        source.backup(copy)
    _clone_sessions(partial, sessions)
    with closing(sqlite3.connect(partial)) as sql:
        sql.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        sql.execute("PRAGMA journal_mode = DELETE")
    partial.rename(db)
    return db


def _clone_sessions(db: Path, sessions: int) -> None:
    """Sessions 2..N: new participants and sessions through the store, samples by SQL."""
    from microexp_tui.store.sessions import SessionStore

    with SessionStore.open(db) as store:
        record = store.session(1)
        people = [store.participant(record.participant_id)]
        people += [store.create_participant(f"BENCH-{n:03d}") for n in range(2, sessions // 2 + 1)]
        new_ids = []
        for n in range(1, sessions):
            person = people[n // 2]
            assert person is not None
            sid = store.start_session(
                person.id,
                sample_rate_hz=record.sample_rate_hz,
                channels=list(record.channels),
                device={},
                simulated=True,
            )
            store.finish_session(sid, "completed")
            new_ids.append(sid)
    with closing(sqlite3.connect(db)) as sql:
        for sid in new_ids:
            sql.execute(
                "INSERT INTO sample_chunks (session_id, first_sample, n_samples, channel_count, "
                "data) SELECT ?, first_sample, n_samples, channel_count, data "
                "FROM sample_chunks WHERE session_id = 1",
                [sid],
            )
            sql.execute(
                "INSERT INTO markers (session_id, sample_index, kind, code, source, label, "
                "condition, host_time_s) SELECT ?, sample_index, kind, code, source, label, "
                "condition, host_time_s FROM markers WHERE session_id = 1",
                [sid],
            )
            sql.execute(
                "UPDATE sessions SET status = 'completed', "
                "samples_per_channel = (SELECT samples_per_channel FROM sessions WHERE id = 1), "
                "stored_samples = (SELECT stored_samples FROM sessions WHERE id = 1) WHERE id = ?",
                [sid],
            )
            sql.commit()


def run_trials(db: Path, out: Path) -> float:
    """`microexp trials --all` into a partitioned dataset; wall seconds."""
    shutil.rmtree(out, ignore_errors=True)
    out.with_name(f"{out.name}_summary.parquet").unlink(missing_ok=True)
    command = [
        sys.executable, "-m", "microexp_tui", "trials", "--all", "--db", f"{db}=station-1",
        "--format", "parquet", "--partitioned", "--secret-file", str(CACHE / "secret.key"),
        "-o", str(out), "--json",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(done.stderr)
    print(done.stdout.strip()[:400])
    return elapsed


def duckdb_query(out: Path) -> tuple[float, int]:
    """Mean whole-window change per condition and muscle over the dataset; seconds and rows."""
    import duckdb

    started = time.perf_counter()
    relation = duckdb.sql(
        f"SELECT condition, muscle, avg(change) AS mean_change, count(*) AS n "
        f"FROM read_parquet('{out}/**/*.parquet', hive_partitioning = true) "
        "WHERE bin = 0 AND NOT excluded GROUP BY ALL"
    )
    assert relation is not None
    rows = relation.fetchall()
    total = duckdb.sql(f"SELECT count(*) FROM read_parquet('{out}/**/*.parquet')")
    assert total is not None
    (count,) = total.fetchall()
    assert rows
    return time.perf_counter() - started, int(count[0])


def main() -> None:
    """Build the pool, run the command, query the dataset, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100)
    args = parser.parse_args()
    db = pooled_database(args.sessions)
    out = CACHE / f"dataset-{args.sessions}"
    elapsed = run_trials(db, out)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    size_mb = sum(p.stat().st_size for p in out.rglob("*.parquet")) / 1e6
    query_s, rows = duckdb_query(out)
    print(
        f"{args.sessions} sessions ({args.sessions} h of 8-ch 1 kHz raw): {elapsed:.1f} s wall "
        f"({elapsed / args.sessions:.2f} s per session), peak RSS {peak_mb:.0f} MB "
        f"(largest process); dataset {rows} rows, {size_mb:.0f} MB Parquet; "
        f"DuckDB query {query_s:.2f} s; {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
