"""The app marks a test participant (headless `record` without --participant) wherever it
lists one: the sessions and participants tables and the Review header."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from microexp_tui.domain.channels import ChannelSpec
from microexp_tui.domain.recording import Batch
from microexp_tui.readmodels.review import load_review
from microexp_tui.store.sessions import SessionStore
from microexp_tui.tui.screens.home import participant_cells, session_cells
from microexp_tui.tui.screens.review import summary_text


def one_second_for(store: SessionStore, participant_id: int) -> int:
    """A finished 1 s simulated session of this participant on two channels; its id."""
    session_id = store.start_session(
        participant_id,
        sample_rate_hz=1000,
        channels=[ChannelSpec(i, f"EMG{i + 1}", "", "envelope", ()) for i in range(2)],
        device={"board": "test"},
        simulated=True,
    )
    store.write_batch(session_id, Batch(chunks=[(0, np.full((1000, 2), 100, np.int16))]))
    store.finish_session(session_id, "completed")
    return session_id


def test_test_participants_are_marked_and_real_ones_are_not(tmp_path: Path) -> None:
    with SessionStore.open(tmp_path / "s.sqlite") as store:
        real = one_second_for(store, store.create_participant("P-REAL1").id)
        test = one_second_for(store, store.test_participant().id)
        records = {sid: store.session(sid) for sid in (real, test)}
        reviews = {sid: load_review(store, sid) for sid in (real, test)}
        participants = {p.code: p for p in store.list_participants()}
    assert session_cells(records[test], None)[1] == "TEST (test)"
    assert session_cells(records[real], None)[1] == "P-REAL1"
    assert participant_cells(participants["TEST"], 1)[0] == "TEST (test)"
    assert participant_cells(participants["P-REAL1"], 1)[0] == "P-REAL1"
    assert "TEST PARTICIPANT" in summary_text(reviews[test]).plain
    assert "TEST PARTICIPANT" not in summary_text(reviews[real]).plain
