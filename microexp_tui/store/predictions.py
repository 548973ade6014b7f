"""Emotion predictions: runs (one per session and model) and their per-window rows.

A run is registered before its predictions: live runs at the start of a recording (their
rows then arrive in the writer's batches), reprocess runs together with all their rows in
one transaction. Probabilities are stored as little-endian float32 BLOBs in the run's class
order: the displayed ones (calibrated and accumulated over time, what every screen, report
and export shows) and the model's raw ones for the window alone, from which the run's
`display` settings recompute the displayed ones exactly (`inference.evidence.replay`). A run
of another model sits beside the others, never replacing them unless asked.
"""

from __future__ import annotations

import functools
import json
import math
import struct
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from microexp_tui.domain.recording import PREDICTION_RUN_KINDS, PredictionRecord, PredictionRun
from microexp_tui.domain.sessions import utc_now_iso
from microexp_tui.errors import InputError, StoreError
from microexp_tui.store import audit, session_records
from microexp_tui.store.connection import StoreConnection
from microexp_tui.store.database import write_transaction

if TYPE_CHECKING:
    from sqlite_utils import Database

PROBABILITY_DTYPE = np.dtype("<f4")
PREDICTION_COLUMNS = (
    "session_id",
    "model_id",
    "sample_index",
    "label",
    "activation",
    "probabilities",
    "raw_probabilities",
)
"""The columns `prediction_rows` fills, inserted with one prepared statement (sqlite-utils'
`insert_all` rebuilt its query per 100 rows: 1 s of a reprocessed hour's 36,000 rows)."""


def check_run(
    kind: str, classes: Sequence[str], hop_ms: float, window_samples: int, card: Mapping[str, Any]
) -> str:
    """Validate a run's fields; return the model card as JSON text."""
    if kind not in PREDICTION_RUN_KINDS:
        raise InputError(f"Prediction run kind {kind!r}: use one of {PREDICTION_RUN_KINDS}.")
    if not classes or any(not c or "," in c for c in classes) or len(set(classes)) != len(classes):
        raise InputError(f"Prediction classes {list(classes)} must be distinct names without ','.")
    if not (math.isfinite(hop_ms) and hop_ms > 0) or window_samples <= 0:
        raise InputError(
            f"A prediction run needs hop_ms > 0 and window_samples > 0, got {hop_ms} and "
            f"{window_samples}."
        )
    return plain_json(card, "model card")


def plain_json(data: Mapping[str, Any], what: str) -> str:
    """`data` as JSON text; InputError naming `what` when it is not plain JSON data."""
    try:
        return json.dumps(dict(data), sort_keys=True)
    except (TypeError, ValueError) as err:
        raise InputError(f"The {what} is not plain JSON data: {err}.") from err


def insert_run(
    db: Database,
    db_path: Path,
    session_id: int,
    model_id: str,
    fields: dict[str, Any],
    replace: bool,
) -> None:
    """Insert a run row (inside the caller's transaction), replacing an old one only if asked."""
    old = db.execute(
        "SELECT kind FROM prediction_runs WHERE session_id = ? AND model_id = ?",
        [session_id, model_id],
    ).fetchone()
    if old is not None and not replace:
        raise StoreError(
            f"Session {session_id} already has {old[0]} predictions of model {model_id} in "
            f"{db_path}. Use another model, or ask to replace them (reprocess --replace)."
        )
    if old is not None:
        db.execute(
            "DELETE FROM predictions WHERE session_id = ? AND model_id = ?", [session_id, model_id]
        )
        db.execute(
            "DELETE FROM prediction_runs WHERE session_id = ? AND model_id = ?",
            [session_id, model_id],
        )
    db.table("prediction_runs").insert(
        {"session_id": session_id, "model_id": model_id, **fields, "created_at": utc_now_iso()}
    )
    detail = {"model_id": model_id, "kind": fields["kind"], "replaced": old is not None}
    audit.append(db, "predictions.start", detail, session_id)


def run_classes(db: Database, session_id: int) -> dict[str, tuple[str, ...]]:
    """Classes of every prediction run of a session, by model id."""
    rows = db.execute(
        "SELECT model_id, classes FROM prediction_runs WHERE session_id = ?", [session_id]
    ).fetchall()
    return {model_id: tuple(classes.split(",")) for model_id, classes in rows}


def prediction_rows(
    session_id: int, records: Iterable[PredictionRecord], classes: Mapping[str, tuple[str, ...]]
) -> list[dict[str, Any]]:
    """Validated table rows; InputError for an unknown run, label or probability count."""
    rows = []
    for record in records:
        run = classes.get(record.model_id)
        if run is None:
            raise InputError(
                f"Predictions of model {record.model_id!r} for session {session_id} have no "
                "run; call start_prediction_run first."
            )
        if record.label not in run or len(record.probabilities) != len(run):
            raise InputError(
                f"Prediction at sample {record.sample_index} of model {record.model_id} has "
                f"label {record.label!r} and {len(record.probabilities)} probabilities; the run's "
                f"classes are {', '.join(run)}."
            )
        if record.raw_probabilities and len(record.raw_probabilities) != len(run):
            raise InputError(
                f"Prediction at sample {record.sample_index} of model {record.model_id} has "
                f"{len(record.raw_probabilities)} raw probabilities; the run has {len(run)} "
                "classes."
            )
        if int(record.sample_index) < 0 or not math.isfinite(float(record.activation)):
            raise InputError(
                f"Prediction {record[:4]} needs sample_index >= 0 and a finite activation."
            )
        rows.append(
            {
                "session_id": session_id,
                "model_id": record.model_id,
                "sample_index": int(record.sample_index),
                "label": record.label,
                "activation": float(record.activation),
                "probabilities": _blob(record.probabilities),
                "raw_probabilities": _blob(record.raw_probabilities) or None,
            }
        )
    return rows


def _blob(probabilities: Sequence[float]) -> bytes:
    """Probabilities as a little-endian float32 BLOB (empty for none).

    `struct` rounds each value to float32 as numpy does, at a tenth of the cost per record
    (a reprocessed hour stores 72,000 of them); a value beyond float32 goes through numpy.
    """
    try:
        return _float32_struct(len(probabilities)).pack(*probabilities)
    except (OverflowError, struct.error, TypeError):
        return np.asarray(probabilities, PROBABILITY_DTYPE).tobytes()


@functools.cache
def _float32_struct(count: int) -> struct.Struct:
    """The packer of `count` little-endian float32 values."""
    return struct.Struct(f"<{count}f")


def _floats(blob: bytes | None) -> tuple[float, ...]:
    """Probabilities of a stored BLOB (empty for NULL)."""
    if blob is None:
        return ()
    return tuple(float(p) for p in np.frombuffer(blob, PROBABILITY_DTYPE))


def start_run(
    db: Database,
    db_path: Path,
    session_id: int,
    model_id: str,
    fields: dict[str, Any],
    replace: bool,
    records: Sequence[PredictionRecord],
) -> None:
    """Insert a run of an existing session and its first predictions in one transaction."""
    with write_transaction(db):
        session_records.one(db, db_path, session_id)
        insert_run(db, db_path, session_id, model_id, fields, replace)
        classes = tuple(fields["classes"].split(","))
        insert_predictions(db, session_id, records, {model_id: classes})


def insert_predictions(
    db: Database,
    session_id: int,
    records: Iterable[PredictionRecord],
    classes: Mapping[str, tuple[str, ...]],
) -> int:
    """Insert validated prediction rows (inside the caller's transaction); return how many."""
    rows = prediction_rows(session_id, records, classes)
    if rows:
        columns = ", ".join(PREDICTION_COLUMNS)
        places = ", ".join("?" * len(PREDICTION_COLUMNS))
        db.conn.executemany(
            f"INSERT INTO predictions ({columns}) VALUES ({places})",
            [tuple(row[name] for name in PREDICTION_COLUMNS) for row in rows],
        )
    return len(rows)


def add(
    db: Database,
    db_path: Path,
    session_id: int,
    model_id: str,
    records: Sequence[PredictionRecord],
) -> None:
    """Append predictions of a registered run, with an audit entry, in one transaction."""
    with write_transaction(db):
        classes = run_classes(db, session_id)
        if model_id not in classes:
            raise StoreError(
                f"Session {session_id} has no prediction run of model {model_id} in "
                f"{db_path}; start the run first."
            )
        count = insert_predictions(db, session_id, records, classes)
        detail = {"model_id": model_id, "predictions": count}
        audit.append(db, "predictions.add", detail, session_id)


def runs(db: Database, session_id: int) -> list[PredictionRun]:
    """Every prediction run of a session with its prediction count, oldest first."""
    cursor = db.execute(
        "SELECT r.session_id, r.model_id, r.kind, r.classes, r.hop_ms, r.window_samples, "
        "r.model_card, r.created_at, (SELECT COUNT(*) FROM predictions p WHERE "
        "p.session_id = r.session_id AND p.model_id = r.model_id), r.display "
        "FROM prediction_runs r WHERE r.session_id = ? ORDER BY r.created_at, r.model_id",
        [session_id],
    )
    return [
        PredictionRun(
            sid,
            model_id,
            kind,
            tuple(classes.split(",")),
            hop,
            window,
            json.loads(card),
            created,
            count,
            json.loads(display),
        )
        for sid, model_id, kind, classes, hop, window, card, created, count, display in cursor
    ]


def read(db: Database, session_id: int, model_id: str) -> list[PredictionRecord]:
    """One run's predictions in sample order."""
    cursor = db.execute(
        "SELECT sample_index, label, activation, probabilities, raw_probabilities "
        "FROM predictions WHERE session_id = ? AND model_id = ? ORDER BY sample_index",
        [session_id, model_id],
    )
    return [
        PredictionRecord(model_id, index, label, activation, _floats(blob), _floats(raw))
        for index, label, activation, blob, raw in cursor
    ]


class PredictionQueries(StoreConnection):
    """Store methods for emotion prediction runs and their per-window predictions."""

    def start_prediction_run(
        self,
        session_id: int,
        model_id: str,
        *,
        kind: str,
        classes: Sequence[str],
        hop_ms: float,
        window_samples: int,
        model_card: Mapping[str, Any],
        replace: bool = False,
        records: Sequence[PredictionRecord] = (),
        display: Mapping[str, Any] | None = None,
    ) -> None:
        """Register a model's classification of a session, with `records` in the same transaction.

        Live runs are registered at the start of a recording and their predictions follow in
        the writer's batches; a reprocess stores its run and all its predictions at once.
        `display` says how the displayed probabilities are made from the raw ones
        (`DisplaySettings.as_json`; empty when they are the raw ones).
        """
        card = check_run(kind, classes, hop_ms, window_samples, model_card)
        fields = {
            "kind": kind,
            "classes": ",".join(classes),
            "hop_ms": float(hop_ms),
            "window_samples": int(window_samples),
            "model_card": card,
            "display": plain_json(display or {}, "display settings"),
        }
        with self._locked(f"start predictions of session {session_id}") as db:
            start_run(db, self.path, session_id, model_id, fields, replace, records)

    def add_predictions(
        self, session_id: int, model_id: str, records: Sequence[PredictionRecord]
    ) -> None:
        """Store predictions of a registered run in one transaction (any session status)."""
        with self._locked(f"save predictions of session {session_id}") as db:
            add(db, self.path, session_id, model_id, records)

    def prediction_runs(self, session_id: int) -> list[PredictionRun]:
        """Every model's prediction run of a session, oldest first."""
        with self._locked(f"read predictions of session {session_id}") as db:
            session_records.one(db, self.path, session_id)
            return runs(db, session_id)

    def predictions(self, session_id: int, model_id: str) -> list[PredictionRecord]:
        """One model's predictions of a session in sample order."""
        with self._locked(f"read predictions of session {session_id}") as db:
            session_records.one(db, self.path, session_id)
            return read(db, session_id, model_id)
