"""Benchmark: opening a database with a long audit log, from the checkpoint vs a full check.

Builds a database whose audit log holds --entries chained rows (real `audit.append` calls
in one transaction), then times, best of --repeats:

- `SessionStore.open` with the checkpoint at the newest row (what every open costs);
- `SessionStore.open` with 100 rows written after the checkpoint;
- `SessionStore.open` with no checkpoint (the whole chain checked at open, as before one
  existed; the peer the checkpoint is compared with);
- `verify_audit_log()` on an open store (what `microexp audit verify`, export and report add).

    python bench/bench_audit_chain.py                     # 100,000 entries
    python bench/bench_audit_chain.py --entries 10000 --repeats 3
"""

from __future__ import annotations

import argparse
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from microexp_tui.domain.sessions import utc_now_iso  # noqa: E402
from microexp_tui.store import audit  # noqa: E402
from microexp_tui.store.database import write_transaction  # noqa: E402
from microexp_tui.store.sessions import SessionStore  # noqa: E402

NEW_ROWS = 100


def build(path: Path, entries: int) -> None:
    """A database whose audit log holds about `entries` chained rows, checkpoint at the newest."""
    with SessionStore.open(path) as store:
        last_id, prev = store.db.execute(
            "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1"
        ).fetchone()
        rows = []
        for row_id in range(last_id + 1, entries + 1):
            row = {
                "id": row_id,
                "at": utc_now_iso(),
                "actor": "op1",
                "action": "export",
                "session_id": row_id % 50 or None,
                "detail": audit.canonical_detail("export", {"files": row_id % 97, "fmt": "bids"}),
                "prev_hash": prev,
            }
            row["hash"] = prev = audit.row_hash(prev, row)
            rows.append(row)
        with write_transaction(store.db):
            store.db.table("audit_log").insert_all(rows, batch_size=5000)
    with SessionStore.open(path):
        pass


def append_rows(path: Path, count: int) -> None:
    """`count` new rows after the checkpoint."""
    with SessionStore.open(path) as store:
        for number in range(count):
            store.audit("report", {"pages": number})


def drop_checkpoint(path: Path) -> None:
    """Remove the checkpoint, so the next open checks the whole chain."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DELETE FROM audit_checkpoint")
    conn.close()


def best_s(run: Callable[[], object], prepare: Callable[[], object], repeats: int) -> float:
    """Best wall time of `run` over `repeats`, `prepare` untimed before each."""
    times = []
    for _ in range(repeats):
        prepare()
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def open_once(path: Path) -> Callable[[], None]:
    """Open and close the store once."""

    def run() -> None:
        SessionStore.open(path).close()

    return run


def main() -> None:
    """Build, time the four cases, print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "audit.sqlite"
        started = time.perf_counter()
        build(path, args.entries)
        built_s = time.perf_counter() - started
        with SessionStore.open(path) as store:
            entries = len(store.audit_entries())
        nothing = lambda: None  # noqa: E731
        checkpoint = best_s(open_once(path), nothing, args.repeats)
        newer = best_s(open_once(path), lambda: append_rows(path, NEW_ROWS), args.repeats)
        full = best_s(open_once(path), lambda: drop_checkpoint(path), args.repeats)
        with SessionStore.open(path) as store:
            verify = best_s(store.verify_audit_log, nothing, args.repeats)
    version = platform.python_version()
    print(f"python {version}, {entries:,} audit entries (built in {built_s:.1f} s)")
    print(f"| case | best of {args.repeats} | vs full check at open |")
    print("|---|---|---|")
    rows = [
        ("open, checkpoint at the newest row", checkpoint),
        (f"open, {NEW_ROWS} rows after the checkpoint", newer),
        ("open, no checkpoint (whole chain checked)", full),
        ("verify_audit_log() on an open store (audit verify, export, report)", verify),
    ]
    for name, seconds in rows:
        print(f"| {name} | {seconds * 1000:.1f} ms | {seconds / full:.3f}x |")


if __name__ == "__main__":
    main()
