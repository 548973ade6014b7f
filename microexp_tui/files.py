"""What every layer asks of a file it reads or writes: its SHA-256, read in blocks."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

READ_BYTES = 4 * 1024 * 1024
"""Block size for hashing: large enough to be fast, small enough not to hold a file."""


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes (audit entries, manifests, model cards, imports)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(READ_BYTES):
            digest.update(block)
    return digest.hexdigest()


def hold_while_writing(path: Path) -> int:
    """Open `path` and hold an exclusive lock on it while it is written; close the returned
    descriptor to release it. A partial output whose lock nobody holds was left by a crash."""
    import fcntl  # Unix only, as the partial-output cleanup that needs it

    fd = os.open(path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def held_by_a_writer(path: Path) -> bool:
    """Whether a running program still holds its lock on a partial output (or it is gone)."""
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
