"""The review header of an imported session says where its data came from, not board counters."""

from __future__ import annotations

from pathlib import Path

from microexp_tui.readmodels.review import load_review
from microexp_tui.store.sessions import SessionStore
from microexp_tui.tui.screens.review import summary_text
from tests.anyrate.sessions import RAW_4KHZ_UV, create_imported_session


def test_an_imported_sessions_header_names_the_file_as_source(tmp_path: Path) -> None:
    db = tmp_path / "imported.sqlite"
    session_id = create_imported_session(db, RAW_4KHZ_UV)
    with SessionStore.open(db) as store:
        header = summary_text(load_review(store, session_id)).plain
    assert "imported file · lost samples 0" in header
    assert "CRC errors" not in header and "reconnects" not in header
    assert f"@ {RAW_4KHZ_UV.rate_hz:g} Hz" in header
