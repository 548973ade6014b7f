"""The review of an imported session: its labelled stimuli and its traces in the file's unit."""

from __future__ import annotations

import numpy as np

from microexp_tui.readmodels.review import load_review
from microexp_tui.session_flow.frozen import FrozenFeed
from microexp_tui.store.sessions import SessionStore
from tests.anyrate.conftest import ImportedDb


def test_the_review_lists_every_labelled_stimulus_with_its_condition(
    imported_db: ImportedDb,
) -> None:
    spec = imported_db.specs["raw-4khz-uv"]
    with SessionStore.open(imported_db.path) as store:
        review = load_review(store, imported_db.ids["raw-4khz-uv"])
    assert [(row.onset_s, row.emotion) for row in review.stimuli] == [
        (onset, condition) for onset, condition, _ in spec.stimuli
    ]
    assert [row.duration_s for row in review.stimuli] == [None] * len(spec.stimuli)


def test_the_frozen_view_filters_an_import_in_its_unit(imported_db: ImportedDb) -> None:
    spec = imported_db.specs["envelope-20hz-mv"]
    with SessionStore.open(imported_db.path) as store:
        feed = FrozenFeed(store, imported_db.ids["envelope-20hz-mv"])
    envelope = feed.window(0, round(spec.duration_s * spec.rate_hz))
    onset = round((spec.stimuli[0][0] + 0.5 + 0.4) * spec.rate_hz)  # mid-burst on its channels
    for channel in spec.stimuli[0][2]:
        assert 0.5 * spec.burst_level < envelope[onset, channel] < 1.5 * spec.burst_level
    assert float(np.median(envelope[: round(5 * spec.rate_hz)])) < 0.1 * spec.burst_level
