"""The operator app warns on screen when the database's audit log is broken."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from microexp_tui.paths import DATA_DIR_ENV
from microexp_tui.settings import Settings
from microexp_tui.store.sessions import SessionStore
from microexp_tui.tui.app import MicroexpApp, make_app
from tests.tui.seed_data import seed_database


def _notification_titles(app: MicroexpApp) -> list[str]:
    """Titles of the notifications shown after the app started."""

    async def run() -> list[str]:
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.pause()
            return [note.title for note in app._notifications]

    return asyncio.run(run())


@pytest.mark.parametrize("tampered", [False, True])
def test_a_broken_audit_log_is_an_error_notification(
    tampered: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    db_path = tmp_path / "sessions.sqlite"
    seed_database(db_path)
    if tampered:
        conn = sqlite3.connect(db_path, isolation_level=None)
        conn.execute("DROP TRIGGER audit_log_no_update")
        conn.execute("UPDATE audit_log SET detail = '{}' WHERE id = 2")
        conn.close()
        with SessionStore.open(db_path) as store:
            assert not store.verify_audit_log().intact
    app = make_app(db_path, settings=Settings(operator="tester"))
    try:
        titles = _notification_titles(app)
    finally:
        app.store.close()
    assert ("Audit log broken" in titles) is tampered
