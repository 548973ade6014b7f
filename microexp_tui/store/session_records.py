"""Session records as read back: the session row, its participant code, montage and counters."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.markers import clean_label
from microexp_tui.domain.sessions import QUALITY_COUNTERS, SessionRecord
from microexp_tui.errors import StoreError
from microexp_tui.store.database import SqlReader

if TYPE_CHECKING:
    from sqlite_utils import Database

_SESSION_SELECT = (
    "SELECT s.id, s.uuid, s.participant_id, p.code, s.status, s.started_at, s.ended_at, "
    "s.heartbeat_at, s.protocol, s.operator, s.sample_rate_hz, s.channel_count, s.device, "
    "s.simulated, s.notes, s.samples_per_channel, s.stored_samples, s.source, "
    "s.sample_format, "
    + ", ".join(f"q.{name}" for name in (*QUALITY_COUNTERS, "extra"))
    + ", p.is_test FROM sessions s JOIN participants p ON p.id = s.participant_id "
    "LEFT JOIN session_quality q ON q.session_id = s.id"
)


def unknown_session(db_path: Path, session_id: int) -> StoreError:
    """StoreError for a session id that is not in the database."""
    return StoreError(
        f"Session {session_id} does not exist in {db_path}. List the sessions of this "
        "database (the sessions screen, or SessionStore.list_sessions()) to find its id, "
        "or check that --db points at the right database."
    )


def _montages(db: SqlReader, where: str, params: list[Any]) -> dict[int, list[ChannelSpec]]:
    """Montage of each session matching the WHERE clause on `s.` columns."""
    result: dict[int, list[ChannelSpec]] = {}
    for sid, index, label, muscle, kind, units, *physical in db.execute(
        "SELECT session_id, channel_index, label, muscle, sensor_kind, action_units, unit, "
        'scale, "offset", physical_min, physical_max FROM channels '
        f"WHERE session_id IN (SELECT s.id FROM sessions s {where}) "
        "ORDER BY session_id, channel_index",
        params,
    ):
        aus = tuple(unit for unit in units.split(",") if unit)
        unit, scale, offset, low, high = physical
        spec = ChannelSpec(index, label, muscle, kind, aus, unit, scale, offset, low, high)
        result.setdefault(sid, []).append(spec)
    return result


def _record(row: tuple[Any, ...], montage: list[ChannelSpec]) -> SessionRecord:
    """Build a SessionRecord from a `_SESSION_SELECT` row and the session's montage."""
    counter_values = row[19 : 19 + len(QUALITY_COUNTERS)]
    extra_counters = json.loads(row[19 + len(QUALITY_COUNTERS)] or "{}")
    return SessionRecord(
        id=row[0],
        uuid=row[1],
        participant_id=row[2],
        participant_code=row[3],
        status=row[4],
        started_at=row[5],
        ended_at=row[6],
        heartbeat_at=row[7],
        protocol=row[8],
        operator=row[9],
        sample_rate_hz=float(row[10]),
        channel_count=row[11],
        device=board_text_cleaned(json.loads(row[12])),
        simulated=bool(row[13]),
        notes=row[14],
        samples_per_channel=row[15],
        stored_samples=row[16],
        counters={
            **{
                name: int(value or 0)
                for name, value in zip(QUALITY_COUNTERS, counter_values, strict=True)
            },
            **extra_counters,
        },
        channels=tuple(montage),
        source=row[17],
        sample_format=row[18],
        test_participant=bool(row[20 + len(QUALITY_COUNTERS)]),
    )


def records(db: SqlReader, where: str = "", params: Sequence[Any] = ()) -> list[SessionRecord]:
    """Session records matching an optional WHERE clause on `s.` columns, oldest first."""
    rows = db.execute(f"{_SESSION_SELECT} {where} ORDER BY s.id", list(params)).fetchall()
    montages = _montages(db, where, list(params))
    return [_record(tuple(row), montages.get(row[0], [])) for row in rows]


def one(db: Database, db_path: Path, session_id: int) -> SessionRecord:
    """The record of one session; StoreError naming the id if it does not exist."""
    found = records(db, "WHERE s.id = ?", [session_id])
    if not found:
        raise unknown_session(db_path, session_id)
    return found[0]


def board_text_cleaned(device: dict[str, Any]) -> dict[str, Any]:
    """A stored device description with its text values as safe labels (`clean_label`): a
    board name stored before names were cleaned at the handshake never reaches a screen or
    an export with terminal escapes or control characters."""
    return {
        key: clean_label(value) if isinstance(value, str) else value
        for key, value in device.items()
    }
