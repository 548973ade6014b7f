"""Detected expressions: a run per session and source, the expressions, their activations.

A session has at most one `live` run (filled during the recording, batch by batch) and one
`offline` run (a re-analysis of the stored samples, replaced whole and atomically by the next
one). Each run keeps the detector's parameters and version as JSON. Reading without a source
returns the offline set when there is one (it saw the whole, gap-free stored signal with the
final montage and calibration), else the live set.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from microexp_tui.domain.expressions import Activation, Expression
from microexp_tui.domain.recording import EXPRESSION_SOURCES, ExpressionRun
from microexp_tui.domain.sessions import utc_now_iso
from microexp_tui.errors import InputError
from microexp_tui.store import audit, session_records
from microexp_tui.store.connection import StoreConnection
from microexp_tui.store.database import write_transaction

if TYPE_CHECKING:
    from sqlite_utils import Database


def _check(source: str, expressions: Sequence[Expression]) -> None:
    """InputError for an unknown source or an expression the table would refuse."""
    if source not in EXPRESSION_SOURCES:
        raise InputError(f"Expression source {source!r}: use one of {EXPRESSION_SOURCES}.")
    for expression in expressions:
        ok = (
            0 <= expression.onset_index <= expression.apex_index < expression.offset_index
            and expression.rate_hz > 0
            and math.isfinite(expression.confidence)
            and 0.0 <= expression.confidence <= 1.0
            and all("," not in unit for unit in expression.action_units)
        )
        if not ok:
            raise InputError(
                f"Expression at samples {expression.onset_index}-{expression.offset_index} "
                f"(apex {expression.apex_index}, confidence {expression.confidence}) is "
                "invalid: it needs 0 <= onset <= apex < offset and a confidence in [0, 1]."
            )


def _insert(db: Database, session_id: int, source: str, expression: Expression) -> None:
    """Insert one expression and its activations (inside the caller's transaction)."""
    cursor = db.execute(
        "INSERT INTO expressions (session_id, source, onset_index, offset_index, apex_index, "
        "rate_hz, kind, action_units, emotion, confidence, emotion_source) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            session_id,
            source,
            int(expression.onset_index),
            int(expression.offset_index),
            int(expression.apex_index),
            float(expression.rate_hz),
            expression.kind,
            ",".join(expression.action_units),
            expression.emotion,
            float(expression.confidence),
            expression.emotion_source,
        ],
    )
    expression_id = cursor.lastrowid
    db.conn.executemany(
        "INSERT INTO expression_activations (expression_id, channel_index, onset_index, "
        "offset_index, apex_index, peak_counts, peak_pct_mvc) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                expression_id,
                int(a.channel_index),
                int(a.onset_index),
                int(a.offset_index),
                int(a.apex_index),
                float(a.peak_counts),
                None if a.peak_pct_mvc is None else float(a.peak_pct_mvc),
            )
            for a in expression.activations
        ],
    )


def save(
    db: Database,
    db_path: Path,
    session_id: int,
    expressions: Sequence[Expression],
    source: str,
    detector: Mapping[str, Any] | None = None,
) -> None:
    """Store expressions: `offline` replaces the session's offline set, `live` appends to it.

    `detector` (parameters and version, plain JSON) is kept with the run; the write is one
    transaction with its audit entry.
    """
    _check(source, expressions)
    detector_json = audit.canonical_detail("expressions.save", dict(detector or {}))
    now = utc_now_iso()
    with write_transaction(db):
        session_records.one(db, db_path, session_id)
        replaced = 0
        if source == "offline":
            replaced = db.execute(
                "SELECT COUNT(*) FROM expressions WHERE session_id = ? AND source = ?",
                [session_id, source],
            ).fetchone()[0]
            db.execute(
                "DELETE FROM expression_activations WHERE expression_id IN (SELECT id FROM "
                "expressions WHERE session_id = ? AND source = ?)",
                [session_id, source],
            )
            db.execute(
                "DELETE FROM expressions WHERE session_id = ? AND source = ?", [session_id, source]
            )
            db.execute(
                "DELETE FROM expression_runs WHERE session_id = ? AND source = ?",
                [session_id, source],
            )
        db.execute(
            "INSERT INTO expression_runs (session_id, source, detector, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (session_id, source) DO UPDATE SET "
            "detector = excluded.detector, updated_at = excluded.updated_at",
            [session_id, source, detector_json, now, now],
        )
        for expression in expressions:
            _insert(db, session_id, source, expression)
        micro = sum(1 for expression in expressions if expression.kind == "micro")
        detail = {
            "source": source,
            "expressions": len(expressions),
            "micro": micro,
            "replaced": int(replaced),
        }
        audit.append(db, "expressions.save", detail, session_id)


def runs(db: Database, session_id: int) -> list[ExpressionRun]:
    """The session's detection runs (live first, then offline) with their expression counts."""
    rows = db.execute(
        "SELECT r.source, r.detector, r.created_at, r.updated_at, (SELECT COUNT(*) FROM "
        "expressions e WHERE e.session_id = r.session_id AND e.source = r.source) "
        "FROM expression_runs r WHERE r.session_id = ? ORDER BY r.source",
        [session_id],
    ).fetchall()
    return [
        ExpressionRun(session_id, source, json.loads(detector), created, updated, count)
        for source, detector, created, updated, count in rows
    ]


def _preferred_source(db: Database, session_id: int) -> str | None:
    """`offline` when the session has an offline run, else `live` if it has one, else None."""
    found = {
        row[0]
        for row in db.execute(
            "SELECT source FROM expression_runs WHERE session_id = ?", [session_id]
        )
    }
    for source in ("offline", "live"):
        if source in found:
            return source
    return None


def read(db: Database, session_id: int, source: str | None) -> list[Expression]:
    """A session's expressions in onset order: of `source`, or (None) offline if any, else live."""
    if source is not None and source not in EXPRESSION_SOURCES:
        raise InputError(f"Expression source {source!r}: use one of {EXPRESSION_SOURCES}.")
    chosen = source or _preferred_source(db, session_id)
    if chosen is None:
        return []
    rows = db.execute(
        "SELECT id, onset_index, offset_index, apex_index, rate_hz, kind, action_units, "
        "emotion, confidence, emotion_source FROM expressions "
        "WHERE session_id = ? AND source = ? ORDER BY onset_index, id",
        [session_id, chosen],
    ).fetchall()
    activations: dict[int, list[Activation]] = {}
    for expression_id, *values in db.execute(
        "SELECT a.expression_id, a.channel_index, a.onset_index, a.offset_index, "
        "a.apex_index, a.peak_counts, a.peak_pct_mvc FROM expression_activations a "
        "JOIN expressions e ON e.id = a.expression_id WHERE e.session_id = ? AND "
        "e.source = ? ORDER BY a.expression_id, a.onset_index, a.channel_index",
        [session_id, chosen],
    ):
        activations.setdefault(expression_id, []).append(Activation(*values))
    return [
        Expression(
            rate_hz=rate,
            onset_index=onset,
            offset_index=offset,
            apex_index=apex,
            activations=tuple(activations.get(expression_id, ())),
            action_units=tuple(unit for unit in units.split(",") if unit),
            kind="micro" if kind == "micro" else "macro",
            emotion=emotion,
            confidence=confidence,
            emotion_source=emotion_source,
        )
        for (
            expression_id,
            onset,
            offset,
            apex,
            rate,
            kind,
            units,
            emotion,
            confidence,
            emotion_source,
        ) in rows
    ]


class ExpressionQueries(StoreConnection):
    """Store methods for detected expressions (live and offline runs)."""

    def save_expressions(
        self,
        session_id: int,
        expressions: Sequence[Expression],
        source: str,
        detector: Mapping[str, Any] | None = None,
    ) -> None:
        """Store detected expressions: `offline` replaces the offline set, `live` appends."""
        with self._locked(f"save expressions of session {session_id}") as db:
            save(db, self.path, session_id, expressions, source, detector)

    def expression_runs(self, session_id: int) -> list[ExpressionRun]:
        """The session's detection runs (live first, then offline) with their expression counts."""
        with self._locked(f"read expressions of session {session_id}") as db:
            session_records.one(db, self.path, session_id)
            return runs(db, session_id)

    def expressions(self, session_id: int, source: str | None = None) -> list[Expression]:
        """A session's expressions in onset order: of `source`, else offline if any, else live."""
        with self._locked(f"read expressions of session {session_id}") as db:
            session_records.one(db, self.path, session_id)
            return read(db, session_id, source)
