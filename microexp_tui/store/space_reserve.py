"""A little disk space set aside while a session records, so its final status can still be
written when the disk fills up: the reserve file is deleted just before that last write."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from microexp_tui.paths import OWNER_ONLY_FILE_MODE
from microexp_tui.store.locks import lock_dir

log = logging.getLogger(__name__)

RESERVE_BYTES = 256 * 1024
"""Room for the WAL frames of a session's final status and audit entry, many times over."""


def reserve_path(db_path: Path, session_id: int) -> Path:
    """The reserve file of one recording session, beside its lock file."""
    return lock_dir(db_path) / f"session-{session_id}.reserve"


def reserve_space(db_path: Path, session_id: int) -> None:
    """Write the reserve file; a disk already too full for it is only logged."""
    path = reserve_path(db_path, session_id)
    try:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, OWNER_ONLY_FILE_MODE)
        try:
            os.write(fd, b"\0" * RESERVE_BYTES)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as err:
        path.unlink(missing_ok=True)
        log.warning("no disk space could be set aside for session %s: %s", session_id, err)


def release_space(db_path: Path, session_id: int) -> None:
    """Delete the reserve file (if any), giving its space back to the database."""
    reserve_path(db_path, session_id).unlink(missing_ok=True)
