"""Detection against simulator ground truth: envelope and raw at 1 kHz with realistic noise.

The simulator's signal generator renders the scenarios (`at_s` is the half-amplitude onset,
`duration_ms` the half-amplitude width); the counts go through the recording's filters,
artifact flags and the live detector, and are scored against the scripted expressions.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from microexp_tui.analysis.microexpressions import detect_in_counts
from microexp_tui.domain.calibration import DetectionLevels
from microexp_tui.domain.expressions import Expression
from microexp_tui.domain.muscles import SEED_MONTAGE
from microexp_tui.expressions.truth import DetectionScore, KnownExpression, score_detections
from microexp_tui.paths import resource_dir
from microexp_tui.simulator.render import render_scenario
from microexp_tui.simulator.scenario import Scenario, load_scenario

SCENARIOS = resource_dir("templates") / "scenarios"
RATE_HZ = 1000
SEED_UNITS = [muscle.action_units for muscle in SEED_MONTAGE]


@functools.cache
def scenario(name: str) -> Scenario:
    """A shipped scenario."""
    return load_scenario(SCENARIOS / f"{name}.toml")


@functools.cache
def counts(name: str, mode: str = "envelope", seed: int = 1) -> np.ndarray:
    """The scenario rendered by the simulator's generator (its own motion-artifact rate)."""
    return render_scenario(scenario(name), mode=mode, sample_rate_hz=RATE_HZ, seed=seed)


def detect(
    data: np.ndarray,
    mode: str = "envelope",
    chunk: int | None = None,
    levels: list[DetectionLevels | None] | None = None,
) -> list[Expression]:
    """Expressions found in rendered counts fed in chunks of `chunk` samples (default: whole)."""
    step = chunk or data.shape[0]
    pieces = ((i, data[i : i + step]) for i in range(0, data.shape[0], step))
    found, _ = detect_in_counts(
        pieces,
        sample_rate_hz=RATE_HZ,
        channel_units=SEED_UNITS,
        sensor_kinds=[mode] * 8,
        levels=levels,
    )
    return found


def known(name: str) -> list[KnownExpression]:
    """The scenario's scripted expressions."""
    return [KnownExpression(e.onset_s, e.duration_s, e.emotion) for e in scenario(name).expressions]


def assert_targets(score: DetectionScore) -> None:
    """The issue's targets: F1 >= 0.95, median onset error <= 20 ms, kind right >= 95%."""
    assert score.f1 >= 0.95, score.as_json()
    assert score.median_abs_onset_error_ms is not None
    assert score.median_abs_onset_error_ms <= 20.0, score.as_json()
    assert score.kind_accuracy is not None and score.kind_accuracy >= 0.95, score.as_json()


def test_known_micro_and_macro_expressions_are_found_on_time() -> None:
    found = detect(counts("micro_macro"))
    score = score_detections(found, known("micro_macro"))
    assert_targets(score)
    assert score.emotion_accuracy == 1.0, "every scripted pair maps to its emotion"
    micro = [x for x in found if x.kind == "micro"]
    assert len(micro) == 7 and min(x.duration_ms for x in micro) >= 40


def test_six_minutes_of_dense_expressions_with_motion_artifacts() -> None:
    truth = known("micro_macro_long")
    assert len(truth) >= 120 and scenario("micro_macro_long").motion_artifacts_per_min == 1
    score = score_detections(detect(counts("micro_macro_long")), truth)
    assert_targets(score)
    assert score.emotion_accuracy is not None and score.emotion_accuracy >= 0.7


def test_with_a_calibration_peaks_are_percent_of_maximal_contraction() -> None:
    data = counts("micro_macro")
    rest = detect(data[:1500], chunk=None)  # the first 1.5 s are rest
    assert rest == []
    levels: list[DetectionLevels | None] = [DetectionLevels(20.0, 8.0, 500.0)] * 8
    found = detect(data, levels=levels)
    assert_targets(score_detections(found, known("micro_macro")))
    peaks = [a.peak_pct_mvc for x in found for a in x.activations]
    assert all(p is not None and 10.0 < p < 120.0 for p in peaks)


def test_raw_emg_sensors_are_detected_through_their_envelope() -> None:
    found = detect(counts("micro_macro", mode="raw"), mode="raw")
    assert_targets(score_detections(found, known("micro_macro")))


@pytest.mark.parametrize("chunk", [20, 1000, 7919])
def test_the_whole_pipeline_gives_the_same_expressions_for_any_chunking(chunk: int) -> None:
    data = counts("micro_macro")
    assert detect(data, chunk=chunk) == detect(data)
