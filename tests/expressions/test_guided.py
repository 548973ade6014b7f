"""Expressions answering a guided contraction are labelled in review and report, not hidden."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from microexp_tui.domain.markers import (
    MARKER_REST_ONSET,
    guided_contraction_code,
    stimulus_onset_code,
)
from microexp_tui.domain.recording import Batch, MarkerRecord
from microexp_tui.expressions.guided import guided_expressions
from microexp_tui.readmodels.review import load_review
from microexp_tui.report.generate import generate_report
from microexp_tui.simulator.participant import ScriptedExpression as Scripted
from microexp_tui.store.sessions import SessionStore
from tests.expressions.test_validation import as_detected
from tests.report.conftest import read_pdf
from tests.store import one_second, start_recording

RATE_HZ = 1000


def scripted() -> list[Scripted]:
    """A contraction 0.5 s after a cue at 2 s, one 5 s after it, one after a stimulus."""
    return [
        Scripted(2.5, 2.0, 400.0, "happy"),
        Scripted(7.0, 1.0, 400.0, "happy"),
        Scripted(12.4, 0.2, 400.0, "fear"),
    ]


def test_only_expressions_starting_soon_after_a_cue_are_guided() -> None:
    found = as_detected(scripted())
    cues = [(0, MARKER_REST_ONSET), (2000, guided_contraction_code(0)), (12000, 0x0105)]
    assert guided_expressions(found, cues, RATE_HZ) == frozenset({0})
    assert guided_expressions(found, cues[:1], RATE_HZ) == frozenset()
    assert guided_expressions(found, cues, RATE_HZ, response_s=6.0) == frozenset({0, 1})


def test_review_and_report_label_the_guided_contraction(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.db") as store:
        session_id = start_recording(store)
        for second in range(15):
            store.write_batch(session_id, one_second(second * RATE_HZ))
        markers: list[MarkerRecord | tuple[Any, ...]] = [
            MarkerRecord(2000, guided_contraction_code(0), "operator app"),
            MarkerRecord(12000, stimulus_onset_code("fear"), "protocol"),
        ]
        store.write_batch(session_id, Batch(markers=markers))
        store.finish_session(session_id, "completed")
        store.save_expressions(session_id, as_detected(scripted()), "live")
        review = load_review(store, session_id)
        assert review.guided == frozenset({0})
        pdf = read_pdf(generate_report(store, session_id, tmp_path / "r.pdf"))
    assert "1 answered a guided contraction" in pdf.text
    assert "macro, guided" in pdf.text


def test_the_review_panel_marks_guided_rows_and_counts_them() -> None:
    from microexp_tui.tui.widgets.expressions import counts_text, row_cells
    from tests.store import seed_channels

    found = as_detected(scripted())
    assert row_cells(found[0], seed_channels(), guided=True)[2] == "macro guided"
    assert row_cells(found[2], seed_channels())[2] == "µ micro"
    assert "1 answering a guided contraction" in counts_text(found, frozenset({0})).plain
