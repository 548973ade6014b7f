"""Every stored text that could identify a person, for the export's identifying-data guard.

The guard (export/pii.py) decides what each value means by its table and column; the store
only hands over every distinct non-empty text of every table that can hold a person's data,
with the row's owner (participant or session) for its messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from microexp_tui.store.connection import StoreConnection

if TYPE_CHECKING:
    from sqlite_utils import Database

TABLES_WITHOUT_PERSONAL_DATA = frozenset({"sample_chunks", "schema_version", "predictions"})
"""Tables holding only samples, schema history or model outputs (no person's data)."""


class StoredText(NamedTuple):
    """A distinct text value of one column, with the owner of the rows holding it."""

    table: str
    column: str
    owner: str
    """`participant 3`, `session 7`, or `database` for rows that belong to nobody."""
    value: str


def _owner_expression(table: str, columns: Sequence[str]) -> str:
    """SQL for a row's owner (participant or session id), for messages."""
    if table in ("participants", "sessions"):
        return f"'{table[:-1]} ' || [id]"
    for key, word in (("participant_id", "participant"), ("session_id", "session")):
        if key in columns:
            return f"'{word} ' || COALESCE([{key}], '?')"
    return "'database'"


def text_values(db: Database) -> list[StoredText]:
    """Distinct non-empty texts of every column of every table that can hold personal data."""
    found: list[StoredText] = []
    for table in sorted(set(db.table_names()) - TABLES_WITHOUT_PERSONAL_DATA):
        if table.startswith("sqlite_"):
            continue
        columns = [row[1] for row in db.execute(f"PRAGMA table_info([{table}])")]
        owner = _owner_expression(table, columns)
        for column in columns:
            rows = db.execute(
                f"SELECT DISTINCT [{column}], {owner} FROM [{table}] "
                f"WHERE typeof([{column}]) = 'text' AND length(trim([{column}])) > 0"
            )
            found.extend(StoredText(table, column, who, value) for value, who in rows)
    return found


class PrivacyQueries(StoreConnection):
    """Store methods the export's identifying-data guard reads."""

    def identifying_values(self) -> list[StoredText]:
        """Every distinct stored text that could identify a person, by table and column."""
        with self._locked("collect identifying values for the export check") as db:
            return text_values(db)
