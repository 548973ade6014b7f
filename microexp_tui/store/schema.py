"""Schema migrations: the numbered SQL files in `migrations/`, each applied in its own transaction.

To change the schema, add `NNNN_what_it_does.sql` with the next number, its first line a
`-- description` comment; never edit a released file. `schema_version` holds one row per
applied migration; the highest is the database's version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from microexp_tui.domain.sessions import utc_now_iso
from microexp_tui.errors import StoreError
from microexp_tui.store import audit
from microexp_tui.store.database import SqlReader, has_table, sqlite_errors, write_transaction

if TYPE_CHECKING:
    from sqlite_utils import Database

APPLICATION_ID = 0x4D455850
"""`PRAGMA application_id` of our files ("MEXP", set by migration 1), so tools know them."""

_FILE_NAME = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")


@dataclass(frozen=True)
class Migration:
    """One schema step: SQL run in a transaction together with its version row."""

    version: int
    description: str
    sql: str


def _read_migration(name: str, text: str) -> Migration:
    """A migration from its file name (`0001_initial.sql`) and text (first line `-- what`)."""
    match = _FILE_NAME.fullmatch(name)
    first_line = text.split("\n", 1)[0]
    if match is None or not first_line.startswith("-- "):
        raise StoreError(
            f"The schema migration {name} shipped with microexp-tui is malformed (it needs a "
            "name like 0001_what.sql and a first line '-- description'); reinstall microexp-tui."
        )
    return Migration(int(match.group(1)), first_line[3:].strip(), text)


def load_migrations() -> tuple[Migration, ...]:
    """Every shipped migration in version order; StoreError if the numbers are not 1, 2, 3, ..."""
    folder = resources.files("microexp_tui.store") / "migrations"
    found = sorted(
        (
            _read_migration(entry.name, entry.read_text(encoding="utf-8"))
            for entry in folder.iterdir()
            if entry.name.endswith(".sql")
        ),
        key=lambda migration: migration.version,
    )
    versions = [migration.version for migration in found]
    if versions != list(range(1, len(found) + 1)):
        raise StoreError(
            f"The schema migrations shipped with microexp-tui are numbered {versions}, not "
            "1, 2, 3, ... without gaps; reinstall microexp-tui."
        )
    return tuple(found)


MIGRATIONS: tuple[Migration, ...] = load_migrations()

SCHEMA_VERSION = MIGRATIONS[-1].version
"""The schema version this program writes and understands."""


def current_version(db: SqlReader) -> int:
    """Schema version of the open database (0 for a database without our tables)."""
    if not has_table(db, "schema_version"):
        return 0
    row = db.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def check_compatible(db: Database, path: Path) -> int:
    """Return the version, refusing a newer schema or somebody else's database."""
    with sqlite_errors(path, "read the schema version"):
        version = current_version(db)
        foreign = [name for name in db.table_names() if not name.startswith("sqlite_")]
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer microexp-tui (schema version {version}; this "
            f"program understands up to {SCHEMA_VERSION}). It was left untouched. Upgrade "
            "microexp-tui, or pass --db with another database."
        )
    if version == 0 and foreign:
        raise StoreError(
            f"{path} is a SQLite database of another program (tables: "
            f"{', '.join(sorted(foreign)[:5])}); it was left untouched. Pass --db with "
            "the path of a microexp-tui session database or of a new file."
        )
    return version


def migrate(db: Database, path: Path, target_version: int = SCHEMA_VERSION) -> int:
    """Apply every pending migration up to `target_version`, each atomically; return the version.

    Foreign keys are off while migrating, so a migration may rebuild a table that others
    reference (SQLite's documented way to change a column); each migration checks them
    all before it commits, and their enforcement is restored afterwards.
    """
    with sqlite_errors(path, "read the schema version"):
        enforced = bool(db.execute("PRAGMA foreign_keys").fetchone()[0])
        db.execute("PRAGMA foreign_keys = OFF")
    try:
        for migration in MIGRATIONS:
            if migration.version > target_version:
                break
            with sqlite_errors(path, f"upgrade the schema to version {migration.version}"):
                _apply(db, path, migration)
        with sqlite_errors(path, "read the schema version"):
            return current_version(db)
    finally:
        with sqlite_errors(path, "re-enable foreign keys"):
            db.execute(f"PRAGMA foreign_keys = {'ON' if enforced else 'OFF'}")


def _apply(db: Database, path: Path, migration: Migration) -> None:
    """Apply one migration unless another process already did (checked inside the transaction)."""
    with write_transaction(db):
        before = current_version(db)
        if before >= migration.version:
            return
        db.executescript(migration.sql)
        broken = db.execute("PRAGMA foreign_key_check").fetchone()
        if broken is not None:
            raise StoreError(
                f"Upgrading {path} to schema version {migration.version} would leave a row of "
                f"table {broken[0]} pointing at a missing row of {broken[2]}; nothing was "
                "changed. Keep a copy of the file and report this to the maintainers."
            )
        db.table("schema_version").insert(
            {
                "version": migration.version,
                "description": migration.description,
                "applied_at": utc_now_iso(),
            }
        )
        if "audit_log" in db.table_names():
            detail = {"from_version": before, "to_version": migration.version}
            audit.append(db, "schema.migrate", detail)
