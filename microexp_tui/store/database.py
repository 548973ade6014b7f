"""Opening the SQLite file safely (0600, WAL, busy timeout); SQLite errors as StoreError.

Thread-safety: a connection is opened with `check_same_thread=False` so a store may be
created in one thread and handed to another (the writer thread), but it must be used by
one thread at a time; give each thread its own `SessionStore`.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from microexp_tui.errors import StoreError
from microexp_tui.paths import OWNER_ONLY_FILE_MODE, tighten_to_owner

if TYPE_CHECKING:
    from sqlite_utils import Database

log = logging.getLogger(__name__)
SIDE_FILE_SUFFIXES = ("-wal", "-shm")
"""The files SQLite keeps beside a WAL database, which hold its data too."""

PAGE_SIZE_BYTES = 4096
"""Page size of new databases.

Chunk BLOBs larger than a page spill into overflow pages that SQLite fills completely,
so the waste per chunk is bounded by about one small page: measured 1.04x raw int16
for 1 s chunks of 8x1000 (8192: 1.06x, 16384: 1.10x, 65536: 1.17x), and the lowest
waste for jittery chunk sizes and for 250-2000 Hz too. Small pages also keep the WAL
traffic of the per-second metadata updates low.
"""

BUSY_TIMEOUT_MS = 10_000
"""How long a write waits for another connection's write lock before failing."""

JOURNAL_SIZE_LIMIT_BYTES = 32 * 1024 * 1024
"""The WAL file is truncated to this size after a checkpoint."""


class SqlReader(Protocol):
    """What a read-only query needs: the store's `Database` or a bare `sqlite3.Connection`."""

    def execute(self, sql: str, parameters: Any = ..., /) -> sqlite3.Cursor:
        """Run one statement and return its cursor."""
        ...


class StoreFullError(StoreError):
    """The disk (or the database size limit) is full; earlier commits are intact."""


class StoreBusyError(StoreError):
    """Another connection held the write lock for longer than the busy timeout."""


class StoreCorruptError(StoreError):
    """The file is not a SQLite database, or its pages are damaged."""


def corrupt_message(path: Path) -> str:
    """Actionable message for a file SQLite cannot read as a database."""
    return (
        f"{path} is not a readable SQLite database (corrupt, or some other kind of file). "
        "It was left untouched. Move it aside (for example rename it to "
        f"{path.name}.corrupt) to start a new database there, or pass --db with another path."
    )


def translate_error(exc: sqlite3.Error, path: Path, doing: str) -> StoreError:
    """Map a sqlite3 error raised while `doing` something on `path` to an actionable StoreError."""
    text = str(exc).lower()
    if "database or disk is full" in text:
        return StoreFullError(
            f"Could not {doing}: the disk holding {path} is full (or the database reached "
            "its size limit). Nothing from this step was saved; everything saved before is "
            "intact and readable. Stop the recording, free disk space, then start a new session."
        )
    if "locked" in text or "busy" in text:
        return StoreBusyError(
            f"Could not {doing}: {path} stayed locked by another program for more than "
            f"{BUSY_TIMEOUT_MS / 1000:.0f} s. Close other programs using it (another "
            "microexp-tui, a database browser) and try again."
        )
    if "readonly" in text or "read-only" in text:
        return StoreError(
            f"Could not {doing}: {path} is read-only. Check the permissions of the file and "
            "of its folder, or pass --db with a writable path."
        )
    if "not a database" in text or "malformed" in text:
        return StoreCorruptError(corrupt_message(path))
    return StoreError(f"Could not {doing} in {path}: SQLite reported '{exc}'.")


@contextmanager
def sqlite_errors(path: Path, doing: str) -> Iterator[None]:
    """Re-raise any sqlite3 error inside the block as a StoreError describing `doing`."""
    try:
        yield
    except sqlite3.Error as exc:
        raise translate_error(exc, path, doing) from exc


@contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """Run the block in one BEGIN IMMEDIATE transaction (joins an already open one)."""
    if db.conn.in_transaction:
        yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    try:
        db.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise


def has_table(db: SqlReader, name: str) -> bool:
    """Whether the database holds a table of that name."""
    found = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name])
    return found.fetchone() is not None


def _unwritable(path: Path, why: str, fix: str = "fix the folder's permissions") -> StoreError:
    """StoreError for a database path we cannot create or write."""
    return StoreError(
        f"Cannot use {path} as the session database: {why}. "
        f"Either {fix}, or pass --db with a writable path."
    )


def create_private_file(path: Path) -> bool:
    """Create `path` with mode 0600 before SQLite touches it; return True if it was new."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, OWNER_ONLY_FILE_MODE)
    except FileExistsError:
        return False
    except FileNotFoundError as exc:
        if path.parent.is_dir():
            raise _unwritable(path, f"{path.parent} does not accept new files") from exc
        why = f"the folder {path.parent} does not exist"
        raise _unwritable(path, why, "create that folder") from exc
    except NotADirectoryError as exc:
        raise _unwritable(path, f"{path.parent} is not a folder", "choose a folder") from exc
    except PermissionError as exc:
        raise _unwritable(path, f"no permission to create files in {path.parent}") from exc
    except OSError as exc:
        raise _unwritable(path, f"{path.parent}: {exc.strerror or exc}") from exc
    try:
        if hasattr(os, "fchmod"):  # the umask may have removed bits we need
            os.fchmod(fd, OWNER_ONLY_FILE_MODE)
    finally:
        os.close(fd)
    return True


def _can(path: Path, mode: int) -> bool:
    """os.access with the effective user where the platform allows it."""
    return os.access(path, mode, effective_ids=os.access in os.supports_effective_ids)


def check_existing_file(path: Path, info: os.stat_result) -> None:
    """Refuse an existing path that is not a regular file or that we cannot write."""
    if not stat.S_ISREG(info.st_mode):
        raise _unwritable(path, "it is not a regular file", "give the path of a file")
    if not _can(path, os.R_OK | os.W_OK):
        why = "this user cannot read and write the file"
        raise _unwritable(path, why, "fix the file's permissions")
    if not _can(path.parent, os.W_OK | os.X_OK):
        why = f"SQLite needs to create its journal files in {path.parent}, which is not writable"
        raise _unwritable(path, why)


def prepare_file(path: Path) -> bool:
    """Create the file 0600 if missing, else check it is usable; True if it holds no data yet."""
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return create_private_file(path) or path.stat().st_size == 0
    except PermissionError as exc:
        raise _unwritable(path, f"no permission to look into {path.parent}") from exc
    except OSError as exc:
        raise _unwritable(path, exc.strerror or str(exc)) from exc
    check_existing_file(path, info)
    return info.st_size == 0


def make_owner_only(path: Path) -> None:
    """Tighten the database and its WAL/SHM files to 0600, with a notice for each changed."""
    for file in (path, *(path.with_name(path.name + s) for s in SIDE_FILE_SUFFIXES)):
        try:
            tightened = tighten_to_owner(file)
        except OSError as exc:
            raise _unwritable(
                file,
                f"its permissions let other users read it and cannot be changed ({exc})",
                "make it owner-only (chmod 600)",
            ) from exc
        if tightened:
            log.warning("%s could be read by other users; it is now owner-only (0600)", file)


def connect(path: Path) -> Database:
    """Open the database, creating it 0600 first if needed; StoreError if it is unusable."""
    is_new = prepare_file(path)
    try:
        conn = sqlite3.connect(
            str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise translate_error(exc, path, "open the database") from exc
    try:
        with sqlite_errors(path, "open the database"):
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # header check
            if is_new:
                conn.execute(f"PRAGMA page_size = {PAGE_SIZE_BYTES}")
        make_owner_only(path)
        from sqlite_utils import Database  # loads pandas when installed: only when opening

        return Database(conn, execute_plugins=False)
    except BaseException:
        conn.close()
        raise


def enable_wal(db: Database, path: Path) -> None:
    """Switch to WAL, synchronous=NORMAL, foreign keys on; refuse a filesystem without WAL."""
    with sqlite_errors(path, "switch the database to WAL mode"):
        db.enable_wal()
        mode = db.journal_mode
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        db.execute(f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT_BYTES}")
    make_owner_only(path)
    if mode != "wal":
        raise StoreError(
            f"{path} cannot use SQLite's write-ahead log (journal mode stayed '{mode}'); this "
            "happens on network filesystems. Pass --db with a path on a local disk."
        )
