"""Optional session data kept by other parts of the program, read defensively.

Detected expressions (schema 5), the settings snapshot (operator TUI, schema 4) and model
predictions (schema 3) may be absent from an older database or a build without those parts;
each reader returns "nothing" then, so an export never fails for lack of them.
"""

from __future__ import annotations

import json
from typing import Any

from microexp_tui.domain.expressions import Expression
from microexp_tui.store import expressions as stored_expressions
from microexp_tui.store.sessions import SessionStore


def has_table(store: SessionStore, table: str) -> bool:
    """Whether the database has `table` (optional parts may be missing)."""
    with store.locked(f"look for the {table} table") as db:
        return table in db.table_names()


def expressions(store: SessionStore, session_id: int) -> list[Expression] | None:
    """A session's detected expressions (offline set if any, else live), None without the table."""
    if not has_table(store, "expressions"):
        return None
    return stored_expressions.expressions(store, session_id)


def power_line_hz(store: SessionStore, session_id: int) -> float | None:
    """The mains frequency in the session's settings snapshot, or None if not recorded."""
    if not has_table(store, "session_setup"):
        return None
    with store.locked("read the session setup") as db:
        row = db.execute(
            "SELECT settings FROM session_setup WHERE session_id = ?", [session_id]
        ).fetchone()
    if row is None or not row[0]:
        return None
    try:
        value = _find_key(json.loads(row[0]), "mains_hz")
    except ValueError:
        return None
    return float(value) if isinstance(value, int | float) and value > 0 else None


def _find_key(data: Any, key: str) -> Any:
    """The first value of `key` anywhere in nested JSON data, or None."""
    if isinstance(data, dict):
        if key in data:
            return data[key]
        for value in data.values():
            found = _find_key(value, key)
            if found is not None:
                return found
    return None


def prediction_runs(store: SessionStore, session_id: int) -> list[Any]:
    """A session's prediction runs (`PredictionRun`), or [] without the predictions feature."""
    reader = getattr(store, "prediction_runs", None)
    if reader is None or not has_table(store, "prediction_runs"):
        return []
    return list(reader(session_id))


def predictions(store: SessionStore, session_id: int, model_id: str) -> list[Any]:
    """One run's predictions (`PredictionRecord`) in sample order."""
    return list(store.predictions(session_id, model_id))
