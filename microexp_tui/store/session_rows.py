"""Session rows: start, batched writes, finish, and recovery of crashed recordings."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from microexp_tui.device import protocol
from microexp_tui.domain.channels import MAX_IMPORTED_CHANNELS, ChannelSpec
from microexp_tui.domain.recording import Batch
from microexp_tui.domain.sessions import (
    FINAL_STATUSES,
    IMPORTED_STATUS,
    QUALITY_COUNTERS,
    SAMPLE_FORMATS,
    SESSION_SOURCES,
    SessionRecord,
    utc_now_iso,
)
from microexp_tui.errors import InputError, StoreError
from microexp_tui.store import audit, locks, predictions, space_reserve
from microexp_tui.store.connection import StoreConnection
from microexp_tui.store.database import StoreFullError, write_transaction
from microexp_tui.store.session_records import one, records, unknown_session
from microexp_tui.store.validation import (
    check_channels,
    device_json,
    normalise_counters,
    prepare_batch,
)

if TYPE_CHECKING:
    from sqlite_utils import Database


def start(
    db: Database,
    db_path: Path,
    participant_id: int,
    *,
    sample_rate_hz: float,
    channels: Sequence[ChannelSpec],
    device: dict[str, Any],
    simulated: bool,
    protocol: str | None,
    operator: str | None,
    notes: str | None,
    source: str,
    sample_format: str,
) -> int:
    """Insert a `recording` session with its montage and counters, holding its liveness lock."""
    montage = check_channels(channels, max_channels(source), f"A session from source {source!r}")
    rate_hz = float(sample_rate_hz)
    if not (math.isfinite(rate_hz) and rate_hz > 0):
        raise InputError(f"Sample rate {sample_rate_hz} Hz is invalid: it must be positive.")
    if sample_format not in SAMPLE_FORMATS:
        raise InputError(
            f"Sample format {sample_format!r} is invalid: use one of {', '.join(SAMPLE_FORMATS)}."
        )
    now = utc_now_iso()
    row = {
        "uuid": str(uuid.uuid4()),
        "participant_id": participant_id,
        "status": "recording",
        "started_at": now,
        "heartbeat_at": now,
        "protocol": protocol,
        "operator": operator,
        "sample_rate_hz": rate_hz,
        "channel_count": len(montage),
        "device": device_json(device, simulated),
        "simulated": int(simulated),
        "notes": notes,
        "source": source,
        "sample_format": sample_format,
    }
    session_id: int | None = None
    try:
        with write_transaction(db):
            _check_participant(db, db_path, participant_id)
            session_id = _insert_session(db, row, montage)
            detail = {
                key: row[key] for key in ("sample_rate_hz", "channel_count", "protocol", "source")
            }
            detail["simulated"] = simulated
            audit.append(db, "session.start", detail, session_id, operator or "system")
            locks.acquire(db_path, session_id)  # before COMMIT: never visible unlocked
    except BaseException:
        if session_id is not None:
            locks.release(db_path, session_id)
        raise
    return session_id


def max_channels(source: str) -> int:
    """Most channels a session from `source` may have; InputError for an unknown source."""
    if source not in SESSION_SOURCES:
        raise InputError(
            f"Session source {source!r} is invalid: use one of {', '.join(SESSION_SOURCES)}."
        )
    return protocol.MAX_CHANNELS if source == "board" else MAX_IMPORTED_CHANNELS


def _check_participant(db: Database, db_path: Path, participant_id: int) -> None:
    """StoreError unless the participant exists."""
    if db.execute("SELECT 1 FROM participants WHERE id = ?", [participant_id]).fetchone():
        return
    raise StoreError(
        f"Participant {participant_id} does not exist in {db_path}; create the participant first."
    )


def _insert_session(db: Database, row: dict[str, Any], montage: tuple[ChannelSpec, ...]) -> int:
    """Insert the session, channel and quality rows; return the session id."""
    table = db.table("sessions")
    table.insert(row)
    session_id = int(table.last_rowid or 0)
    db.table("channels").insert_all(
        {
            "session_id": session_id,
            "channel_index": spec.index,
            "label": spec.label,
            "muscle": spec.muscle,
            "sensor_kind": spec.sensor_kind,
            "action_units": ",".join(spec.action_units),
            "unit": spec.unit,
            "scale": float(spec.scale),
            "offset": float(spec.offset),
            "physical_min": spec.physical_min,
            "physical_max": spec.physical_max,
        }
        for spec in montage
    )
    db.table("session_quality").insert({"session_id": session_id, "updated_at": row["started_at"]})
    return session_id


def write_batch(db: Database, db_path: Path, session_id: int, batch: Batch) -> None:
    """Store one batch (chunks, events, counters, heartbeat) in a single transaction."""
    with write_transaction(db):
        row = db.execute(
            "SELECT status, channel_count, samples_per_channel, sample_format FROM sessions "
            "WHERE id = ?",
            [session_id],
        ).fetchone()
        if row is None:
            raise unknown_session(db_path, session_id)
        status, channel_count, end_index, sample_format = row
        if status != "recording":
            raise StoreError(
                f"Session {session_id} is '{status}', not recording: its data can no longer "
                "change. Start a new session to record more."
            )
        counters = normalise_counters(batch.counters)
        rows = prepare_batch(session_id, batch, channel_count, end_index, sample_format)
        if batch.predictions:
            classes = predictions.run_classes(db, session_id)
            rows["predictions"] = predictions.prediction_rows(
                session_id, batch.predictions, classes
            )
        for table_name in ("sample_chunks", "markers", "sequence_gaps", "artifacts", "predictions"):
            if rows.get(table_name):
                db.table(table_name).insert_all(rows[table_name])
        _update_counters(db, session_id, counters)
        new_end = max(
            [end_index] + [c["first_sample"] + c["n_samples"] for c in rows["sample_chunks"]]
        )
        db.execute(
            "UPDATE sessions SET heartbeat_at = ?, samples_per_channel = ?, "
            "stored_samples = stored_samples + ? WHERE id = ?",
            [
                utc_now_iso(),
                new_end,
                sum(c["n_samples"] for c in rows["sample_chunks"]),
                session_id,
            ],
        )


def _update_counters(db: Database, session_id: int, counters: dict[str, int]) -> None:
    """Overwrite quality counters: known ones in their columns, any others in `extra` (JSON)."""
    if not counters:
        return
    known = {name: value for name, value in counters.items() if name in QUALITY_COUNTERS}
    others = {name: value for name, value in counters.items() if name not in QUALITY_COUNTERS}
    row = db.execute(
        "SELECT extra FROM session_quality WHERE session_id = ?", [session_id]
    ).fetchone()
    extra = json.dumps({**json.loads(row[0] if row else "{}"), **others}, sort_keys=True)
    assignments = "".join(f"{name} = :{name}, " for name in known)
    db.execute(
        f"UPDATE session_quality SET {assignments}extra = :extra, updated_at = :updated_at "
        "WHERE session_id = :session_id",
        {**known, "extra": extra, "updated_at": utc_now_iso(), "session_id": session_id},
    )


def update_rate(
    db: Database, db_path: Path, session_id: int, sample_rate_hz: float, reason: str
) -> None:
    """Set a recording session's sample rate (measured as it records), audit-logged."""
    rate_hz = float(sample_rate_hz)
    if not (math.isfinite(rate_hz) and rate_hz > 0):
        raise InputError(f"Sample rate {sample_rate_hz} Hz is invalid: it must be positive.")
    with write_transaction(db):
        row = db.execute(
            "SELECT status, sample_rate_hz FROM sessions WHERE id = ?", [session_id]
        ).fetchone()
        if row is None:
            raise unknown_session(db_path, session_id)
        status, previous_hz = row
        if status != "recording":
            raise StoreError(
                f"Session {session_id} is '{status}', not recording: its sample rate is part "
                "of its finished record and can no longer change."
            )
        db.execute("UPDATE sessions SET sample_rate_hz = ? WHERE id = ?", [rate_hz, session_id])
        detail = {"sample_rate_hz": rate_hz, "previous_hz": previous_hz, "reason": reason}
        audit.append(db, "session.rate", detail, session_id)


def finish(db: Database, db_path: Path, session_id: int, status: str, actor: str) -> None:
    """Set a recording session's final status and release its lock (even if the update fails)."""
    if status not in FINAL_STATUSES:
        raise InputError(f"Status {status!r} is invalid: use one of {', '.join(FINAL_STATUSES)}.")
    try:
        with write_transaction(db):
            row = db.execute("SELECT status FROM sessions WHERE id = ?", [session_id]).fetchone()
            if row is None:
                raise unknown_session(db_path, session_id)
            if row[0] != "recording":
                raise StoreError(
                    f"Session {session_id} is already '{row[0]}'; only a recording session "
                    "can be finished."
                )
            db.execute(
                "UPDATE sessions SET status = ?, ended_at = ? WHERE id = ?",
                [status, utc_now_iso(), session_id],
            )
            audit.append(db, "session.finish", {"status": status}, session_id, actor)
    finally:
        locks.release(db_path, session_id)


def finish_import(
    db: Database, db_path: Path, session_id: int, sources: Mapping[str, str], actor: str
) -> None:
    """Mark an imported session `imported`, audit-log its source files' SHA-256, release it."""
    try:
        with write_transaction(db):
            row = db.execute(
                "SELECT status, source FROM sessions WHERE id = ?", [session_id]
            ).fetchone()
            if row is None:
                raise unknown_session(db_path, session_id)
            if row != ("recording", "import"):
                raise StoreError(
                    f"Session {session_id} is a '{row[0]}' session from source '{row[1]}'; only "
                    "a session being imported (source 'import') can be marked imported."
                )
            db.execute(
                "UPDATE sessions SET status = ?, ended_at = ? WHERE id = ?",
                [IMPORTED_STATUS, utc_now_iso(), session_id],
            )
            detail = {"status": IMPORTED_STATUS, "files_sha256": dict(sources)}
            audit.append(db, "session.import", detail, session_id, actor)
    finally:
        locks.release(db_path, session_id)


def session_imported_from(db: Database, sources: Mapping[str, str]) -> int | None:
    """The `imported` session whose import read files with exactly these SHA-256s, or None."""
    wanted = sorted(sources.values())
    if not wanted:
        return None
    rows = db.execute(
        "SELECT a.session_id, a.detail FROM audit_log a JOIN sessions s ON s.id = a.session_id "
        "WHERE a.action = 'session.import' AND s.status = ? AND instr(a.detail, ?) > 0",
        [IMPORTED_STATUS, wanted[0]],
    ).fetchall()
    for session_id, detail in rows:
        if sorted(json.loads(detail).get("files_sha256", {}).values()) == wanted:
            return int(session_id)
    return None


def recover_stale(db: Database, db_path: Path) -> list[int]:
    """Mark `interrupted` every `recording` session whose process is gone; return their ids."""
    recovered: list[int] = []
    if not db.execute("SELECT 1 FROM sessions WHERE status = 'recording' LIMIT 1").fetchone():
        return recovered  # the common case: no write lock needed
    with write_transaction(db):  # the write lock keeps a live writer from finishing meanwhile
        rows = db.execute(
            "SELECT id, heartbeat_at, started_at FROM sessions WHERE status = 'recording'"
        ).fetchall()
        for session_id, heartbeat_at, started_at in rows:
            with locks.probe_stale(db_path, session_id) as stale:
                if not stale:
                    continue
                space_reserve.release_space(db_path, session_id)  # room for this write
                db.execute(
                    "UPDATE sessions SET status = 'interrupted', ended_at = ? "
                    "WHERE id = ? AND status = 'recording'",
                    [heartbeat_at or started_at, session_id],
                )
                audit.append(
                    db,
                    "session.recovered",
                    {
                        "status": "interrupted",
                        "reason": "recording process ended without finishing the session",
                        "last_heartbeat_at": heartbeat_at,
                    },
                    session_id,
                )
                recovered.append(session_id)
    return recovered


class SessionQueries(StoreConnection):
    """Store methods for session rows: start, batched writes, finish, read back."""

    def start_session(
        self,
        participant_id: int,
        *,
        sample_rate_hz: float,
        channels: Sequence[ChannelSpec],
        device: dict[str, Any],
        simulated: bool,
        protocol: str | None = None,
        operator: str | None = None,
        notes: str | None = None,
        source: str = "board",
        sample_format: str = "int16",
    ) -> int:
        """Create a `recording` session, take its liveness lock, audit-log it; return its id.

        `source` is `board` (a live or simulated board: at most 16 channels) or `import`
        (a recording read from a file: up to 256 channels); `sample_format` is how its
        values are stored (int16 board counts, int32, float32).
        """
        with self._locked("start the session") as db:
            session_id = start(
                db,
                self.path,
                participant_id,
                sample_rate_hz=sample_rate_hz,
                channels=channels,
                device=device,
                simulated=simulated,
                protocol=protocol,
                operator=operator,
                notes=notes,
                source=source,
                sample_format=sample_format,
            )
        if source == "board":
            space_reserve.reserve_space(self.path, session_id)
        return session_id

    def write_batch(self, session_id: int, batch: Batch) -> None:
        """Store a batch in one transaction; StoreFullError when the disk is full."""
        with self._locked(f"save a batch of session {session_id}") as db:
            write_batch(db, self.path, session_id, batch)

    def update_sample_rate(self, session_id: int, sample_rate_hz: float, reason: str) -> None:
        """Set a recording session's rate as measured so far (a legacy sketch's, from its
        millis); audit-logged with `reason`. StoreError once the session is finished."""
        with self._locked(f"update the sample rate of session {session_id}") as db:
            update_rate(db, self.path, session_id, sample_rate_hz, reason)

    def finish_session(self, session_id: int, status: str, actor: str = "system") -> None:
        """Set the final status (completed, aborted, interrupted) and release the lock."""
        try:
            with self._locked(f"finish session {session_id}") as db:
                finish(db, self.path, session_id, status, actor)
        except StoreFullError:
            space_reserve.release_space(self.path, session_id)
            with self._locked(f"finish session {session_id}") as db:
                finish(db, self.path, session_id, status, actor)
        finally:
            space_reserve.release_space(self.path, session_id)

    def finish_import(
        self, session_id: int, sources: Mapping[str, str], actor: str = "system"
    ) -> None:
        """Mark an imported session `imported`, with its source files' SHA-256 in the audit log."""
        with self._locked(f"finish importing session {session_id}") as db:
            finish_import(db, self.path, session_id, sources, actor)

    def session_imported_from(self, sources: Mapping[str, str]) -> int | None:
        """The imported session made from files with exactly these SHA-256s, or None."""
        with self._locked("look for an earlier import of the same files") as db:
            return session_imported_from(db, sources)

    def session(self, session_id: int) -> SessionRecord:
        """One session's record; StoreError if the id is unknown."""
        with self._locked(f"read session {session_id}") as db:
            return one(db, self.path, session_id)

    def list_sessions(self) -> list[SessionRecord]:
        """Every session with participant code, status, extent, counters, oldest first."""
        with self._locked("list the sessions") as db:
            return records(db)
