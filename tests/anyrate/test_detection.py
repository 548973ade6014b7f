"""`microexp microexpressions` on imported sessions: detections where the bursts are, any rate."""

from __future__ import annotations

import pytest

from tests.anyrate.conftest import ImportedDb, microexp_json
from tests.anyrate.sessions import BURST_S

ONSET_TOLERANCE_S = 0.15
"""How far a detected onset may lie from the synthetic burst's (filter smoothing, ramps)."""


@pytest.mark.parametrize("name", ["envelope-20hz-mv", "raw-2khz-uv", "raw-4khz-uv"])
def test_every_burst_is_detected_on_its_channels_and_nothing_else(
    imported_db: ImportedDb, name: str
) -> None:
    spec = imported_db.specs[name]
    result = microexp_json(
        "microexpressions", str(imported_db.ids[name]), "--db", str(imported_db.path)
    )
    expected = {
        (round(onset + 0.5, 1), tuple(c + 1 for c in channels))
        for onset, _, channels in spec.stimuli
    }
    found = set()
    for expression in result["expressions"]:
        onsets = {round(a["onset_s"], 1) for a in expression["activations"]}
        burst = next(
            (s for s, _ in expected if any(abs(o - s) <= ONSET_TOLERANCE_S for o in onsets)), None
        )
        assert burst is not None, (
            f"an expression at {expression['onset_s']} s, away from every burst"
        )
        found.add((burst, tuple(expression["channels"])))
        assert expression["duration_ms"] == pytest.approx(1000 * BURST_S, rel=0.15)
    assert found == expected


@pytest.mark.parametrize("name", ["envelope-20hz-mv", "raw-2khz-uv", "raw-4khz-uv"])
def test_detection_works_in_the_channels_unit_with_no_count_floor(
    imported_db: ImportedDb, name: str
) -> None:
    spec = imported_db.specs[name]
    result = microexp_json(
        "microexpressions", str(imported_db.ids[name]), "--db", str(imported_db.path)
    )
    detector = result["detector"]
    assert detector["units"] == [spec.unit] * len(spec.muscles)
    assert all(floor < 0.01 * spec.burst_level for floor in detector["min_on"])
    assert all(spec.unit in text for text in detector["filters"])
    activations = [a for x in result["expressions"] for a in x["activations"]]
    assert {a["peak_unit"] for a in activations} == {spec.unit}
    peaks = [a["peak_counts"] for a in activations]
    assert peaks and all(spec.rest_level < peak < 2 * spec.burst_level for peak in peaks)
