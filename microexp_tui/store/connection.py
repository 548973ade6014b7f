"""The one connection every store operation goes through: its lock and its error translation.

`SessionStore` is composed of one small query class per area (participants, sessions,
samples, events, setup, checks, notes, expressions, validations, predictions, audit,
privacy), each subclassing `StoreConnection`; the SQL itself lives in functions over the
connection in the same area module, so one area's functions can join another's transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from microexp_tui.store.database import sqlite_errors

if TYPE_CHECKING:
    from sqlite_utils import Database


class StoreConnection:
    """An open, migrated database and the lock that serialises the calls made on it."""

    def __init__(self, db: Database, path: Path) -> None:
        """Wrap an open, migrated database; use `SessionStore.open` instead."""
        self.db = db
        self.path = path
        self.recovered_session_ids: list[int] = []
        """Sessions this open found crashed in `recording` and marked `interrupted`."""
        self._lock = threading.RLock()

    @contextmanager
    def _locked(self, doing: str) -> Iterator[Database]:
        """The connection under this store's lock, SQLite errors raised as StoreError."""
        with self._lock, sqlite_errors(self.path, doing):
            yield self.db
