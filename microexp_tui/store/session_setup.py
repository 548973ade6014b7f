"""How a session was set up and how far it got: setup row, montage edits, protocol, progress.

Every change a reviewer may question (montage edits, the protocol, consent) is audit-logged
in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING

from microexp_tui.domain.channels import MAX_IMPORTED_CHANNELS, ChannelSpec
from microexp_tui.domain.sessions import (
    PROGRESS_STATES,
    ProtocolProgress,
    SessionSetup,
    utc_now_iso,
)
from microexp_tui.errors import InputError
from microexp_tui.store import audit
from microexp_tui.store.connection import StoreConnection
from microexp_tui.store.database import write_transaction
from microexp_tui.store.validation import check_channels

if TYPE_CHECKING:
    from sqlite_utils import Database


def save_setup(db: Database, setup: SessionSetup, actor: str) -> None:
    """Insert or replace a session's setup row (consent confirmation is audit-logged)."""
    with write_transaction(db):
        db.table("session_setup").upsert(asdict(setup), pk="session_id")
        if setup.consent_confirmed_at:
            detail = {"template": setup.consent_template, "sha256": setup.consent_sha256}
            audit.append(db, "consent.confirmed", detail, setup.session_id, actor)


def read_setup(db: Database, session_id: int) -> SessionSetup | None:
    """A session's setup row, or None."""
    rows = list(db.query("SELECT * FROM session_setup WHERE session_id = ?", [session_id]))
    return SessionSetup(**rows[0]) if rows else None


def set_montage(db: Database, session_id: int, channels: Sequence[ChannelSpec], actor: str) -> None:
    """Replace a session's montage (channel -> muscle, kind, AUs) as edited by the operator.

    The channels' units and scales stay as the acquisition recorded them.
    """
    montage = check_channels(channels, MAX_IMPORTED_CHANNELS, "A montage")
    with write_transaction(db):
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


def set_protocol(db: Database, session_id: int, protocol: str, actor: str) -> None:
    """Name the stimulus protocol a session runs, with an audit entry."""
    with write_transaction(db):
        db.execute("UPDATE sessions SET protocol = ? WHERE id = ?", [protocol, session_id])
        audit.append(db, "session.protocol", {"protocol": protocol}, session_id, actor)


def save_progress(db: Database, session_id: int, progress: ProtocolProgress) -> None:
    """Insert or replace how far a session's protocol got."""
    if progress.state not in PROGRESS_STATES:
        raise InputError(
            f"Protocol state {progress.state!r} is invalid: use one of "
            f"{', '.join(PROGRESS_STATES)}."
        )
    row = {"session_id": session_id, "updated_at": utc_now_iso(), **asdict(progress)}
    with write_transaction(db):
        db.table("protocol_progress").upsert(row, pk="session_id")


def all_progress(db: Database) -> dict[int, ProtocolProgress]:
    """Protocol progress of every session that ran one, by session id."""
    rows = db.execute(
        "SELECT session_id, protocol, blocks_total, blocks_done, start_index, state "
        "FROM protocol_progress"
    ).fetchall()
    return {row[0]: ProtocolProgress(*row[1:]) for row in rows}


def settings_snapshot(db: Database, session_id: int) -> str | None:
    """The settings snapshot (JSON text) stored with a session's setup, or None."""
    row = db.execute(
        "SELECT settings FROM session_setup WHERE session_id = ?", [session_id]
    ).fetchone()
    return row[0] if row and row[0] else None


class SetupQueries(StoreConnection):
    """Store methods for a session's setup, montage edits, protocol and protocol progress."""

    def save_setup(self, setup: SessionSetup, actor: str = "system") -> None:
        """Insert or replace a session's setup row (consent confirmation is audit-logged)."""
        with self._locked("save the session setup") as db:
            save_setup(db, setup, actor)

    def setup(self, session_id: int) -> SessionSetup | None:
        """A session's setup row, or None."""
        with self._locked("read the session setup") as db:
            return read_setup(db, session_id)

    def settings_snapshot(self, session_id: int) -> str | None:
        """The program settings (JSON text) saved when the session was set up, or None."""
        with self._locked("read the session's settings") as db:
            return settings_snapshot(db, session_id)

    def set_montage(
        self, session_id: int, channels: Sequence[ChannelSpec], actor: str = "system"
    ) -> None:
        """Replace a session's montage (channel -> muscle, kind, AUs) as edited by the operator."""
        with self._locked("save the montage") as db:
            set_montage(db, session_id, channels, actor)

    def set_protocol(self, session_id: int, protocol: str, actor: str = "system") -> None:
        """Name the stimulus protocol a session runs (the TUI drives it, not the recorder)."""
        with self._locked("save the protocol name") as db:
            set_protocol(db, session_id, protocol, actor)

    def set_progress(self, session_id: int, progress: ProtocolProgress) -> None:
        """Save how far the protocol got (called at each block and at the end)."""
        with self._locked("save the protocol progress") as db:
            save_progress(db, session_id, progress)

    def protocol_progress(self) -> dict[int, ProtocolProgress]:
        """Protocol progress of every session that ran one, by session id."""
        with self._locked("read the protocol progress") as db:
            return all_progress(db)
