"""`SessionStore`: the one object the rest of the program uses to reach the session database.

The record types (`Batch`, `ChannelSpec`, `SessionRecord`, ...) are re-exported here.

One store wraps one SQLite connection. Give each thread its own store (the writer
thread opens its own); a store may be created in one thread and used in another, and
an internal lock serialises calls, but sharing one store between threads would make
them wait for each other.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from sqlite_utils import Database

from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.expressions import Expression
from microexp_tui.domain.recording import (
    ArtifactRecord,
    Batch,
    GapRecord,
    MarkerRecord,
    PredictionRecord,
    PredictionRun,
)
from microexp_tui.domain.sessions import Participant, ParticipantIdentity, SessionRecord
from microexp_tui.errors import InputError, StoreError
from microexp_tui.store import audit as audit_log
from microexp_tui.store import participants, predictions, samples, schema, session_rows
from microexp_tui.store.database import connect, enable_wal, sqlite_errors, write_transaction

__all__ = [
    "ArtifactRecord",
    "Batch",
    "ChannelSpec",
    "GapRecord",
    "MarkerRecord",
    "Participant",
    "ParticipantIdentity",
    "PredictionRecord",
    "PredictionRun",
    "SessionRecord",
    "SessionStore",
]


class SessionStore:
    """Participants, sessions, samples and the audit log in one SQLite file (WAL mode)."""

    def __init__(self, db: Database, path: Path) -> None:
        """Wrap an open, migrated database; use `SessionStore.open` instead."""
        self.db = db
        self.path = path
        self.recovered_session_ids: list[int] = []
        """Sessions this open found crashed in `recording` and marked `interrupted`."""
        self._lock = threading.RLock()

    @classmethod
    def open(cls, path: str | Path) -> SessionStore:
        """Open or create the database, migrate it, and mark crashed recordings interrupted."""
        resolved = Path(path).expanduser().resolve()
        db = connect(resolved)
        try:
            schema.check_compatible(db, resolved)
            enable_wal(db, resolved)
            schema.migrate(db, resolved)
            store = cls(db, resolved)
            with sqlite_errors(resolved, "recover interrupted sessions"):
                store.recovered_session_ids = session_rows.recover_stale(db, resolved)
        except BaseException:
            db.close()
            raise
        return store

    def close(self) -> None:
        """Close the connection (a recording started here keeps its lock until finished)."""
        with self._lock:
            self.db.close()

    def __enter__(self) -> SessionStore:
        """Use the store as a context manager that closes it."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the store."""
        self.close()

    @contextmanager
    def locked(self, doing: str) -> Iterator[Database]:
        """The connection under this store's lock, SQLite errors as StoreError (for extensions)."""
        with self._lock, sqlite_errors(self.path, doing):
            yield self.db

    # Participants -------------------------------------------------------------------------

    def create_participant(
        self,
        code: str | None = None,
        birth_year: int | None = None,
        sex: str | None = None,
        handedness: str | None = None,
        name: str | None = None,
        contact: str | None = None,
        notes: str | None = None,
    ) -> Participant:
        """Add a participant (code generated if empty); identity goes to its own table."""
        demographics = {"birth_year": birth_year, "sex": sex, "handedness": handedness}
        identity = {"name": name, "contact": contact, "notes": notes}
        with self._lock, sqlite_errors(self.path, "create the participant"):
            return participants.create(self.db, code, demographics, identity)

    def participant_by_code(self, code: str) -> Participant | None:
        """The participant with this code (case-insensitive), or None."""
        with self._lock, sqlite_errors(self.path, "look up the participant"):
            return participants.by_code(self.db, code)

    def participant(self, participant_id: int) -> Participant | None:
        """The participant with this id, or None."""
        with self._lock, sqlite_errors(self.path, "look up the participant"):
            return participants.by_id(self.db, participant_id)

    def list_participants(self) -> list[Participant]:
        """Every participant, oldest first (no identifying fields)."""
        with self._lock, sqlite_errors(self.path, "list the participants"):
            return participants.list_all(self.db)

    def participant_identity(self, participant_id: int) -> ParticipantIdentity | None:
        """Identifying fields of a participant; never part of any other record."""
        with self._lock, sqlite_errors(self.path, "read the participant's identity"):
            return participants.identity(self.db, participant_id)

    def erase_participant_identity(self, participant_id: int, actor: str = "system") -> bool:
        """Delete a participant's identifying fields, keeping the pseudonymous data."""
        with self._lock, sqlite_errors(self.path, "erase the participant's identity"):
            return participants.erase_identity(self.db, participant_id, actor)

    # Sessions -----------------------------------------------------------------------------

    def start_session(
        self,
        participant_id: int,
        *,
        sample_rate_hz: int,
        channels: Sequence[ChannelSpec],
        device: dict[str, Any],
        simulated: bool,
        protocol: str | None = None,
        operator: str | None = None,
        notes: str | None = None,
    ) -> int:
        """Create a `recording` session, take its liveness lock, audit-log it; return its id."""
        with self._lock, sqlite_errors(self.path, "start the session"):
            return session_rows.start(
                self.db,
                self.path,
                participant_id,
                sample_rate_hz=sample_rate_hz,
                channels=channels,
                device=device,
                simulated=simulated,
                protocol=protocol,
                operator=operator,
                notes=notes,
            )

    def write_batch(self, session_id: int, batch: Batch) -> None:
        """Store a batch in one transaction; StoreFullError when the disk is full."""
        with self._lock, sqlite_errors(self.path, f"save a batch of session {session_id}"):
            session_rows.write_batch(self.db, self.path, session_id, batch)

    def save_expressions(
        self,
        session_id: int,
        expressions: Sequence[Expression],
        source: str,
        detector: Mapping[str, Any] | None = None,
    ) -> None:
        """Store detected expressions: `offline` replaces the offline set, `live` appends."""
        from microexp_tui.store.expressions import save_expressions

        save_expressions(self, session_id, expressions, source, detector)

    def finish_session(self, session_id: int, status: str, actor: str = "system") -> None:
        """Set the final status (completed, aborted, interrupted) and release the lock."""
        with self._lock, sqlite_errors(self.path, f"finish session {session_id}"):
            session_rows.finish(self.db, self.path, session_id, status, actor)

    def session(self, session_id: int) -> SessionRecord:
        """One session's record; StoreError if the id is unknown."""
        with self._lock, sqlite_errors(self.path, f"read session {session_id}"):
            return session_rows.one(self.db, self.path, session_id)

    def list_sessions(self) -> list[SessionRecord]:
        """Every session with participant code, status, extent, counters, oldest first."""
        with self._lock, sqlite_errors(self.path, "list the sessions"):
            return session_rows.records(self.db)

    # Samples and events -------------------------------------------------------------------

    def read_samples(
        self, session_id: int, start_index: int = 0, stop_index: int | None = None
    ) -> np.ndarray:
        """Samples [start_index, stop_index) as (samples, channels) int16.

        `stop_index` is clipped to the session's extent. Indices never stored (lost in a
        sequence gap) hold `MISSING_COUNT` (-32768); `gaps()` lists them.
        """
        with self._lock, sqlite_errors(self.path, f"read samples of session {session_id}"):
            record = session_rows.one(self.db, self.path, session_id)
            start, stop = samples.check_read_range(
                session_id, start_index, stop_index, record.samples_per_channel
            )
            return samples.read_range(self.db, session_id, record.channel_count, start, stop)

    def markers(self, session_id: int) -> list[MarkerRecord]:
        """Markers of a session in sample order."""
        rows = self._event_rows(
            session_id, "sample_index, code, source, label, host_time_s", "markers", "sample_index"
        )
        return [MarkerRecord(*row) for row in rows]

    def gaps(self, session_id: int) -> list[GapRecord]:
        """Sequence gaps (lost samples) of a session in sample order."""
        rows = self._event_rows(
            session_id, "first_missing_index, n_lost", "sequence_gaps", "first_missing_index"
        )
        return [GapRecord(*row) for row in rows]

    def artifacts(self, session_id: int) -> list[ArtifactRecord]:
        """Artifact intervals of a session in sample order."""
        rows = self._event_rows(
            session_id, "channel, flag, start_index, stop_index", "artifacts", "start_index"
        )
        return [ArtifactRecord(*row) for row in rows]

    def _event_rows(
        self, session_id: int, columns: str, table: str, order: str
    ) -> list[tuple[Any, ...]]:
        """Rows of one event table for an existing session, ordered by `order` then id."""
        with self._lock, sqlite_errors(self.path, f"read the {table} of session {session_id}"):
            session_rows.one(self.db, self.path, session_id)
            cursor = self.db.execute(
                f"SELECT {columns} FROM {table} WHERE session_id = ? ORDER BY {order}, id",
                [session_id],
            )
            return [tuple(row) for row in cursor.fetchall()]

    def sample_chunks(self, session_id: int) -> Iterator[tuple[int, np.ndarray]]:
        """Stored chunks `(first_index, (samples, channels) int16)` in sample order.

        Reads one chunk at a time (about a second each), so a long session never sits in
        memory whole; lost samples are simply absent (a jump in `first_index`).
        """
        with self._lock, sqlite_errors(self.path, f"read samples of session {session_id}"):
            session_rows.one(self.db, self.path, session_id)
            ids = [
                row[0]
                for row in self.db.execute(
                    "SELECT id FROM sample_chunks WHERE session_id = ? ORDER BY first_sample",
                    [session_id],
                )
            ]
        for chunk_id in ids:
            with self._lock, sqlite_errors(self.path, f"read samples of session {session_id}"):
                first, n_samples, channels, blob = self.db.execute(
                    "SELECT first_sample, n_samples, channel_count, data FROM sample_chunks "
                    "WHERE id = ?",
                    [chunk_id],
                ).fetchone()
            yield first, samples.decode_chunk(blob, n_samples, channels)

    # Predictions --------------------------------------------------------------------------

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
    ) -> None:
        """Register a model's classification of a session, with `records` in the same transaction.

        Live runs are registered at the start of a recording and their predictions follow in
        the writer's batches; a reprocess stores its run and all its predictions at once.
        """
        card = predictions.check_run(kind, classes, hop_ms, window_samples, model_card)
        fields = {
            "kind": kind,
            "classes": ",".join(classes),
            "hop_ms": float(hop_ms),
            "window_samples": int(window_samples),
            "model_card": card,
        }
        doing = f"start predictions of session {session_id}"
        with self._lock, sqlite_errors(self.path, doing), write_transaction(self.db):
            session_rows.one(self.db, self.path, session_id)
            predictions.insert_run(self.db, self.path, session_id, model_id, fields, replace)
            rows = predictions.prediction_rows(session_id, records, {model_id: tuple(classes)})
            if rows:
                self.db.table("predictions").insert_all(rows)

    def add_predictions(
        self, session_id: int, model_id: str, records: Sequence[PredictionRecord]
    ) -> None:
        """Store predictions of a registered run in one transaction (any session status)."""
        doing = f"save predictions of session {session_id}"
        with self._lock, sqlite_errors(self.path, doing), write_transaction(self.db):
            classes = predictions.run_classes(self.db, session_id)
            if model_id not in classes:
                raise StoreError(
                    f"Session {session_id} has no prediction run of model {model_id} in "
                    f"{self.path}; start the run first."
                )
            rows = predictions.prediction_rows(session_id, records, classes)
            if rows:
                self.db.table("predictions").insert_all(rows)
            detail = {"model_id": model_id, "predictions": len(rows)}
            audit_log.append(self.db, "predictions.add", detail, session_id)

    def prediction_runs(self, session_id: int) -> list[PredictionRun]:
        """Every model's prediction run of a session, oldest first."""
        with self._lock, sqlite_errors(self.path, f"read predictions of session {session_id}"):
            session_rows.one(self.db, self.path, session_id)
            return predictions.runs(self.db, session_id)

    def predictions(self, session_id: int, model_id: str) -> list[PredictionRecord]:
        """One model's predictions of a session in sample order."""
        with self._lock, sqlite_errors(self.path, f"read predictions of session {session_id}"):
            session_rows.one(self.db, self.path, session_id)
            return predictions.read(self.db, session_id, model_id)

    # Audit --------------------------------------------------------------------------------

    def audit(
        self,
        action: str,
        detail: dict[str, Any],
        session_id: int | None = None,
        actor: str = "system",
    ) -> None:
        """Append an entry to the hash-chained audit log."""
        if not action:
            raise InputError("An audit entry needs a non-empty action name.")
        with self._lock, sqlite_errors(self.path, "write to the audit log"):
            audit_log.append(self.db, action, detail, session_id, actor)

    def verify_audit_chain(self) -> int | None:
        """Id of the first audit row whose hash chain is broken, or None if intact."""
        with self._lock, sqlite_errors(self.path, "verify the audit log"):
            return audit_log.verify_chain(self.db)

    def audit_entries(self, session_id: int | None = None) -> list[dict[str, Any]]:
        """Audit rows (all, or one session's) as dicts, oldest first."""
        where, params = (
            ("WHERE session_id = ?", [session_id]) if session_id is not None else ("", [])
        )
        with self._lock, sqlite_errors(self.path, "read the audit log"):
            return list(self.db.query(f"SELECT * FROM audit_log {where} ORDER BY id", params))
