"""Optional session data kept by other parts of the program, read defensively.

Muscle events and the settings snapshot (operator TUI, schema 4) and model predictions
(schema 3) may be absent from an older database or a build without those parts; each
reader returns "nothing" then, so an export never fails for lack of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from microexp_tui.store.sessions import SessionStore


@dataclass(frozen=True)
class MuscleBurst:
    """A detected burst of muscle activity on one channel over samples [start, stop)."""

    channel_index: int
    start_index: int
    stop_index: int
    peak: float
    micro: bool


def has_table(store: SessionStore, table: str) -> bool:
    """Whether the database has `table` (optional parts may be missing)."""
    with store.locked(f"look for the {table} table") as db:
        return table in db.table_names()


def muscle_events(store: SessionStore, session_id: int) -> list[MuscleBurst] | None:
    """A session's detected muscle events, or None when the database has no such table."""
    if not has_table(store, "muscle_events"):
        return None
    with store.locked("read the muscle events") as db:
        rows = db.execute(
            "SELECT channel_index, start_index, stop_index, peak, micro FROM muscle_events "
            "WHERE session_id = ? ORDER BY start_index, id",
            [session_id],
        ).fetchall()
    return [MuscleBurst(int(c), int(a), int(b), float(p), bool(m)) for c, a, b, p, m in rows]


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
