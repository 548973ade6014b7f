"""Per-session liveness locks: an OS file lock held while recording, which dies with the process.

The recording process holds an exclusive lock on `<db>.locks/session-<id>.lock` from
before the session row is committed until after its final status is committed. Any
process can then tell a crashed recording (lock free) from a live one (lock held),
with no heartbeat timing guesses. Locks are kept in a process-wide registry, so any
`SessionStore` of the process may finish a session another one started. On POSIX the
lock is `flock`, which is per open file: do not fork a recording process without exec.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from microexp_tui.errors import StoreError

_HELD: dict[Path, int] = {}
_GUARD = threading.Lock()


def lock_dir(db_path: Path) -> Path:
    """Folder holding the lock files of the database at `db_path`."""
    return db_path.with_name(db_path.name + ".locks")


def lock_path(db_path: Path, session_id: int) -> Path:
    """Lock file of one session."""
    return lock_dir(db_path) / f"session-{session_id}.lock"


def _try_lock(fd: int) -> bool:
    """Take an exclusive lock on `fd` without waiting; False if another holder has it."""
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _open_lock_file(path: Path) -> int:
    """Open (creating with 0600, in a 0700 folder) a lock file."""
    path.parent.mkdir(mode=0o700, exist_ok=True)
    return os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)


def _discard(path: Path, fd: int) -> None:
    """Remove a lock file we hold, then close it (which releases the lock)."""
    with contextlib.suppress(OSError):  # Windows cannot unlink an open file: harmless
        path.unlink()
    os.close(fd)


def acquire(db_path: Path, session_id: int) -> None:
    """Hold the session's lock for as long as this process records it."""
    path = lock_path(db_path, session_id)
    try:
        fd = _open_lock_file(path)
    except OSError as exc:
        raise StoreError(
            f"Cannot create the recording lock {path}: {exc.strerror or exc}. The folder of "
            "the database must be writable; pass --db with a writable path."
        ) from exc
    if not _try_lock(fd):
        os.close(fd)
        raise StoreError(
            f"Session {session_id} is already being recorded by another process (it holds "
            f"{path}). Stop that recording first."
        )
    with _GUARD:
        _HELD[path] = fd


def release(db_path: Path, session_id: int) -> None:
    """Drop this process's lock on the session, if it holds one."""
    path = lock_path(db_path, session_id)
    with _GUARD:
        fd = _HELD.pop(path, None)
    if fd is not None:
        _discard(path, fd)


def held_here(db_path: Path, session_id: int) -> bool:
    """True if this process holds the session's lock."""
    with _GUARD:
        return lock_path(db_path, session_id) in _HELD


@contextmanager
def probe_stale(db_path: Path, session_id: int) -> Iterator[bool]:
    """Yield True, holding the lock, if no live process records the session; else yield False.

    When in doubt (lock file cannot be opened) the session counts as alive, so a live
    recording is never taken for a crashed one. A stale lock file is removed afterwards.
    """
    if held_here(db_path, session_id):
        yield False
        return
    path = lock_path(db_path, session_id)
    try:
        fd = _open_lock_file(path)
    except OSError:
        yield False
        return
    if not _try_lock(fd):
        os.close(fd)
        yield False
        return
    try:
        yield True
    finally:
        _discard(path, fd)
