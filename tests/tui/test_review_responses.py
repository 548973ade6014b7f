"""Review's "Responses by condition" table: computed in a worker from the session's trials."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import DataTable, Static

from microexp_tui.settings import Settings
from microexp_tui.store.sessions import SessionStore
from microexp_tui.tui.app import MicroexpApp, make_app
from microexp_tui.tui.screens.review import RESPONSE_COLUMNS, VALENCE_LABEL, response_muscle
from tests.tui.helpers import wait_for
from tests.tui.seed_data import BURSTS
from tests.tui.test_report_from_review import SIZE, open_review, seeded

__all__ = ["seeded"]


async def _response_rows(app: MicroexpApp, session_id: int) -> tuple[list[list[str]], str]:
    """Open Review and return the responses table's cells (once the worker filled it) and the
    note shown instead of an empty table."""
    async with app.run_test(size=SIZE) as pilot:
        review = await open_review(app, session_id)
        table = review.query_one("#responses", DataTable)
        note = review.query_one("#responses-note", Static)

        def filled() -> bool:
            return table.row_count > 0 or "computing" not in str(note.render())

        await wait_for(pilot, filled, "responses computed")
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        shown = str(note.render()) if note.display else ""
        return rows, shown


def _rows(db_path: Path, session_id: int) -> tuple[list[list[str]], str]:
    """The responses table of `session_id` as Review shows it, and its note."""
    app = make_app(db_path, settings=Settings(operator="tester"))
    try:
        return asyncio.run(_response_rows(app, session_id))
    finally:
        app.shutdown()


def test_the_happy_burst_is_the_largest_response_to_happy(seeded: tuple[Path, int]) -> None:
    db_path, session_id = seeded
    with SessionStore.open(db_path) as store:
        channels = store.session(session_id).channels
    rows, note = _rows(db_path, session_id)
    assert len(rows[0]) == len(RESPONSE_COLUMNS) and note == ""
    happy = {row[0]: row for row in rows if row[1] == "happy"}
    assert happy, rows
    # the seeded bursts after the happy onset (3 s) are on channels 0 and 7
    burst_muscles = {
        response_muscle(channels[c].muscle or "")
        for c, start, _stop, _level in BURSTS
        if 3 <= start < 7
    }
    changes = {muscle: float(row[2].split()[0]) for muscle, row in happy.items()}
    largest = max(changes, key=lambda m: changes[m])
    assert largest in burst_muscles, changes
    assert changes[largest] > 50  # counts: a 260-320-count burst over most of the window
    valence = changes.pop(VALENCE_LABEL)
    assert valence < -50  # corrugator minus a zygomaticus that rose
    quiet = [changes[m] for m in changes if m not in burst_muscles]
    assert quiet and max(abs(c) for c in quiet) < 10, changes
    assert all(row[3] == "1" for row in happy.values())  # one happy trial


def test_a_session_without_stimuli_says_so(tmp_path: Path) -> None:
    from tests.export.helpers import add_session

    db_path = tmp_path / "sessions.sqlite"
    with SessionStore.open(db_path) as store:
        person = store.create_participant("P-NOSTIM1", 1990, "female", "right")
        session_id, _ = add_session(store, person.id, duration_s=1.5, seed=2)
    rows, note = _rows(db_path, session_id)
    assert rows == []
    assert "no stimulus onset" in note  # the reason, in words
