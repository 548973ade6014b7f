"""Review screen panels: the latest AU validation, and the model's emotion per stimulus."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.widgets import Static

from microexp_tui.domain.expressions import AuScore, ConfirmedMicroExpression, ValidationReport
from microexp_tui.settings import Settings
from microexp_tui.store.sessions import SessionStore
from microexp_tui.tui.app import MicroexpApp, make_app
from tests.tui.helpers import wait_for
from tests.tui.test_report_from_review import SIZE, open_review, seeded

__all__ = ["seeded"]


def _report() -> ValidationReport:
    """A validation with two scored AUs, one confirmed micro-expression and ignored AUs."""
    au12 = AuScore("AU12", 4, 5, 4, 1.0, 0.8, 8 / 9, 21.0)
    au6 = AuScore("AU6", 4, 4, 3, 0.75, 0.75, 0.75, -4.0)
    overall = AuScore("overall", 8, 9, 7, 7 / 8, 7 / 9, 0.8235, 12.0)
    return ValidationReport(
        au_file="/videos/p-alpha1.csv",
        au_file_sha256="cd" * 32,
        offset_s=3.25,
        alignment="explicit offset +3.250 s",
        tolerance_ms=200.0,
        overall=overall,
        per_action_unit=(au6, au12),
        confirmed_micro=(ConfirmedMicroExpression(5.0, 120.0, ("AU6", "AU12"), "happy", 9.0),),
        ignored_action_units=("AU25", "AU45"),
    )


async def _validation_text(app: MicroexpApp, session_id: int) -> str:
    """Open Review and return the plain text of the validation summary."""
    async with app.run_test(size=SIZE) as pilot:
        review = await open_review(app, session_id)
        await wait_for(pilot, lambda: review.review is not None, "review loaded")
        return str(review.query_one("#expression-validation", Static).render())


@pytest.mark.parametrize("validated", [False, True])
def test_review_shows_the_latest_validation(seeded: tuple[Path, int], validated: bool) -> None:
    db_path, session_id = seeded
    if validated:
        with SessionStore.open(db_path) as store:
            store.save_validation(session_id, _report(), "offline")
    app = make_app(db_path, settings=Settings(operator="tester"))
    try:
        text = asyncio.run(_validation_text(app, session_id))
    finally:
        app.shutdown()
    if not validated:
        assert "AU validation: none" in text and "--aus FILE.csv" in text
        return
    assert "explicit offset +3.250 s" in text
    assert "F1 0.82 (P 0.88, R 0.78), 7 of 9 AU events, +12 ms" in text
    assert "AU12  F1 0.89" in text and "AU6   F1 0.75" in text
    assert "1 micro-expression confirmed by EMG and video" in text
    assert "not scored: AU25, AU45" in text


async def _stimulus_rows(app: MicroexpApp, session_id: int) -> list[list[str]]:
    """Open Review and return the stimuli table's cells as text."""
    from textual.widgets import DataTable

    async with app.run_test(size=SIZE) as pilot:
        review = await open_review(app, session_id)
        await wait_for(pilot, lambda: review.review is not None, "review loaded")
        table = review.query_one("#stimuli", DataTable)
        return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def test_stimuli_table_shows_the_models_dominant_emotion(tmp_path: Path) -> None:
    from microexp_tui.report.gather import session_figures
    from tests.report.helpers import build_report_db

    db = build_report_db(tmp_path / "sessions.sqlite")
    with SessionStore.open(db.path) as store:
        outcomes = session_figures(store, db.main).outcomes
    app = make_app(db.path, settings=Settings(operator="tester"))
    try:
        rows = asyncio.run(_stimulus_rows(app, db.main))
    finally:
        app.shutdown()
    assert len(rows) == len(outcomes) > 3
    for row, outcome in zip(rows, outcomes, strict=True):
        assert row[1] == outcome.row.emotion
        assert row[6] == ("✓" if outcome.row.expected_hit else "-"), "the per-stimulus rule"
        assert row[7] == (outcome.predicted or "-")
        assert row[8] == ("-" if outcome.confidence is None else f"{outcome.confidence:.2f}")
    assert any(row[7] != row[1] for row in rows) and any(row[7] == row[1] for row in rows)
