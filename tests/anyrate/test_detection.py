"""`microexp microexpressions` on imported sessions: detections where the bursts are, any rate."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.anyrate.conftest import ImportedDb, microexp, microexp_json
from tests.anyrate.sessions import (
    BURST_S,
    RAW_2KHZ_UV,
    create_imported_session,
    physical_signal,
    stored_values,
)

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


def test_an_amplifier_filtered_raw_recording_at_256_hz_is_analysed(tmp_path: Path) -> None:
    spec = replace(RAW_2KHZ_UV, name="raw-256", rate_hz=256.0)
    db = tmp_path / "slow.sqlite"
    session = create_imported_session(db, spec)
    result = microexp_json("microexpressions", str(session), "--db", str(db))
    assert "Butterworth band-pass 20-115.2 Hz" in result["detector"]["filters"][0]
    onsets = {round(x["onset_s"]) for x in result["expressions"]}
    assert onsets == {round(onset + 0.5) for onset, _, _ in spec.stimuli}


def test_raw_too_slow_for_two_octaves_is_refused_saying_why(tmp_path: Path) -> None:
    spec = replace(RAW_2KHZ_UV, name="raw-150", rate_hz=150.0)
    db = tmp_path / "slower.sqlite"
    session = create_imported_session(db, spec)
    done = microexp("microexpressions", str(session), "--db", str(db))
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "150 Hz" in done.stderr and "two octaves" in done.stderr and "envelope" in done.stderr


def test_missing_values_of_an_import_leave_the_other_bursts_intact(tmp_path: Path) -> None:
    spec = RAW_2KHZ_UV
    values = stored_values(spec, physical_signal(spec))
    missing = np.zeros(values.shape, dtype=bool)
    lost = slice(round(8.0 * spec.rate_hz), round(11.0 * spec.rate_hz))
    missing[lost, 1] = True  # one channel's values unknown for 3 s, between two bursts
    values[lost, 1] = 2**30  # whatever is stored there must never be read
    db = tmp_path / "masked.sqlite"
    session = create_imported_session(db, spec, values=np.ma.MaskedArray(values, mask=missing))
    result = microexp_json("microexpressions", str(session), "--db", str(db))
    onsets = sorted(round(x["onset_s"], 1) for x in result["expressions"])
    assert onsets == [round(onset + 0.5, 1) for onset, _, _ in spec.stimuli]
