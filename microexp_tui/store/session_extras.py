"""Operator-session extras: setup, electrode checks, calibration, notes, overrides, progress.

Functions take an open `SessionStore` and use its connection under its lock; every change
that a reviewer may question (montage edits, overrides, consent) also goes to the audit log.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from microexp_tui.domain.calibration import ChannelCalibration
from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.electrodes import GRADES, ElectrodeCheck
from microexp_tui.domain.sessions import (
    PROGRESS_STATES,
    Note,
    Override,
    ProtocolProgress,
    SessionSetup,
    utc_now_iso,
)
from microexp_tui.errors import InputError
from microexp_tui.store import audit
from microexp_tui.store.database import write_transaction
from microexp_tui.store.sessions import SessionStore
from microexp_tui.store.validation import check_channels


@dataclass(frozen=True)
class MuscleEvent:
    """A short burst of muscle activity on one channel over samples [start, stop)."""

    channel_index: int
    start_index: int
    stop_index: int
    peak: float
    micro: bool


def save_setup(store: SessionStore, setup: SessionSetup, actor: str = "system") -> None:
    """Insert or replace a session's setup row (consent confirmation is audit-logged)."""
    row = asdict(setup)
    with store.locked("save the session setup") as db, write_transaction(db):
        db.table("session_setup").upsert(row, pk="session_id")
        if setup.consent_confirmed_at:
            detail = {"template": setup.consent_template, "sha256": setup.consent_sha256}
            audit.append(db, "consent.confirmed", detail, setup.session_id, actor)


def setup(store: SessionStore, session_id: int) -> SessionSetup | None:
    """A session's setup row, or None."""
    with store.locked("read the session setup") as db:
        rows = list(db.query("SELECT * FROM session_setup WHERE session_id = ?", [session_id]))
    return SessionSetup(**rows[0]) if rows else None


def set_montage(
    store: SessionStore, session_id: int, channels: Sequence[ChannelSpec], actor: str = "system"
) -> None:
    """Replace a session's montage (channel -> muscle, kind, AUs) as edited by the operator."""
    montage = check_channels(channels)
    with store.locked("save the montage") as db, write_transaction(db):
        count = db.execute(
            "SELECT channel_count FROM sessions WHERE id = ?", [session_id]
        ).fetchone()
        if count is None or count[0] != len(montage):
            raise InputError(
                f"The montage has {len(montage)} channels but session {session_id} records "
                f"{count[0] if count else 0}; edit one entry per board channel."
            )
        for spec in montage:
            db.execute(
                "UPDATE channels SET label = ?, muscle = ?, sensor_kind = ?, action_units = ? "
                "WHERE session_id = ? AND channel_index = ?",
                [
                    spec.label,
                    spec.muscle,
                    spec.sensor_kind,
                    ",".join(spec.action_units),
                    session_id,
                    spec.index,
                ],
            )
        detail = {"channels": [[s.label, s.muscle, s.sensor_kind] for s in montage]}
        audit.append(db, "session.montage", detail, session_id, actor)


def set_protocol(
    store: SessionStore, session_id: int, protocol: str, actor: str = "system"
) -> None:
    """Name the stimulus protocol a session runs (the TUI drives it, not the recorder)."""
    with store.locked("save the protocol name") as db, write_transaction(db):
        db.execute("UPDATE sessions SET protocol = ? WHERE id = ?", [protocol, session_id])
        audit.append(db, "session.protocol", {"protocol": protocol}, session_id, actor)


def save_electrode_checks(
    store: SessionStore, session_id: int, checks: Sequence[ElectrodeCheck], actor: str = "system"
) -> None:
    """Store one round of electrode-check results (earlier rounds are kept)."""
    now = utc_now_iso()
    rows = []
    for check in checks:
        if check.grade not in GRADES:
            raise InputError(f"Grade {check.grade!r} is invalid: use one of {', '.join(GRADES)}.")
        rows.append({"session_id": session_id, "checked_at": now, **asdict(check)})
    with store.locked("save the electrode check") as db, write_transaction(db):
        db.table("electrode_checks").insert_all(rows)
        grades = {str(check.channel_index + 1): check.grade for check in checks}
        audit.append(db, "electrode_check", {"grades": grades}, session_id, actor)


def electrode_checks(store: SessionStore, session_id: int) -> list[ElectrodeCheck]:
    """The latest electrode-check result of each channel of a session."""
    with store.locked("read the electrode checks") as db:
        rows = list(
            db.query(
                "SELECT * FROM electrode_checks WHERE id IN (SELECT MAX(id) FROM electrode_checks "
                "WHERE session_id = ? GROUP BY channel_index) ORDER BY channel_index",
                [session_id],
            )
        )
    fields = ElectrodeCheck.__dataclass_fields__
    result = []
    for row in rows:
        values = {key: row[key] for key in fields}
        values["flat_line"] = bool(values["flat_line"])
        lit = values["contraction_lit"]
        values["contraction_lit"] = None if lit is None else bool(lit)
        result.append(ElectrodeCheck(**values))
    return result


def add_override(
    store: SessionStore, session_id: int, kind: str, target: str, reason: str, actor: str
) -> None:
    """Record an operator override with its reason, in its table and the audit log."""
    if not reason.strip():
        raise InputError("An override needs a reason: say why the operator went ahead.")
    row: dict[str, Any] = {
        "session_id": session_id,
        "kind": kind,
        "target": target,
        "reason": reason.strip(),
        "actor": actor or "operator",
        "at": utc_now_iso(),
    }
    with store.locked("save the override") as db, write_transaction(db):
        db.table("operator_overrides").insert(row)
        detail = {"kind": kind, "target": target, "reason": row["reason"]}
        audit.append(db, "operator.override", detail, session_id, row["actor"])


def overrides(store: SessionStore, session_id: int) -> list[Override]:
    """A session's operator overrides, oldest first."""
    with store.locked("read the overrides") as db:
        rows = db.execute(
            "SELECT kind, target, reason, actor, at FROM operator_overrides "
            "WHERE session_id = ? ORDER BY id",
            [session_id],
        ).fetchall()
    return [Override(*row) for row in rows]


def save_calibration(
    store: SessionStore,
    session_id: int,
    channels: Sequence[ChannelCalibration],
    actor: str = "system",
) -> None:
    """Store (replacing any earlier one) the session's per-channel normalisation."""
    now = utc_now_iso()
    rows = [{"session_id": session_id, "computed_at": now, **asdict(c)} for c in channels]
    with store.locked("save the calibration") as db, write_transaction(db):
        db.execute("DELETE FROM calibrations WHERE session_id = ?", [session_id])
        db.table("calibrations").insert_all(rows)
        detail = {
            str(c.channel_index + 1): [round(c.baseline, 2), round(c.max_value, 2)]
            for c in channels
        }
        audit.append(db, "calibration", detail, session_id, actor)


def calibration(store: SessionStore, session_id: int) -> list[ChannelCalibration]:
    """A session's calibration, by channel (empty when none was made)."""
    with store.locked("read the calibration") as db:
        rows = list(
            db.query(
                "SELECT * FROM calibrations WHERE session_id = ? ORDER BY channel_index",
                [session_id],
            )
        )
    fields = ChannelCalibration.__dataclass_fields__
    return [
        ChannelCalibration(**{key: row[key] for key in fields} | {"valid": bool(row["valid"])})
        for row in rows
    ]


def add_note(store: SessionStore, session_id: int, text: str, author: str) -> None:
    """Append a note to a session (notes are never edited, only added)."""
    if not text.strip():
        raise InputError("The note is empty; type something before saving it.")
    row: dict[str, Any] = {
        "session_id": session_id,
        "at": utc_now_iso(),
        "author": author,
        "text": text.strip(),
    }
    with store.locked("save the note") as db, write_transaction(db):
        db.table("session_notes").insert(row)
        audit.append(db, "session.note", {"chars": len(row["text"])}, session_id, author)


def notes(store: SessionStore, session_id: int) -> list[Note]:
    """A session's notes, oldest first."""
    with store.locked("read the notes") as db:
        rows = db.execute(
            "SELECT at, author, text FROM session_notes WHERE session_id = ? ORDER BY id",
            [session_id],
        ).fetchall()
    return [Note(*row) for row in rows]


def set_progress(store: SessionStore, session_id: int, progress: ProtocolProgress) -> None:
    """Save how far the protocol got (called at each block and at the end)."""
    if progress.state not in PROGRESS_STATES:
        raise InputError(f"Protocol state {progress.state!r} is invalid.")
    row = {"session_id": session_id, "updated_at": utc_now_iso(), **asdict(progress)}
    with store.locked("save the protocol progress") as db, write_transaction(db):
        db.table("protocol_progress").upsert(row, pk="session_id")


def progress_of(store: SessionStore) -> dict[int, ProtocolProgress]:
    """Protocol progress of every session that ran one, by session id."""
    with store.locked("read the protocol progress") as db:
        rows = db.execute(
            "SELECT session_id, protocol, blocks_total, blocks_done, start_index, state "
            "FROM protocol_progress"
        ).fetchall()
    return {row[0]: ProtocolProgress(*row[1:]) for row in rows}


def save_muscle_events(store: SessionStore, session_id: int, events: Sequence[MuscleEvent]) -> None:
    """Append detected muscle events of a session."""
    if not events:
        return
    rows = [{"session_id": session_id, **asdict(event)} for event in events]
    with store.locked("save the muscle events") as db, write_transaction(db):
        db.table("muscle_events").insert_all(rows)


def muscle_events(store: SessionStore, session_id: int) -> list[MuscleEvent]:
    """A session's detected muscle events in sample order."""
    with store.locked("read the muscle events") as db:
        rows = db.execute(
            "SELECT channel_index, start_index, stop_index, peak, micro FROM muscle_events "
            "WHERE session_id = ? ORDER BY start_index, id",
            [session_id],
        ).fetchall()
    return [MuscleEvent(c, a, b, p, bool(m)) for c, a, b, p, m in rows]


def settings_json(values: dict[str, Any]) -> str:
    """Settings snapshot stored with a session, as key-sorted JSON."""
    return json.dumps(values, sort_keys=True, default=str)
