"""Participants: pseudonymous codes and demographics, with identity kept in a separate table."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from microexp_tui.domain.sessions import (
    HANDEDNESS_VALUES,
    SEX_VALUES,
    TEST_PARTICIPANT_CODE,
    Participant,
    ParticipantIdentity,
    utc_now_iso,
)
from microexp_tui.errors import InputError
from microexp_tui.store import audit
from microexp_tui.store.connection import StoreConnection
from microexp_tui.store.database import write_transaction

if TYPE_CHECKING:
    from sqlite_utils import Database

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Characters of generated codes: no 0/O, 1/I/L or U, so codes survive being read aloud."""

CODE_PREFIX = "P-"
CODE_LENGTH = 6
_CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
_PARTICIPANT_COLUMNS = "id, code, birth_year, sex, handedness, created_at, is_test"


def generate_code() -> str:
    """A random pseudonymous code such as `P-7K3Q9X`."""
    return CODE_PREFIX + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _check_code(code: str) -> str:
    """Validate a user-chosen code: 1-32 letters, digits, '.', '_' or '-'."""
    code = code.strip()
    if not _CODE_PATTERN.fullmatch(code):
        raise InputError(
            f"Participant code {code!r} is invalid: use 1-32 letters, digits, '.', '_' or '-' "
            "starting with a letter or digit (or leave it empty to generate one)."
        )
    return code


def _check_choice(field: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    """Normalise an optional enumerated demographic value (case-insensitive)."""
    if value is None or not value.strip():
        return None
    if value.strip().lower() not in allowed:
        raise InputError(f"{field} {value!r} is invalid: use one of {', '.join(allowed)}.")
    return value.strip().lower()


def _check_birth_year(birth_year: int | None) -> int | None:
    """Accept a plausible birth year or None."""
    this_year = datetime.now(UTC).year
    if birth_year is None:
        return None
    if not 1900 <= birth_year <= this_year:
        raise InputError(
            f"Birth year {birth_year} is invalid: use a year from 1900 to {this_year}."
        )
    return birth_year


def _code_taken(db: Database, code: str) -> bool:
    """True if a participant already has `code` (case-insensitive)."""
    return db.execute("SELECT 1 FROM participants WHERE code = ?", [code]).fetchone() is not None


def create(
    db: Database,
    code: str | None,
    demographics: dict[str, Any],
    identity: dict[str, str | None],
) -> Participant:
    """Insert a participant (and its identity row if any field is given) with an audit entry."""
    birth_year = _check_birth_year(demographics.get("birth_year"))
    sex = _check_choice("Sex", demographics.get("sex"), SEX_VALUES)
    handedness = _check_choice("Handedness", demographics.get("handedness"), HANDEDNESS_VALUES)
    wanted = _check_code(code) if code is not None and code.strip() else None
    with write_transaction(db):
        if wanted is not None and _code_taken(db, wanted):
            raise InputError(
                f"Participant code {wanted!r} already exists; choose another code or leave it "
                "empty to generate one."
            )
        final_code = wanted or _fresh_code(db)
        table = db.table("participants")
        table.insert(
            {
                "code": final_code,
                "birth_year": birth_year,
                "sex": sex,
                "handedness": handedness,
                "created_at": utc_now_iso(),
            }
        )
        participant_id = int(table.last_rowid or 0)
        if any(value is not None for value in identity.values()):
            db.table("participant_identity").insert({"participant_id": participant_id, **identity})
        audit.append(db, "participant.create", {"code": final_code}, actor="system")
        found = by_id(db, participant_id)
    assert found is not None
    return found


def _fresh_code(db: Database) -> str:
    """A generated code not used yet."""
    while True:
        code = generate_code()
        if not _code_taken(db, code):
            return code


def _row_to_participant(row: tuple[Any, ...]) -> Participant:
    """Build a Participant from a row of `_PARTICIPANT_COLUMNS`."""
    participant_id, code, birth_year, sex, handedness, created_at, is_test = row
    return Participant(
        participant_id, code, birth_year, sex, handedness, created_at, test=bool(is_test)
    )


def by_code(db: Database, code: str) -> Participant | None:
    """The participant with `code` (case-insensitive), or None."""
    row = db.execute(
        f"SELECT {_PARTICIPANT_COLUMNS} FROM participants WHERE code = ?", [code.strip()]
    ).fetchone()
    return _row_to_participant(row) if row else None


def by_id(db: Database, participant_id: int) -> Participant | None:
    """The participant with `participant_id`, or None."""
    row = db.execute(
        f"SELECT {_PARTICIPANT_COLUMNS} FROM participants WHERE id = ?", [participant_id]
    ).fetchone()
    return _row_to_participant(row) if row else None


def list_all(db: Database) -> list[Participant]:
    """Every participant, oldest first."""
    rows = db.execute(f"SELECT {_PARTICIPANT_COLUMNS} FROM participants ORDER BY id").fetchall()
    return [_row_to_participant(row) for row in rows]


def test_participant(db: Database) -> Participant:
    """The test participant (the oldest flagged one), created as TEST_PARTICIPANT_CODE (or
    TEST-2, ... when a real participant holds that code) when there is none yet."""
    with write_transaction(db):
        row = db.execute(
            f"SELECT {_PARTICIPANT_COLUMNS} FROM participants WHERE is_test = 1 ORDER BY id LIMIT 1"
        ).fetchone()
        if row:
            return _row_to_participant(row)
        code, number = TEST_PARTICIPANT_CODE, 1
        while _code_taken(db, code):
            number += 1
            code = f"{TEST_PARTICIPANT_CODE}-{number}"
        table = db.table("participants")
        table.insert({"code": code, "created_at": utc_now_iso(), "is_test": 1})
        participant_id = int(table.last_rowid or 0)
        audit.append(db, "participant.create", {"code": code, "test": True}, actor="system")
        found = by_id(db, participant_id)
    assert found is not None
    return found


def identity(db: Database, participant_id: int) -> ParticipantIdentity | None:
    """Identifying fields of a participant, or None if none were recorded."""
    row = db.execute(
        "SELECT participant_id, name, contact, notes FROM participant_identity "
        "WHERE participant_id = ?",
        [participant_id],
    ).fetchone()
    return ParticipantIdentity(*row) if row else None


def erase_identity(db: Database, participant_id: int, actor: str) -> bool:
    """Delete a participant's identifying fields (keeping the data); True if there were any."""
    with write_transaction(db):
        cursor = db.execute(
            "DELETE FROM participant_identity WHERE participant_id = ?", [participant_id]
        )
        erased = cursor.rowcount > 0
        if erased:
            audit.append(
                db, "participant.erase_identity", {"participant_id": participant_id}, actor=actor
            )
    return erased


class ParticipantQueries(StoreConnection):
    """Store methods for participants and their separately kept identity."""

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
        identity_fields = {"name": name, "contact": contact, "notes": notes}
        with self._locked("create the participant") as db:
            return create(db, code, demographics, identity_fields)

    def test_participant(self) -> Participant:
        """The one flagged test participant, created on first use (never one per call)."""
        with self._locked("get the test participant") as db:
            return test_participant(db)

    def participant_by_code(self, code: str) -> Participant | None:
        """The participant with this code (case-insensitive), or None."""
        with self._locked("look up the participant") as db:
            return by_code(db, code)

    def participant(self, participant_id: int) -> Participant | None:
        """The participant with this id, or None."""
        with self._locked("look up the participant") as db:
            return by_id(db, participant_id)

    def list_participants(self) -> list[Participant]:
        """Every participant, oldest first (no identifying fields)."""
        with self._locked("list the participants") as db:
            return list_all(db)

    def participant_identity(self, participant_id: int) -> ParticipantIdentity | None:
        """Identifying fields of a participant; never part of any other record."""
        with self._locked("read the participant's identity") as db:
            return identity(db, participant_id)

    def erase_participant_identity(self, participant_id: int, actor: str = "system") -> bool:
        """Delete a participant's identifying fields, keeping the pseudonymous data."""
        with self._locked("erase the participant's identity") as db:
            return erase_identity(db, participant_id, actor)
