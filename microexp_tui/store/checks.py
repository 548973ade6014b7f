"""Per-channel results of the setup steps: electrode checks (every round kept) and calibration."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING

from microexp_tui.domain.calibration import ChannelCalibration
from microexp_tui.domain.electrodes import GRADES, ElectrodeCheck
from microexp_tui.domain.sessions import utc_now_iso
from microexp_tui.errors import InputError
from microexp_tui.store import audit
from microexp_tui.store.connection import StoreConnection
from microexp_tui.store.database import write_transaction

if TYPE_CHECKING:
    from sqlite_utils import Database


def save_electrode_checks(
    db: Database,
    session_id: int,
    checks: Sequence[ElectrodeCheck],
    actor: str,
    checked_at: str | None = None,
) -> None:
    """Store one round of electrode-check results (earlier rounds are kept), made now or at
    `checked_at` (a check reused from an earlier session of the visit keeps its time)."""
    now = checked_at or utc_now_iso()
    rows = []
    for check in checks:
        if check.grade not in GRADES:
            raise InputError(f"Grade {check.grade!r} is invalid: use one of {', '.join(GRADES)}.")
        rows.append({"session_id": session_id, "checked_at": now, **asdict(check)})
    with write_transaction(db):
        db.table("electrode_checks").insert_all(rows)
        grades = {str(check.channel_index + 1): check.grade for check in checks}
        audit.append(db, "electrode_check", {"grades": grades}, session_id, actor)


def latest_electrode_checks(db: Database, session_id: int) -> list[ElectrodeCheck]:
    """The latest electrode-check result of each channel of a session."""
    rows = db.query(
        "SELECT * FROM electrode_checks WHERE id IN (SELECT MAX(id) FROM electrode_checks "
        "WHERE session_id = ? GROUP BY channel_index) ORDER BY channel_index",
        [session_id],
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


def save_calibration(
    db: Database,
    session_id: int,
    channels: Sequence[ChannelCalibration],
    actor: str,
    computed_at: str | None = None,
) -> None:
    """Store (replacing any earlier one) the session's per-channel normalisation, made now or
    at `computed_at` (a reused calibration keeps its time)."""
    now = computed_at or utc_now_iso()
    rows = [{"session_id": session_id, "computed_at": now, **asdict(c)} for c in channels]
    with write_transaction(db):
        db.execute("DELETE FROM calibrations WHERE session_id = ?", [session_id])
        db.table("calibrations").insert_all(rows)
        detail = {
            str(c.channel_index + 1): [round(c.baseline, 2), round(c.max_value, 2)]
            for c in channels
        }
        audit.append(db, "calibration", detail, session_id, actor)


def read_calibration(db: Database, session_id: int) -> list[ChannelCalibration]:
    """A session's calibration, by channel (empty when none was made)."""
    rows = db.query(
        "SELECT * FROM calibrations WHERE session_id = ? ORDER BY channel_index", [session_id]
    )
    fields = ChannelCalibration.__dataclass_fields__
    return [
        ChannelCalibration(**{key: row[key] for key in fields} | {"valid": bool(row["valid"])})
        for row in rows
    ]


class CheckQueries(StoreConnection):
    """Store methods for electrode checks and the per-channel calibration."""

    def save_electrode_checks(
        self,
        session_id: int,
        checks: Sequence[ElectrodeCheck],
        actor: str = "system",
        checked_at: str | None = None,
    ) -> None:
        """Store one round of electrode-check results (earlier rounds are kept)."""
        with self._locked("save the electrode check") as db:
            save_electrode_checks(db, session_id, checks, actor, checked_at)

    def electrode_checks(self, session_id: int) -> list[ElectrodeCheck]:
        """The latest electrode-check result of each channel of a session."""
        with self._locked("read the electrode checks") as db:
            return latest_electrode_checks(db, session_id)

    def save_calibration(
        self,
        session_id: int,
        channels: Sequence[ChannelCalibration],
        actor: str = "system",
        computed_at: str | None = None,
    ) -> None:
        """Store (replacing any earlier one) the session's per-channel normalisation."""
        with self._locked("save the calibration") as db:
            save_calibration(db, session_id, channels, actor, computed_at)

    def setup_times(self, session_id: int) -> tuple[str | None, str | None]:
        """When a session's latest electrode check and its calibration were made (or None)."""
        with self._locked("read when the setup steps were made") as db:
            checked = db.execute(
                "SELECT MAX(checked_at) FROM electrode_checks WHERE session_id = ?", [session_id]
            ).fetchone()[0]
            computed = db.execute(
                "SELECT MAX(computed_at) FROM calibrations WHERE session_id = ?", [session_id]
            ).fetchone()[0]
        return checked, computed

    def calibration(self, session_id: int) -> list[ChannelCalibration]:
        """A session's calibration, by channel (empty when none was made)."""
        with self._locked("read the calibration") as db:
            return read_calibration(db, session_id)
